// hedgerow's web UI, part 1: sign-in, navigation, the API client and the pieces pages share
// (tables, charts, CSV). The pages themselves are in pages.js. No framework and no build
// step: the server compiles these files in as they are.
//
// Everything user data reaches goes through textContent (HR.el), never innerHTML.
'use strict';

const HR = (window.HR = { pages: {}, session: null, cleanup: null });

// HR.el('td', {class: 'num', onclick: fn}, 'text', node, [more]) -> an element.
HR.el = function (tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'text') node.textContent = value;
    else if (name in node && name !== 'list' && name !== 'form') node[name] = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  const add = (c) => {
    if (c === null || c === undefined || c === false) return;
    if (Array.isArray(c)) c.forEach(add);
    else node.append(c instanceof Node ? c : String(c));
  };
  children.forEach(add);
  return node;
};

HR.errorBox = (error) => HR.el('p', { class: 'error', role: 'alert', text: error.message || String(error) });

// A JSON API call; throws an Error with the server's `detail`.
HR.api = async function (method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && HR.session && HR.session.csrf_token) headers['X-CSRF-Token'] = HR.session.csrf_token;
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (response.status === 401 && HR.session && HR.session.signed_in && !path.startsWith('/ui/api/login')) {
    HR.session = null;
    HR.navigate('/ui/login?next=' + encodeURIComponent(location.pathname + location.search), true);
  }
  if (!response.ok) throw new Error((data && data.detail) || `${response.status} ${response.statusText}`);
  return data;
};

HR.projectPath = (rest) => `/api/projects/${HR.session.project.id}/${rest}`;

// Runs HogQL/ClickHouse SQL through the query API: {columns, types, results}.
HR.sql = (query) => HR.api('POST', HR.projectPath('query/'), { query: { kind: 'HogQLQuery', query } });

// A ClickHouse string literal.
HR.str = (s) => "'" + String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";

// "2026-12-07 17:47:37.436080" (UTC, as the query API writes DateTime64) -> Date.
HR.parseTime = (text) => new Date(String(text).replace(' ', 'T') + 'Z');
HR.formatTime = (text) => {
  const d = HR.parseTime(text);
  return isNaN(d) ? String(text) : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
};
HR.cellText = (v) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

// A table of `rows` (arrays) under `columns`; numeric columns right-aligned.
HR.table = function (columns, rows, { onRow, render, numeric } = {}) {
  const isNum = columns.map((_, i) => (numeric ? numeric[i] : rows.length > 0 && rows.every((r) => typeof r[i] === 'number')));
  const head = HR.el('tr', {}, columns.map((c, i) => HR.el('th', { scope: 'col', class: isNum[i] ? 'num' : null, text: c })));
  const body = rows.map((row) => {
    const tr = HR.el('tr', {}, row.map((v, i) =>
      HR.el('td', { class: isNum[i] ? 'num' : 'cell', title: HR.cellText(v) }, render ? render(v, i, row) : HR.cellText(v))));
    if (onRow) {
      tr.classList.add('clickable');
      tr.tabIndex = 0;
      tr.addEventListener('click', () => onRow(row, tr));
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') onRow(row, tr); });
    }
    return tr;
  });
  return HR.el('div', { class: 'table-wrap' }, HR.el('table', {}, HR.el('thead', {}, head), HR.el('tbody', {}, body)));
};

