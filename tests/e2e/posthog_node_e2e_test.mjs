// posthog-node, unchanged, as a backend uses it: capture, identify with $anon_distinct_id,
// alias, groupIdentify, events in a group and a flag, against a real hedgerow; checked
// through the query API, persons deduplicated through person_distinct_id2.
//   node posthog_node_e2e_test.mjs path/to/hedgerow
import assert from 'node:assert/strict';
import { PostHog } from 'posthog-node';
import { startHedgerow, tap } from './hedgerow_fixture.mjs';

const binary = process.argv[2];
const token = 'phc_node_e2e';
const personalApiKey = 'phx_node_e2e_key';
const server = await startHedgerow(binary, token, { personalApiKey });
const t = tap();
const check = t.check;

try {
  await server.createFlag({ key: 'beta', filters: { groups: [{ properties: [{ key: 'email', value: 'ada@example.com',
                                                                              type: 'person', operator: 'exact' }],
                                                              rollout_percentage: 100 }] } });

  const client = new PostHog(token, { host: server.url, flushAt: 1, flushInterval: 0 });
  const errors = [];
  client.on('error', (e) => errors.push(e));
  client.capture({ distinctId: 'anon-7', event: 'viewed pricing', properties: { page: '/pricing' } });
  client.identify({ distinctId: 'ada', properties: { $anon_distinct_id: 'anon-7', email: 'ada@example.com' } });
  client.alias({ distinctId: 'ada', alias: 'ada-crm-17' });
  client.groupIdentify({ groupType: 'company', groupKey: 'analytical-engines', properties: { plan: 'enterprise' } });
  client.capture({ distinctId: 'ada', event: 'invoice paid', groups: { company: 'analytical-engines' },
                   properties: { amount: 1843 } });
  await client.flush();

  await check('all five calls arrive as events', async () => {
    const rows = await server.queryUntil('SELECT event FROM events ORDER BY event',
                                         (r) => r.length === 5);
    assert.deepEqual(rows.map((r) => r[0]), ['$create_alias', '$groupidentify', '$identify', 'invoice paid', 'viewed pricing']);
  });
  await check('anon-7, ada and ada-crm-17 are one person, with the identify properties', async () => {
    const ids = await server.queryUntil(
      "SELECT distinct_id, argMax(person_id, version) FROM person_distinct_id2 " +
      "WHERE distinct_id IN ('anon-7', 'ada', 'ada-crm-17') GROUP BY distinct_id ORDER BY distinct_id",
      (r) => r.length === 3 && new Set(r.map((x) => x[1])).size === 1);
    const person = await server.queryUntil(`SELECT properties, is_identified FROM person FINAL WHERE id = '${ids[0][1]}'`,
                                           (r) => r.length === 1);
    assert.equal(JSON.parse(person[0][0]).email, 'ada@example.com');
    assert.equal(person[0][1], 1);
    // Every event of the three ids counts one person.
    const persons = await server.query(
      "SELECT uniqExact(p.person_id) FROM events AS e INNER JOIN (SELECT distinct_id, argMax(person_id, version) AS person_id " +
      "FROM person_distinct_id2 GROUP BY distinct_id) AS p ON e.distinct_id = p.distinct_id WHERE e.event != '$groupidentify'");
    assert.equal(persons[0][0], 1);
  });
  await check('groupIdentify stores the group and the event carries it', async () => {
    const groups = await server.queryUntil("SELECT group_key, group_properties FROM groups FINAL", (r) => r.length === 1);
    assert.equal(groups[0][0], 'analytical-engines');
    assert.equal(JSON.parse(groups[0][1]).plan, 'enterprise');
    const paid = await server.query("SELECT $group_0 FROM events WHERE event = 'invoice paid'");
    assert.equal(paid[0][0], 'analytical-engines');
  });
  await check('the flag follows the person properties the request gives', async () => {
    assert.equal(await client.getFeatureFlag('beta', 'ada', { personProperties: { email: 'ada@example.com' } }), true);
    assert.equal(await client.getFeatureFlag('beta', 'someone-else', { personProperties: { email: 'x@example.com' } }), false);
  });
  await client.shutdown();
  await check('posthog-node reported no error', () => assert.deepEqual(errors, []));
} catch (e) {
  t.failures++;
  console.log(`not ok - run\n${e.stack}`);
} finally {
  await server.finishTest(t.failures);
}
