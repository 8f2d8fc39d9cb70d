// posthog-js, unchanged, in Debian's headless Chromium (driven by playwright-core) against a
// real hedgerow: a page captures a $pageview, an autocaptured click, a custom event, identify
// and group, and reads a feature flag. Everything is then checked through the query API:
// events (with the click's elements_chain), the person merged over both distinct ids, the
// group. Every request posthog-js made is recorded and none may fail.
//   node posthog_js_e2e_test.mjs path/to/hedgerow path/to/chromium
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { serveSite, startHedgerow, tap } from './hedgerow_fixture.mjs';

const [binary, browserPath] = process.argv.slice(2);
const token = 'phc_e2e_browser';
const personalApiKey = 'phx_e2e_browser_key';
const server = await startHedgerow(binary, token, { personalApiKey });

const page = `<!doctype html><html><head><title>Shop</title><script src="/posthog.js"></script></head><body>
<main><button id="buy" class="cta primary">Buy now</button></main>
<script>
window.flag = new Promise((resolve) => {
  posthog.init(${JSON.stringify(token)}, {
    api_host: ${JSON.stringify(server.url)},
    opt_out_useragent_filter: true,
    persistence: 'memory',
    disable_session_recording: true,
    request_batching: false,
    loaded: (ph) => ph.onFeatureFlags(() => resolve(ph.getFeatureFlag('e2e-flag'))),
  });
});
</script></body></html>`;
const site = await serveSite(page);
const t = tap();
const check = t.check;
let browser;
try {
  await server.createFlag({ key: 'e2e-flag', filters: { groups: [{ properties: [], rollout_percentage: 100 }] } });

  browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
  const tab = await browser.newPage();
  const problems = [];
  const calls = [];
  tab.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  tab.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  tab.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  tab.on('response', (r) => {
    if (r.url().startsWith(server.url)) calls.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`);
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  await tab.goto(site.url);
  const flag = await tab.evaluate(() => window.flag);
  const anonymousId = await tab.evaluate(() => posthog.get_distinct_id());
  await tab.click('#buy');
  await tab.evaluate(() => {
    posthog.capture('checkout started', { plan: 'pro', amount: 42 });
    posthog.identify('e2e-user-1', { email: 'e2e@example.com' });
    posthog.group('company', 'acme', { name: 'Acme Inc' });
  });

  await check('posthog-js reads the feature flag', () => assert.equal(flag, true));
  const events = await server.queryUntil(
    "SELECT event, distinct_id, elements_chain, properties.plan, properties.$browser FROM events ORDER BY timestamp",
    (rows) => ['$pageview', '$autocapture', 'checkout started', '$identify', '$groupidentify']
      .every((name) => rows.some((r) => r[0] === name)));
  const byName = (name) => events.find((r) => r[0] === name);
  await check('the $pageview is stored with the browser posthog-js detected', () => {
    assert.equal(byName('$pageview')[1], anonymousId);
    assert.equal(byName('$pageview')[4], 'Chrome');
  });
  await check("the click is autocaptured with its elements_chain", () => {
    const chain = byName('$autocapture')[2];
    assert.match(chain, /^button\.cta\.primary:/, chain);
    assert.match(chain, /attr__id="buy"/, chain);
    assert.match(chain, /text="Buy now"/, chain);
  });
  await check('the custom event keeps its properties', () => assert.equal(byName('checkout started')[3], 'pro'));
  await check('identify merges the anonymous id into the identified person', async () => {
    const ids = await server.queryUntil(
      `SELECT distinct_id, argMax(person_id, version) FROM person_distinct_id2 WHERE distinct_id IN ('${anonymousId}', 'e2e-user-1') GROUP BY distinct_id`,
      (rows) => rows.length === 2);
    assert.equal(ids[0][1], ids[1][1], JSON.stringify(ids));
    const person = await server.queryUntil(
      `SELECT properties FROM person FINAL WHERE id = '${ids[0][1]}'`,
      (rows) => rows.length === 1 && JSON.parse(rows[0][0]).email === 'e2e@example.com');
    assert.equal(JSON.parse(person[0][0]).email, 'e2e@example.com');
  });
  await check('group stores the company with its properties', async () => {
    const groups = await server.queryUntil("SELECT group_key, group_properties FROM groups FINAL WHERE group_type_index = 0",
                                           (rows) => rows.length === 1);
    assert.equal(groups[0][0], 'acme');
    assert.equal(JSON.parse(groups[0][1]).name, 'Acme Inc');
  });
  await check('posthog-js called capture, the remote config and /flags, and no request failed', () => {
    assert.ok(calls.some((c) => c.startsWith('POST /flags/')), calls.join(', '));
    assert.ok(calls.some((c) => /^POST \/(e|i\/v0\/e|batch)\/ 200$/.test(c)), calls.join(', '));
    assert.deepEqual(problems, []);
  });
  console.log(`hedgerow calls: ${calls.join(', ')}`);
} catch (e) {
  t.failures++;
  console.log(`not ok - browser run\n${e.stack}`);
} finally {
  if (browser) await browser.close();
  site.close();
  await server.finishTest(t.failures);
}
