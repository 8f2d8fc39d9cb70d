// Load time of every web UI page on a data dir (e.g. the 1M events e2e_bench leaves with
// --keep-data-dir): the time from navigation to the page showing its data, median of 3 loads
// in Debian's headless Chromium at 1280x800, with a screenshot of each. Run from build/e2e
// (where `make test` installed playwright-core), after:
//   build/bench/e2e_bench build/hedgerow --events 1000000 --rate 0 --keep-data-dir /tmp/ui1m
//   cd build/e2e && node ui_bench.mjs ../hedgerow /usr/bin/chromium /tmp/ui1m /tmp/ui1m-shots
// e2e_bench's personal API key is phx_bench_e2e.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [binary, browserPath, dataDir, shots, key = 'phx_bench_e2e'] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const child = spawn(binary, ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--clickhouse-listen', '127.0.0.1:0',
  '--personal-api-key', key], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
const port = await new Promise((resolve, reject) => {
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    const m = /msg=ready api=127\.0\.0\.1:(\d+)/.exec(stderr);
    if (m) resolve(Number(m[1]));
  });
  child.on('exit', (code) => reject(new Error(`hedgerow exited with ${code}:\n${stderr}`)));
});
const url = `http://127.0.0.1:${port}`;
const pages = [
  ['events', '/ui/events', '.table-wrap tbody tr'],
  ['persons', '/ui/persons', '.table-wrap tbody tr a'],
  ['trends', '/ui/trends?event=%24pageview&math=total&interval=hour&range=7d&breakdown=%24browser&chart=line', '.u-legend .u-series'],
  ['funnels', '/ui/funnels?steps=%24pageview%0A%24autocapture&window=14&range=30', '.funnel-step'],
  ['sql', '/ui/sql?q=' + encodeURIComponent('SELECT event, count() AS n, uniq(person_id) AS persons FROM events GROUP BY event ORDER BY n DESC'), '.table-wrap tbody tr'],
  ['flags', '/ui/flags', '.row button'],
  ['settings', '/ui/settings', 'input[aria-label="Project token"]'],
  ['health', '/ui/health', '.table-wrap tbody tr'],
];
const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
const results = {};
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url + '/ui/login');
  await page.fill('input[name="key"]', key);
  await page.press('input[name="key"]', 'Enter');
  await page.waitForURL(/\/ui\/events/);
  for (const [name, path, ready] of pages) {
    const times = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      await page.goto(url + path);
      await page.waitForSelector(ready, { timeout: 60000 });
      times.push(Date.now() - started);
    }
    times.sort((a, b) => a - b);
    results[name] = times[1];
    await page.waitForTimeout(200);
    await page.screenshot({ path: join(shots, `${name}.png`) });
  }
  console.log(JSON.stringify({ load_ms_median_of_3: results, errors }));
} finally {
  await browser.close();
  child.kill('SIGTERM');
}
