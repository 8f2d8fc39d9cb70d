// posthog-js, unchanged, in Debian's headless Chromium (driven by playwright-core): a page
// served from another origin loads the SDK, which fetches the remote config and /flags from
// a real hedgerow; the flags it reports must be hedgerow's answers, and no request may fail.
//   node posthog_js_flags_test.mjs path/to/hedgerow path/to/chromium
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { serveSite, startHedgerow } from './hedgerow_fixture.mjs';

const [binary, browserPath] = process.argv.slice(2);
const token = 'phc_browser_test';
const personalApiKey = 'phx_browser_test_key';
const server = await startHedgerow(binary, token, { personalApiKey });
const page = `<!doctype html><html><head><script src="/posthog.js"></script></head><body><script>
window.flagsSeen = new Promise((resolve) => {
  posthog.init(${JSON.stringify(token)}, {
    api_host: ${JSON.stringify(server.url)},
    opt_out_useragent_filter: true,
    persistence: 'memory',
    disable_session_recording: true,
    loaded: (ph) => ph.onFeatureFlags(() => resolve({
      distinctId: ph.get_distinct_id(),
      on: ph.isFeatureEnabled('browser-on'),
      off: ph.isFeatureEnabled('browser-off'),
      variant: ph.getFeatureFlag('browser-variants'),
      payload: ph.getFeatureFlagPayload('browser-on'),
    })),
  });
});
</script></body></html>`;
const site = await serveSite(page);

let failures = 0;
let browser;
try {
  await server.createFlag({ key: 'browser-on', filters: { groups: [{ properties: [], rollout_percentage: 100 }],
                                                   payloads: { true: '{"theme":"dark"}' } } });
  await server.createFlag({ key: 'browser-off', filters: { groups: [{ properties: [], rollout_percentage: 0 }] } });
  await server.createFlag({ key: 'browser-variants', filters: { groups: [{ properties: [], rollout_percentage: 100 }],
    multivariate: { variants: [{ key: 'a', rollout_percentage: 34 }, { key: 'b', rollout_percentage: 33 },
                               { key: 'c', rollout_percentage: 33 }] } } });

  browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
  const tab = await browser.newPage();
  const problems = [];
  const hedgerowCalls = [];
  tab.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  tab.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  tab.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  tab.on('response', (r) => {
    if (r.url().startsWith(server.url)) hedgerowCalls.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  await tab.goto(site.url);
  const seen = await tab.evaluate(() => window.flagsSeen);
  console.log(`posthog-js saw ${JSON.stringify(seen)}; calls: ${hedgerowCalls.join(', ')}`);

  // hedgerow's own answer for the browser's distinct id.
  const answer = await (await fetch(`${server.url}/flags/?v=2`, {
    method: 'POST', body: JSON.stringify({ token, distinct_id: seen.distinctId }),
  })).json();
  const checks = [
    ['browser-on is enabled', () => assert.equal(seen.on, true)],
    ['browser-off is disabled', () => assert.equal(seen.off, false)],
    ['the variant is the one hedgerow computes', () => assert.equal(seen.variant, answer.flags['browser-variants'].variant)],
    ['the payload arrives parsed', () => assert.deepEqual(seen.payload, { theme: 'dark' })],
    ['posthog-js called /flags', () => assert.ok(hedgerowCalls.some((c) => c.startsWith('POST /flags/')), hedgerowCalls.join())],
    ['no request failed and nothing was logged as an error', () => assert.deepEqual(problems, [])],
  ];
  for (const [name, fn] of checks) {
    try {
      fn();
      console.log(`ok - ${name}`);
    } catch (e) {
      failures++;
      console.log(`not ok - ${name}\n${e.message}`);
    }
  }
} catch (e) {
  failures++;
  console.log(`not ok - browser run\n${e.stack}`);
} finally {
  if (browser) await browser.close();
  site.close();
  await server.finishTest(failures);
}
