// A trained gate's training replayed from the weight snapshots its history keeps (about 30, at log-spaced
// steps, since a network changes most at first): the network, its neurons and its surface as they were at
// each, with the learning curve marking the step. It needs no server, so a static site replays too.
import { learningCurve } from './curve.js';
import { count, h, loadJSON } from './dom.js';
import { Picture } from './picture.js';

const FRAME_MS = 300; // per snapshot while playing: about 10 s for a whole replay
const MAX_INPUTS = 8; // beyond this, a row per truth-table row is too many to draw each frame

/** Replay `model`'s training in `view`; returns what stops it when the page moves on. */
export function showReplay(view, model, report) {
  const replay = new Replay(model);
  view.replaceChildren(replay.element);
  replay.load().catch(report);
  return () => replay.pause();
}

class Replay {
  constructor(model) {
    this.model = model;
    this.timer = null;
    this.element = h('article', { class: 'replay', 'data-key': model.key, 'aria-busy': 'true' },
      h('header', { class: 'model-head' }, h('div', {},
        h('h2', {}, `Replay: ${model.name}`),
        h('p', { class: 'description' }, 'How the network learned, from the weights its history kept along the way.')),
      h('a', { class: 'button', href: `#${encodeURIComponent(model.key)}` }, `← ${model.name}`)),
      h('p', { class: 'muted' }, 'Loading…'));
  }

  async load() {
    const { model } = this;
    const details = await loadJSON(model.details);
    const history = details.history;
    this.snapshots = history?.snapshots ?? [];
    const why = !model.training ? `${model.name} is a circuit: it was built, not trained.`
      : this.snapshots.length < 2 ? `${model.name}'s history keeps no weight snapshots (it was trained before gatenet kept them); `
        + 'train it again to replay it.'
        : model.inputs.length > MAX_INPUTS ? `${model.name} has ${model.inputs.length} inputs; replays draw up to ${MAX_INPUTS}.` : null;
    this.element.removeAttribute('aria-busy');
    if (why) {
      this.element.lastChild.replaceWith(h('div', { class: 'card' }, h('p', {}, why)));
      return;
    }
    this.history = history;
    this.picture = new Picture({ inputs: model.inputs, outputs: model.outputs, network: model.training.network, columns: details.truth_table });
    const last = this.snapshots.length - 1;
    this.play = h('button', { type: 'button', class: 'button primary', 'aria-pressed': 'false', onclick: () => this.toggle() }, 'Play');
    this.slider = h('input', { type: 'range', min: 0, max: last, step: 1, value: 0, 'aria-label': 'Snapshot',
      oninput: () => { this.pause(); this.go(Number(this.slider.value)); } });
    this.where = h('output', { class: 'where' });
    this.curve = h('div', { class: 'curve-holder' });
    this.element.lastChild.replaceWith(
      h('div', { class: 'controls', role: 'group', 'aria-label': 'Replay controls' },
        this.play, h('label', { class: 'slider' }, h('span', { class: 'field-label' }, 'Step'), this.slider), this.where),
      h('div', { class: 'panels live-panels' }, ...this.picture.element,
        h('section', { class: 'card', 'aria-labelledby': 'replay-curve-title' },
          h('h3', { id: 'replay-curve-title' }, 'Learning curve', h('span', { class: 'sub' }, 'the line marks the step shown')),
          this.curve)));
    this.go(0);
  }

  go(index) {
    const { step, weights } = this.snapshots[index];
    const steps = this.history.step.at(-1);
    this.index = index;
    this.slider.value = String(index);
    const text = `step ${count(step)} of ${count(steps)} (snapshot ${index + 1} of ${this.snapshots.length})`;
    this.slider.setAttribute('aria-valuetext', text);
    this.where.textContent = text;
    this.element.dataset.snapshot = String(index);
    this.element.dataset.step = String(step);
    this.picture.show(weights, null, step);
    this.curve.replaceChildren(learningCurve(this.history, this.model.training.network.loss ?? 'loss', { marker: step }));
  }

  toggle() {
    if (this.timer !== null) {
      this.pause();
      return;
    }
    if (this.index === this.snapshots.length - 1) this.go(0);
    this.timer = setInterval(() => {
      if (this.index + 1 >= this.snapshots.length) this.pause();
      else this.go(this.index + 1);
    }, FRAME_MS);
    this.play.textContent = 'Pause';
    this.play.setAttribute('aria-pressed', 'true');
    this.element.dataset.playing = 'true';
  }

  pause() {
    clearInterval(this.timer);
    this.timer = null;
    if (!this.play) return;
    this.play.textContent = 'Play';
    this.play.setAttribute('aria-pressed', 'false');
    this.element.dataset.playing = 'false';
  }
}