HR.csv = function (columns, rows) {
  const cell = (v) => {
    const s = HR.cellText(v);
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  return [columns, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
};

HR.download = function (name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = HR.el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
};

const PALETTE = ['#2f6b3f', '#c2571a', '#3566a8', '#9b3d8f', '#b8932b', '#2a8c8c', '#7a4b2a', '#5f6b2f', '#a83250', '#555'];

// A uPlot chart in a <figure> whose caption names both axes (the canvas is not readable).
// x: numbers (Unix seconds when `time`), series: [{label, values}], kind: 'line' | 'bar'.
// Several bar series are stacked: each bar is drawn from the running total, the legend
// shows its own value.
HR.chart = function ({ x, series, kind, time, xLabel, yLabel, xNames }) {
  const figure = HR.el('figure', { class: 'chart' },
    HR.el('figcaption', { text: `${yLabel} by ${xLabel.toLowerCase()}` }));
  const holder = HR.el('div', { class: 'chart-canvas', role: 'img', 'aria-label': `${kind} chart: ${yLabel} by ${xLabel}` });
  figure.append(holder);
  const bars = kind === 'bar';
  let drawn = series.map((s) => s.values);
  if (bars && series.length > 1) {
    const running = x.map(() => 0);
    drawn = series.map((s) => s.values.map((v, i) => (running[i] += v)));
    drawn.reverse();  // the tallest first, so that every layer stays visible above it
  }
  const order = bars && series.length > 1 ? series.map((_, i) => series.length - 1 - i) : series.map((_, i) => i);
  const width = () => Math.max(280, (figure.parentElement ? figure.parentElement.clientWidth : 800) - 20);
  const step = x.length > 1 ? x[1] - x[0] : 1;
  const opts = {
    width: width(), height: 320,
    tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),  // the buckets are UTC days
    scales: { x: { time: !!time, range: (u, min, max) => [min - (bars ? step / 2 : 0), max + (bars ? step / 2 : 0)] } },
    axes: [
      { label: xLabel, values: xNames ? (u, ticks) => ticks.map((t) => (xNames[t] === undefined ? '' : xNames[t])) : undefined },
      { label: yLabel, size: 60 },
    ],
    series: [{ label: xLabel }].concat(order.map((si) => ({
      label: series[si].label, stroke: PALETTE[si % PALETTE.length], width: bars ? 1 : 2,
      fill: bars ? PALETTE[si % PALETTE.length] + 'cc' : undefined,
      paths: bars ? window.uPlot.paths.bars({ size: [0.7, 80] }) : undefined,
      points: { show: !bars && x.length < 60 },
      value: (u, v, sidx, idx) => (idx === null || idx === undefined ? '--' : series[si].values[idx]),
    }))),
  };
  requestAnimationFrame(() => {
    if (!figure.isConnected) return;
    opts.width = width();
    const plot = new window.uPlot(opts, [x].concat(drawn), holder);
    // The figure resizes with the page, and to nothing when a new result replaces it.
    const resize = new ResizeObserver(() => {
      if (figure.isConnected) plot.setSize({ width: width(), height: 320 });
      else { resize.disconnect(); plot.destroy(); }
    });
    resize.observe(figure);
  });
  return figure;
};

// --- navigation -------------------------------------------------------------------------

const ROUTES = [
  [/^\/ui\/events$/, 'events'], [/^\/ui\/persons$/, 'persons'], [/^\/ui\/persons\/([^/]+)$/, 'person'],
  [/^\/ui\/sql$/, 'sql'], [/^\/ui\/trends$/, 'trends'], [/^\/ui\/funnels$/, 'funnels'], [/^\/ui\/flags$/, 'flags'],
  [/^\/ui\/settings$/, 'settings'], [/^\/ui\/health$/, 'health'], [/^\/ui\/login$/, 'login'],
];

HR.navigate = function (path, replace) {
  history[replace ? 'replaceState' : 'pushState']({}, '', path);
  HR.render();
};

// Query-string state of a page: HR.params() reads, HR.setParams({...}) writes (no reload).
HR.params = () => new URLSearchParams(location.search);
HR.setParams = function (values) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== '' && v !== null && v !== undefined) p.set(k, v);
  const search = p.toString();
  history.replaceState({}, '', location.pathname + (search ? '?' + search : ''));
};

// Each render has a number: a page whose data comes back after the user moved on draws
// nothing, and its cleanup runs at once.
let renders = 0;
HR.current = (render) => render === renders;

HR.render = async function () {
  const render = ++renders;
  if (HR.cleanup) { HR.cleanup(); HR.cleanup = null; }
  let path = location.pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/ui') { history.replaceState({}, '', '/ui/events'); path = '/ui/events'; }
  if (!(HR.session && HR.session.signed_in) && path !== '/ui/login') {
    history.replaceState({}, '', '/ui/login?next=' + encodeURIComponent(path + location.search));
    path = '/ui/login';
  }
  const main = document.getElementById('main');
  const header = document.getElementById('top');
  header.hidden = path === '/ui/login';
  for (const a of header.querySelectorAll('nav a')) {
    if (path.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  let name = 'notFound', match = null;
  for (const [re, page] of ROUTES) if ((match = re.exec(path))) { name = page; break; }
  const page = HR.pages[name] || HR.pages.notFound;
  document.title = `${page.title} · hedgerow`;
  // Pages draw into a fresh element that replaces <main>'s content only while they are
  // still the current page.
  const view = HR.el('div');
  main.replaceChildren(view);
  view.append(HR.el('h1', { text: page.title }));
  try {
    const cleanup = await page.render(view, match ? match.slice(1).map(decodeURIComponent) : []);
    if (HR.current(render)) HR.cleanup = cleanup || null;
    else if (cleanup) cleanup();
  } catch (e) {
    if (HR.current(render)) view.append(HR.errorBox(e));
  }
};

document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a');
  if (!a || a.origin !== location.origin || !a.pathname.startsWith('/ui/') || a.hasAttribute('download')) return;
  if (e.ctrlKey || e.metaKey || e.shiftKey || e.altKey || e.button !== 0) return;
  e.preventDefault();
  HR.navigate(a.pathname + a.search);
  document.getElementById('main').focus();
});
window.addEventListener('popstate', () => HR.render());

