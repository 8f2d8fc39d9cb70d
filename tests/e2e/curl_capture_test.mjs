// curl, the client every user has, sends every capture body form the SDKs use (INTERFACE.md);
// each event must then be visible in `events` through the query API.
//   node curl_capture_test.mjs path/to/hedgerow
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import LZString from 'lz-string';
import { startHedgerow } from './hedgerow_fixture.mjs';

const binary = process.argv[2];
const token = 'phc_curl_e2e';
const server = await startHedgerow(binary, token, { personalApiKey: 'phx_curl_e2e_key' });
const event = (name) => ({ event: name, distinct_id: `curl-${name}`, properties: { form: name } });
const base64 = (s) => Buffer.from(s).toString('base64');

// name -> curl arguments after the URL's path (path, then curl options).
const forms = {
  'json-object': ['/e/', '-H', 'Content-Type: application/json', '--data-binary', JSON.stringify({ api_key: token, ...event('json-object') })],
  'json-array': ['/e/', '--data-binary', JSON.stringify([{ api_key: token, ...event('json-array') }])],
  'batch': ['/batch/', '--data-binary', JSON.stringify({ api_key: token, batch: [event('batch')] })],
  'form-data': ['/e/', '--data-urlencode', `data=${JSON.stringify({ api_key: token, ...event('form-data') })}`],
  'form-base64': ['/e/', '--data-urlencode', `data=${base64(JSON.stringify({ api_key: token, ...event('form-base64') }))}`],
  'query-base64': ['/e/?compression=base64', '--data-urlencode', `data=${base64(JSON.stringify({ api_key: token, ...event('query-base64') }))}`],
  'lz64': ['/e/?compression=lz64', '--data-urlencode',
           `data=${LZString.compressToBase64(JSON.stringify([{ ...event('lz64'), properties: { token, form: 'lz64' } }]))}`],
  'gzip-js': ['/e/?compression=gzip-js', '--data-binary', '@-', 'gzip-js'],
  'content-encoding-gzip': ['/batch/', '-H', 'Content-Encoding: gzip', '-H', 'Content-Type: application/json',
                            '--data-binary', '@-', 'content-encoding-gzip'],
  'gzip-sniffed': ['/i/v0/e/', '-H', 'Content-Type: text/plain', '--data-binary', '@-', 'gzip-sniffed'],
  'get-data': ['GET', `/e/?data=${encodeURIComponent(base64(JSON.stringify({ api_key: token, ...event('get-data') })))}`],
};
const gzipped = {
  'gzip-js': gzipSync(JSON.stringify({ api_key: token, batch: [event('gzip-js')] })),
  'content-encoding-gzip': gzipSync(JSON.stringify({ api_key: token, batch: [event('content-encoding-gzip')] })),
  'gzip-sniffed': gzipSync(JSON.stringify({ api_key: token, batch: [event('gzip-sniffed')] })),
};

let failures = 0;
try {
  for (const [name, spec] of Object.entries(forms)) {
    try {
      let args;
      let input;
      if (spec[0] === 'GET') {
        args = ['-sS', '-o', '-', '-w', '\n%{http_code}', `${server.url}${spec[1]}`];
      } else {
        const [path, ...rest] = spec;
        if (rest[rest.length - 1] in gzipped) input = gzipped[rest.pop()];
        args = ['-sS', '-o', '-', '-w', '\n%{http_code}', `${server.url}${path}`, ...rest];
      }
      const out = execFileSync('curl', args, { input }).toString();
      assert.equal(out.slice(out.lastIndexOf('\n') + 1), '200', `${name}: ${out}`);
      console.log(`ok - curl ${name} accepted`);
    } catch (e) {
      failures++;
      console.log(`not ok - curl ${name}\n${e.stack}`);
    }
  }
  try {
    const names = Object.keys(forms);
    const rows = await server.queryUntil("SELECT properties.form, distinct_id FROM events ORDER BY distinct_id",
                                         (r) => r.length >= names.length);
    assert.deepEqual(rows.map((r) => r[0]).sort(), [...names].sort());
    for (const [form, distinctId] of rows) assert.equal(distinctId, `curl-${form}`);
    console.log(`ok - every form is visible in events (${rows.length})`);
  } catch (e) {
    failures++;
    console.log(`not ok - events\n${e.stack}`);
  }
} finally {
  await server.finishTest(failures);
}
