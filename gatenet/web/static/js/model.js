// One model's page: what it is, its input bits to click, its outputs at once (an adder's as numbers too),
// its decision surface, learning curve (or how it was built), a logic model's circuit, and its truth table.
// Everything runs in the browser from the model file itself.
import { learningCurve } from './curve.js';
import { bitsOf, bytes, count, h, loadJSON, probability, rowOf } from './dom.js';
import { circuitFigure } from './logic-view.js';
import { adderLine, adderOf } from './numbers.js';
import { openModel } from './runtime.js';
import { GRID, HEIGHT, WIDTH, paint, sample } from './surface.js';
import { TruthTable } from './table.js';

let shown = 0; // the model page asked for last: slower, older ones stop when they see it changed
const bitOf = (p) => (p > 0.5 ? 1 : 0); // an output's bit: which side of 0.5 its probability is on

/** Show `model` (an entry of gallery.json) in `view`; `api` says a gatenet server can cross-check it. */
export async function showModel(view, model, api, report) {
  const token = ++shown;
  const current = () => token === shown;
  const article = h('article', { class: 'model', 'data-key': model.key, 'aria-busy': 'true' }, heading(model), facts(model));
  const loading = h('p', { class: 'muted' }, 'Loading the model into onnxruntime-web…');
  article.append(loading);
  view.replaceChildren(article);
  const [details, runner] = await Promise.all([loadJSON(model.details), openModel(model.model, model.sha256)]);
  if (!current()) return;

  const inputs = model.inputs.length;
  const bits = new Array(inputs).fill(0);
  const columns = details.truth_table;
  const outputs = new Outputs(model, columns);
  const check = api ? h('p', { class: 'check', 'aria-live': 'polite' }) : null;
  const adder = adderOf(model.inputs, model.outputs);
  const sum = adder ? h('p', { class: 'adder-line', 'aria-live': 'polite', title: 'The result is the model’s own output bits, the carry above the sum' }) : null;
  const buttons = model.inputs.map((name, i) => h('button', {
    type: 'button', class: 'bit', 'aria-pressed': 'false', 'data-input': i,
    onclick: () => { bits[i] ^= 1; update(); },
  }, h('span', { class: 'bit-name' }, name), h('span', { class: 'bit-value' }, '0')));
  const surface = inputs === 2 && columns ? new Surface(model, columns, runner) : null;
  const table = columns ? new TruthTable(model, columns, runner, (row) => { bits.splice(0, inputs, ...bitsOf(row, inputs)); update(); }) : null;

  loading.replaceWith(
    h('section', { class: 'card try', 'aria-labelledby': 'try-title' },
      h('h3', { id: 'try-title' }, 'Try it', h('span', { class: 'sub' }, 'click the input bits; the outputs follow at once')),
      h('div', { class: 'try-row' },
        h('div', { class: 'bits', role: 'group', 'aria-label': 'Input bits' }, buttons),
        inputs <= 4 ? h('span', { class: 'arrow', 'aria-hidden': 'true' }, '→') : null, // wider rows wrap
        outputs.element),
      sum,
      check),
    h('div', { class: 'panels' },
      surface?.element,
      model.training ? curvePanel(model, details.history) : circuitPanel(model),
      model.learner === 'logic' ? logicPanel(details) : null),
    tablePanel(model, table));
  article.removeAttribute('aria-busy');
  await Promise.all([surface?.ready, update()]);

  function update() {
    const row = rowOf(bits);
    buttons.forEach((button, i) => {
      button.setAttribute('aria-pressed', String(bits[i] === 1));
      button.querySelector('.bit-value').textContent = String(bits[i]);
    });
    const done = runner.run(Float32Array.from(bits), inputs).then(async (values) => {
      if (!current()) return;
      outputs.show(row, values);
      if (sum) {
        const line = adderLine(adder, bitsOf(row, inputs), Array.from(values, bitOf));
        sum.textContent = line.text;
        sum.dataset.result = String(line.result);
      }
      surface?.mark(row);
      if (check) crossCheck(row, values);
      await table?.select(row);
    });
    done.catch(report);
    return done;
  }

  async function crossCheck(row, values) {
    const query = new URLSearchParams({ model: model.name, bits: bitsOf(row, inputs).join('') });
    const answer = await loadJSON(`api/predict?${query}`).catch((error) => ({ error }));
    if (!current() || rowOf(bits) !== row) return;
    if (answer.error) {
      check.textContent = `The server could not check this row: ${answer.error.message}`;
      return;
    }
    const gap = Math.max(...answer.probabilities.map((p, o) => Math.abs(p - values[o])));
    check.className = gap < 1e-5 ? 'check same' : 'check differs';
    const same = gap === 0 ? 'to the last bit' : `within ${gap.toExponential(1)}`;
    check.textContent = gap < 1e-5
      ? `Python onnxruntime on the server gives the same probabilities, ${same}.`
      : `Python onnxruntime on the server differs by up to ${gap.toExponential(2)}.`;
  }
}

