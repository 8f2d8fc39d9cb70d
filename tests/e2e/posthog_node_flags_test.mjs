// posthog-node, unchanged, against a real hedgerow's flags: flags created through PostHog's
// management API, then every answer of remote evaluation (/flags/?v=2) compared with the
// SDK's own local evaluation of /flags/definitions for 1,000 distinct ids.
//   node posthog_node_flags_test.mjs path/to/hedgerow
import assert from 'node:assert/strict';
import { PostHog } from 'posthog-node';
import { startHedgerow } from './hedgerow_fixture.mjs';

const binary = process.argv[2];
const token = 'phc_flags_test';
const personalApiKey = 'phx_flags_test_key';
const server = await startHedgerow(binary, token, { personalApiKey });
let failures = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failures++;
    console.log(`not ok - ${name}\n${e.stack}`);
  }
}

async function api(method, path, body, key = personalApiKey) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

const variants = { variants: [{ key: 'control', rollout_percentage: 34 }, { key: 'test', rollout_percentage: 33 },
                              { key: 'test-2', rollout_percentage: 33 }] };
const flags = [
  { key: 'half-rollout', filters: { groups: [{ properties: [], rollout_percentage: 50 }], payloads: { true: '{"on":1}' } } },
  { key: 'three-way', filters: { groups: [{ properties: [], rollout_percentage: 90 }], multivariate: variants,
                                 payloads: { control: '"c"', test: '{"t":[1,2]}' } } },
  { key: 'corp-only', filters: { groups: [{ properties: [{ key: 'email', type: 'person', operator: 'icontains', value: '@corp.com' }],
                                            rollout_percentage: 100 }] } },
  { key: 'adults-in-plans', filters: { groups: [
      { properties: [{ key: 'age', type: 'person', operator: 'gte', value: 18 },
                     { key: 'plan', type: 'person', operator: 'exact', value: ['pro', 'team'] }], rollout_percentage: 70 },
      { properties: [{ key: 'plan', type: 'person', operator: 'is_not', value: 'free' }], rollout_percentage: 10 }] } },
  { key: 'regex-and-override', filters: {
      groups: [{ properties: [{ key: 'email', type: 'person', operator: 'regex', value: '^user_[0-9]*7@' }], variant: 'test' },
               { properties: [], rollout_percentage: 40 }],
      multivariate: variants } },
  { key: 'switched-off', active: false, filters: { groups: [{ properties: [], rollout_percentage: 100 }] } },
];

const plans = ['free', 'pro', 'team', 'enterprise'];
function propsFor(i) {
  return { email: `user_${i}@${i % 3 === 0 ? 'corp.com' : 'example.com'}`, plan: plans[i % 4], age: 10 + (i % 30) };
}

