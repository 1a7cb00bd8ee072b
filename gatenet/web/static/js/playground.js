// The playground: train a network on a truth table and watch it learn. The server trains with gatenet's own
// trainer and streams every update (server-sent events, about 25 a second: step, loss, accuracy, weights);
// the page redraws the learning curve, the network with a heat map per neuron, and the decision surface or
// the rows. A logic network (kind logic) streams instead the gate each node leans to and how sure it is, for
// the restart that is best now, and ends with the circuit it learned (logic-view.js). At the end the server
// exports, verifies and commits the model as `gatenet train` would, and it joins the gallery. The settings live in the URL (#playground?gate=XOR&...), so a link shares them.
import { learningCurve } from './curve.js';
import { count, h, loadJSON } from './dom.js';
import { LogicPicture } from './logic-view.js';
import { Picture } from './picture.js';
import { SettingsForm, bitsOfSettings, fromQuery, requestOf, toQuery } from './playground-form.js';

const GAP_MS = 500; // updates further apart than this are a pause, not the rate

/** Show the playground in `view`, its settings from `query`; returns `leave()`, to call when the page moves
 * on, and `busy()`, whether a training of this page is under way. */
export function showPlayground(view, { api, query, onModels, report }) {
  if (!api) {
    view.replaceChildren(h('div', { class: 'card' }, h('h2', {}, 'The playground needs gatenet serve'),
      h('p', {}, 'This is a static copy of the gallery: models run in your browser, but nothing can train here. Run ',
        h('code', {}, 'gatenet serve'), ' to train networks from the page.')));
    return null;
  }
  const playground = new Playground(query, onModels);
  view.replaceChildren(playground.element);
  playground.start().catch(report);
  return { leave: () => playground.leave(), busy: () => playground.active() };
}

class Playground {
  constructor(query, onModels) {
    this.query = query;
    this.onModels = onModels;
    this.session = null;
    this.sending = false; // a Train request is on its way: the server may still be loading TensorFlow
    this.left = false;
    // This page's id: the server runs one training per page at a time, however often Train is pressed.
    this.page = Array.from(crypto.getRandomValues(new Uint8Array(12)), (byte) => byte.toString(16).padStart(2, '0')).join('');
    this.element = h('article', { class: 'playground', 'data-state': 'idle', 'aria-busy': 'true' },
      h('header', { class: 'model-head' }, h('div', {},
        h('h2', {}, 'Playground'),
        h('p', { class: 'description' }, 'Train a small network, or a network of logic gates, on a truth table and watch it learn, step by step.'))),
      h('p', { class: 'muted' }, 'Loading…'));
  }

  async start() {
    const offer = await loadJSON('api/playground');
    if (this.left) return;
    this.offer = offer;
    const { settings, note } = fromQuery(this.query, offer);
    this.settings = settings;
    this.form = new SettingsForm(offer, this.settings, () => this.remember());
    const button = (label, action, extra = {}) => h('button', { type: 'button', class: 'button', 'data-action': action, onclick: () => this.act(action), ...extra }, label);
    this.buttons = {
      train: button('Train', 'train', { class: 'button primary' }),
      pause: button('Pause', 'pause', { 'aria-pressed': 'false' }),
      step: button('Step', 'step'),
      reset: button('Reset', 'reset'),
      stop: button('Stop', 'stop'),
    };
    this.speed = h('input', { type: 'number', name: 'speed', value: this.settings.speed, min: 1, max: offer.limits.speed, step: 1, required: true,
      oninput: () => this.setSpeed() });
    this.share = h('span', { class: 'share-note', role: 'status' });
    this.status = h('p', { class: 'status' }); // redrawn at every update: too often to be read out
    this.announce = h('p', { class: 'visually-hidden', role: 'status' }); // each change of state, once
    this.result = h('div', { class: 'result' });
    this.panels = h('div', { class: 'panels live-panels' }, h('section', { class: 'card placeholder' },
      h('h3', {}, 'Nothing trained yet'),
      h('p', {}, 'Press Train: the server trains the network and streams each update, and this page draws the network (or, for a logic network, the gate each node leans to), '
        + 'its neurons, its decision surface and its learning curve as they change.')));
    const unavailable = offer.available ? null : h('p', { class: 'card notice', role: 'alert' }, `This server cannot train: ${offer.problem}`);
    const controls = h('div', { class: 'controls', role: 'group', 'aria-label': 'Training controls' },
      Object.values(this.buttons),
      h('label', { class: 'field inline' }, h('span', { class: 'field-label' }, 'Steps per update'), this.speed),
      h('button', { type: 'button', class: 'button quiet', onclick: () => this.copyLink() }, 'Copy link'), this.share);
    this.element.replaceChildren(...[this.element.firstChild, unavailable, this.form.element, controls, this.status, this.announce, this.result, this.panels]
      .filter(Boolean));
    this.element.removeAttribute('aria-busy');
    this.remember();
    this.setSpeed();
    this.show('idle', note ? { message: note } : {});
  }

