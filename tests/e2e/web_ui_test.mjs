// The web UI in Debian's headless Chromium (playwright-core) against a real hedgerow: sign-in
// with the personal API key, every page without console errors, the live page showing an
// event captured during the test, a trend chart drawn from seeded data, the SQL console, a
// flag created in the UI and then served by /flags, the phone layout, sign-out. Screenshots of
// every page at 1280x800 go to the directory given (ctest: build/ui-screenshots/), with each
// page's load time in load-times.json.
//   node web_ui_test.mjs path/to/hedgerow path/to/chromium screenshot-dir
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startHedgerow, tap } from './hedgerow_fixture.mjs';

const [binary, browserPath, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const token = 'phc_e2e_web_ui';
const personalApiKey = 'phx_e2e_web_ui_key';
const server = await startHedgerow(binary, token, { personalApiKey });
const t = tap();
const check = t.check;

async function capture(events) {
  const r = await fetch(`${server.url}/batch/`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ api_key: token, batch: events }),
  });
  assert.equal(r.status, 200, await r.text());
}

// Seven days of a small shop: 12 persons view pages, some sign up, fewer buy, on 3 browsers.
const day = 86400 * 1000;
const now = Date.now();
const seeded = [];
for (let person = 0; person < 12; person++) {
  const browser = ['Chrome', 'Firefox', 'Safari'][person % 3];
  for (let d = 6; d >= 0; d--) {
    const at = (offset) => new Date(now - d * day - (person + 1) * 60000 + offset).toISOString();
    const props = { $browser: browser, $current_url: `https://shop.example/p/${person}` };
    seeded.push({ event: '$pageview', distinct_id: `user-${person}`, timestamp: at(0), properties: props });
    if (d === 3 && person % 2 === 0) seeded.push({ event: 'signed up', distinct_id: `user-${person}`, timestamp: at(1000), properties: { ...props, $set: { email: `user${person}@shop.example` } } });
    if (d === 2 && person % 4 === 0) seeded.push({ event: 'purchase', distinct_id: `user-${person}`, timestamp: at(2000), properties: { ...props, amount: 10 + person } });
  }
}

