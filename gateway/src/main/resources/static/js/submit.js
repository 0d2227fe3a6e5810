/*
 * CrossTrain web UI, the submit form (#/submit): a JobSpec from the form; the job API's problem+json errors are
 * shown next to their fields and summed up beside the form. Needs core.js.
 */
'use strict';

(Ct => {
  const { h, ApiError, LoggedOut, api, isCurrent, show } = Ct;

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
        if (isCurrent(token)) {
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

  Ct.pages.submit = submitPage;
})(window.Ct);
