// @clickhouse/client, unchanged, against hedgerow's ClickHouse-compatible listener: ping,
// a query streamed as JSONEachRow, a {p:String} parameter, an INSERT refused, a wrong
// password refused. Events are captured over HTTP first and awaited in the store.
//   node clickhouse_client_test.mjs path/to/hedgerow
import assert from 'node:assert/strict';
import { createClient } from '@clickhouse/client';
import { startHedgerow } from './hedgerow_fixture.mjs';

const binary = process.argv[2];
const token = 'phc_ch_client';
const key = 'phx_ch_client_key';
const server = await startHedgerow(binary, token, { personalApiKey: key });
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

const client = createClient({ url: server.clickhouseUrl, username: 'default', password: key });
try {
  const events = [];
  for (let i = 0; i < 30; i++) events.push({ event: i % 3 ? 'viewed' : 'bought', distinct_id: `u${i % 4}` });
  const sent = await fetch(`${server.url}/batch/`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ api_key: token, batch: events }),
  });
  assert.equal(sent.status, 200);
  const deadline = Date.now() + 60000;
  for (;;) {  // until the pipeline and the store consumer have every event
    const rs = await client.query({ query: 'SELECT count() AS c FROM events', format: 'JSONEachRow' });
    const [row] = await rs.json();
    if (row.c === '30') break;
    if (Date.now() > deadline) throw new Error(`events never reached the store: ${JSON.stringify(row)}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  await check('ping', async () => {
    const r = await client.ping();
    assert.equal(r.success, true);
  });
  await check('a GROUP BY query streamed as JSONEachRow', async () => {
    const rs = await client.query({ query: 'SELECT event, count() AS c FROM events GROUP BY event ORDER BY event',
                                    format: 'JSONEachRow' });
    const rows = [];
    for await (const batch of rs.stream()) for (const row of batch) rows.push(row.json());
    assert.deepEqual(rows, [{ event: 'bought', c: '10' }, { event: 'viewed', c: '20' }]);
  });
  await check('JSON format with meta', async () => {
    const rs = await client.query({ query: 'SELECT uniqExact(distinct_id) AS u FROM events', format: 'JSON' });
    const body = await rs.json();
    assert.deepEqual(body.meta, [{ name: 'u', type: 'UInt64' }]);
    assert.deepEqual(body.data, [{ u: '4' }]);
    assert.equal(body.rows, 1);
  });
  await check('a {p:String} parameter', async () => {
    const rs = await client.query({ query: 'SELECT count() AS c FROM events WHERE event = {p:String}',
                                    query_params: { p: 'bought' }, format: 'JSONEachRow' });
    assert.deepEqual(await rs.json(), [{ c: '10' }]);
  });
  await check('an INSERT is refused', async () => {
    await assert.rejects(client.insert({ table: 'events', values: [{ event: 'x' }], format: 'JSONEachRow' }),
                         (e) => /READONLY|read-only/.test(String(e.message)) || e.code === '164');
  });
  await check('a wrong password is refused', async () => {
    const wrong = createClient({ url: server.clickhouseUrl, username: 'default', password: 'phx_wrong' });
    await assert.rejects(wrong.query({ query: 'SELECT 1', format: 'JSONEachRow' }),
                         (e) => /Authentication failed/.test(String(e.message)));
    await wrong.close();
  });
} finally {
  await client.close();
  const code = await server.stop();
  if (code !== 0) {
    failures++;
    console.log(`not ok - hedgerow exited with ${code} on SIGTERM`);
  }
  server.cleanup();
}
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