  /** Keep the settings in the URL, without a history entry per keystroke. */
  remember() {
    history.replaceState(null, '', `#playground?${toQuery(this.settings)}`);
  }

  setSpeed() {
    const speed = Number(this.speed.value);
    const valid = Number.isInteger(speed) && speed >= 1 && speed <= this.offer.limits.speed;
    this.speed.toggleAttribute('aria-invalid', !valid);
    if (!valid) return;
    this.settings.speed = speed;
    this.buttons.step.textContent = `Step +${count(speed)}`;
    this.remember();
    if (this.training()) this.send('speed', { speed });
  }

  async copyLink() {
    try {
      await navigator.clipboard.writeText(location.href);
      this.share.textContent = 'Link copied: it sets up this experiment, and the same seed trains the same network.';
    } catch {
      this.share.textContent = 'Copy the address bar: it holds these settings.';
    }
  }

  /** A training of this page is under way: it has a session, not ended. */
  training() {
    return this.session !== null && !this.ended;
  }

  /** Busy: a training under way, or a Train on its way to the server (one training per page). */
  active() {
    return this.sending || this.training();
  }

  act(action) {
    if (action === 'train') this.train().catch((error) => this.notStarted(error.message));
    else if (action === 'pause') this.send(this.state === 'paused' ? 'resume' : 'pause');
    else if (this.sending) this.stopWhenStarted(); // only Stop is enabled before the server answers
    else this.send(action);
  }

  /** Stop pressed before the server answered Train: the training is stopped as soon as it has an id. */
  stopWhenStarted() {
    this.stopAsked = true;
    this.show('sending', { note: 'Stopping it as soon as the server answers…' });
  }

  notStarted(message) {
    this.sending = false;
    this.form.lock(false);
    this.show('idle', { message: `Not started: ${message}` });
  }

  async send(action, body) {
    const headers = body ? { 'content-type': 'application/json' } : {};
    const response = await fetch(`api/train/${this.session}/${action}`, { method: 'POST', headers, body: body && JSON.stringify(body) });
    if (!response.ok) this.note((await response.json().catch(() => ({}))).error ?? `${action}: HTTP ${response.status}`);
  }

