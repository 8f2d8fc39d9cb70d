// posthog-js, unchanged, in Debian's headless Chromium (driven by playwright-core): a page
// served from another origin loads the SDK, which fetches the remote config and /flags from
// a real hedgerow; the flags it reports must be hedgerow's answers, and no request may fail.
//   node posthog_js_flags_test.mjs path/to/hedgerow path/to/chromium
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { startHedgerow } from './hedgerow_fixture.mjs';

const [binary, browserPath] = process.argv.slice(2);
const token = 'phc_browser_test';
const personalApiKey = 'phx_browser_test_key';
const server = await startHedgerow(binary, token, { personalApiKey });
const require = createRequire(import.meta.url);
// The build without external script loading: nothing may come from a CDN in a test.
const sdk = readFileSync(require.resolve('posthog-js/dist/array.full.no-external.js'));

async function createFlag(body) {
  const r = await fetch(`${server.url}/api/projects/1/feature_flags/`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${personalApiKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(r.status, 201, await r.text());
}

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
const site = createServer((req, res) => {
  if (req.url === '/posthog.js') {
    res.writeHead(200, { 'Content-Type': 'application/javascript' });
    return res.end(sdk);
  }
  res.writeHead(200, { 'Content-Type': 'text/html' });
  res.end(page);
});
await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
const siteUrl = `http://127.0.0.1:${site.address().port}/`;

let failures = 0;
let browser;
try {
  await createFlag({ key: 'browser-on', filters: { groups: [{ properties: [], rollout_percentage: 100 }],
                                                   payloads: { true: '{"theme":"dark"}' } } });
  await createFlag({ key: 'browser-off', filters: { groups: [{ properties: [], rollout_percentage: 0 }] } });
  await createFlag({ key: 'browser-variants', filters: { groups: [{ properties: [], rollout_percentage: 100 }],
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
  await tab.goto(siteUrl);
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
