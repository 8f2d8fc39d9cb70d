// Starts build/hedgerow on a fresh data dir and a free port, and reads the log back with
// `hedgerow log tail`: what the SDK tests assert on is what really reached the log.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// TAP-style checks: check(name, fn) prints "ok - name" or "not ok - name" with the error;
// `failures` counts the second kind.
export function tap() {
  const t = {
    failures: 0,
    async check(name, fn) {
      try {
        await fn();
        console.log(`ok - ${name}`);
      } catch (e) {
        t.failures++;
        console.log(`not ok - ${name}\n${e.stack}`);
      }
    },
  };
  return t;
}

// A site on another origin than hedgerow: `html` at /, posthog-js's build without external
// script loading at /posthog.js (nothing may come from a CDN in a test).
export async function serveSite(html) {
  const sdk = readFileSync(createRequire(import.meta.url).resolve('posthog-js/dist/array.full.no-external.js'));
  const site = createServer((req, res) => {
    if (req.url === '/posthog.js') {
      res.writeHead(200, { 'Content-Type': 'application/javascript' });
      return res.end(sdk);
    }
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(html);
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${site.address().port}/`, close: () => site.close() };
}

export async function startHedgerow(binary, token, { personalApiKey } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'hedgerow-sdk-'));
  const args = ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--clickhouse-listen', '127.0.0.1:0',
                '--project-token', token];
  if (personalApiKey) args.push('--personal-api-key', personalApiKey);
  // The store on a ClickHouse cluster (tests/cluster runs the SDK suite so): more serve options.
  if (process.env.HEDGEROW_SERVE_ARGS) args.push(...process.env.HEDGEROW_SERVE_ARGS.split(' ').filter(Boolean));
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const [port, clickhousePort] = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hedgerow did not get ready:\n${stderr}`)), 15000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const m = /msg=ready api=127\.0\.0\.1:(\d+) clickhouse=127\.0\.0\.1:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve([Number(m[1]), Number(m[2])]);
      }
    });
    child.on('exit', (code) => reject(new Error(`hedgerow exited with ${code}:\n${stderr}`)));
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    clickhouseUrl: `http://127.0.0.1:${clickhousePort}`,
    dataDir,
    // SIGTERM, then the exit code (graceful shutdown must give 0).
    async stop() {
      const code = await new Promise((resolve) => {
        child.removeAllListeners('exit');
        child.on('exit', (c) => resolve(c));
        child.kill('SIGTERM');
      });
      return code;
    },
    // Every record of a topic as {partition, offset, key, value} with value parsed.
    tail(topic) {
      const out = execFileSync(binary, ['log', 'tail', topic, '--data-dir', dataDir], { maxBuffer: 256 << 20 });
      return out.toString().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
    },
    // The store's active parts of a table (hedgerow store parts), one object each.
    storeParts(table) {
      const out = execFileSync(binary, ['store', 'parts', '--table', table, '--data-dir', dataDir]);
      return out.toString().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
    },
    // Waits until consumer group `group` has committed every record it reads (hedgerow log lag).
    async waitForNoLag(group, timeoutMs = 30000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lines = execFileSync(binary, ['log', 'lag', '--data-dir', dataDir]).toString().split('\n').filter(Boolean);
        const mine = lines.map((l) => JSON.parse(l)).filter((l) => l.group === group);
        if (mine.length > 0 && mine.every((l) => l.lag === 0)) return;
        if (Date.now() > deadline) throw new Error(`group ${group} still lags: ${JSON.stringify(mine)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    // Creates a feature flag through the management API (PostHog's body shape).
    async createFlag(body) {
      const r = await fetch(`${this.url}/api/projects/1/feature_flags/`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${personalApiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (r.status !== 201) throw new Error(`creating flag ${body.key}: ${r.status} ${await r.text()}`);
    },
    // Rows of a HogQL query through the query API (needs the personal API key).
    async query(sql) {
      const r = await fetch(`${this.url}/api/projects/1/query/`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${personalApiKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ query: { kind: 'HogQLQuery', query: sql } }),
      });
      const body = await r.json();
      if (r.status !== 200) throw new Error(`query failed (${r.status}): ${JSON.stringify(body)}: ${sql}`);
      return body.results;
    },
    // Polls `sql` until `done(rows)` holds; the last rows, or an error naming them at the timeout.
    async queryUntil(sql, done, timeoutMs = 30000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const rows = await this.query(sql);
        if (done(rows)) return rows;
        if (Date.now() > deadline) throw new Error(`timed out waiting on ${sql}: ${JSON.stringify(rows)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
    // Stops the server (graceful shutdown must exit 0), removes the data dir and ends the
    // test process: exit 0 when nothing failed.
    async finishTest(failures) {
      const code = await this.stop();
      if (code !== 0) console.log(`not ok - hedgerow exited with ${code}`);
      this.cleanup();
      process.exit(failures === 0 && code === 0 ? 0 : 1);
    },
  };
}
