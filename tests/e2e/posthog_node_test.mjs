// posthog-node, unchanged, captures 1,000 events in batches against a real hedgerow; every
// event must be in events_plugin_ingestion with its uuid, distinct_id, properties and $lib.
// Real encoders too: Node's zlib for gzip bodies, lz-string for lz64 forms.
//   node posthog_node_test.mjs path/to/hedgerow
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { PostHog } from 'posthog-node';
import LZString from 'lz-string';
import { startHedgerow } from './hedgerow_fixture.mjs';

const binary = process.argv[2];
const token = 'phc_sdk_test';
const server = await startHedgerow(binary, token);
let failures = 0;
let passes = 0;
async function check(name, fn) {
  try {
    await fn();
    passes++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failures++;
    console.log(`not ok - ${name}\n${e.stack}`);
  }
}

try {
  const sent = new Map();
  await check('posthog-node captures 1000 events with batching', async () => {
    const client = new PostHog(token, { host: server.url, flushAt: 20, flushInterval: 0, maxBatchSize: 100 });
    const errors = [];
    client.on('error', (e) => errors.push(e));
    for (let i = 0; i < 1000; i++) {
      const uuid = randomUUID();
      const distinctId = `user_${i % 37}`;
      sent.set(uuid, { distinctId, i });
      client.capture({ distinctId, event: i % 2 ? 'order placed' : 'page viewed', uuid,
                       properties: { i, plan: 'pro', nested: { k: [1, 2, 'three'] } } });
    }
    await client.shutdown();
    assert.deepEqual(errors, []);
  });

  await check('Node zlib gzip bodies are accepted with and without Content-Encoding', async () => {
    const body = JSON.stringify({ api_key: token, batch: [{ event: 'gz-header', distinct_id: 'gz1' }] });
    let r = await fetch(`${server.url}/batch/`, { method: 'POST', body: gzipSync(body),
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' } });
    assert.equal(r.status, 200);
    const sniffed = JSON.stringify({ api_key: token, batch: [{ event: 'gz-sniffed', properties: { distinct_id: 'gz2', token } }] });
    r = await fetch(`${server.url}/i/v0/e/`, { method: 'POST', body: gzipSync(sniffed),
      headers: { 'Content-Type': 'text/plain' } });
    assert.equal(r.status, 200);
  });

  await check('lz-string lz64 form bodies are accepted', async () => {
    const events = JSON.stringify([{ event: 'lz-event', properties: { distinct_id: 'lz1', token, text: 'héllo wörld €' } }]);
    const body = new URLSearchParams({ data: LZString.compressToBase64(events), compression: 'lz64' });
    const r = await fetch(`${server.url}/e/`, { method: 'POST', body });
    assert.equal(r.status, 200);
  });

  await check('the ingestion pipeline catches up', async () => server.waitForNoLag('ingestion'));
  await check('the store consumers catch up', async () => server.waitForNoLag('store_events'));
  const code = await server.stop();
  await check('the server stops cleanly on SIGTERM', async () => assert.equal(code, 0));

  await check('every event is in events_plugin_ingestion as sent', async () => {
    const records = server.tail('events_plugin_ingestion');
    const byUuid = new Map(records.map((r) => [r.value.uuid, r]));
    let found = 0;
    for (const [uuid, { distinctId, i }] of sent) {
      const r = byUuid.get(uuid);
      assert.ok(r, `event ${i} (${uuid}) is missing`);
      assert.equal(r.key, `${token}:${distinctId}`);
      assert.equal(r.value.distinct_id, distinctId);
      assert.equal(r.value.token, token);
      const data = JSON.parse(r.value.data);
      assert.equal(data.properties.i, i);
      assert.equal(data.properties.plan, 'pro');
      assert.deepEqual(data.properties.nested, { k: [1, 2, 'three'] });
      assert.equal(data.properties.$lib, 'posthog-node');
      assert.equal(data.event, i % 2 ? 'order placed' : 'page viewed');
      found++;
    }
    assert.equal(found, 1000);
    const names = new Set(records.map((r) => JSON.parse(r.value.data).event));
    for (const name of ['gz-header', 'gz-sniffed', 'lz-event']) assert.ok(names.has(name), `${name} missing`);
    const lz = records.find((r) => JSON.parse(r.value.data).event === 'lz-event');
    assert.equal(JSON.parse(lz.value.data).properties.text, 'héllo wörld €');
    assert.equal(records.length, 1003);
  });

  await check('the ingestion pipeline turned every event into an events row', async () => {
    const rows = server.tail('clickhouse_events_json');
    const byUuid = new Map(rows.map((r) => [r.value.uuid, r.value]));
    for (const [uuid, { distinctId, i }] of sent) {
      const row = byUuid.get(uuid);
      assert.ok(row, `events row of event ${i} is missing`);
      assert.equal(row.distinct_id, distinctId);
      assert.equal(row.team_id, 1);
      assert.equal(JSON.parse(row.properties).i, i);
      assert.equal(row.person_mode, 'full');
    }
    const persons = new Set(server.tail('clickhouse_person').map((r) => r.value.id));
    assert.equal(persons.size, 37 + 3);  // user_0..user_36, gz1, gz2, lz1
  });

  await check('the store holds every events row in its parts', async () => {
    const parts = server.storeParts('events');
    assert.ok(parts.length > 0);
    assert.equal(parts.reduce((n, p) => n + p.rows, 0), 1003);
    for (const p of parts) assert.equal(p.table, 'events');
  });
} finally {
  server.cleanup();
}
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