function heading(model) {
  const file = model.model.split('/').pop();
  const kind = model.learner === 'logic' ? 'logic' : model.kind;
  return h('header', { class: 'model-head' },
    h('div', {},
      h('h2', {}, model.name, h('span', { class: `badge ${kind}` }, kind)),
      h('p', { class: 'description' }, model.description)),
    h('a', { class: 'button download', href: model.model, download: file },
      `Download ${file}`, h('span', { class: 'sub' }, bytes(model.bytes))));
}

/** How a logic model was learned: the logic learner's network asked for, and the rung of its ladder that
 * learned it (docs/logic.md), when the record says. */
function logicLearner(model) {
  const { width, depth, wiring, restarts, steps } = model.training.network;
  const rung = model.logic?.rung;
  const where = rung === undefined ? ''
    : rung === 0 ? '; learned by the network asked for (rung 0 of its ladder)'
      : `; learned on rung ${rung} of its ladder, a larger network than asked for`;
  return `the logic learner: ${depth} layers of ${width} two-input nodes, ${wiring} wiring, ${restarts} restarts of ${count(steps)} steps${where}`;
}

function network(model) {
  const { hidden = [], activation = [], output_activation: output, loss, optimizer, learning_rate: rate } = model.training.network;
  const layers = hidden.map((units, i) => `${units} ${activation[i] ?? activation[0]}`);
  return [`${model.inputs.length} → ${[...layers, `${model.outputs.length} ${output}`].join(' → ')}`, loss, `${optimizer} at ${rate}`]
    .join(' · ');
}

function facts(model) {
  const rows = 2 ** model.inputs.length;
  const sampled = model.verification.startsWith('sampled ');
  const checked = sampled
    ? `a sample of ${count(Number(model.verification.split(' ')[1]))} of its ${count(rows)} rows`
    : `every one of its ${count(rows)} rows`;
  const training = model.training;
  const items = [
    ['Inputs', `${model.inputs.length}: ${model.inputs.join(', ')}`],
    ['Outputs', `${model.outputs.length}: ${model.outputs.join(', ')}`],
    ['Verified', `at margin ${model.margin} on ${checked}`],
    ['Worst margin', `${model.worst_margin.toFixed(3)} (every output at least this far from 0.5, on the right side)`],
    model.learner === 'logic' && model.logic && ['Circuit',
      `learned circuit: ${count(model.logic.gates)} two-input gates, ${model.logic.depth} deep; exact on every row, complements free`],
    training && (model.learner === 'logic' ? ['Learned by', logicLearner(model)] : ['Network', network(model)]),
    training && ['Training', `${count(training.steps)} steps, seed ${training.seed}`
      + (training.first_right_step === null ? '' : `; all rows right from step ${count(training.first_right_step)}`)
      + (model.learner !== 'logic' && training.rung ? `; learned on rung ${training.rung} of the escalation ladder, after the network asked for failed on every seed` : '')],
    model.circuit && ['Built from', `${model.circuit.gates.join(', ')}: ${model.circuit.instances} gates, ${model.circuit.depth} deep, ${model.circuit.wiring} wiring`],
    ['SHA-256', h('code', { class: 'digest', title: model.sha256 }, `${model.sha256.slice(0, 16)}…`)],
  ];
  return h('dl', { class: 'facts' }, items.filter(Boolean).map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))));
}

/** The output bits with their probabilities; `data-row` and `data-probability` carry the exact values. */
class Outputs {
  constructor(model, columns) {
    this.columns = columns;
    this.items = model.outputs.map((name, o) => {
      const bit = h('span', { class: 'out-bit' }, '·');
      const fill = h('span', { class: 'meter-fill' });
      const value = h('span', { class: 'out-p' }, '');
      const truth = h('span', { class: 'out-truth' }, '');
      const element = h('div', { class: 'out', 'data-output': o },
        h('span', { class: 'out-name' }, name), bit,
        h('span', { class: 'meter', 'aria-hidden': 'true' }, fill, h('span', { class: 'meter-mid' })),
        value, truth);
      return { bit, fill, value, truth, element };
    });
    this.element = h('output', { class: 'outputs', 'aria-live': 'polite' }, this.items.map((item) => item.element));
  }

  show(row, values) {
    this.items.forEach((item, o) => {
      const p = values[o];
      const bit = bitOf(p);
      item.element.dataset.probability = String(p);
      item.bit.textContent = String(bit);
      item.bit.className = `out-bit b${bit}`;
      item.fill.style.width = `${(p * 100).toFixed(2)}%`;
      item.fill.className = `meter-fill b${bit}`;
      item.value.textContent = `P = ${probability(p)}`;
      if (this.columns) {
        const truth = Number(this.columns[o][row]);
        item.truth.textContent = truth === bit ? 'as the truth table says' : `the truth table says ${truth}`;
        item.element.classList.toggle('wrong', truth !== bit);
      }
    });
    this.element.dataset.row = String(row);
  }
}