try {
  await check('flags are created through PostHog\'s management API', async () => {
    for (const f of flags) {
      const r = await api('POST', '/api/projects/1/feature_flags/', { name: f.key, active: true, ...f });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.key, f.key);
      assert.equal(r.body.version, 1);
    }
    const list = await api('GET', '/api/projects/1/feature_flags/');
    assert.equal(list.body.count, flags.length);
  });

  await check('the management API refuses duplicates, bad filters and strangers', async () => {
    let r = await api('POST', '/api/projects/1/feature_flags/', { key: 'half-rollout', filters: {} });
    assert.equal(r.status, 400);
    assert.equal(r.body.code, 'unique');
    assert.equal(r.body.attr, 'key');
    r = await api('POST', '/api/projects/1/feature_flags/',
                  { key: 'bad', filters: { multivariate: { variants: [{ key: 'a', rollout_percentage: 60 }] } } });
    assert.equal(r.status, 400);
    assert.match(r.body.detail, /sum to 100/);
    r = await api('POST', '/api/projects/1/feature_flags/', { key: 'has space' });
    assert.equal(r.status, 400);
    r = await api('GET', '/api/projects/1/feature_flags/', undefined, 'phx_wrong');
    assert.equal(r.status, 401);
    r = await api('GET', '/api/projects/2/feature_flags/');
    assert.equal(r.status, 404);
  });

  await check('local evaluation definitions carry an ETag and answer 304', async () => {
    const r = await fetch(`${server.url}/flags/definitions?token=${token}&send_cohorts`,
                          { headers: { Authorization: `Bearer ${personalApiKey}` } });
    assert.equal(r.status, 200);
    const body = await r.json();
    assert.equal(body.flags.length, flags.length);
    const etag = r.headers.get('etag');
    assert.ok(etag);
    const again = await fetch(`${server.url}/flags/definitions?token=${token}&send_cohorts`,
                              { headers: { Authorization: `Bearer ${personalApiKey}`, 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    const noKey = await fetch(`${server.url}/flags/definitions?token=${token}`);
    assert.equal(noKey.status, 401);
  });

  const remote = new PostHog(token, { host: server.url, flushAt: 100, flushInterval: 0 });
  const local = new PostHog(token, { host: server.url, personalApiKey, flushAt: 100, flushInterval: 0,
                                     featureFlagsPollingInterval: 100 });
  const errors = [];
  remote.on('error', (e) => errors.push(e));
  local.on('error', (e) => errors.push(e));
  await local.reloadFeatureFlags();

  await check('remote and local evaluation agree on every flag for 1000 distinct ids', async () => {
    let enabled = 0;
    const seenVariants = new Set();
    for (let i = 0; i < 1000; i++) {
      const distinctId = `user_${i}`;
      const personProperties = propsFor(i);
      const r = await remote.getAllFlagsAndPayloads(distinctId, { personProperties });
      const l = await local.getAllFlagsAndPayloads(distinctId, { personProperties, onlyEvaluateLocally: true });
      assert.deepEqual(r.featureFlags, l.featureFlags, `flags of ${distinctId}`);
      // Local evaluation lists an enabled flag without a payload as undefined; remote leaves it out.
      const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
      assert.deepEqual(defined(r.featureFlagPayloads), defined(l.featureFlagPayloads), `payloads of ${distinctId}`);
      for (const v of Object.values(r.featureFlags)) {
        if (v !== false) enabled++;
        if (typeof v === 'string') seenVariants.add(v);
      }
      assert.equal(r.featureFlags['switched-off'], false);
    }
    // The flags really split the population (a server answering false everywhere would agree too).
    assert.ok(enabled > 1000 && enabled < 5000, `enabled ${enabled}`);
    assert.deepEqual([...seenVariants].sort(), ['control', 'test', 'test-2']);
  });

  await check('isFeatureEnabled, getFeatureFlag and getFeatureFlagPayload agree remote and local', async () => {
    for (let i = 0; i < 200; i++) {
      const distinctId = `user_${i}`;
      const personProperties = propsFor(i);
      for (const f of flags) {
        const opts = { personProperties, sendFeatureFlagEvents: false };
        assert.equal(await remote.getFeatureFlag(f.key, distinctId, opts),
                     await local.getFeatureFlag(f.key, distinctId, { ...opts, onlyEvaluateLocally: true }), `${f.key} ${distinctId}`);
        assert.equal(await remote.isFeatureEnabled(f.key, distinctId, opts),
                     await local.isFeatureEnabled(f.key, distinctId, { ...opts, onlyEvaluateLocally: true }));
        assert.deepEqual(await remote.getFeatureFlagPayload(f.key, distinctId, undefined, opts),
                         await local.getFeatureFlagPayload(f.key, distinctId, undefined, { ...opts, onlyEvaluateLocally: true }));
      }
    }
  });

  await check('a PATCH is served at once and a deleted flag is never served', async () => {
    const list = await api('GET', '/api/projects/1/feature_flags/');
    const half = list.body.results.find((f) => f.key === 'half-rollout');
    let r = await api('PATCH', `/api/projects/1/feature_flags/${half.id}/`,
                      { filters: { groups: [{ properties: [], rollout_percentage: 100 }] } });
    assert.equal(r.status, 200);
    assert.equal(r.body.version, 2);
    for (let i = 0; i < 20; i++) assert.equal(await remote.getFeatureFlag('half-rollout', `user_${i}`), true);
    r = await api('DELETE', `/api/projects/1/feature_flags/${half.id}/`);
    assert.equal(r.status, 204);
    const defs = await (await fetch(`${server.url}/flags/definitions?token=${token}&send_cohorts`,
                                    { headers: { Authorization: `Bearer ${personalApiKey}` } })).json();
    assert.ok(!defs.flags.some((f) => f.key === 'half-rollout'));
    assert.equal(await remote.getFeatureFlag('half-rollout', 'user_1'), undefined);
  });

  await check('no SDK call failed', async () => {
    assert.deepEqual(errors.map(String), []);
  });
  await remote.shutdown();
  await local.shutdown();
} finally {
  await server.finishTest(failures);
}