const loadTimes = {};
let browser;
try {
  await capture(seeded);
  await server.queryUntil('SELECT count() FROM events', (rows) => rows[0][0] === seeded.length);

  browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()} (${page.url()})`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message} (${page.url()})`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`); });
  page.on('dialog', (d) => d.accept());

  // Opens a page from the nav (as a user would), waits for what shows it is drawn, and keeps
  // the load time and a screenshot.
  async function visit(name, linkText, ready) {
    const started = Date.now();
    await page.click(`nav >> text="${linkText}"`);
    await page.waitForSelector(ready, { timeout: 15000 });
    loadTimes[name] = Date.now() - started;
    await page.screenshot({ path: join(shots, `${name}.png`) });
  }

  await check('/ sends a visitor who is not signed in to the sign-in page', async () => {
    await page.goto(server.url + '/');
    await page.waitForSelector('input[name="key"]');
    assert.match(page.url(), /\/ui\/login\?next=/);
    await page.screenshot({ path: join(shots, 'login.png') });
  });
  await check('a wrong key is refused with a message, and the right one signs in to the live events', async () => {
    const wrong = await fetch(`${server.url}/ui/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ personal_api_key: 'phx_nope' }) });
    assert.equal(wrong.status, 401);
    assert.match((await wrong.json()).detail, /no such personal API key/);
    await page.fill('input[name="key"]', personalApiKey);
    const started = Date.now();
    await page.press('input[name="key"]', 'Enter');
    await page.waitForURL(/\/ui\/events$/);
    await page.waitForSelector('.table-wrap tbody tr');
    loadTimes.events = Date.now() - started;
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'hedgerow_session');
    assert.ok(session && session.httpOnly && session.sameSite === 'Strict', JSON.stringify(cookies));
  });
  await check('the live page lists the seeded events and shows one captured now within 2 s', async () => {
    const name = `live check ${Date.now()}`;
    await capture([{ event: name, distinct_id: 'user-live', properties: { $current_url: 'https://shop.example/live' } }]);
    const acknowledged = Date.now();
    await page.waitForSelector(`td >> text="${name}"`, { timeout: 5000 });
    const seenAfter = Date.now() - acknowledged;
    console.log(`# live page showed the event ${seenAfter} ms after its 200`);
    assert.ok(seenAfter <= 2000, `${seenAfter} ms`);
    await page.screenshot({ path: join(shots, 'events.png') });
  });
  await check('filtering the live page by event shows only that event', async () => {
    await page.fill('input[name="event"]', 'purchase');
    await page.click('form.filters button[type="submit"]');
    await page.waitForFunction(() => [...document.querySelectorAll('.table-wrap tbody tr td:nth-child(2)')].every((td) => td.textContent === 'purchase')
      && document.querySelectorAll('.table-wrap tbody tr').length === 3);
    await page.click('.table-wrap tbody tr');
    await page.waitForSelector('tr.details pre.json');
    assert.match(await page.textContent('tr.details pre.json'), /"amount": \d+/);
  });
  await check('persons: the list, a search by distinct id and a person page', async () => {
    await visit('persons', 'Persons', '.table-wrap tbody tr a');
    assert.equal(await page.locator('.table-wrap tbody tr').count(), 13);
    await page.fill('input[name="q"]', 'user-4');
    await page.press('input[name="q"]', 'Enter');
    await page.waitForFunction(() => document.querySelectorAll('.table-wrap tbody tr').length === 1);
    await page.click('.table-wrap tbody tr a');
    await page.waitForSelector('h2 >> text="Latest events"');
    assert.equal(await page.textContent('h1'), 'user4@shop.example');
    assert.match(await page.textContent('p.mono'), /user-4/);
    await page.screenshot({ path: join(shots, 'person.png') });
  });
  await check('trends: a chart of events per day by browser, with axis labels and drawn series', async () => {
    await visit('trends', 'Trends', 'figure.chart canvas');
    await page.fill('input[name="event"]', '$pageview');
    await page.fill('input[name="breakdown"]', '$browser');
    await page.selectOption('select[name="chart"]', 'bar');
    await page.click('form.filters button[type="submit"]');
    await page.waitForFunction(() => document.querySelectorAll('.u-legend .u-series').length === 4);
    await page.waitForTimeout(100);  // uPlot draws in the next animation frame
    const drawn = await page.evaluate(() => {
      const canvas = document.querySelector('figure.chart canvas');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let ink = 0, text = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 0) ink++;
        if (data[i + 3] > 200 && data[i] < 90 && data[i + 1] < 90 && data[i + 2] < 90) text++;
      }
      return { ink, text, caption: document.querySelector('figure.chart figcaption').textContent,
        legend: [...document.querySelectorAll('.u-legend .u-series .u-label')].map((l) => l.textContent),
        totals: [...document.querySelectorAll('.table-wrap tbody tr')].map((tr) => tr.textContent) };
    });
    assert.ok(drawn.ink > 5000, JSON.stringify(drawn));
    assert.ok(drawn.text > 200, `axis labels and ticks: ${drawn.text} dark pixels`);
    assert.match(drawn.caption, /Events by time \(utc, per day\)/);
    assert.deepEqual(drawn.legend.slice(1).sort(), ['Chrome', 'Firefox', 'Safari']);
    assert.ok(drawn.totals.includes('Chrome28'), drawn.totals.join('|'));
    await page.screenshot({ path: join(shots, 'trends.png') });
  });
  await check('funnels: pageview -> signed up -> purchase converts 12 -> 6 -> 3', async () => {
    await visit('funnels', 'Funnels', 'form input[name="step"]');
    const steps = page.locator('input[name="step"]');
    await steps.nth(0).fill('$pageview');
    await steps.nth(1).fill('signed up');
    await page.click('text="Add step"');
    await steps.nth(2).fill('purchase');
    await page.click('button >> text="Calculate"');
    await page.waitForSelector('.funnel-step');
    const text = await page.locator('.funnel-step').allTextContents();
    assert.match(text[0], /12 persons/);
    assert.match(text[1], /6 persons · 50\.0% of step 1/);
    assert.match(text[2], /3 persons · 50\.0% of step 2/);
    await page.screenshot({ path: join(shots, 'funnels.png') });
  });
  await check('the SQL console runs a query, charts it and exports CSV', async () => {
    await visit('sql', 'SQL', 'textarea[name="sql"]');
    await page.fill('textarea[name="sql"]', "SELECT event, count() AS n FROM events WHERE event != '' GROUP BY event ORDER BY n DESC, event");
    await page.press('textarea[name="sql"]', 'Control+Enter');
    await page.waitForSelector('.table-wrap tbody tr');
    const first = await page.locator('.table-wrap tbody tr').first().textContent();
    assert.equal(first, '$pageview84');
    await page.waitForSelector('figure.chart canvas');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('text="Export CSV"')]);
    const csv = await (await import('node:fs/promises')).readFile(await download.path(), 'utf8');
    assert.match(csv, /^event,n\r\n\$pageview,84\r\n/);
    await page.screenshot({ path: join(shots, 'sql.png') });
  });
  await check('a flag created in the UI is served by /flags', async () => {
    await visit('flags', 'Feature flags', 'text="No flags yet."');
    await page.click('text="New flag"');
    await page.fill('input[name="key"]', 'ui-made-flag');
    await page.fill('input[name="name"]', 'Made in the UI');
    await page.click('text="Add condition"');
    await page.fill('.property input[name="key"]', 'email');
    await page.selectOption('.property select[name="operator"]', 'icontains');
    await page.fill('.property input[name="value"]', '@shop.example');
    await page.fill('input[name="rollout"]', '100');
    await page.click('text="Create flag"');
    await page.waitForSelector('td >> text="ui-made-flag"');
    await page.screenshot({ path: join(shots, 'flags.png') });
    const ask = async (distinctId) => {
      const r = await fetch(`${server.url}/flags/?v=2`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token, distinct_id: distinctId }) });
      assert.equal(r.status, 200);
      return (await r.json()).flags['ui-made-flag'];
    };
    assert.equal((await ask('user-4')).enabled, true);  // signed up: email set
    assert.equal((await ask('user-1')).enabled, false);  // no email
  });
  await check('settings show the project token, and IP anonymization can be turned on', async () => {
    await visit('settings', 'Settings', 'input[aria-label="Project token"]');
    assert.equal(await page.inputValue('input[aria-label="Project token"]'), token);
    await page.check('input[name="anonymize_ips"]');
    await page.waitForSelector('text="IP anonymization saved."');
    const r = await fetch(`${server.url}/api/projects/1/`, { headers: { Authorization: `Bearer ${personalApiKey}` } });
    assert.equal((await r.json()).anonymize_ips, true);
    await page.screenshot({ path: join(shots, 'settings.png'), fullPage: true });
  });
  await check('ingestion health lists the consumers and tables', async () => {
    await visit('health', 'Ingestion health', 'h2 >> text="Tables"');
    const rows = await page.locator('.table-wrap tbody tr').allTextContents();
    // store_events, or cluster_events with the store on a ClickHouse cluster (tests/cluster).
    assert.ok(rows.some((r) => /^(store|cluster)_eventsclickhouse_events_json/.test(r)), rows.join('|'));
    assert.ok(rows.some((r) => r.startsWith('events')), rows.join('|'));
    await page.screenshot({ path: join(shots, 'health.png') });
  });
  await check('on a phone the page fits the screen and the nav still reaches every page', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('nav >> text="Live events"');
    await page.waitForSelector('.table-wrap tbody tr');
    const fits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
    assert.ok(fits, 'horizontal scroll on a phone');
    assert.equal(await page.locator('nav a').count(), 8);
    await page.screenshot({ path: join(shots, 'events-phone.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });
  await check('the keyboard reaches the skip link first', async () => {
    await page.goto(server.url + '/ui/sql');
    await page.waitForSelector('textarea[name="sql"]');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  });
  await check('signing out ends the session: its cookie no longer reads the API', async () => {
    const session = (await context.cookies()).find((c) => c.name === 'hedgerow_session');
    const before = await fetch(`${server.url}/api/projects/1/`, { headers: { Cookie: `hedgerow_session=${session.value}` } });
    assert.equal(before.status, 200);
    await page.click('nav >> text="Settings"');
    await page.click('text="Sign out"');
    await page.waitForSelector('input[name="key"]');
    const r = await fetch(`${server.url}/api/projects/1/`, { headers: { Cookie: `hedgerow_session=${session.value}` } });
    assert.equal(r.status, 401);
  });
  await check('the first admin password is set with the setup code from the data dir, then signs in', async () => {
    const code = readFileSync(join(server.dataDir, 'ui-setup-code'), 'utf8').trim();
    await page.waitForSelector('input[name="setup_code"]');
    await page.fill('input[name="setup_code"]', code);
    await page.fill('input[name="new"]', 'a-long-admin-password');
    await page.fill('input[name="repeat"]', 'a-long-admin-password');
    await page.click('button >> text="Set password"');
    await page.waitForURL(/\/ui\/events/);
    await page.click('nav >> text="Settings"');
    await page.click('text="Sign out"');
    await page.fill('input[name="password"]', 'a-long-admin-password');
    await page.press('input[name="password"]', 'Enter');
    await page.waitForURL(/\/ui\/events/);
    await page.waitForSelector('.table-wrap tbody tr');
  });
  await check('no page logged a console error, threw, or got an HTTP error', () => assert.deepEqual(problems, []));
  writeFileSync(join(shots, 'load-times.json'), JSON.stringify(loadTimes, null, 2) + '\n');
  console.log(`# page load times (ms): ${JSON.stringify(loadTimes)}`);
} catch (e) {
  t.failures++;
  console.log(`not ok - browser run\n${e.stack}`);
} finally {
  if (browser) await browser.close();
  await server.finishTest(t.failures);
}