// --- sign-in ----------------------------------------------------------------------------

HR.setSession = function (session) {
  HR.session = session;
  document.getElementById('project-name').textContent = session.signed_in ? session.project.name : '';
};

HR.pages.login = {
  title: 'Sign in',
  async render(main) {
    const state = await HR.api('GET', '/ui/api/session');
    if (!main.isConnected) return;  // the user went elsewhere meanwhile
    const next = HR.params().get('next') || '/ui/events';
    const done = (session) => { HR.setSession(session); HR.navigate(next.startsWith('/ui/') ? next : '/ui/events', true); };
    if (state.signed_in) return done(state);
    const box = HR.el('div', { class: 'login' });
    main.replaceChildren(box);
    box.append(HR.el('h1', { text: 'Sign in to hedgerow' }));
    const form = (title, fields, submitText, send) => {
      const error = HR.el('div');
      const button = HR.el('button', { type: 'submit', text: submitText });
      const f = HR.el('form', {
        class: 'panel', 'aria-label': title,
        async onsubmit(e) {
          e.preventDefault();
          button.disabled = true;
          error.replaceChildren();
          try { done(await send(new FormData(f))); } catch (err) { error.replaceChildren(HR.errorBox(err)); }
          button.disabled = false;
        },
      }, HR.el('h2', { text: title }), fields, error, button);
      box.append(f);
    };
    form('Personal API key', HR.el('label', {}, 'Personal API key (phx_…)',
      HR.el('input', { type: 'password', name: 'key', placeholder: 'Personal API key: phx_…', autocomplete: 'off', required: true })),
    'Sign in', (d) => HR.api('POST', '/ui/api/login', { personal_api_key: d.get('key').trim() }));
    if (state.admin_password_set) {
      form('Admin password', HR.el('label', {}, 'Password',
        HR.el('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true })),
      'Sign in with password', (d) => HR.api('POST', '/ui/api/login', { password: d.get('password') }));
    } else if (state.setup_code_file) {
      form('First run: choose an admin password', [
        HR.el('p', { class: 'muted' }, 'No admin password is set. Choose one (8 characters or more) with the setup code hedgerow wrote to ',
          HR.el('code', { text: state.setup_code_file }), ' on the server. It signs in to the default project.'),
        HR.el('label', {}, 'Setup code', HR.el('input', { name: 'setup_code', autocomplete: 'off', required: true })),
        HR.el('label', {}, 'New password', HR.el('input', { type: 'password', name: 'new', autocomplete: 'new-password', minLength: 8, required: true })),
        HR.el('label', {}, 'Repeat it', HR.el('input', { type: 'password', name: 'repeat', autocomplete: 'new-password', required: true })),
      ], 'Set password', (d) => {
        if (d.get('new') !== d.get('repeat')) throw new Error('The two passwords differ.');
        return HR.api('POST', '/ui/api/admin_password', { password: d.get('new'), setup_code: d.get('setup_code').trim() });
      });
    } else {
      box.append(HR.el('p', { class: 'muted', text: 'No admin password is set: sign in with the personal API key (hedgerow prints it at start), then set one under Settings.' }));
    }
    box.querySelector('input').focus();
  },
};

HR.pages.notFound = {
  title: 'Not found',
  render(main) { main.append(HR.el('p', {}, 'No such page. ', HR.el('a', { href: '/ui/events', text: 'Live events' }))); },
};

window.addEventListener('DOMContentLoaded', async () => {
  try {
    HR.setSession(await HR.api('GET', '/ui/api/session'));
  } catch (e) {
    HR.setSession({ signed_in: false });
  }
  HR.render();
});
