/*
 * CrossTrain web UI, the jobs list (#/jobs) and a job's page (#/jobs/<id>): state, progress, cancel, the loss,
 * throughput and busy charts, the report's efficiency and WAN figures with, for pipelined replicas, the measured
 * bubble and each stage's busy fraction (drawn by plan.js), the plan (plan.js), the history, and for a suspended
 * job a Resume button; checkpoints and "Try the model" come from model.js.
 * Needs core.js, charts.js, plan.js and model.js.
 */
'use strict';

(Ct => {
  const { POLL_MS, TERMINAL, EMULATED, h, svg, num, bytes, when, modeTag, stateBadge, progressBar, ApiError,
    LoggedOut, api, poll, isCurrent, show } = Ct;

  // ---------------------------------------------------------------- jobs list

  function jobsPage(token) {
    const filter = h('select', { id: 'job-filter', testid: 'job-filter', onchange: () => refresh() },
      h('option', { value: '' }, 'all states'),
      ['PENDING', 'SCHEDULED', 'RUNNING', 'RECOVERING', 'SUSPENDED', 'CANCELLING', 'SUCCEEDED', 'FAILED',
        'CANCELLED']
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
      if (!isCurrent(token)) {
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
      resume: h('button', { id: 'resume-job', testid: 'resume-job', type: 'button', hidden: true },
        'Resume from the last checkpoint'),
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
    const model = Ct.model.panel(id);
    show(h('section', { id: 'job-page', testid: 'job-page', 'data-job-id': id },
      h('p', {}, h('a', { href: '#/jobs' }, '← all jobs')),
      h('div', { class: 'row' }, el.title, el.state, el.resume, el.cancel),
      el.reason, el.progress, el.cancelMessage, el.error,
      h('div', { class: 'grid' },
        h('figure', { class: 'card' }, h('h3', {}, 'Loss'), el.lossChart, el.lossCaption),
        h('figure', { class: 'card' }, h('h3', {}, 'Throughput per device'), el.throughputChart,
          el.throughputCaption, h('h3', {}, 'Busy fraction per device'), el.busyChart, el.busyCaption)),
      h('section', { class: 'card' }, h('h3', {}, 'Efficiency and WAN'), el.efficiency),
      ...model.cards,
      h('section', { class: 'card' }, h('h3', {}, 'Plan: how each datacenter is laid out, which device got which '
        + 'batch and which layers'), el.plan),
      h('section', { class: 'card' }, h('h3', {}, 'History'), el.history)));

    const metrics = new Map();
    let job = null;
    let planVersion = null;
    let tick = 0;
    let afterEnd = 0;

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

    el.resume.addEventListener('click', async () => {
      el.resume.disabled = true;
      try {
        await api(`/api/v1/jobs/${id}/resume`, { method: 'POST' });
        el.cancelMessage.textContent = 'Resume requested: the scheduler places the job again from its last '
          + 'checkpoint (RECOVERING once it has devices).';
        el.cancelMessage.className = 'message';
      } catch (e) {
        if (!(e instanceof LoggedOut)) {
          el.cancelMessage.textContent = `Resume failed: ${e.message}`;
          el.cancelMessage.className = 'message error';
          el.resume.disabled = false;
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
      el.resume.hidden = j.state !== 'SUSPENDED';
      el.resume.disabled = el.resume.hidden;
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
      const staged = devices.some(d => d.layers);
      CtCharts.bars(el.throughputChart, devices.map(d => ({
        label: `${d.id} (${d.chip}${d.layers ? `, layers ${d.layers}` : ''})`, value: d.samplesPerSec,
        cls: `dc-${d.datacenter}` })), { unit: 'samples/s', barTestId: 'throughput-bar' });
      el.throughputCaption.replaceChildren(mode === EMULATED
        ? `Each device's paced speed: its emulated chip's speed as the pacing sets it (Σ batch ÷ Σ busy time over `
          + `the measurement window, the busy time paced to the chip); batch per step in the plan table`
        : `Each device's measured speed (Σ batch ÷ Σ busy time over the measurement window), batch per step in `
          + `the plan table`,
      staged ? '; a pipeline stage shows the whole-model speed of the chip it stands for, as it reports it' : '',
      ' ', modeTag(mode));
      CtCharts.bars(el.busyChart, devices.map(d => ({ label: d.id, value: Number.isFinite(d.busyFraction)
        ? d.busyFraction * 100 : null, cls: `dc-${d.datacenter}` })), { unit: '% busy', max: 100,
        barTestId: 'busy-bar' });
      el.busyCaption.replaceChildren('Σ busy time ÷ window wall time', ' ', modeTag(mode));
      const e = r.efficiency || {};
      const w = r.wan || {};
      const pipelined = (r.layouts || []).some(l => (l.replicas || []).some(x => (x.stages || []).length > 1));
      const percent = Ct.plan.percent;
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
          + ' steps compared)' + replicaGroups(r.replicas) : 'n/a', 'replicas'),
        pipelined || (r.bubbleFraction !== null && r.bubbleFraction !== undefined)
          ? row('pipeline bubble: measured (replica with the longest step: 1 − its busiest stage\'s busy fraction) '
            + '/ predicted (planner)', `${percent(r.bubbleFraction)} / ${percent(e.predictedBubbleFraction)}`,
          'bubble') : null,
        row('emulation time scale k', r.emulation ? num(r.emulation.timeScale) : 'not emulated', 'time-scale'),
        r.emulation ? row('emulation memory scale', num(r.emulation.memoryScale ?? 1), 'memory-scale') : null)),
      ...Ct.plan.measured(r),
      h('p', { class: 'muted small' }, `strategy ${r.strategy}, allocation ${r.allocation}, mode `, modeTag(mode),
        `, window ${e.windowSteps} steps after ${e.warmupSteps} warm-up steps`));
    }

    /** Per parameter range when stages hash their own range: "; whole yes, layers 0-2 no, …". */
    function replicaGroups(replicas) {
      const groups = replicas.groups || [];
      if (groups.length < 2 && !groups.some(g => g.range !== 'whole')) {
        return '';
      }
      return '; ' + groups.map(g => `${g.range} ${g.checkedSteps ? (g.identical ? 'yes' : 'no') : 'not compared'}`)
        .join(', ');
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
      el.plan.replaceChildren(...Ct.plan.view(plan));
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
      if (!isCurrent(token)) {
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
        await Promise.all([refreshReport(), refreshHistory(), model.refresh()]);
      }
      tick++;
      if (done) {
        // a finished job changes no more: one last full refresh above; only its last checkpoint, written after
        // the last step, may still come
        poll(token, async () => {
          await model.refresh();
          return ++afterEnd < CHECKPOINT_POLLS_AFTER_END;
        }, POLL_MS);
      }
      return !done;
    }, POLL_MS);
  }

  /** How many more times (every POLL_MS) a finished job's checkpoints are looked for. */
  const CHECKPOINT_POLLS_AFTER_END = 15;

  Ct.pages.jobs = jobsPage;
  Ct.pages.job = jobPage;
})(window.Ct);
