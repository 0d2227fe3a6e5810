/*
 * CrossTrain web UI: a single page with hash routes (#/login, #/cluster, #/jobs, #/jobs/<id>, #/submit, #/about).
 * Every /api request carries "Authorization: Bearer <key>" with the key kept in sessionStorage; a 401 sends the
 * user back to the login page with a message. Live pages poll (EventSource cannot send the header).
 */
'use strict';

(() => {
  const KEY_STORE = 'crosstrain.apiKey';
  const POLL_MS = 2000;
  const CLUSTER_POLL_MS = 5000;
  const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
  const EMULATED = 'emulated';

  // ---------------------------------------------------------------- DOM helpers

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) {
        continue;
      }
      if (k === 'class') {
        el.className = v;
      } else if (k === 'testid') {
        el.dataset.testid = v;
      } else if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2), v);
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children.flat(Infinity)) {
      if (c !== null && c !== undefined && c !== false) {
        el.append(c instanceof Node ? c : String(c));
      }
    }
    return el;
  }

  function svg(attrs) {
    const el = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    for (const [k, v] of Object.entries(attrs || {})) {
      el.setAttribute(k, v);
    }
    return el;
  }

  function num(v, digits) {
    if (v === null || v === undefined || !Number.isFinite(Number(v))) {
      return 'n/a';
    }
    const n = Number(v);
    const d = digits === undefined ? 3 : digits;
    return Math.abs(n) >= 1e6 || (Math.abs(n) > 0 && Math.abs(n) < 1e-3) ? n.toExponential(2) : n.toFixed(d);
  }

  function bytes(v) {
    if (v === null || v === undefined || !Number.isFinite(Number(v))) {
      return 'n/a';
    }
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let n = Number(v);
    let u = 0;
    while (Math.abs(n) >= 1024 && u < units.length - 1) {
      n /= 1024;
      u++;
    }
    return `${u === 0 ? n : n.toFixed(2)} ${units[u]}`;
  }

  function when(iso) {
    if (!iso) {
      return '';
    }
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
  }

  /** The "emulated" tag every figure of an emulated run carries. */
  function modeTag(mode) {
    if (!mode) {
      return null;
    }
    return h('span', { class: mode === EMULATED ? 'mode mode-emulated' : 'mode', testid: 'mode-tag' }, mode);
  }

  function stateBadge(state, id) {
    return h('span', { class: `state state-${state}`, id, testid: 'job-state', 'data-state': state }, state);
  }

  function progressBar(step, steps, testid) {
    const fraction = steps > 0 ? Math.max(0, Math.min(1, step / steps)) : 0;
    const pct = Math.round(fraction * 100);
    return h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': steps,
      'aria-valuenow': step, testid: testid || 'progress', title: `${step} / ${steps} steps` },
    h('div', { class: 'progress-fill', style: `width:${pct}%` }),
    h('span', { class: 'progress-text' }, `${step} / ${steps}`));
  }

  // ---------------------------------------------------------------- API client

  class ApiError extends Error {
    constructor(status, body) {
      super(ApiError.describe(status, body));
      this.status = status;
      this.body = body;
    }

    static describe(status, body) {
      if (body && typeof body === 'object') {
        return `HTTP ${status}: ${body.title || ''}${body.detail ? ' — ' + body.detail : ''}`;
      }
      return `HTTP ${status}${body ? ': ' + String(body).slice(0, 200) : ''}`;
    }
  }

  class LoggedOut extends Error {
  }

  let loginMessage = '';

  function apiKey() {
    return sessionStorage.getItem(KEY_STORE);
  }

  async function api(path, options) {
    const o = options || {};
    const key = apiKey();
    if (!key) {
      toLogin('Log in with an API key first.');
      throw new LoggedOut();
    }
    const headers = { Accept: 'application/json, application/problem+json', Authorization: `Bearer ${key}` };
    let body;
    if (o.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(o.body);
    }
    const response = await fetch(path, { method: o.method || 'GET', headers, body, cache: 'no-store' });
    if (response.status === 401) {
      sessionStorage.removeItem(KEY_STORE);
      toLogin('The API key was refused (HTTP 401). Log in again.');
      throw new LoggedOut();
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = text;
      }
    }
    if (!response.ok) {
      throw new ApiError(response.status, data);
    }
    return data;
  }

  // ---------------------------------------------------------------- routing and polling

  let routeToken = 0;
  let timers = [];

  function stopTimers() {
    timers.forEach(t => clearTimeout(t));
    timers = [];
  }

  /** Runs `fn` now and then every `ms` until the route changes or `fn` returns false. */
  function poll(token, fn, ms) {
    const tick = async () => {
      if (token !== routeToken) {
        return;
      }
      let again = true;
      try {
        again = (await fn()) !== false;
      } catch (e) {
        if (e instanceof LoggedOut) {
          return;
        }
        console.error(e);
      }
      if (again && token === routeToken) {
        timers.push(setTimeout(tick, ms));
      }
    };
    tick();
  }

  function toLogin(message) {
    loginMessage = message || '';
    if (location.hash !== '#/login') {
      location.hash = '#/login';
    } else {
      render();
    }
  }

  function main() {
    return document.getElementById('app');
  }

  function show(...nodes) {
    const el = main();
    el.replaceChildren(...nodes);
  }

  function updateNav(page) {
    const loggedIn = !!apiKey();
    document.getElementById('nav').hidden = !loggedIn;
    document.querySelectorAll('#nav a[data-page]').forEach(a => {
      a.classList.toggle('active', a.dataset.page === page);
    });
  }

  function render() {
    stopTimers();
    const token = ++routeToken;
    const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);
    const page = parts[0] || '';
    if (page === 'about') {
      updateNav('about');
      return aboutPage();
    }
    if (page === 'login' || !apiKey()) {
      if (page !== 'login') {
        return toLogin(loginMessage);
      }
      updateNav('login');
      return loginPage();
    }
    updateNav(page === 'jobs' && parts[1] ? 'jobs' : page);
    switch (page) {
      case 'cluster':
        return clusterPage(token);
      case 'submit':
        return submitPage(token);
      case 'jobs':
        return parts[1] ? jobPage(token, decodeURIComponent(parts[1])) : jobsPage(token);
      default:
        location.hash = '#/jobs';
        return undefined;
    }
  }

  // ---------------------------------------------------------------- login

  function loginPage() {
    const input = h('input', { id: 'api-key', name: 'apiKey', type: 'password', autocomplete: 'off',
      required: true, testid: 'api-key', placeholder: 'ct-...' });
    const message = h('p', { id: 'login-message', class: loginMessage ? 'message error' : 'message',
      testid: 'login-message', role: 'alert' }, loginMessage);
    const form = h('form', { id: 'login-form', class: 'card narrow', testid: 'login-form', onsubmit: async e => {
      e.preventDefault();
      const key = input.value.trim();
      if (!key) {
        message.textContent = 'Enter an API key.';
        message.className = 'message error';
        return;
      }
      sessionStorage.setItem(KEY_STORE, key);
      loginMessage = '';
      try {
        await api('/api/v1/jobs?limit=1');
        location.hash = '#/cluster';
      } catch (err) {
        if (!(err instanceof LoggedOut)) {
          message.textContent = `The gateway did not answer as expected: ${err.message}`;
          message.className = 'message error';
        }
      }
    } },
    h('h2', {}, 'Log in'),
    h('p', {}, 'Every request to the API carries this key as a bearer token. It is kept for this browser tab only.'),
    h('label', { for: 'api-key' }, 'API key'), input,
    h('button', { id: 'login-submit', type: 'submit', testid: 'login-submit' }, 'Log in'),
    message);
    show(form);
    input.focus();
  }

  function logout() {
    sessionStorage.removeItem(KEY_STORE);
    toLogin('Logged out.');
  }

  // ---------------------------------------------------------------- about

  function aboutPage() {
    const about = document.getElementById('about-template').content.cloneNode(true);
    show(h('section', { id: 'about', testid: 'about-page' }, about));
  }

  // ---------------------------------------------------------------- cluster

  /**
   * Training FLOPs per sample of the model a profile key such as tx-L2-d96-h4-s64-v66 names: the formula of
   * ModelSpec.flopsPerSample (6 x parameters x tokens plus attention scores). Null for keys of another shape.
   */
  function flopsPerSample(modelKey) {
    const m = /^tx-L(\d+)-d(\d+)-h(\d+)-s(\d+)-v(\d+)$/.exec(modelKey || '');
    if (!m) {
      return null;
    }
    const [layers, d, , seq, vocab] = m.slice(1).map(Number);
    const perLayer = 12 * d * d + 13 * d;
    const params = vocab * d + seq * d + layers * perLayer + 2 * d + d * vocab + vocab;
    return 6 * params * seq + 12 * layers * seq * seq * d;
  }

  function clusterPage(token) {
    const status = h('p', { id: 'cluster-status', class: 'muted', testid: 'cluster-status' }, 'Loading…');
    const body = h('div', { id: 'cluster-body' });
    show(h('section', { id: 'cluster-page', testid: 'cluster-page' }, h('h2', {}, 'Cluster'), status, body));
    poll(token, async () => {
      const [dcs, devices, chips, profiles] = await Promise.all([api('/api/v1/datacenters'),
        api('/api/v1/devices'), api('/api/v1/chips'), api('/api/v1/profiles')]);
      if (token !== routeToken) {
        return false;
      }
      const healthy = devices.filter(d => d.status === 'HEALTHY').length;
      status.textContent = `${dcs.length} datacenters, ${devices.length} devices, ${healthy} healthy `
        + `(refreshed ${new Date().toLocaleTimeString()})`;
      body.replaceChildren(...renderCluster(dcs, devices, chips, profiles));
      return true;
    }, CLUSTER_POLL_MS);
  }

  function renderCluster(dcs, devices, chips, profiles) {
    const chipByName = new Map(chips.map(c => [c.name, c]));
    const dcIds = dcs.map(d => d.id);
    devices.forEach(d => {
      if (!dcIds.includes(d.datacenter)) {
        dcIds.push(d.datacenter);
      }
    });
    const emulatedChips = new Set(devices.filter(d => d.mode === EMULATED).map(d => d.chip));
    const sections = dcIds.map(id => {
      const dc = dcs.find(d => d.id === id) || { id, name: id };
      const mine = devices.filter(d => d.datacenter === id);
      const byChip = new Map();
      mine.forEach(d => {
        if (!byChip.has(d.chip)) {
          byChip.set(d.chip, []);
        }
        byChip.get(d.chip).push(d);
      });
      const groups = [...byChip.entries()].sort().map(([chip, list]) => chipGroup(id, chip, list,
        chipByName.get(chip)));
      return h('section', { class: 'card datacenter', id: `dc-${id}`, testid: 'datacenter', 'data-dc': id },
        h('h3', {}, `${dc.name || id} `, h('span', { class: 'muted' }, `(${id}${dc.region ? ', ' + dc.region : ''})`),
          ' ', h('span', { class: 'muted' }, `${mine.length} devices`)),
        groups.length ? groups : h('p', { class: 'muted' }, 'no devices registered'));
    });
    const chipTable = h('table', { id: 'chip-table', testid: 'chip-table' },
      h('thead', {}, h('tr', {}, ['Chip', 'Peak TFLOP/s', 'Memory GB', 'Bandwidth TB/s', 'Built in', 'Source']
        .map(t => h('th', {}, t)))),
      h('tbody', {}, chips.map(c => h('tr', { 'data-chip': c.name },
        h('td', {}, c.name, c.unverified ? h('span', { class: 'mode', title: 'figures not verified' }, 'unverified')
          : null),
        h('td', { class: 'num' }, num(c.tflops, 1)), h('td', { class: 'num' }, num(c.memoryGb, 0)),
        h('td', { class: 'num' }, num(c.memBandwidthTBps, 2)), h('td', {}, c.builtIn ? 'yes' : 'no'),
        h('td', { class: 'source' }, c.source || '')))));
    const profileTable = h('table', { id: 'profile-table', testid: 'profile-table' },
      h('thead', {}, h('tr', {}, ['Chip', 'Model', 'Micro-batch', 'Measured samples/s', 'Samples', 'Updated']
        .map(t => h('th', {}, t)))),
      h('tbody', {}, profiles.length ? profiles.map(p => h('tr', {},
        h('td', {}, p.chip), h('td', {}, p.model), h('td', { class: 'num' }, p.microBatch),
        h('td', { class: 'num' }, num(p.samplesPerSec, 1), ' ', emulatedChips.has(p.chip) ? modeTag(EMULATED) : null),
        h('td', { class: 'num' }, p.samples), h('td', {}, when(p.updatedAt))))
        : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'no profiles measured yet'))));
    return [...sections,
      h('section', { class: 'card' }, h('h3', {}, 'Chip catalogue'), chipTable),
      h('section', { class: 'card' }, h('h3', {}, 'Measured throughput profiles'), profileTable)];
  }

  function chipGroup(dcId, chip, list, spec) {
    const peak = spec ? spec.tflops : (list[0].catalogue ? list[0].catalogue.tflops : null);
    const rows = list.sort((a, b) => a.id.localeCompare(b.id)).map(d => {
      const speeds = Object.entries(d.measuredSamplesPerSec || {});
      const measured = speeds.length ? speeds.map(([model, s]) => {
        const f = flopsPerSample(model);
        const achieved = f === null ? null : s * f / 1e12;
        // an emulated device runs at the speed it is paced to: the cost model's figure for its chip, not a reading
        const paced = d.mode === EMULATED;
        return h('div', { class: 'speed', testid: 'measured-speed' },
          h('div', {}, `${num(s, 1)} samples/s ${paced ? 'paced' : 'measured'} on ${model}`, ' ', modeTag(d.mode)),
          achieved !== null && peak ? h('div', { class: 'muted small' }, `= ${num(achieved, 1)} of `
            + `${num(peak, 0)} TFLOP/s, ${num(achieved / peak * 100, 1)} % of the catalogue peak`
            + (paced ? ' (the cost model\'s assumption, by construction of the pacing)' : '')) : null);
      }) : h('span', { class: 'muted' }, 'not run yet');
      return h('tr', { id: `device-${d.id}`, testid: 'device-row', 'data-status': d.status },
        h('td', {}, d.id), h('td', {}, d.nodeId || ''),
        h('td', {}, h('span', { class: `health health-${d.status}`, testid: 'device-health' }, d.status)),
        h('td', {}, when(d.lastHeartbeat)),
        h('td', { class: 'num' }, d.memoryGb === null || d.memoryGb === undefined ? 'n/a' : num(d.memoryGb, 0)),
        h('td', {}, measured));
    });
    return h('div', { class: 'chip-group', testid: 'chip-group', 'data-chip': chip, id: `chips-${dcId}-${chip}` },
      h('h4', {}, `${chip} × ${list.length}`, ' ', h('span', { class: 'muted' }, spec
        ? `catalogue: ${num(spec.tflops, 1)} TFLOP/s peak, ${num(spec.memoryGb, 0)} GB, `
          + `${num(spec.memBandwidthTBps, 2)} TB/s` : 'not in the catalogue')),
      h('table', { class: 'devices' },
        h('thead', {}, h('tr', {}, ['Device', 'Node', 'Health', 'Last heartbeat', 'Memory GB',
          'Speed (paced when emulated) vs catalogue'].map(t => h('th', {}, t)))),
        h('tbody', {}, rows)));
  }

  // ---------------------------------------------------------------- jobs list

  function jobsPage(token) {
    const filter = h('select', { id: 'job-filter', testid: 'job-filter', onchange: () => refresh() },
      h('option', { value: '' }, 'all states'),
      ['PENDING', 'SCHEDULED', 'RUNNING', 'RECOVERING', 'CANCELLING', 'SUCCEEDED', 'FAILED', 'CANCELLED']
        .map(s => h('option', { value: s }, s)));
    const tbody = h('tbody', {});
    const status = h('p', { class: 'muted', id: 'jobs-status' }, 'Loading…');
    const table = h('table', { id: 'jobs-table', testid: 'jobs-table' },
      h('thead', {}, h('tr', {}, ['Name', 'State', 'Progress', 'Strategy', 'Created', 'Reason']
        .map(t => h('th', {}, t)))), tbody);
    show(h('section', { id: 'jobs-page', testid: 'jobs-page' },
      h('div', { class: 'row' }, h('h2', {}, 'Jobs'), h('label', {}, 'Show ', filter),
        h('a', { href: '#/submit', class: 'button', id: 'new-job' }, 'Submit a job')),
      status, table));
    const refresh = async () => {
      const state = filter.value;
      const jobs = await api(`/api/v1/jobs?limit=200${state ? '&state=' + state : ''}`);
      if (token !== routeToken) {
        return false;
      }
      status.textContent = `${jobs.length} jobs, newest first (refreshed ${new Date().toLocaleTimeString()})`;
      tbody.replaceChildren(...(jobs.length ? jobs.map(jobRow)
        : [h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'no jobs'))]));
      return true;
    };
    poll(token, refresh, POLL_MS);
  }

  function jobRow(j) {
    const spec = j.spec || {};
    return h('tr', { id: `job-row-${j.id}`, testid: 'job-row', 'data-job-id': j.id, 'data-state': j.state },
      h('td', {}, h('a', { href: `#/jobs/${j.id}`, testid: 'job-link' }, j.name || j.id),
        h('div', { class: 'muted small' }, j.id)),
      h('td', {}, stateBadge(j.state)),
      h('td', {}, progressBar(j.step, j.steps)),
      h('td', {}, `${spec.strategy || ''} / ${spec.allocation || ''}`),
      h('td', {}, when(j.createdAt)),
      h('td', { class: 'reason' }, j.reason || ''));
  }

  // ---------------------------------------------------------------- job page

  function jobPage(token, id) {
    const el = {
      title: h('h2', { id: 'job-title' }, 'Job'),
      state: h('span', { id: 'job-state-holder' }),
      reason: h('p', { id: 'job-reason', class: 'muted' }),
      progress: h('div', { id: 'job-progress' }),
      cancel: h('button', { id: 'cancel-job', testid: 'cancel-job', class: 'danger', type: 'button', hidden: true },
        'Cancel job'),
      cancelMessage: h('p', { id: 'cancel-message', class: 'message', testid: 'cancel-message', role: 'status' }),
      lossChart: svg({ id: 'loss-chart', 'data-testid': 'loss-chart', class: 'chart', role: 'img',
        'aria-label': 'loss per step' }),
      lossCaption: h('figcaption', { id: 'loss-caption' }),
      throughputChart: svg({ id: 'throughput-chart', 'data-testid': 'throughput-chart', class: 'chart',
        role: 'img', 'aria-label': 'samples per second per device' }),
      throughputCaption: h('figcaption', { id: 'throughput-caption' }),
      busyChart: svg({ id: 'busy-chart', 'data-testid': 'busy-chart', class: 'chart', role: 'img',
        'aria-label': 'busy fraction per device' }),
      busyCaption: h('figcaption', { id: 'busy-caption' }),
      efficiency: h('div', { id: 'efficiency', testid: 'efficiency' }, h('p', { class: 'muted' }, 'no report yet')),
      plan: h('div', { id: 'plan', testid: 'plan' }, h('p', { class: 'muted' }, 'not planned yet')),
      history: h('div', { id: 'history', testid: 'history' }),
      error: h('p', { id: 'job-error', class: 'message error', role: 'alert' })
    };
    show(h('section', { id: 'job-page', testid: 'job-page', 'data-job-id': id },
      h('p', {}, h('a', { href: '#/jobs' }, '← all jobs')),
      h('div', { class: 'row' }, el.title, el.state, el.cancel),
      el.reason, el.progress, el.cancelMessage, el.error,
      h('div', { class: 'grid' },
        h('figure', { class: 'card' }, h('h3', {}, 'Loss'), el.lossChart, el.lossCaption),
        h('figure', { class: 'card' }, h('h3', {}, 'Throughput per device'), el.throughputChart,
          el.throughputCaption, h('h3', {}, 'Busy fraction per device'), el.busyChart, el.busyCaption)),
      h('section', { class: 'card' }, h('h3', {}, 'Efficiency and WAN'), el.efficiency),
      h('section', { class: 'card' }, h('h3', {}, 'Plan: which device got which batch'), el.plan),
      h('section', { class: 'card' }, h('h3', {}, 'History'), el.history)));

    const metrics = new Map();
    let job = null;
    let planVersion = null;
    let tick = 0;

    el.cancel.addEventListener('click', async () => {
      if (!window.confirm(`Cancel job ${job ? job.name : id}?`)) {
        return;
      }
      el.cancel.disabled = true;
      try {
        const answer = await api(`/api/v1/jobs/${id}/cancel`, { method: 'POST' });
        el.cancelMessage.textContent = `Cancel requested: the job is ${answer && answer.state ? answer.state
          : 'being cancelled'}.`;
        el.cancelMessage.className = 'message';
        if (answer && answer.state) {
          showJob(answer);
        }
      } catch (e) {
        if (!(e instanceof LoggedOut)) {
          el.cancelMessage.textContent = `Cancel failed: ${e.message}`;
          el.cancelMessage.className = 'message error';
          el.cancel.disabled = false;
        }
      }
    });

    function showJob(j) {
      job = j;
      el.title.textContent = j.name || j.id;
      el.state.replaceChildren(stateBadge(j.state, 'job-state'));
      el.reason.textContent = `${j.id}${j.reason ? ' — ' + j.reason : ''}`;
      el.progress.replaceChildren(progressBar(j.step, j.steps, 'job-progress-bar'));
      el.cancel.hidden = TERMINAL.includes(j.state) || j.state === 'CANCELLING';
    }

    async function refreshMetrics() {
      let from = 0;
      metrics.forEach(m => {
        from = Math.max(from, m.step);
      });
      const fresh = await api(`/api/v1/jobs/${id}/metrics?fromStep=${from}&limit=10000`);
      fresh.forEach(m => metrics.set(`${m.planVersion}/${m.deviceId}/${m.step}`, m));
      drawLoss();
    }

    function drawLoss() {
      // batch-weighted mean loss per step over the devices that reported it, as the report's curve
      const byStep = new Map();
      let mode = null;
      metrics.forEach(m => {
        if (m.error || !Number.isFinite(m.loss)) {
          return;
        }
        mode = mode || m.mode;
        const s = byStep.get(m.step) || { weighted: 0, batch: 0 };
        s.weighted += m.loss * m.batch;
        s.batch += m.batch;
        byStep.set(m.step, s);
      });
      const points = [...byStep.entries()].filter(([, s]) => s.batch > 0)
        .map(([step, s]) => ({ x: step, y: s.weighted / s.batch })).sort((a, b) => a.x - b.x);
      CtCharts.line(el.lossChart, points, { xLabel: 'step', yLabel: 'loss', pathId: 'loss-path',
        pathTestId: 'loss-path', empty: 'no metrics yet' });
      el.lossCaption.replaceChildren(`Training loss per step, batch-weighted mean over the devices; `
        + `${points.length} steps, ${metrics.size} device metrics`,
      points.length ? ` — last ${num(points[points.length - 1].y, 4)}` : '', ' ', modeTag(mode));
    }

    async function refreshReport() {
      let report;
      try {
        report = await api(`/api/v1/jobs/${id}/report`);
      } catch (e) {
        if (e instanceof ApiError) {
          return;
        }
        throw e;
      }
      showReport(report);
    }

    function showReport(r) {
      const mode = r.mode;
      const devices = (r.devices || []).slice().sort((a, b) => a.id.localeCompare(b.id));
      CtCharts.bars(el.throughputChart, devices.map(d => ({ label: `${d.id} (${d.chip})`, value: d.samplesPerSec,
        cls: `dc-${d.datacenter}` })), { unit: 'samples/s', barTestId: 'throughput-bar' });
      el.throughputCaption.replaceChildren(mode === EMULATED
        ? `Each device's paced speed: its emulated chip's speed as the pacing sets it (Σ batch ÷ Σ busy time over `
          + `the measurement window, the busy time paced to the chip); batch per step in the plan table`
        : `Each device's measured speed (Σ batch ÷ Σ busy time over the measurement window), batch per step in `
          + `the plan table`, ' ', modeTag(mode));
      CtCharts.bars(el.busyChart, devices.map(d => ({ label: d.id, value: Number.isFinite(d.busyFraction)
        ? d.busyFraction * 100 : null, cls: `dc-${d.datacenter}` })), { unit: '% busy', max: 100,
        barTestId: 'busy-bar' });
      el.busyCaption.replaceChildren('Σ busy time ÷ window wall time', ' ', modeTag(mode));
      const e = r.efficiency || {};
      const w = r.wan || {};
      const row = (label, value, testid) => h('tr', { testid },
        h('th', {}, label), h('td', { class: 'num', id: testid }, value), h('td', {}, modeTag(mode)));
      el.efficiency.replaceChildren(h('table', { class: 'figures' }, h('tbody', {},
        row(mode === EMULATED ? 'η: sync and imbalance losses against the emulated chips (achieved ÷ Σ paced '
          + 'speeds)' : 'η (achieved ÷ Σ measured solo speeds)', num(e.eta), 'eta'),
        row(`equal-split η (${e.equalSplitEtaSource || 'n/a'})`, num(e.equalSplitEta), 'equal-split-eta'),
        row('predicted η (planner)', num(e.predictedEta), 'predicted-eta'),
        row('achieved samples/s', num(e.achievedSamplesPerSec, 1), 'achieved-samples'),
        row(mode === EMULATED ? 'ideal samples/s (Σ paced device speeds)' : 'ideal samples/s',
          num(e.idealSamplesPerSec, 1), 'ideal-samples'),
        row('communication fraction', num(e.communicationFraction), 'comm-fraction'),
        row('WAN bytes received', bytes(w.bytes), 'wan-bytes'),
        row('sync-DP fp32 would have sent', bytes(w.syncDpBytes), 'wan-syncdp-bytes'),
        row('WAN reduction', w.reduction === null || w.reduction === undefined ? 'n/a' : `${num(w.reduction, 1)}×`,
          'wan-reduction'),
        row('steps / samples / wall s', `${r.steps} / ${r.samples} / ${num(r.wallSeconds, 1)}`, 'totals'),
        row('replicas identical', r.replicas ? `${r.replicas.identical ? 'yes' : 'no'} (${r.replicas.checkedSteps}`
          + ' steps compared)' : 'n/a', 'replicas'),
        row('emulation time scale k', r.emulation ? num(r.emulation.timeScale) : 'not emulated', 'time-scale'))),
      h('p', { class: 'muted small' }, `strategy ${r.strategy}, allocation ${r.allocation}, mode `, modeTag(mode),
        `, window ${e.windowSteps} steps after ${e.warmupSteps} warm-up steps`));
    }

    async function refreshPlan() {
      let plan;
      try {
        plan = await api(`/api/v1/jobs/${id}/plan`);
      } catch (e) {
        if (e instanceof ApiError) {
          return;
        }
        throw e;
      }
      planVersion = plan.planVersion;
      const mode = plan.mode;
      const p = plan.predicted || {};
      const devices = (plan.devices || []).slice().sort((a, b) => a.rank - b.rank);
      el.plan.replaceChildren(
        h('p', {}, `version ${plan.planVersion}, ${plan.strategy}, ${plan.allocation}, from step `
          + `${plan.startStep ?? 1}: ${plan.reason || ''}; global batch ${plan.globalBatch}, time scale k `
          + `${plan.timeScale === null || plan.timeScale === undefined ? 'n/a' : num(plan.timeScale)}; predicted `
          + `η ${num(p.eta)} (equal split ${num(p.equalSplitEta)}), step ${num(p.stepSeconds)} s, `
          + `WAN ${bytes(p.wanBytesPerStep)}/step `, modeTag(mode)),
        h('table', { id: 'plan-table', testid: 'plan-table' },
          h('thead', {}, h('tr', {}, ['Rank', 'Device', 'Datacenter', 'Chip', 'Batch', 'Micro-batches',
            'Planned chip samples/s', 'Paced step s'].map(t => h('th', {}, t)))),
          h('tbody', {}, devices.map(d => h('tr', { testid: 'plan-row', 'data-device': d.deviceId },
            h('td', { class: 'num' }, d.rank), h('td', {}, d.deviceId), h('td', {}, d.datacenter),
            h('td', {}, d.chip), h('td', { class: 'num', testid: 'plan-batch' }, d.batch),
            h('td', { class: 'num' }, d.microBatches), h('td', { class: 'num' }, num(d.chipSamplesPerSec, 1), ' ',
              modeTag(mode)), h('td', { class: 'num' }, num(d.pacedStepSeconds), ' ', modeTag(mode)))))));
    }

    async function refreshHistory() {
      const entries = await api(`/api/v1/jobs/${id}/history`);
      el.history.replaceChildren(h('table', { id: 'history-table', testid: 'history-table' },
        h('thead', {}, h('tr', {}, ['At', 'From', 'To', 'Reason'].map(t => h('th', {}, t)))),
        h('tbody', {}, entries.map(x => h('tr', { testid: 'history-row', 'data-to': x.to },
          h('td', {}, when(x.at)), h('td', {}, x.from || '—'), h('td', {}, x.to), h('td', {}, x.reason || ''))))));
    }

    poll(token, async () => {
      let j;
      try {
        j = await api(`/api/v1/jobs/${id}`);
      } catch (e) {
        if (e instanceof ApiError) {
          el.error.textContent = e.message;
          return e.status !== 404;
        }
        throw e;
      }
      if (token !== routeToken) {
        return false;
      }
      el.error.textContent = '';
      const stateChanged = !job || job.state !== j.state;
      showJob(j);
      const done = TERMINAL.includes(j.state);
      await refreshMetrics();
      if (planVersion === null || planVersion !== j.planVersion || stateChanged || done) {
        await refreshPlan();
      }
      if (stateChanged || done || tick % 2 === 0) {
        await Promise.all([refreshReport(), refreshHistory()]);
      }
      tick++;
      // a finished job changes no more: one last full refresh above, then stop
      return !done;
    }, POLL_MS);
  }

  // ---------------------------------------------------------------- submit

  /** Form fields by the JSON path the validator names them with. */
  const FIELDS = [
    { path: 'name', label: 'Name', type: 'text', value: 'ui-job' },
    { path: 'model.layers', label: 'Layers (1-8)', type: 'number', value: 2, group: 'Model' },
    { path: 'model.dModel', label: 'dModel (16-512, divisible by heads)', type: 'number', value: 96, group: 'Model' },
    { path: 'model.heads', label: 'Heads (1-16)', type: 'number', value: 4, group: 'Model' },
    { path: 'model.seqLen', label: 'Sequence length (8-512)', type: 'number', value: 64, group: 'Model' },
    { path: 'model.vocabSize', label: 'Vocabulary (0 = from the corpus)', type: 'number', value: 0, group: 'Model' },
    { path: 'dataset.kind', label: 'Dataset', type: 'select', options: ['bundled', 'path'], value: 'bundled',
      group: 'Data' },
    { path: 'dataset.path', label: 'Path (for kind "path": a UTF-8 text file every worker can read)', type: 'text',
      value: '', group: 'Data' },
    { path: 'steps', label: 'Steps (1-100000)', type: 'number', value: 10, group: 'Training' },
    { path: 'globalBatch', label: 'Global batch', type: 'number', value: 88, group: 'Training' },
    { path: 'learningRate', label: 'Learning rate (0, 1]', type: 'number', value: 0.003, step: 'any',
      group: 'Training' },
    { path: 'seed', label: 'Seed', type: 'number', value: 7, group: 'Training' },
    { path: 'hashEvery', label: 'Check replicas every N steps (0 = 10)', type: 'number', value: 10,
      group: 'Training' },
    { path: 'strategy', label: 'Strategy', type: 'select', options: ['sync-dp', 'diloco'], value: 'sync-dp',
      group: 'Parallelism' },
    { path: 'allocation', label: 'Allocation', type: 'select', options: ['balanced', 'equal'], value: 'balanced',
      group: 'Parallelism' },
    { path: 'sync.h', label: 'DiLoCo H: inner steps per outer round', type: 'number', value: 5, group: 'DiLoCo',
      diloco: true },
    { path: 'sync.codec', label: 'WAN codec', type: 'select', options: ['int8', 'int4', 'fp16', 'bf16', 'fp32'],
      value: 'int8', group: 'DiLoCo', diloco: true },
    { path: 'sync.outerLr', label: 'Outer learning rate (0, 10]', type: 'number', value: 0.7, step: 'any',
      group: 'DiLoCo', diloco: true },
    { path: 'sync.outerMomentum', label: 'Outer momentum [0, 1)', type: 'number', value: 0.9, step: 'any',
      group: 'DiLoCo', diloco: true },
    { path: 'devices', label: 'Devices (comma-separated ids; empty = all)', type: 'list', value: '',
      group: 'Placement' },
    { path: 'placement.datacenters', label: 'Only these datacenters (comma-separated)', type: 'list', value: '',
      group: 'Placement' },
    { path: 'placement.chips', label: 'Only these chips (comma-separated)', type: 'list', value: '',
      group: 'Placement' },
    { path: 'placement.minMemoryGb', label: 'Least device memory GB', type: 'number', value: '', step: 'any',
      group: 'Placement' },
    { path: 'placement.minDevices', label: 'At least N devices', type: 'number', value: '', group: 'Placement' },
    { path: 'placement.maxDevices', label: 'At most N devices', type: 'number', value: '', group: 'Placement' },
    { path: 'timeScale', label: 'Emulation time scale k (empty = calibrate)', type: 'number', value: '',
      step: 'any', group: 'Advanced' },
    { path: 'tenant', label: 'Tenant (empty = default)', type: 'text', value: '', group: 'Advanced' },
    { path: 'priority', label: 'Priority (-1000..1000)', type: 'number', value: '', group: 'Advanced' },
    { path: 'baselineFor', label: 'Equal-split baseline of job (id)', type: 'text', value: '', group: 'Advanced' }
  ];

  function fieldId(path) {
    return 'f-' + path.replace(/\./g, '-');
  }

  function submitPage(token) {
    const inputs = new Map();
    const groups = new Map();
    for (const f of FIELDS) {
      let input;
      if (f.type === 'select') {
        input = h('select', { id: fieldId(f.path), name: f.path }, f.options.map(o => h('option', { value: o,
          selected: o === f.value }, o)));
      } else {
        input = h('input', { id: fieldId(f.path), name: f.path, type: f.type === 'number' ? 'number' : 'text',
          step: f.step, value: f.value });
      }
      input.dataset.testid = `input-${f.path}`;
      inputs.set(f.path, input);
      const field = h('div', { class: 'field', 'data-field': f.path, testid: `field-${f.path}` },
        h('label', { for: input.id }, f.label), input,
        h('span', { class: 'field-error', id: `${fieldId(f.path)}-error`, testid: `error-${f.path}`,
          role: 'alert' }));
      if (f.diloco) {
        field.classList.add('diloco-only');
      }
      const g = f.group || 'Job';
      if (!groups.has(g)) {
        groups.set(g, h('fieldset', { 'data-group': g }, h('legend', {}, g)));
      }
      groups.get(g).append(field);
    }
    const errors = h('div', { id: 'submit-errors', testid: 'submit-errors', class: 'problem', role: 'alert',
      hidden: true });
    const button = h('button', { id: 'submit-job', testid: 'submit-job', type: 'submit' }, 'Submit job');
    const form = h('form', { id: 'submit-form', testid: 'submit-form', novalidate: true, class: 'submit-form' },
      [...groups.values()], h('div', { class: 'row' }, button));
    const toggleDiloco = () => {
      const on = inputs.get('strategy').value === 'diloco';
      form.querySelectorAll('.diloco-only').forEach(f => {
        f.hidden = !on;
      });
      groups.get('DiLoCo').hidden = !on;
    };
    inputs.get('strategy').addEventListener('change', toggleDiloco);
    toggleDiloco();

    form.addEventListener('submit', async e => {
      e.preventDefault();
      clearErrors(form, errors);
      button.disabled = true;
      try {
        const job = await api('/api/v1/jobs', { method: 'POST', body: buildSpec(inputs) });
        if (token === routeToken) {
          location.hash = `#/jobs/${job.id}`;
        }
      } catch (err) {
        if (!(err instanceof LoggedOut)) {
          showProblem(form, errors, err);
        }
      } finally {
        button.disabled = false;
      }
    });
    show(h('section', { id: 'submit-page', testid: 'submit-page' }, h('h2', {}, 'Submit a training job'),
      h('p', { class: 'muted' }, 'The defaults are the demo model on the bundled corpus. Errors come back from '
        + 'the job API, each next to its field.'),
      h('div', { class: 'submit-layout' }, form, errors)));
  }

  function value(inputs, path) {
    return inputs.get(path).value.trim();
  }

  /** The JobSpec JSON: blank optional fields are left out so the server's defaults and checks apply. */
  function buildSpec(inputs) {
    const numberAt = path => {
      const v = value(inputs, path);
      return v === '' ? undefined : Number(v);
    };
    const list = path => value(inputs, path).split(',').map(s => s.trim()).filter(Boolean);
    const spec = {
      name: value(inputs, 'name'),
      model: {
        layers: numberAt('model.layers'), dModel: numberAt('model.dModel'), heads: numberAt('model.heads'),
        seqLen: numberAt('model.seqLen'), vocabSize: numberAt('model.vocabSize')
      },
      dataset: value(inputs, 'dataset.kind') === 'path'
        ? { kind: 'path', path: value(inputs, 'dataset.path') || null }
        : { kind: 'bundled', name: 'grammar-en' },
      steps: numberAt('steps'),
      globalBatch: numberAt('globalBatch'),
      learningRate: numberAt('learningRate'),
      seed: numberAt('seed'),
      strategy: value(inputs, 'strategy'),
      allocation: value(inputs, 'allocation'),
      devices: list('devices'),
      hashEvery: numberAt('hashEvery')
    };
    if (spec.strategy === 'diloco') {
      spec.sync = { h: numberAt('sync.h'), codec: value(inputs, 'sync.codec'), outerLr: numberAt('sync.outerLr'),
        outerMomentum: numberAt('sync.outerMomentum') };
    }
    const placement = {
      datacenters: list('placement.datacenters'), chips: list('placement.chips'),
      minMemoryGb: numberAt('placement.minMemoryGb'), minDevices: numberAt('placement.minDevices'),
      maxDevices: numberAt('placement.maxDevices')
    };
    if (placement.datacenters.length || placement.chips.length || placement.minMemoryGb !== undefined
      || placement.minDevices !== undefined || placement.maxDevices !== undefined) {
      spec.placement = placement;
    }
    for (const [key, path] of [['timeScale', 'timeScale'], ['priority', 'priority']]) {
      const v = numberAt(path);
      if (v !== undefined) {
        spec[key] = v;
      }
    }
    if (value(inputs, 'tenant')) {
      spec.tenant = value(inputs, 'tenant');
    }
    if (value(inputs, 'baselineFor')) {
      spec.baselineFor = value(inputs, 'baselineFor');
    }
    return spec;
  }

  function clearErrors(form, summary) {
    form.querySelectorAll('.field').forEach(f => f.classList.remove('invalid'));
    form.querySelectorAll('.field-error').forEach(s => {
      s.textContent = '';
    });
    summary.replaceChildren();
    summary.hidden = true;
  }

  /** The form field a problem's field path belongs to: itself, else without [i], else its parent path. */
  function fieldFor(form, path) {
    const candidates = [path, path.replace(/\[\d+\]/g, '')];
    let p = path;
    while (p.includes('.')) {
      p = p.slice(0, p.lastIndexOf('.'));
      candidates.push(p);
    }
    for (const c of candidates) {
      const el = form.querySelector(`.field[data-field="${CSS.escape(c)}"]`);
      if (el) {
        return el;
      }
    }
    return null;
  }

  /** An RFC 9457 problem: its title and detail in the summary, each {field, message} next to its field. */
  function showProblem(form, summary, err) {
    const body = err instanceof ApiError ? err.body : null;
    const problem = body && typeof body === 'object' ? body : {};
    const list = Array.isArray(problem.errors) ? problem.errors.slice() : [];
    if (!list.length && problem.field) {
      list.push({ field: problem.field, message: problem.detail || 'is invalid' });
    }
    const items = list.map(x => {
      const field = fieldFor(form, x.field || '');
      if (field) {
        field.classList.add('invalid');
        const slot = field.querySelector('.field-error');
        slot.textContent = slot.textContent ? `${slot.textContent}; ${x.message}` : `${x.field}: ${x.message}`;
      }
      return h('li', { 'data-field': x.field }, h('code', {}, x.field), ' ', x.message);
    });
    summary.replaceChildren(
      h('h3', {}, problem.title || 'The job was not accepted'),
      h('p', {}, err instanceof ApiError ? `HTTP ${err.status}${problem.detail ? ': ' + problem.detail : ''}`
        : err.message),
      items.length ? h('ul', {}, items) : null);
    summary.hidden = false;
    const first = form.querySelector('.field.invalid input, .field.invalid select');
    if (first) {
      first.focus();
    }
  }

  // ---------------------------------------------------------------- start

  window.addEventListener('hashchange', render);
  document.addEventListener('DOMContentLoaded', () => {
    document.getElementById('nav-logout').addEventListener('click', logout);
    render();
  });
})();
