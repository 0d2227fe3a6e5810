/*
 * CrossTrain web UI, a job page's checkpoints and "Try the model" box: the complete checkpoints (step, size, upload
 * time), a download of the newest one's model (a zip of model.safetensors, config.json and vocab.json), and text
 * sampled from it on job-api's CPU. Needs core.js; jobs.js puts the cards on the job page.
 */
'use strict';

(Ct => {
  const { h, num, bytes, when, api, download, ApiError, LoggedOut } = Ct;

  /** The two cards of job `id`; `refresh()` reloads the checkpoint list (the page polls it). */
  function panel(id) {
    const list = h('div', { id: 'checkpoints', testid: 'checkpoints' }, h('p', { class: 'muted' }, 'none yet'));
    const prompt = h('input', { id: 'generate-prompt', testid: 'generate-prompt', value: 'The ', maxlength: 10000 });
    const maxTokens = h('input', { id: 'generate-max-tokens', testid: 'generate-max-tokens', type: 'number',
      min: 1, max: 2000, value: 200 });
    const temperature = h('input', { id: 'generate-temperature', testid: 'generate-temperature', type: 'number',
      min: 0.05, max: 5, step: 0.05, value: 0.8 });
    const button = h('button', { id: 'generate-button', testid: 'generate-button', type: 'button', disabled: true },
      'Generate');
    const output = h('pre', { id: 'generate-output', testid: 'generate-output', class: 'generated' });
    const message = h('p', { id: 'generate-message', class: 'message', role: 'status' },
      'Sampling needs a checkpoint; the first one is written after checkpoint.every steps.');
    const link = h('a', { id: 'model-download', testid: 'model-download', href: `/api/v1/jobs/${id}/model`,
      hidden: true }, 'Download the model (zip: model.safetensors, config.json, vocab.json)');
    let newest = null;

    // a plain link would not carry the API key: fetch with it and hand the browser the file
    link.addEventListener('click', async e => {
      e.preventDefault();
      try {
        await download(link.getAttribute('href'), `crosstrain-${id}-step-${newest ? newest.step : 'latest'}.zip`);
      } catch (err) {
        if (!(err instanceof LoggedOut)) {
          message.textContent = `Download failed: ${err.message}`;
          message.className = 'message error';
        }
      }
    });

    button.addEventListener('click', async () => {
      button.disabled = true;
      message.textContent = 'Sampling on job-api\'s CPU…';
      message.className = 'message';
      try {
        const r = await api(`/api/v1/jobs/${id}/generate`, { method: 'POST', body: {
          prompt: prompt.value, maxTokens: Number(maxTokens.value), temperature: Number(temperature.value) } });
        output.textContent = r.text;
        message.textContent = `${r.text.length} characters from the checkpoint of step ${r.step} (${r.mode}, `
          + `seed ${r.seed}; the same seed gives the same text)`;
      } catch (err) {
        if (!(err instanceof LoggedOut)) {
          message.textContent = `Generate failed: ${problem(err)}`;
          message.className = 'message error';
        }
      } finally {
        button.disabled = newest === null;
      }
    });

    async function refresh() {
      let checkpoints;
      try {
        checkpoints = await api(`/api/v1/jobs/${id}/checkpoints`);
      } catch (e) {
        if (e instanceof ApiError) {
          return;
        }
        throw e;
      }
      newest = checkpoints.length ? checkpoints[checkpoints.length - 1] : null;
      button.disabled = newest === null;
      link.hidden = newest === null;
      if (newest && message.textContent.startsWith('Sampling needs')) {
        message.textContent = '';
      }
      list.replaceChildren(checkpoints.length ? table(checkpoints)
        : h('p', { class: 'muted' }, 'none yet: a checkpoint is listed once every shard of it is stored'));
    }

    const cards = [
      h('section', { class: 'card', id: 'try-model', testid: 'try-model' }, h('h3', {}, 'Try the model'),
        h('div', { class: 'generate-form' },
          h('label', { for: 'generate-prompt' }, 'Prompt', prompt),
          h('label', { for: 'generate-max-tokens' }, 'Max tokens', maxTokens),
          h('label', { for: 'generate-temperature' }, 'Temperature', temperature),
          button),
        message, output, h('p', {}, link)),
      h('section', { class: 'card' }, h('h3', {}, 'Checkpoints'), list)
    ];
    return { cards, refresh };
  }

  function table(checkpoints) {
    return h('table', { id: 'checkpoints-table', testid: 'checkpoints-table' },
      h('thead', {}, h('tr', {}, ['Step', 'Plan', 'Size', 'Upload', 'Pause', 'Written', 'Where']
        .map(t => h('th', {}, t)))),
      h('tbody', {}, checkpoints.map(c => h('tr', { testid: 'checkpoint-row', 'data-step': c.step },
        h('td', { class: 'num' }, c.step),
        h('td', { class: 'num' }, `v${c.planVersion}`),
        h('td', { class: 'num' }, bytes(c.bytes)),
        h('td', { class: 'num' }, `${num(c.uploadMillis, 0)} ms`),
        h('td', { class: 'num' }, `${num(c.pauseMillis, 0)} ms`),
        h('td', {}, when(c.createdAt)),
        h('td', { class: 'small muted' }, c.location)))));
  }

  /** A problem's field errors ("maxTokens: must be …"), else its message. */
  function problem(err) {
    const errors = err.body && Array.isArray(err.body.errors) ? err.body.errors : [];
    return errors.length ? errors.map(e => `${e.field}: ${e.message}`).join('; ') : err.message;
  }

  Ct.model = { panel };
})(window.Ct);
