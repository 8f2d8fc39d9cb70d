// hedgerow's web UI, part 2: the pages. Each renders into <main> and returns a function that
// stops its timers when the user leaves. Data comes from the query API (SQL), the project,
// flags and events APIs, and /ui/api/health.
'use strict';

(function () {
  const { el, sql, str, table } = HR;

  const input = (attrs) => el('input', attrs);
  const labelled = (text, control) => el('label', {}, text, control);
  const num = (n) => Number(n).toLocaleString();

  // The event names seen in the last 30 days, most frequent first, as a <datalist>.
  async function eventNames(id) {
    const list = el('datalist', { id });
    try {
      const r = await sql("SELECT event, count() AS n FROM events WHERE timestamp > now() - INTERVAL 30 DAY GROUP BY event ORDER BY n DESC LIMIT 100");
      for (const [name] of r.results) list.append(el('option', { value: name }));
    } catch (e) { /* the field still takes free text */ }
    return list;
  }

  // --- live events --------------------------------------------------------------------
  HR.pages.events = {
    title: 'Live events',
    async render(main) {
      const p = HR.params();
      const fields = {
        event: input({ name: 'event', value: p.get('event') || '', list: 'event-names', placeholder: 'any event' }),
        distinct_id: input({ name: 'distinct_id', value: p.get('distinct_id') || '', placeholder: 'any person' }),
        key: input({ name: 'key', value: p.get('key') || '', placeholder: 'e.g. $browser' }),
        value: input({ name: 'value', value: p.get('value') || '' }),
      };
      const pause = input({ type: 'checkbox', name: 'pause' });
      const status = el('p', { class: 'muted', 'aria-live': 'polite' });
      const results = el('div');
      const form = el('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); save(); poll(true); } },
        labelled('Event', fields.event), labelled('Distinct ID', fields.distinct_id),
        labelled('Property', fields.key), labelled('equals', fields.value),
        el('button', { type: 'submit', text: 'Filter' }), el('label', { class: 'inline' }, pause, 'Pause'));
      main.append(form, status, results);
      eventNames('event-names').then((l) => form.append(l));
      const save = () => HR.setParams(Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.value.trim()])));

      const seen = new Set();
      const expanded = new Map();  // uuid -> its properties, once fetched
      let timer = null, stopped = false, first = true, inFlight = false, again = false, asked = 0;
      // One query at a time: a poll asked for meanwhile (a new filter) runs when it returns,
      // and an answer to an older filter is dropped.
      // The newest 100 events by time. A full query reads them all (at the start and every
      // 30 s, for events that arrive late); the polls between ask only for events from 10 s
      // before the newest shown (or before now, if a client's clock ran ahead), which the
      // store answers from its newest parts (older ones are pruned by time), and merge them in.
      let latest = [], fullAt = 0;
      const since = () => {
        if (latest.length === 0 || Date.now() - fullAt > 30000) return null;
        const newest = Math.min(HR.parseTime(latest[0][3]).getTime(), Date.now());
        const t = new Date(newest - 10000);
        return isNaN(t) ? null : t.toISOString().slice(0, 19).replace('T', ' ');
      };
      async function poll(reset) {
        clearTimeout(timer);
        if (reset) { seen.clear(); first = true; latest = []; }
        if (inFlight) { again = true; return; }
        const mine = ++asked;
        inFlight = true;
        if (!pause.checked && !document.hidden) {
          const where = ['1 = 1'];
          if (fields.event.value.trim()) where.push(`event = ${str(fields.event.value.trim())}`);
          if (fields.distinct_id.value.trim()) where.push(`distinct_id = ${str(fields.distinct_id.value.trim())}`);
          if (fields.key.value.trim()) where.push(`JSONExtractString(properties, ${str(fields.key.value.trim())}) = ${str(fields.value.value)}`);
          const from = since();
          if (from) where.push(`timestamp >= toDateTime(${str(from)})`);
          else fullAt = Date.now();
          try {
            const r = await sql(`SELECT uuid, event, distinct_id, timestamp FROM events WHERE ${where.join(' AND ')} ` +
              'ORDER BY timestamp DESC LIMIT 100');
            if (!stopped && mine === asked && !again) {
              const byUuid = new Map((from ? latest : []).map((row) => [row[0], row]));
              for (const row of r.results) byUuid.set(row[0], row);
              latest = [...byUuid.values()].sort((a, b) => (a[3] < b[3] ? 1 : a[3] > b[3] ? -1 : 0)).slice(0, 100);
              draw(latest);
              status.textContent = `${latest.length} latest events by time · updated ${new Date().toLocaleTimeString()} · refreshes twice a second`;
            }
          } catch (e) {
            if (!stopped && !again) results.replaceChildren(HR.errorBox(e));
          }
        }
        inFlight = false;
        if (stopped) return;
        if (again) { again = false; poll(); return; }
        timer = setTimeout(poll, 500);
      }
      function draw(rows) {
        const byUuid = new Map(rows.map((r) => [r[0], r]));
        const t = table(['Time', 'Event', 'Distinct ID'], rows.map((r) => [HR.formatTime(r[3]), r[1], r[2]]), {
          onRow: (_, tr) => toggle(byUuid.get(tr.dataset.uuid), tr),
        });
        const body = t.querySelector('tbody');
        rows.forEach((r, i) => {
          const tr = body.rows[i];
          tr.dataset.uuid = r[0];
          if (!first && !seen.has(r[0])) tr.classList.add('new');
          seen.add(r[0]);
        });
        first = false;
        results.replaceChildren(t);
        for (const tr of [...body.rows]) if (expanded.has(tr.dataset.uuid)) showDetails(byUuid.get(tr.dataset.uuid), tr);
      }
      function toggle(row, tr) {
        if (expanded.has(row[0])) {
          expanded.delete(row[0]);
          if (tr.nextSibling && tr.nextSibling.classList.contains('details')) tr.nextSibling.remove();
          return;
        }
        expanded.set(row[0], null);
        showDetails(row, tr);
      }
      async function showDetails(row, tr) {
        const cell = el('td', { colSpan: 3 }, el('span', { class: 'muted', text: 'Loading…' }));
        tr.after(el('tr', { class: 'details' }, cell));
        try {
          // One query per opened row: redraws meanwhile wait for the same answer.
          let details = expanded.get(row[0]);
          if (!details) {
            details = sql(`SELECT properties, person_id FROM events WHERE uuid = toUUID(${str(row[0])}) ` +
              `AND toDate(timestamp) = toDate(${str(row[3].slice(0, 10))}) LIMIT 1`)
              .then((r) => (r.results.length ? { props: JSON.parse(r.results[0][0]), person: r.results[0][1] } : { props: {}, person: '' }));
            expanded.set(row[0], details);
            details.catch(() => { if (expanded.get(row[0]) === details) expanded.set(row[0], null); });
          }
          details = await details;
          cell.replaceChildren(el('p', {}, 'Person: ', el('a', { href: `/ui/persons/${details.person}`, text: details.person })),
            el('pre', { class: 'json', text: JSON.stringify(details.props, null, 2) }));
        } catch (e) { cell.replaceChildren(HR.errorBox(e)); }
      }
      const onVisible = () => { if (!document.hidden) poll(); };
      document.addEventListener('visibilitychange', onVisible);
      pause.addEventListener('change', () => poll());
      poll(true);
      return () => { stopped = true; clearTimeout(timer); document.removeEventListener('visibilitychange', onVisible); };
    },
  };

  // --- persons ------------------------------------------------------------------------
  const personLabel = (props) => props.email || props.name || props.username || '';

  HR.pages.persons = {
    title: 'Persons',
    async render(main) {
      const search = input({ type: 'search', name: 'q', value: HR.params().get('q') || '', placeholder: 'distinct ID, email or any property value' });
      const results = el('div', {}, el('p', { class: 'muted', text: 'Loading…' }));
      main.append(el('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); HR.setParams({ q: search.value.trim() }); load(); } },
        labelled('Search', search), el('button', { type: 'submit', text: 'Search' })), results);
      async function load() {
        const q = search.value.trim();
        const where = q ? `AND (id IN (SELECT person_id FROM person_distinct_id2 FINAL WHERE distinct_id = ${str(q)} AND is_deleted = 0) ` +
          `OR position(lower(properties), ${str(q.toLowerCase())}) > 0)` : '';
        try {
          const r = await sql(`SELECT id, properties, created_at FROM person FINAL WHERE is_deleted = 0 ${where} ORDER BY created_at DESC LIMIT 100`);
          const rows = r.results.map(([id, props, created]) => { const p = JSON.parse(props || '{}'); return [id, personLabel(p), HR.formatTime(created), Object.keys(p).length]; });
          results.replaceChildren(el('p', { class: 'muted', text: `${rows.length === 100 ? 'The latest 100' : rows.length} persons` }),
            table(['Person', 'Email / name', 'First seen', 'Properties'], rows, {
              onRow: (row) => HR.navigate(`/ui/persons/${row[0]}`),
              render: (v, i) => (i === 0 ? el('a', { href: `/ui/persons/${v}`, text: v }) : HR.cellText(v)),
            }));
        } catch (e) { results.replaceChildren(HR.errorBox(e)); }
      }
      load();
    },
  };

  HR.pages.person = {
    title: 'Person',
    async render(main, [id]) {
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error('Not a person id: ' + id);
      const [person, ids, events] = await Promise.all([
        sql(`SELECT properties, created_at FROM person FINAL WHERE id = toUUID(${str(id)}) AND is_deleted = 0`),
        sql(`SELECT distinct_id FROM person_distinct_id2 FINAL WHERE person_id = toUUID(${str(id)}) AND is_deleted = 0 ORDER BY distinct_id LIMIT 1000`),
        sql(`SELECT event, timestamp, distinct_id FROM events WHERE distinct_id IN (SELECT distinct_id FROM person_distinct_id2 FINAL ` +
          `WHERE person_id = toUUID(${str(id)}) AND is_deleted = 0) ORDER BY timestamp DESC LIMIT 100`),
      ]);
      if (person.results.length === 0) { main.append(el('p', { text: 'No such person (deleted, or not yet ingested).' })); return; }
      const props = JSON.parse(person.results[0][0] || '{}');
      main.querySelector('h1').textContent = personLabel(props) || id;
      main.append(el('p', { class: 'muted' }, `Person ${id} · first seen ${HR.formatTime(person.results[0][1])}`),
        el('h2', { text: 'Distinct IDs' }), el('p', { class: 'mono', text: ids.results.map((r) => r[0]).join(', ') }),
        el('h2', { text: 'Properties' }),
        table(['Property', 'Value'], Object.keys(props).sort().map((k) => [k, props[k]])),
        el('h2', { text: 'Latest events' }),
        table(['Event', 'Time', 'Distinct ID'], events.results.map((r) => [r[0], HR.formatTime(r[1]), r[2]])));
    },
  };

  // --- SQL console --------------------------------------------------------------------
  HR.pages.sql = {
    title: 'SQL',
    render(main) {
      const editor = el('textarea', { class: 'code', rows: 8, name: 'sql', 'aria-label': 'SQL query', spellcheck: false,
        value: HR.params().get('q') || localStorage.getItem('hedgerow.sql') ||
          'SELECT event, count() AS events, uniq(person_id) AS persons\nFROM events\nWHERE timestamp > now() - INTERVAL 7 DAY\nGROUP BY event\nORDER BY events DESC\nLIMIT 20' });
      const run = el('button', { type: 'submit', text: 'Run (Ctrl+Enter)' });
      const out = el('div');
      const form = el('form', { onsubmit: (e) => { e.preventDefault(); go(); } }, editor, el('div', { class: 'row' }, run,
        el('span', { class: 'muted', text: 'ClickHouse SQL and HogQL; scoped to this project.' })));
      editor.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); go(); } });
      main.append(form, out);
      async function go() {
        const query = editor.value;
        localStorage.setItem('hedgerow.sql', query);
        run.disabled = true;
        const started = performance.now();
        try {
          const r = await sql(query);
          const ms = Math.round(performance.now() - started);
          const shown = r.results.slice(0, 1000);
          const csv = el('button', { type: 'button', class: 'secondary', text: 'Export CSV',
            onclick: () => HR.download('hedgerow-query.csv', HR.csv(r.columns, r.results), 'text/csv') });
          out.replaceChildren(el('div', { class: 'row' }, el('span', { class: 'muted', 'aria-live': 'polite',
            text: `${num(r.results.length)} rows in ${ms} ms${shown.length < r.results.length ? ' (first 1,000 shown)' : ''}` }), csv),
          resultChart(r) || '', table(r.columns, shown));
        } catch (e) { out.replaceChildren(HR.errorBox(e)); }
        run.disabled = false;
      }
      if (HR.params().get('q')) go();
    },
  };

  // A chart of a result when it has a label or time column and numeric columns.
  function resultChart(r) {
    if (r.results.length < 2 || r.columns.length < 2) return null;
    const numeric = r.columns.map((_, i) => i > 0 && r.results.every((row) => typeof row[i] === 'number'));
    const series = r.columns.map((c, i) => (numeric[i] ? { label: c, values: r.results.map((row) => row[i]) } : null)).filter(Boolean);
    if (series.length === 0) return null;
    const type = r.types && r.types[0] ? String(r.types[0][1]) : '';
    if (/^(Date|DateTime)/.test(type)) {
      return HR.chart({ x: r.results.map((row) => HR.parseTime(type.startsWith('Date(') || type === 'Date' ? row[0] + ' 00:00:00' : row[0]) / 1000),
        series, kind: 'line', time: true, xLabel: r.columns[0], yLabel: series.map((s) => s.label).join(', ') });
    }
    if (r.results.length > 50) return null;
    return HR.chart({ x: r.results.map((_, i) => i), xNames: r.results.map((row) => HR.cellText(row[0])), series, kind: 'bar',
      xLabel: r.columns[0], yLabel: series.map((s) => s.label).join(', ') });
  }

  // --- trends -------------------------------------------------------------------------
  const STEP = { hour: 3600, day: 86400, week: 7 * 86400 };
  const BUCKET = { hour: 'toStartOfHour(timestamp)', day: 'toStartOfDay(timestamp)', week: 'toDateTime(toMonday(timestamp))' };
  const RANGES = { '24h': 1, '7d': 7, '30d': 30, '90d': 90 };
  const floorTo = (secs, interval) => (interval === 'week'
    ? Math.floor((secs - 4 * 86400) / STEP.week) * STEP.week + 4 * 86400  // Unix day 0 was a Thursday
    : Math.floor(secs / STEP[interval]) * STEP[interval]);
  const sqlTime = (secs) => str(new Date(secs * 1000).toISOString().slice(0, 19).replace('T', ' '));

  HR.pages.trends = {
    title: 'Trends',
    async render(main) {
      const p = HR.params();
      const f = {
        event: input({ name: 'event', value: p.get('event') || '', list: 'trend-events', placeholder: 'all events' }),
        math: el('select', { name: 'math' }, el('option', { value: 'total', text: 'Total count' }), el('option', { value: 'persons', text: 'Unique persons' })),
        interval: el('select', { name: 'interval' }, ['hour', 'day', 'week'].map((v) => el('option', { value: v, text: v }))),
        range: el('select', { name: 'range' }, Object.keys(RANGES).map((v) => el('option', { value: v, text: 'Last ' + v })), el('option', { value: 'custom', text: 'Custom' })),
        from: input({ type: 'date', name: 'from', value: p.get('from') || '' }),
        to: input({ type: 'date', name: 'to', value: p.get('to') || '' }),
        breakdown: input({ name: 'breakdown', value: p.get('breakdown') || '', placeholder: 'e.g. $browser' }),
        chart: el('select', { name: 'chart' }, el('option', { value: 'line', text: 'Line' }), el('option', { value: 'bar', text: 'Bar' })),
      };
      f.math.value = p.get('math') || 'total';
      f.interval.value = p.get('interval') || 'day';
      f.range.value = p.get('range') || '7d';
      f.chart.value = p.get('chart') || 'line';
      const out = el('div');
      const form = el('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); go(); } },
        labelled('Event', f.event), labelled('Measure', f.math), labelled('Interval', f.interval), labelled('Date range', f.range),
        labelled('From', f.from), labelled('To', f.to), labelled('Breakdown by property', f.breakdown), labelled('Chart', f.chart),
        el('button', { type: 'submit', text: 'Show' }));
      main.append(form, out);
      eventNames('trend-events').then((l) => form.append(l));
      async function go() {
        HR.setParams(Object.fromEntries(Object.entries(f).map(([k, c]) => [k, c.value.trim()])));
        const interval = f.interval.value;
        const now = Math.floor(Date.now() / 1000);
        let from = now - RANGES[f.range.value] * 86400, to = now;
        if (f.range.value === 'custom') {
          if (!f.from.value || !f.to.value) { out.replaceChildren(HR.errorBox('Pick both dates of a custom range.')); return; }
          from = Date.parse(f.from.value + 'T00:00:00Z') / 1000;
          to = Date.parse(f.to.value + 'T00:00:00Z') / 1000 + 86400 - 1;
        }
        const start = floorTo(from, interval);
        const key = f.breakdown.value.trim();
        const measure = f.math.value === 'persons' ? 'uniq(person_id)' : 'count()';
        const where = [`timestamp >= toDateTime(${sqlTime(start)})`, `timestamp <= toDateTime(${sqlTime(to)})`];
        if (f.event.value.trim()) where.push(`event = ${str(f.event.value.trim())}`);
        const by = key ? `, JSONExtractString(properties, ${str(key)}) AS breakdown` : '';
        out.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
        try {
          const r = await sql(`SELECT toUnixTimestamp(${BUCKET[interval]}) AS t${by}, ${measure} AS value FROM events ` +
            `WHERE ${where.join(' AND ')} GROUP BY t${key ? ', breakdown' : ''} ORDER BY t`);
          const x = [];
          for (let t = start; t <= to; t += STEP[interval]) x.push(t);
          const index = new Map(x.map((t, i) => [t, i]));
          const groups = new Map();
          for (const row of r.results) {
            const name = key ? (row[1] === '' ? '(none)' : row[1]) : (f.event.value.trim() || 'All events');
            if (!groups.has(name)) groups.set(name, { label: name, values: x.map(() => 0), total: 0 });
            const g = groups.get(name), i = index.get(row[0]);
            const v = row[row.length - 1];
            if (i !== undefined) g.values[i] += v;
            g.total += v;
          }
          const series = [...groups.values()].sort((a, b) => b.total - a.total).slice(0, 10);
          if (series.length === 0) series.push({ label: f.event.value.trim() || 'All events', values: x.map(() => 0), total: 0 });
          const yLabel = f.math.value === 'persons' ? 'Unique persons' : 'Events';
          out.replaceChildren(HR.chart({ x, series, kind: f.chart.value, time: true, xLabel: `Time (UTC, per ${interval})`, yLabel }),
            el('h2', { text: key ? `Top ${series.length} values of ${key}` : 'Total' }),
            table([key || 'Series', yLabel + (f.math.value === 'persons' ? ' (per interval, summed)' : '')], series.map((s) => [s.label, s.total])));
        } catch (e) { out.replaceChildren(HR.errorBox(e)); }
      }
      go();
    },
  };

  // --- funnels ------------------------------------------------------------------------
  // Widths through the CSSOM: the page's Content-Security-Policy refuses style attributes.
  const bar = (percent) => { const b = el('div', { class: 'bar-fill' }); b.style.width = `${percent}%`; return b; };

  HR.pages.funnels = {
    title: 'Funnels',
    async render(main) {
      const p = HR.params();
      const steps = el('div');
      const addStep = (value) => {
        const field = input({ name: 'step', value: value || '', list: 'funnel-events', placeholder: 'event name', required: true });
        const row = el('div', { class: 'row' }, labelled(`Step`, field),
          el('button', { type: 'button', class: 'secondary', text: 'Remove', 'aria-label': 'Remove step', onclick: () => { if (steps.children.length > 2) row.remove(); renumber(); } }));
        steps.append(row);
        renumber();
      };
      const renumber = () => [...steps.children].forEach((row, i) => { row.querySelector('label').firstChild.textContent = `Step ${i + 1}`; });
      (p.get('steps') ? p.get('steps').split('\n') : ['$pageview', '']).forEach(addStep);
      while (steps.children.length < 2) addStep('');
      const windowDays = input({ type: 'number', name: 'window', min: 1, max: 90, value: p.get('window') || 14 });
      const range = el('select', { name: 'range' }, [7, 30, 90].map((d) => el('option', { value: d, text: `Last ${d} days` })));
      range.value = p.get('range') || '30';
      const out = el('div');
      const form = el('form', { onsubmit: (e) => { e.preventDefault(); go(); } }, steps,
        el('div', { class: 'row' }, el('button', { type: 'button', class: 'secondary', text: 'Add step', onclick: () => { if (steps.children.length < 10) addStep(''); } }),
          labelled('Conversion window (days)', windowDays), labelled('Date range', range), el('button', { type: 'submit', text: 'Calculate' })));
      main.append(form, out);
      eventNames('funnel-events').then((l) => form.append(l));
      async function go() {
        const names = [...steps.querySelectorAll('input')].map((i) => i.value.trim());
        if (names.some((n) => !n)) { out.replaceChildren(HR.errorBox('Name an event for every step.')); return; }
        HR.setParams({ steps: names.join('\n'), window: windowDays.value, range: range.value });
        const conditions = names.map((n) => `event = ${str(n)}`).join(', ');
        out.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
        try {
          const r = await sql(`SELECT level, count() AS persons FROM (SELECT person_id, ` +
            `windowFunnel(${Math.round(Number(windowDays.value) * 86400)})(toDateTime(timestamp), ${conditions}) AS level FROM events ` +
            `WHERE timestamp > now() - INTERVAL ${Number(range.value)} DAY AND event IN (${names.map(str).join(', ')}) GROUP BY person_id) ` +
            `GROUP BY level ORDER BY level`);
          const reached = names.map((_, i) => r.results.filter((row) => row[0] >= i + 1).reduce((s, row) => s + row[1], 0));
          const first = reached[0] || 0;
          out.replaceChildren(el('h2', { text: `${first ? ((reached[reached.length - 1] / first) * 100).toFixed(1) : '0.0'}% converted` }),
            ...names.map((n, i) => el('div', { class: 'funnel-step' },
              el('span', {}, el('b', { text: `${i + 1}. ` }), n),
              el('div', { class: 'bar-track', role: 'presentation' }, bar(first ? (reached[i] / first) * 100 : 0)),
              el('span', { text: `${num(reached[i])} persons` + (i > 0 ? ` · ${reached[i - 1] ? ((reached[i] / reached[i - 1]) * 100).toFixed(1) : '0.0'}% of step ${i}` : '') }))));
        } catch (e) { out.replaceChildren(HR.errorBox(e)); }
      }
      if (p.get('steps')) go();
    },
  };
})();
