/*
 * CrossTrain web UI: a single page with hash routes (#/login, #/cluster, #/jobs, #/jobs/<id>, #/submit, #/about).
 * Every /api request carries "Authorization: Bearer <key>" with the key kept in sessionStorage; a 401 sends the
 * user back to the login page with a message. Live pages poll (EventSource cannot send the header).
 *
 * The UI is plain scripts loaded in order by index.html (no bundler, no modules), sharing one namespace, window.Ct:
 *   core.js    DOM helpers, the API client, routing and polling, login and the about page (this file)
 *   plan.js    a job's plan: datacenter layouts, pipeline stages, the per-device table
 *   cluster.js the cluster page
 *   jobs.js    the jobs list and a job's page
 *   model.js   a job's checkpoints, the model download and sampling ("Try the model")
 *   submit.js  the submit form
 * Each page file registers its page in Ct.pages; the router below calls it when its route is shown.
 */
'use strict';

window.Ct = window.Ct || {};

(Ct => {
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

  /** Fetches a file with the API key (a plain link cannot send it) and saves it as `filename`. */
  async function download(path, filename) {
    const key = apiKey();
    if (!key) {
      toLogin('Log in with an API key first.');
      throw new LoggedOut();
    }
    const response = await fetch(path, { headers: { Authorization: `Bearer ${key}` }, cache: 'no-store' });
    if (response.status === 401) {
      sessionStorage.removeItem(KEY_STORE);
      toLogin('The API key was refused (HTTP 401). Log in again.');
      throw new LoggedOut();
    }
    if (!response.ok) {
      const text = await response.text();
      let data = text;
      try {
        data = JSON.parse(text);
      } catch (e) {
        // not a problem document: show the text
      }
      throw new ApiError(response.status, data);
    }
    const url = URL.createObjectURL(await response.blob());
    const a = h('a', { href: url, download: filename, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  // ---------------------------------------------------------------- routing and polling

  let routeToken = 0;
  let timers = [];

  function stopTimers() {
    timers.forEach(t => clearTimeout(t));
    timers = [];
  }

  /** Whether the route a page was rendered for (its token) is still the one shown. */
  function isCurrent(token) {
    return token === routeToken;
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

  /** Pages by route, each `(token, ...args)`; cluster.js, jobs.js and submit.js register theirs. */
  const pages = {};

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
        return pages.cluster(token);
      case 'submit':
        return pages.submit(token);
      case 'jobs':
        return parts[1] ? pages.job(token, decodeURIComponent(parts[1])) : pages.jobs(token);
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

  // ---------------------------------------------------------------- shared with the page files

  Object.assign(Ct, {
    POLL_MS, CLUSTER_POLL_MS, TERMINAL, EMULATED,
    h, svg, num, bytes, when, modeTag, stateBadge, progressBar,
    ApiError, LoggedOut, api, download, poll, isCurrent, show, pages
  });

  // ---------------------------------------------------------------- start

  // every script is deferred: the page files have registered their pages before DOMContentLoaded
  window.addEventListener('hashchange', render);
  document.addEventListener('DOMContentLoaded', () => {
    document.getElementById('nav-logout').addEventListener('click', logout);
    render();
  });
})(window.Ct);
