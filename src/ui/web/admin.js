// hedgerow's web UI, part 3: feature flags, project settings and ingestion health, on the
// flags API, the project API and /ui/api/health.
'use strict';

(function () {
  const { el, table } = HR;
  const input = (attrs) => el('input', attrs);
  const labelled = (text, control) => el('label', {}, text, control);
  const num = (n) => Number(n).toLocaleString();

  // --- feature flags ------------------------------------------------------------------
  const OPERATORS = ['exact', 'is_not', 'icontains', 'not_icontains', 'regex', 'not_regex', 'gt', 'gte', 'lt', 'lte',
    'is_set', 'is_not_set', 'is_date_before', 'is_date_after'];

  // One condition group: [{key, operator, value}] and a rollout percentage.
  function groupEditor(group, onRemove) {
    const props = el('div');
    const rollout = input({ type: 'number', min: 0, max: 100, step: 'any', name: 'rollout',
      value: group.rollout_percentage === null || group.rollout_percentage === undefined ? 100 : group.rollout_percentage });
    const addProperty = (p) => {
      const key = input({ name: 'key', value: p.key || '', placeholder: 'person property, e.g. email', required: true });
      const op = el('select', { name: 'operator' }, OPERATORS.map((o) => el('option', { value: o, text: o })));
      op.value = p.operator || 'exact';
      const value = input({ name: 'value', value: Array.isArray(p.value) ? p.value.join(', ') : p.value === undefined ? '' : String(p.value),
        placeholder: 'value (a, b for several)' });
      const row = el('div', { class: 'row property' }, labelled('Property', key), labelled('Operator', op), labelled('Value', value),
        el('button', { type: 'button', class: 'secondary', text: 'Remove', 'aria-label': 'Remove condition', onclick: () => row.remove() }));
      row.read = () => {
        const o = op.value;
        let v = value.value.trim();
        if (o === 'is_set' || o === 'is_not_set') v = o;
        else if ((o === 'exact' || o === 'is_not') && v.includes(',')) v = v.split(',').map((s) => s.trim()).filter(Boolean);
        else if (['gt', 'gte', 'lt', 'lte'].includes(o) && v !== '' && !isNaN(Number(v))) v = Number(v);
        return { key: key.value.trim(), operator: o, value: v, type: 'person' };
      };
      props.append(row);
    };
    (group.properties || []).forEach(addProperty);
    const box = el('fieldset', { class: 'panel' }, el('legend', { text: 'Condition set' }),
      el('p', { class: 'muted', text: 'Persons matching every condition below (none: everyone), rolled out to a percentage.' }), props,
      el('div', { class: 'row' }, el('button', { type: 'button', class: 'secondary', text: 'Add condition', onclick: () => addProperty({}) }),
        labelled('Roll out to (%)', rollout),
        el('button', { type: 'button', class: 'danger', text: 'Remove set', onclick: () => { box.remove(); onRemove(); } })));
    box.read = () => ({ properties: [...props.children].map((r) => r.read()), rollout_percentage: Number(rollout.value) });
    return box;
  }

  function flagEditor(flag, done) {
    const filters = JSON.parse(JSON.stringify(flag.filters || { groups: [{ properties: [], rollout_percentage: 100 }] }));
    const key = input({ name: 'key', value: flag.key || '', required: true, pattern: '[A-Za-z0-9_\\-]+', placeholder: 'my-flag' });
    const name = input({ name: 'name', value: flag.name || '', placeholder: 'what it is for' });
    const active = input({ type: 'checkbox', name: 'active', checked: flag.active !== false });
    const groups = el('div');
    const addGroup = (g) => groups.append(groupEditor(g, () => {}));
    (filters.groups && filters.groups.length ? filters.groups : [{ properties: [], rollout_percentage: 100 }]).forEach(addGroup);
    const error = el('div');
    const form = el('form', { class: 'panel', 'aria-label': flag.id ? `Edit ${flag.key}` : 'New flag',
      async onsubmit(e) {
        e.preventDefault();
        filters.groups = [...groups.children].map((g) => g.read());
        const body = { key: key.value.trim(), name: name.value, active: active.checked, filters };
        try {
          if (flag.id) await HR.api('PATCH', HR.projectPath(`feature_flags/${flag.id}/`), body);
          else await HR.api('POST', HR.projectPath('feature_flags/'), body);
          done();
        } catch (err) { error.replaceChildren(HR.errorBox(err)); }
      } },
    el('h2', { text: flag.id ? `Edit ${flag.key}` : 'New feature flag' }),
    el('div', { class: 'row' }, labelled('Key', key), labelled('Name', name), el('label', { class: 'inline' }, active, 'Active')),
    groups,
    filters.multivariate ? el('p', { class: 'muted', text: `Variants (${filters.multivariate.variants.map((v) => v.key).join(', ')}) and payloads are kept as they are.` }) : null,
    el('div', { class: 'row' }, el('button', { type: 'button', class: 'secondary', text: 'Add condition set', onclick: () => addGroup({ properties: [], rollout_percentage: 100 }) }),
      el('button', { type: 'submit', text: flag.id ? 'Save' : 'Create flag' }),
      el('button', { type: 'button', class: 'secondary', text: 'Cancel', onclick: done })),
    error);
    return form;
  }

  const rolloutSummary = (flag) => {
    const gs = (flag.filters && flag.filters.groups) || [];
    if (gs.length === 0) return 'no one';
    return gs.map((g) => `${(g.properties || []).length ? `${g.properties.length} condition${g.properties.length > 1 ? 's' : ''}, ` : ''}` +
      `${g.rollout_percentage === null || g.rollout_percentage === undefined ? 100 : g.rollout_percentage}%`).join(' · ');
  };

  HR.pages.flags = {
    title: 'Feature flags',
    async render(main) {
      const editor = el('div');
      const list = el('div');
      main.append(el('div', { class: 'row' }, el('button', { type: 'button', text: 'New flag', onclick: () => edit({}) })), editor, list);
      const edit = (flag) => {
        editor.replaceChildren(flagEditor(flag, () => { editor.replaceChildren(); load(); }));
        editor.querySelector('input').focus();
      };
      async function load() {
        try {
          const r = await HR.api('GET', HR.projectPath('feature_flags/'));
          const flags = r.results;
          if (flags.length === 0) { list.replaceChildren(el('p', { class: 'muted', text: 'No flags yet.' })); return; }
          const rows = flags.map((f) => [f.key, f.name, f.active ? 'active' : 'off', rolloutSummary(f), f.id]);
          list.replaceChildren(table(['Key', 'Name', 'Status', 'Release', ''], rows, {
            render: (v, i, row) => {
              const flag = flags.find((f) => f.id === row[4]);
              if (i === 0) return el('span', { class: 'mono', text: v });
              if (i === 2) {
                return el('label', { class: 'inline' }, input({ type: 'checkbox', checked: flag.active, 'aria-label': `${flag.key} active`,
                  onchange: async (e) => {
                    try { await HR.api('PATCH', HR.projectPath(`feature_flags/${flag.id}/`), { active: e.target.checked }); load(); } catch (err) { list.prepend(HR.errorBox(err)); }
                  } }), v);
              }
              if (i === 4) {
                return el('span', { class: 'row' }, el('button', { type: 'button', class: 'secondary', text: 'Edit', 'aria-label': `Edit ${flag.key}`, onclick: () => edit(flag) }),
                  el('button', { type: 'button', class: 'danger', text: 'Delete', 'aria-label': `Delete ${flag.key}`,
                    onclick: async () => {
                      if (!window.confirm(`Delete the flag ${flag.key}?`)) return;
                      try { await HR.api('DELETE', HR.projectPath(`feature_flags/${flag.id}/`)); load(); } catch (err) { list.prepend(HR.errorBox(err)); }
                    } }));
              }
              return HR.cellText(v);
            },
          }));
        } catch (e) { list.replaceChildren(HR.errorBox(e)); }
      }
      load();
    },
  };

  // --- project settings ---------------------------------------------------------------
  HR.pages.settings = {
    title: 'Project settings',
    async render(main) {
      const project = await HR.api('GET', HR.projectPath(''));
      const token = input({ readOnly: true, value: project.api_token, 'aria-label': 'Project token', size: 50, class: 'mono' });
      const anonymize = input({ type: 'checkbox', name: 'anonymize_ips', checked: project.anonymize_ips });
      const apps = el('textarea', { class: 'code', rows: 8, name: 'apps', 'aria-label': 'Apps (JSON)', spellcheck: false,
        value: JSON.stringify(project.apps, null, 2) });
      const status = el('div', { 'aria-live': 'polite' });
      const save = async (body, what) => {
        try {
          await HR.api('PATCH', HR.projectPath(''), body);
          status.replaceChildren(el('p', { class: 'muted', text: `${what} saved.` }));
        } catch (e) { status.replaceChildren(HR.errorBox(e)); }
      };
      anonymize.addEventListener('change', () => save({ anonymize_ips: anonymize.checked }, 'IP anonymization'));
      const password = input({ type: 'password', name: 'new-password', autocomplete: 'new-password', minLength: 8, required: true });
      main.append(
        el('section', { class: 'panel' }, el('h2', { text: project.name }), el('p', { class: 'muted', text: `Project ${project.id}` }),
          labelled('Project token (public: SDKs send it with events)', token),
          el('div', { class: 'row' }, el('button', { type: 'button', class: 'secondary', text: 'Copy token', onclick: () => { token.select(); navigator.clipboard && navigator.clipboard.writeText(token.value).catch(() => {}); } })),
          el('label', { class: 'inline' }, anonymize, 'Anonymize IP addresses (drop $ip from every event)')),
        el('section', { class: 'panel' }, el('h2', { text: 'Apps' }),
          el('p', { class: 'muted', text: 'The transformations every event of this project passes through, in order (geoip, user_agent, property_remover, …). Each is checked before anything is saved.' }),
          apps, el('div', { class: 'row' }, el('button', { type: 'button', text: 'Save apps', onclick: () => {
            let list;
            try { list = JSON.parse(apps.value); } catch (e) { status.replaceChildren(HR.errorBox('The apps are not valid JSON: ' + e.message)); return; }
            save({ apps: list }, 'Apps');
          } }))),
        el('form', { class: 'panel', 'aria-label': 'Admin password', async onsubmit(e) {
          e.preventDefault();
          try { await HR.api('POST', '/ui/api/admin_password', { password: password.value }); password.value = ''; status.replaceChildren(el('p', { class: 'muted', text: 'Admin password saved.' })); } catch (err) { status.replaceChildren(HR.errorBox(err)); }
        } }, el('h2', { text: 'Admin password' }), labelled('New admin password (8 characters or more)', password), el('div', { class: 'row' }, el('button', { type: 'submit', text: 'Set password' }))),
        status,
        el('div', { class: 'row' }, el('button', { type: 'button', class: 'secondary', text: 'Sign out', onclick: async () => {
          try { await HR.api('POST', '/ui/api/logout'); } catch (e) { /* the session may have ended already */ }
          HR.setSession({ signed_in: false });
          HR.navigate('/ui/login', true);
        } })));
    },
  };

  // --- ingestion health ---------------------------------------------------------------
  HR.pages.health = {
    title: 'Ingestion health',
    async render(main) {
      const out = el('div');
      main.append(el('p', { class: 'muted', text: 'Refreshes every 5 seconds.' }), out);
      let timer = null, stopped = false;
      async function load() {
        try {
          const [health, warnings, dead] = await Promise.all([
            HR.api('GET', '/ui/api/health'),
            HR.sql('SELECT timestamp, source, type, details FROM ingestion_warnings ORDER BY timestamp DESC LIMIT 50'),
            HR.sql('SELECT error_timestamp, error_location, error, substring(raw_payload, 1, 300) FROM dead_letter_queue ORDER BY error_timestamp DESC LIMIT 50'),
          ]);
          if (stopped) return;
          const lag = health.consumers.reduce((s, c) => s + c.lag, 0);
          out.replaceChildren(
            el('div', { class: 'panel' }, el('span', { class: 'stat' }, el('b', { text: num(lag) }), 'records behind'),
              el('span', { class: 'stat' }, el('b', { text: num(health.tables.reduce((s, t) => s + t.parts, 0)) }), 'active parts'),
              el('span', { class: 'stat' }, el('b', { text: num(warnings.results.length) }), 'recent warnings'),
              el('span', { class: 'stat' }, el('b', { text: num(dead.results.length) }), 'recent dead letters')),
            health.error ? HR.errorBox(health.error) : '',
            el('h2', { text: 'Lag per topic' }),
            table(['Consumer group', 'Topic', 'Committed', 'End', 'Lag'], health.consumers.map((c) => [c.group, c.topic, c.committed, c.end, c.lag])),
            el('h2', { text: 'Tables' }),
            table(['Table', 'Parts', 'Rows', 'Bytes on disk', 'Damaged parts'], health.tables.map((t) => [t.table, t.parts, t.rows, t.bytes_on_disk, t.damaged_parts])),
            el('h2', { text: 'Ingestion warnings' }),
            warnings.results.length ? table(['Time', 'Source', 'Type', 'Details'], warnings.results.map((r) => [HR.formatTime(r[0]), r[1], r[2], r[3]])) : el('p', { class: 'muted', text: 'None.' }),
            el('h2', { text: 'Dead letters' }),
            dead.results.length ? table(['Time', 'Where', 'Error', 'Payload (start)'], dead.results.map((r) => [HR.formatTime(r[0]), r[1], r[2], r[3]])) : el('p', { class: 'muted', text: 'None.' }));
        } catch (e) { if (!stopped) out.replaceChildren(HR.errorBox(e)); }
        if (!stopped) timer = setTimeout(load, 5000);
      }
      load();
      return () => { stopped = true; clearTimeout(timer); };
    },
  };
})();