  /** Ask the server to train; `replace` only once the user has confirmed replacing the model already in the
   * folder under this name, which the server refuses to do otherwise (409, `replaceable`). */
  async train(replace = false) {
    this.result.replaceChildren();
    this.sending = true; // Train is disabled from here: until the server answers, then until the end
    this.stopAsked = false;
    this.form.lock(true);
    this.show('sending', {});
    const body = { ...requestOf(this.settings), ...(replace ? { replace: true } : {}), page: this.page };
    const response = await fetch('api/train', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await response.json().catch(() => ({ error: response.statusText }));
    this.sending = false;
    if (!response.ok) {
      this.notStarted(answer.error);
      if (answer.field === 'speed') this.speed.setAttribute('aria-invalid', 'true');
      else if (answer.field) this.form.refuse(answer.field, answer.error, answer.layer);
      if (answer.replaceable) this.offerReplace();
      return;
    }
    if (this.left) {
      fetch(`api/train/${answer.session}/stop`, { method: 'POST', keepalive: true }).catch(() => undefined);
      return;
    }
    this.watch(answer);
    if (this.stopAsked) this.send('stop');
  }

  offerReplace() {
    const name = this.settings.name;
    const replace = h('button', { type: 'button', class: 'button', 'data-action': 'replace',
      onclick: () => this.train(true).catch((error) => this.notStarted(error.message)) }, `Replace ${name}`);
    this.result.replaceChildren(h('section', { class: 'card outcome', role: 'alert' },
      h('h3', {}, `${name} is already in the folder`),
      h('p', {}, 'Training it here replaces that model and its history, whoever made it. Pick another name to keep it, or:'),
      h('p', {}, replace)));
  }

  /** Follow a training the server accepted: its events, drawn as they come. */
  watch(answer) {
    const { settings } = this;
    this.session = answer.session;
    this.ended = false;
    this.logic = settings.kind === 'logic';
    this.steps = this.logic ? settings.logic_steps : settings.steps;
    this.lossName = this.logic ? 'relaxed, mse' : settings.loss;
    this.frame = null;
    this.updates = 0;
    this.clock = { last: null, busy: 0, counted: 0 };
    this.curve = { step: [], loss: [], accuracy: [] };
    this.right = undefined;
    this.form.lock(true);
    const bits = bitsOfSettings(settings, this.offer);
    if (this.logic) {
      const widths = [...Array(settings.logic_depth).fill(settings.logic_width), bits.outputs.length];
      this.picture = new LogicPicture({ ...bits, widths, functions: this.offer.functions, restarts: settings.logic_restarts });
    } else {
      const network = { hidden: [...settings.hidden], activation: [...settings.activation], output_activation: settings.output_activation };
      this.picture = new Picture({ ...bits, network });
    }
    this.curveHolder = h('div', { class: 'curve-holder' });
    const what = this.logic ? 'the relaxed loss and the discretized circuit’s accuracy of the restart best at each update, ' : '';
    this.panels.replaceChildren(...this.picture.element, h('section', { class: 'card', 'aria-labelledby': 'live-curve-title' },
      h('h3', { id: 'live-curve-title' }, 'Learning curve', h('span', { class: 'sub' }, `${what}seed ${settings.seed}, a point per update of ${count(settings.speed)} steps`)),
      this.curveHolder));
    this.show(answer.state, answer);
    this.source?.close(); // an ended training's stream, so no other run's events reach this one
    this.source = new EventSource(answer.events);
    this.source.addEventListener('status', (event) => {
      const status = JSON.parse(event.data);
      this.show(status.state, status);
    });
    this.source.addEventListener('progress', (event) => this.progress(JSON.parse(event.data)));
    this.source.addEventListener('end', (event) => this.end(JSON.parse(event.data)));
    this.source.addEventListener('error', () => this.lost());
  }

  progress(frame) {
    if (frame.restart) {
      this.curve = { step: [], loss: [], accuracy: [] };
      this.clock.last = null;
    }
    for (const [step, loss, accuracy] of frame.curve) {
      this.curve.step.push(step);
      this.curve.loss.push(loss);
      this.curve.accuracy.push(accuracy);
    }
    this.frame = frame;
    this.updates += 1;
    const now = performance.now();
    if (this.clock.last !== null && now - this.clock.last < GAP_MS) {
      this.clock.busy += now - this.clock.last;
      this.clock.counted += 1;
    }
    this.clock.last = now;
    const { dataset } = this.element;
    dataset.step = String(frame.step);
    dataset.run = String(frame.run);
    dataset.updates = String(this.updates);
    if (this.clock.counted) dataset.rate = (this.clock.counted / this.clock.busy * 1000).toFixed(1);
    if (this.logic) this.picture.show(frame);
    else this.picture.show(frame.weights, frame.probabilities, frame.step);
    if (!this.curveDrawing) {
      this.curveDrawing = true;
      requestAnimationFrame(() => this.drawCurve());
    }
    this.show(this.state);
  }

  drawCurve() {
    this.curveDrawing = false;
    const { accuracy, step } = this.curve;
    const wrong = accuracy.findLastIndex((value) => value < 1);
    // Known to the update until the end, when the server's export gives it to the step.
    const right = this.right !== undefined ? this.right : accuracy.at(-1) === 1 ? step[wrong + 1] : null;
    this.curveHolder.replaceChildren(learningCurve({ ...this.curve, first_right_step: right }, this.lossName, { last: this.steps }));
  }

  end(outcome) {
    this.ended = true;
    this.source.close();
    this.form.lock(false);
    if (outcome.step !== undefined) { // this training's own last figures, which its summary shows
      this.frame = { ...this.frame, step: outcome.step, loss: outcome.loss, accuracy: outcome.accuracy };
    }
    this.show(outcome.state, {});
    if (this.logic && outcome.state === 'done') this.picture.showCircuit(outcome.circuit, outcome.problem);
    const card = outcomeCard(outcome, this.frame?.step ?? 0, this.offer.folder);
    if (outcome.first_right_step !== undefined) {
      this.right = outcome.first_right_step;
      this.drawCurve();
    }
    // A new model's link opens it only once the gallery has read it (and its new SHA-256, if retrained).
    if (outcome.state === 'done' && outcome.verified) {
      this.onModels().catch((error) => this.note(error.message)).finally(() => this.result.replaceChildren(card));
    } else {
      this.result.replaceChildren(card);
    }
  }

  lost() {
    if (this.ended) return;
    if (this.source.readyState === EventSource.CLOSED) {
      this.ended = true;
      this.form.lock(false);
      this.show('idle', { message: 'Lost the training’s stream: the server stopped, or forgot the training.' });
    } else {
      this.note('The stream was interrupted; reconnecting…');
    }
  }

  note(text) {
    this.show(this.state, { ...this.detail, note: text });
  }

  /** Set the state, its controls and its status line; `detail` carries a queue position, a note or a message. */
  show(state, detail = this.detail) {
    this.state = state;
    this.detail = detail;
    this.element.dataset.state = state;
    const active = this.active();
    const { train, pause, step, reset, stop } = this.buttons;
    train.disabled = active || !this.offer.available;
    pause.disabled = !(active && ['running', 'paused'].includes(state));
    step.disabled = !(active && state === 'paused');
    reset.disabled = pause.disabled;
    stop.disabled = !(active && state !== 'exporting');
    pause.textContent = state === 'paused' ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(state === 'paused'));
    this.status.textContent = this.describe(state, detail);
    if (this.announce.dataset.state !== state) {
      this.announce.dataset.state = state;
      this.announce.textContent = this.status.textContent;
    }
  }

