/*
 * CrossTrain web UI, a job's plan (GET /api/v1/jobs/{id}/plan, the Plan contract): a summary line, per datacenter
 * its layout (stages per replica, replicas, micro-batch, step, bubble, η against the equal-layer split and
 * data-parallel only), each pipelined replica's stages in order (device, chip, layers, parameters, memory against
 * capacity), and the per-device table. Plans made before pipelines carry no layouts, replicas or stages: every
 * device is then a whole replica. Also the report's measured side of the same layout (`measured`): per stage its
 * busy fraction, per replica its bubble next to the predicted one. Needs core.js.
 */
'use strict';

(Ct => {
  const { EMULATED, h, num, bytes, modeTag } = Ct;

  const GB = 1e9; // the planner counts memory in decimal GB (ChipSpec.memoryBytes = memoryGb · 1e9)

  function present(v) {
    return v !== null && v !== undefined && Number.isFinite(Number(v));
  }

  function percent(fraction) {
    return present(fraction) ? `${num(Number(fraction) * 100, 1)} %` : 'n/a';
  }

  /** A parameter count as 1.23 M, 45.6 k, … */
  function count(n) {
    if (!present(n)) {
      return 'n/a';
    }
    const v = Number(n);
    for (const [unit, scale] of [['B', 1e9], ['M', 1e6], ['k', 1e3]]) {
      if (Math.abs(v) >= scale) {
        return `${(v / scale).toFixed(2)} ${unit}`;
      }
    }
    return String(v);
  }

  /** A figure of the plan with its mode tag; n/a carries none, as it is no figure. */
  function figure(text, mode) {
    return text === 'n/a' ? [text] : [text, ' ', modeTag(mode)];
  }

  /** PlanDevice.staged(): one stage of a replica that spans several devices. */
  function staged(d) {
    return !!d.stage && d.stage.stages > 1;
  }

  /** PlanDevice.replicaOrSelf(). */
  function replicaOf(d) {
    return d.replica || d.deviceId;
  }

  function layerCount(s) {
    return s.lastLayer - s.firstLayer + 1;
  }

  function layerRange(s) {
    const n = layerCount(s);
    return `${s.firstLayer}–${s.lastLayer} (${n} layer${n === 1 ? '' : 's'})`;
  }

  /** A scale factor as written: 0.5, 0.05, 2. */
  function factor(v) {
    return String(Number(Number(v).toPrecision(3)));
  }

  function memoryScaleOf(plan) {
    return present(plan.memoryScale) ? Number(plan.memoryScale) : 1;
  }

  /**
   * The plan's layouts, one per datacenter in datacenter order; a datacenter the plan has devices in but no layout
   * for (every datacenter of a plan made before pipelines) gets one read off its devices, marked `derived`.
   */
  function layoutsOf(plan, devices) {
    const out = (plan.layouts || []).map(l => Object.assign({ derived: false }, l));
    const dcs = [...new Set([...(plan.datacenters || []), ...devices.map(d => d.datacenter)])];
    for (const dc of dcs) {
      if (out.some(l => l.datacenter === dc)) {
        continue;
      }
      const mine = devices.filter(d => d.datacenter === dc);
      if (!mine.length) {
        continue;
      }
      out.push({ datacenter: dc, derived: true, replicas: new Set(mine.map(replicaOf)).size,
        stages: Math.max(1, ...mine.map(d => (d.stage ? d.stage.stages : 1))), idle: [] });
    }
    return out.sort((a, b) => String(a.datacenter).localeCompare(String(b.datacenter)));
  }

  function stagesText(l) {
    return l.stages > 1 ? `${l.stages} stages` : 'whole replicas';
  }

  /** An alternative layout's η, or why it does not fit, or why there is none. */
  function alternative(eta, problem, none, mode) {
    if (present(eta)) {
      return figure(num(eta), mode);
    }
    if (problem) {
      return h('span', { class: 'does-not-fit', title: problem }, `does not fit: ${problem}`);
    }
    return h('span', { class: 'muted' }, none);
  }

  function layoutTable(layouts, mode) {
    const rows = layouts.map(l => {
      const pipelined = l.stages > 1;
      const idle = l.idle || [];
      return h('tr', { testid: 'layout-row', 'data-datacenter': l.datacenter, 'data-stages': l.stages,
        'data-replicas': l.replicas },
      h('th', { scope: 'row' }, l.datacenter),
      h('td', { testid: 'layout-stages' }, stagesText(l)),
      h('td', { class: 'num' }, l.replicas),
      h('td', { class: 'num' }, pipelined && l.microBatchSize > 0 ? l.microBatchSize : '—'),
      h('td', { class: 'num' }, l.derived ? 'n/a' : figure(num(l.stepSeconds), mode)),
      h('td', { class: 'num' }, l.derived ? 'n/a' : figure(percent(l.bubbleFraction), mode)),
      h('td', { class: 'num', testid: 'layout-eta' }, l.derived ? 'n/a' : figure(num(l.eta), mode)),
      h('td', { class: 'num alt' }, l.derived ? 'n/a'
        : alternative(l.equalLayersEta, l.equalLayersProblem, 'not pipelined', mode)),
      h('td', { class: 'num alt' }, l.derived ? 'n/a'
        : alternative(l.dataParallelEta, l.dataParallelProblem, 'n/a', mode)),
      h('td', {}, idle.length ? idle.join(', ') : '—'));
    });
    const derived = layouts.some(l => l.derived);
    return [
      h('table', { id: 'layout-table', testid: 'layout-table', class: 'layouts' },
        h('thead', {}, h('tr', {}, ['Datacenter', 'Stages per replica', 'Replicas', 'Micro-batch',
          'Predicted step (chip s)', 'Bubble', 'η', 'η, layers split evenly', 'η, data-parallel only',
          'Idle devices'].map(t => h('th', {}, t)))),
        h('tbody', {}, rows)),
      h('p', { class: 'muted small' }, 'Per datacenter: its slowest replica\'s step in chip seconds and the share '
        + 'of it the bottleneck stage waits (bubble); η is its samples/s ÷ its devices\' whole-model speeds, next to '
        + 'the same replicas with the layers split evenly and every device a whole replica.',
      derived ? ' This plan was made before pipelines: every device is a whole replica and the plan states no '
        + 'layout figures.' : '')
    ];
  }

  /** A bar per replica, one segment per stage as wide as its share of the layers. */
  function layerStrip(stageDevices) {
    return h('div', { class: 'layer-strip', testid: 'layer-strip', role: 'img',
      'aria-label': stageDevices.map(d => `${d.chip}: ${layerRange(d.stage)}`).join('; ') },
    stageDevices.map(d => h('span', { class: `layer-seg seg-${d.stage.index % 4}`,
      style: `flex-grow:${layerCount(d.stage)}`, title: `${d.deviceId} (${d.chip}): layers ${layerRange(d.stage)}` },
    `${d.chip} · ${layerCount(d.stage)}`)));
  }

  function stageRow(d, mode, scale) {
    const s = d.stage;
    const holds = [s.index === 0 ? 'embeddings' : null, s.index === s.stages - 1 ? 'final norm, head, loss' : null]
      .filter(Boolean);
    const emulated = mode === EMULATED;
    const memory = present(s.memoryBytes) && present(s.capacityBytes)
      ? [`${num(s.memoryBytes / GB, 2)} of ${num(s.capacityBytes / GB, 2)} GB${emulated ? ' emulated memory' : ''}`,
        s.capacityBytes > 0 ? ` (${percent(s.memoryBytes / s.capacityBytes)})` : '',
        scale !== 1 ? `, memory scale ${factor(scale)}` : '', ' ', modeTag(mode)]
      : ['n/a'];
    const params = present(s.parameterCount)
      ? figure(count(s.parameterCount), null)
      : [h('span', { class: 'muted', title: 'the plan was made without the model\'s vocabulary: the workers derive '
        + 'the range from the layers' }, 'n/a')];
    return h('tr', { testid: 'stage-row', 'data-device': d.deviceId, 'data-stage': s.index,
      'data-first-layer': s.firstLayer, 'data-last-layer': s.lastLayer },
    h('td', { class: 'num' }, `${s.index + 1} / ${s.stages}`),
    h('td', {}, d.deviceId, holds.length ? h('div', { class: 'muted small' }, `+ ${holds.join('; ')}`) : null),
    h('td', {}, d.chip),
    h('td', { class: 'num', testid: 'stage-layers' }, layerRange(s)),
    h('td', { class: 'num', title: present(s.parameterOffset) ? `from parameter ${s.parameterOffset}` : null },
      params),
    h('td', { class: 'num', testid: 'stage-memory' }, memory));
  }

  function replicaBlock(id, stageDevices, mode, scale) {
    const first = stageDevices[0];
    const s = first.stage;
    return h('div', { class: 'replica', testid: 'replica', 'data-replica': id },
      h('h5', {}, `Replica ${id}`, ' ', h('span', { class: 'muted' }, `batch ${first.batch} per step as `
        + `${first.microBatches} micro-batch${first.microBatches === 1 ? '' : 'es'} of at most ${s.microBatchSize}; `
        + `${stageDevices.length} stages`)),
      layerStrip(stageDevices),
      h('table', { class: 'stages' },
        h('thead', {}, h('tr', {}, ['Stage', 'Device', 'Chip', 'Layers', 'Parameters',
          mode === EMULATED ? 'Emulated memory: need of capacity' : 'Memory: need of capacity']
          .map(t => h('th', {}, t)))),
        h('tbody', {}, stageDevices.map(d => stageRow(d, mode, scale)))));
  }

  /** Each pipelined datacenter's replicas, in rank order, each with its stages in order. */
  function pipelines(layouts, devices, mode, scale) {
    const out = [];
    for (const l of layouts) {
      const mine = devices.filter(d => d.datacenter === l.datacenter && staged(d));
      if (!mine.length) {
        continue;
      }
      const replicas = new Map();
      mine.forEach(d => {
        const id = replicaOf(d);
        if (!replicas.has(id)) {
          replicas.set(id, []);
        }
        replicas.get(id).push(d);
      });
      out.push(h('section', { class: 'pipeline', testid: 'pipeline', 'data-datacenter': l.datacenter },
        h('h4', {}, `${l.datacenter}: ${replicas.size} replica${replicas.size === 1 ? '' : 's'} of `
          + `${stagesText(l)}`),
        [...replicas.entries()].map(([id, list]) => replicaBlock(id,
          list.slice().sort((a, b) => a.stage.index - b.stage.index), mode, scale))));
    }
    if (!out.length) {
      return [];
    }
    return [h('h4', {}, 'Pipelined replicas: which device holds which layers'), ...out,
      h('p', { class: 'muted small' }, 'Memory: what a stage needs (its state plus the activations in flight) '
        + 'against what its device holds for it, the usable share of its chip\'s memory',
      mode === EMULATED ? `; the chips are emulated, so this is emulated memory: the chip's memory GB × the memory `
        + `scale ${factor(scale)}` : '', '.', ' ', modeTag(mode))];
  }

  function deviceTable(devices, mode) {
    return h('table', { id: 'plan-table', testid: 'plan-table' },
      h('thead', {}, h('tr', {}, ['Rank', 'Device', 'Datacenter', 'Chip', 'Replica', 'Stage / Layers', 'Batch',
        'Micro-batches', 'Planned chip samples/s', 'Paced step s'].map(t => h('th', {}, t)))),
      h('tbody', {}, devices.map(d => h('tr', { testid: 'plan-row', 'data-device': d.deviceId,
        'data-replica': replicaOf(d) },
      h('td', { class: 'num' }, d.rank), h('td', {}, d.deviceId), h('td', {}, d.datacenter),
      h('td', {}, d.chip), h('td', { testid: 'plan-replica' }, replicaOf(d)),
      h('td', { testid: 'plan-stage' }, staged(d)
        ? `${d.stage.index + 1} / ${d.stage.stages}: layers ${layerRange(d.stage)}` : 'whole model'),
      h('td', { class: 'num', testid: 'plan-batch' }, d.batch),
      h('td', { class: 'num' }, d.microBatches), h('td', { class: 'num' }, num(d.chipSamplesPerSec, 1), ' ',
        modeTag(mode)), h('td', { class: 'num' }, num(d.pacedStepSeconds), ' ', modeTag(mode))))));
  }

  /** The plan view's nodes, for the job page's plan card. */
  function view(plan) {
    const mode = plan.mode;
    const p = plan.predicted || {};
    const devices = (plan.devices || []).slice().sort((a, b) => a.rank - b.rank);
    const scale = memoryScaleOf(plan);
    const layouts = layoutsOf(plan, devices);
    return [
      h('p', {}, `version ${plan.planVersion}, ${plan.strategy}, ${plan.allocation}, from step `
        + `${plan.startStep ?? 1}: ${plan.reason || ''}; global batch ${plan.globalBatch}, time scale k `
        + `${plan.timeScale === null || plan.timeScale === undefined ? 'n/a' : num(plan.timeScale)}`
        + `${scale !== 1 ? `, memory scale ${factor(scale)}` : ''}; predicted `
        + `η ${num(p.eta)} (equal split ${num(p.equalSplitEta)}), step ${num(p.stepSeconds)} s, `
        + `${present(p.bubbleFraction) ? `bubble ${percent(p.bubbleFraction)}, ` : ''}`
        + `WAN ${bytes(p.wanBytesPerStep)}/step `, modeTag(mode)),
      h('h4', {}, 'Layout per datacenter'),
      ...layoutTable(layouts, mode),
      ...pipelines(layouts, devices, mode, scale),
      h('h4', {}, 'Devices'),
      deviceTable(devices, mode)
    ];
  }

  /**
   * The report's measured pipeline figures (GET /api/v1/jobs/{id}/report, not the plan): per pipelined replica its
   * measured bubble next to the planner's, and per stage its device's measured busy fraction over the report's
   * window. Nothing for a run without pipelines.
   */
  function measured(report) {
    const mode = report.mode;
    const e = report.efficiency || {};
    const layouts = (report.layouts || []).filter(l => (l.replicas || []).some(r => (r.stages || []).length > 1));
    if (!layouts.length) {
      return [];
    }
    const rows = [];
    for (const l of layouts) {
      for (const rep of l.replicas.filter(r => (r.stages || []).length > 1)) {
        rep.stages.forEach((s, i) => {
          const memory = present(s.memoryBytes) && present(s.capacityBytes)
            ? `${num(s.memoryBytes / GB, 2)} of ${num(s.capacityBytes / GB, 2)} GB` : 'n/a';
          rows.push(h('tr', { testid: 'stage-busy-row', 'data-datacenter': l.datacenter, 'data-replica': rep.id,
            'data-device': s.device, 'data-stage': s.index },
          i === 0 ? h('th', { scope: 'row', rowspan: rep.stages.length },
            `${l.datacenter} / ${rep.id}`,
            h('div', { class: 'small', testid: 'replica-bubble' }, 'bubble ',
              figure(percent(rep.bubbleFraction), mode)),
            h('div', { class: 'muted small' }, `predicted ${percent(l.predictedBubbleFraction)} (${l.datacenter}'s `
              + 'slowest replica)')) : null,
          h('td', { class: 'num' }, `${s.index + 1} / ${rep.stages.length}`),
          h('td', {}, s.device),
          h('td', {}, s.chip),
          h('td', { class: 'num' }, present(s.firstLayer) && present(s.lastLayer) ? layerRange(s) : 'n/a'),
          h('td', { class: 'num' }, figure(memory, mode)),
          h('td', { class: 'num', testid: 'stage-busy' }, figure(percent(s.busyFraction), mode)),
          h('td', { class: 'num' }, figure(present(s.busyFraction) ? percent(1 - s.busyFraction) : 'n/a', mode))));
        });
      }
    }
    return [
      h('h4', {}, 'Pipeline stages, measured over the window'),
      h('p', { testid: 'bubble-summary' }, `Bubble: measured ${percent(report.bubbleFraction)} (the pipelined `
        + `replica with the longest step), predicted ${percent(e.predictedBubbleFraction)} (planner, slowest `
        + 'replica) ', modeTag(mode)),
      h('table', { id: 'stage-busy-table', testid: 'stage-busy-table', class: 'stages' },
        h('thead', {}, h('tr', {}, ['Replica', 'Stage', 'Device', 'Chip', 'Layers',
          mode === EMULATED ? 'Emulated memory: need of capacity' : 'Memory: need of capacity', 'Busy', 'Idle']
          .map(t => h('th', {}, t)))),
        h('tbody', {}, rows)),
      h('p', { class: 'muted small' }, 'Busy: Σ busy time of the stage\'s device (its micro-batches\' forwards and '
        + 'backwards) ÷ the window\'s wall time; idle = 1 − busy, the pipeline bubble and the waiting for the other '
        + 'stages and replicas. A replica\'s bubble is 1 − the busy fraction of its busiest stage.')
    ];
  }

  Ct.plan = { view, measured, percent };
})(window.Ct);