/** The decision surface of a 2-input model, sampled once and repainted as the input bits move. */
class Surface {
  constructor(model, columns, runner) {
    this.model = model;
    this.columns = columns;
    this.output = 0;
    this.row = 0;
    this.values = null;
    this.canvas = h('canvas', { class: 'surface', width: WIDTH, height: HEIGHT, role: 'img' });
    const choices = model.outputs.length > 1
      ? h('fieldset', { class: 'choice' }, h('legend', {}, 'Output'), model.outputs.map((name, o) => h('label', {},
        h('input', { type: 'radio', name: 'surface-output', value: o, checked: o === 0, onchange: () => { this.output = o; this.draw(); } }),
        ` ${name}`)))
      : null;
    this.element = h('section', { class: 'card', 'aria-labelledby': 'surface-title' },
      h('h3', { id: 'surface-title' }, 'Decision surface', h('span', { class: 'sub' }, `${GRID} × ${GRID} points, one onnxruntime-web run`)),
      choices,
      h('figure', {}, this.canvas, h('figcaption', {},
        'Colour: the model’s probability between the bits. Black line: 0.5, where the output flips. ',
        'Circles: the truth table; the ring marks the input bits above.')));
    this.ready = sample(runner).then((values) => {
      this.values = values;
      this.draw();
    });
  }

  mark(row) {
    this.row = row;
    this.draw();
  }

  draw() {
    if (!this.values) return;
    const { inputs, outputs, name } = this.model;
    const outputName = outputs[this.output];
    paint(this.canvas, this.values, {
      output: this.output, outputs: outputs.length, inputNames: inputs, outputName, expected: this.columns[this.output], current: this.row,
    });
    this.canvas.setAttribute('aria-label',
      `Decision surface of ${name}: the probability that ${outputName} is 1, over ${inputs[0]} (across) and ${inputs[1]} (up), each from 0 to 1`);
    this.canvas.dataset.output = String(this.output);
  }
}

function curvePanel(model, history) {
  const replay = history.snapshots?.length > 1
    ? h('p', {}, h('a', { class: 'button replay-link', href: `#replay/${encodeURIComponent(model.key)}` }, '▶ Replay the training'),
      h('span', { class: 'sub' }, `the network and its surface at ${history.snapshots.length} steps`))
    : null;
  return h('section', { class: 'card', 'aria-labelledby': 'curve-title' },
    h('h3', { id: 'curve-title' }, 'Learning curve', h('span', { class: 'sub' }, model.learner === 'logic'
      ? `seed ${model.training.seed}: the relaxed loss, and the accuracy of the circuit discretized at each step`
      : `seed ${model.training.seed}, the first seed that verified`)),
    learningCurve(history, model.learner === 'logic' ? 'relaxed loss' : model.training.network.loss), replay);
}

function circuitPanel(model) {
  const { gates, instances, depth, wiring } = model.circuit;
  const how = wiring === 'digital' ? 'each gate’s output rounded to 0 or 1 before the next' : 'probabilities passed on unrounded';
  return h('section', { class: 'card', 'aria-labelledby': 'circuit-title' },
    h('h3', { id: 'circuit-title' }, 'Built, not trained'),
    h('p', {}, `Wired from the verified models of ${gates.join(', ')}: ${instances} gates, ${depth} deep, ${wiring} wiring (${how}).`),
    h('p', { class: 'muted' }, 'So it has no learning curve; it was verified as a whole after it was built.'));
}

/** A logic model's circuit, drawn from the netlist the server checked against its truth table. */
function logicPanel(details) {
  return h('section', { class: 'card logic-circuit', 'aria-labelledby': 'logic-circuit-title' },
    h('h3', { id: 'logic-circuit-title' }, 'Circuit', h('span', { class: 'sub' }, 'the gates this model computes, the circuit in its file')),
    details.netlist ? circuitFigure(details.netlist) : h('p', {}, `The circuit is not drawn: ${details.netlist_problem}`));
}

function tablePanel(model, table) {
  const rows = 2 ** model.inputs.length;
  if (!table) {
    return h('section', { class: 'card', 'aria-labelledby': 'table-title' },
      h('h3', { id: 'table-title' }, 'Truth table'),
      h('p', {}, `${count(rows)} rows are too many to store, so this model was verified on a sample of them and carries no truth table. `,
        'Click the input bits above to run any row.'));
  }
  return h('section', { class: 'card', 'aria-labelledby': 'table-title' },
    h('h3', { id: 'table-title' }, 'Truth table', h('span', { class: 'sub' }, `${count(rows)} rows; a row number sets the inputs`)),
    table.element);
}