  describe(state, detail) {
    const frame = this.frame;
    const where = frame ? `step ${count(frame.step)} of ${count(this.steps)}` : '';
    const numbers = frame ? ` · loss ${frame.loss === null ? 'overflow' : frame.loss.toPrecision(3)} · accuracy ${Math.round(frame.accuracy * 100)}%` : '';
    const rate = this.element.dataset.rate ? ` · ${this.element.dataset.rate} updates/s` : '';
    const note = detail.note ? ` ${detail.note}` : '';
    const lines = { // each made only when it is the one shown: most need a training to describe
      idle: () => detail.message ?? (this.offer.busy.running ? 'Another training runs on this server; yours would wait in the queue.'
        : 'Ready: press Train. The page redraws as the server streams each update.'),
      sending: () => 'Starting: loading TensorFlow and checking the settings (after the server starts, this takes several seconds)…',
      queued: () => `Waiting in the queue: ${detail.position ?? 1} training${detail.position === 1 ? '' : 's'} ahead.`,
      starting: () => 'Starting: TensorFlow builds the training program (the first one takes a few seconds)…',
      running: () => `Training · ${where}${numbers}${rate}`,
      paused: () => `Paused at ${where}${numbers}. Step trains ${count(this.settings.speed)} more; Resume carries on.`,
      exporting: () => 'Exporting to ONNX, verifying every row with onnxruntime, committing to the folder…',
      done: () => `Finished all ${count(this.steps)} steps${numbers}.`,
      stopped: () => `Stopped at ${where || 'the start'}: nothing was written.`,
      failed: () => 'The training failed.',
    };
    return (lines[state]?.() ?? state) + note;
  }

  leave() {
    this.left = true; // a Train still on its way is stopped when its answer comes (see train)
    if (this.training()) {
      fetch(`api/train/${this.session}/stop`, { method: 'POST', keepalive: true }).catch(() => undefined);
      this.source.close();
    }
  }
}

function outcomeCard(outcome, step, folder) {
  if (outcome.state === 'done' && outcome.verified) {
    const logic = outcome.circuit !== undefined;
    return h('section', { class: 'card outcome good', role: 'status' },
      h('h3', {}, `${outcome.model} verified, and in the gallery`),
      logic ? h('p', {}, `A circuit of ${count(outcome.gates)} gate${outcome.gates === 1 ? '' : 's'}, exact on every row`,
        outcome.first_right_step === null ? '' : `, found at step ${count(outcome.first_right_step)}`,
        `. Written to ${folder}/ as ${outcome.file}, exported and verified exactly as gatenet train --kind logic would.`)
        : h('p', {}, `Every row is on the right side of 0.5 by at least ${outcome.worst_margin.toFixed(3)}`,
          outcome.first_right_step === null ? '' : `, right from step ${count(outcome.first_right_step)}`,
          `. Written to ${folder}/ as ${outcome.file}, exported and verified exactly as gatenet train would.`),
      h('p', {}, h('a', { class: 'button primary', href: `#${encodeURIComponent(outcome.key)}` }, `Open ${outcome.model} in the gallery →`)));
  }
  const [title, why] = {
    done: [`${outcome.model} did not verify, so nothing was written`, outcome.problem],
    stopped: [`Stopped at step ${count(step)}`, `Nothing was written (${outcome.reason}).`],
    failed: ['The training failed', outcome.problem],
  }[outcome.state];
  return h('section', { class: `card outcome ${outcome.state === 'stopped' ? '' : 'bad'}`, role: 'status' }, h('h3', {}, title), h('p', {}, why));
}
