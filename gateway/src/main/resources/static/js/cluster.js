/*
 * CrossTrain web UI, the cluster page (#/cluster): datacenters, their devices by chip with health and speed against
 * the catalogue's peak, the chip catalogue and the measured throughput profiles. Needs core.js.
 */
'use strict';

(Ct => {
  const { CLUSTER_POLL_MS, EMULATED, h, num, when, modeTag, api, poll, isCurrent, show } = Ct;


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
      if (!isCurrent(token)) {
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

  Ct.pages.cluster = clusterPage;
})(window.Ct);
