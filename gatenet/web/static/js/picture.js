// What a network computes, drawn from its weights alone: the network with a heat map per neuron, and the
// decision surface (2 inputs) or each row's outputs. The playground draws it live as weights stream in;
// a replay draws it from the snapshots a history stores. The forward pass runs here (forward.js).
import { bitsOf, count, h, probability } from './dom.js';
import { Net, missingActivation, tableRows } from './forward.js';
import { NetworkView } from './network.js';
import { HEIGHT, WIDTH, gridPoints, paint } from './surface.js';

const TILE = 24; // points per axis of a 2-input node's heat map
const BUDGET = 4e6; // multiply-adds per surface: keeps a redraw of a large network under ~20 ms

export class Picture {
  /** `inputs`/`outputs` name the bits, `network` is the manifest's, `columns` the truth table. */
  constructor({ inputs, outputs, network, columns }) {
    this.network = network;
    this.missing = missingActivation(network);
    this.view = new NetworkView({ inputs, outputs, hidden: network.hidden, activation: network.activation,
      outputActivation: network.output_activation, caption: caption(inputs) });
    this.tiles = tileLayout(inputs.length);
    this.notice = h('p', { class: 'notice', role: 'status', hidden: !this.missing },
      this.missing ? `This network uses ${this.missing}, which this page has no JavaScript version of, so its neurons and `
        + 'surface are not drawn: no picture rather than a wrong one.' : '');
    this.outputs = inputs.length === 2 ? new SurfaceView(inputs, outputs, columns, network) : new RowsView(inputs, outputs, columns);
    this.element = [
      h('section', { class: 'card picture-network', 'aria-labelledby': 'network-title' },
        h('h3', { id: 'network-title' }, 'Network', h('span', { class: 'sub' }, 'each node shows what it computes over the inputs')),
        this.notice, this.view.element),
      this.outputs.element,
    ];
    this.pending = null;
  }

  /** Draw `weights` at the next frame (only the latest of several); `probabilities` per row, when known. */
  show(weights, probabilities = null, step = null) {
    const first = this.pending === null;
    this.pending = { weights, probabilities, step };
    if (first) requestAnimationFrame(() => this.draw());
  }

  draw() {
    const { weights, probabilities, step } = this.pending;
    this.pending = null;
    const net = new Net(this.network, weights);
    const usable = !this.missing && net.finite;
    if (!this.missing) {
      this.notice.hidden = net.finite;
      this.notice.textContent = 'The weights overflowed (NaN or infinity), so there is nothing to draw: try a smaller learning rate.';
    }
    const { points, count: tiles } = this.tiles;
    this.view.draw(weights, usable ? { ...this.tiles, layers: [points, ...net.run(points, tiles)] } : null);
    this.outputs.show(usable ? net : null, probabilities);
    for (const element of this.element) element.dataset.step = String(step);
  }
}

/** What a node's heat map shows, in words. */
function caption(inputs) {
  if (inputs.length === 2) {
    return `Each node is a heat map over the square of the decision surface (${inputs[0]} across, ${inputs[1]} up): `
      + 'what it outputs for every pair of inputs. Lines are the weights between nodes.';
  }
  const across = inputs.slice(0, Math.ceil(inputs.length / 2)).join(' ');
  const up = inputs.slice(Math.ceil(inputs.length / 2)).join(' ');
  return `Each node shows what it outputs for every row of the truth table, one cell per row (${across} across`
    + `${up ? `, ${up} up` : ''}). Lines are the weights between nodes.`;
}

/** Where each node's heat map samples the network: a grid over [0, 1]^2 for 2 inputs, else the table's rows. */
function tileLayout(inputs) {
  if (inputs === 2) {
    const pixel = Int32Array.from({ length: TILE * TILE }, (_, p) => (TILE - 1 - Math.floor(p / TILE)) * TILE + (p % TILE));
    return { points: gridPoints(TILE), count: TILE * TILE, cells: [TILE, TILE], pixel, smooth: true };
  }
  // The first half of the inputs (rounded up) across, the rest up: a for 1 input, a b | c for 3, a b | c d for 4.
  const up = 2 ** Math.floor(inputs / 2);
  const across = 2 ** inputs / up;
  const pixel = Int32Array.from({ length: 2 ** inputs }, (_, row) => (up - 1 - (row % up)) * across + Math.floor(row / up));
  return { points: tableRows(inputs), count: 2 ** inputs, cells: [across, up], pixel, smooth: false };
}

/** The decision surface of a 2-input network, from its forward pass over a grid as fine as it can afford. */
class SurfaceView {
  constructor(inputs, outputs, columns, network) {
    this.inputs = inputs;
    this.names = outputs;
    this.columns = columns;
    this.output = 0;
    const sizes = [2, ...network.hidden, outputs.length];
    const perPoint = sizes.slice(1).reduce((sum, units, l) => sum + sizes[l] * units, 0);
    const grid = [128, 96, 64, 48, 32].find((g) => g * g * perPoint <= BUDGET) ?? 32;
    this.points = gridPoints(grid);
    this.count = grid * grid;
    this.values = null;
    this.canvas = h('canvas', { class: 'surface', width: WIDTH, height: HEIGHT, role: 'img',
      'aria-label': `Decision surface: the probability of each output over ${inputs[0]} (across) and ${inputs[1]} (up)` });
    const choices = outputs.length > 1
      ? h('fieldset', { class: 'choice' }, h('legend', {}, 'Output'), outputs.map((name, o) => h('label', {},
        h('input', { type: 'radio', name: 'picture-output', value: o, checked: o === 0, onchange: () => { this.output = o; this.paint(); } }),
        ` ${name}`)))
      : null;
    this.element = h('section', { class: 'card', 'aria-labelledby': 'live-surface-title' },
      h('h3', { id: 'live-surface-title' }, 'Decision surface', h('span', { class: 'sub' }, `${grid} × ${grid} points, computed in the page`)),
      choices,
      h('figure', {}, this.canvas, h('figcaption', {},
        'Colour: the network’s probability between the bits. Black line: 0.5, where the output flips. Circles: the truth table.')));
  }

  show(net) {
    this.values = net ? net.run(this.points, this.count).at(-1) : null;
    this.paint();
  }

  paint() {
    this.canvas.dataset.output = String(this.output);
    if (!this.values) {
      this.canvas.getContext('2d').clearRect(0, 0, this.canvas.width, this.canvas.height);
      return;
    }
    paint(this.canvas, this.values, {
      output: this.output, outputs: this.names.length, inputNames: this.inputs, outputName: this.names[this.output],
      expected: this.columns[this.output], current: -1,
    });
  }
}

/** Each row's outputs beside the truth table, for networks of 1, 3 or 4 inputs. */
class RowsView {
  constructor(inputs, outputs, columns) {
    this.columns = columns;
    this.outputs = outputs.length;
    this.rows = 2 ** inputs.length;
    this.points = tableRows(inputs.length);
    this.cells = [];
    const body = Array.from({ length: this.rows }, (_, row) => h('tr', { 'data-row': row },
      h('td', {}, count(row)),
      bitsOf(row, inputs.length).map((bit) => h('td', { class: 'in' }, String(bit))),
      outputs.map((_, o) => {
        const truth = columns[o][row];
        const fill = h('span', { class: 'meter-fill' });
        const value = h('span', { class: 'p' }, '–');
        const cell = h('td', { class: 'out-cell' }, h('span', { class: `chip b${truth}` }, truth), ' ',
          h('span', { class: 'meter', 'aria-hidden': 'true' }, fill, h('span', { class: 'meter-mid' })), ' ', value);
        this.cells.push({ cell, fill, value, truth: Number(truth) });
        return cell;
      })));
    this.element = h('section', { class: 'card', 'aria-labelledby': 'rows-title' },
      h('h3', { id: 'rows-title' }, 'Outputs by row', h('span', { class: 'sub' }, 'truth · the network’s probability')),
      h('div', { class: 'table-wrap' }, h('table', { class: 'truth rows-live' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'row'), inputs.map((name) => h('th', { scope: 'col', class: 'in' }, name)),
          outputs.map((name) => h('th', { scope: 'col', class: 'out-head' }, name)))),
        h('tbody', {}, body))));
  }

  /** The network's own outputs when it can be run here, else the server's `probabilities` (rows of outputs). */
  show(net, probabilities) {
    const values = net ? net.run(this.points, this.rows).at(-1) : probabilities?.flat();
    this.cells.forEach(({ cell, fill, value, truth }, k) => {
      const row = Math.floor(k / this.outputs);
      const p = values ? values[row * this.outputs + (k % this.outputs)] : NaN;
      const known = Number.isFinite(p);
      fill.style.width = known ? `${(Math.min(1, Math.max(0, p)) * 100).toFixed(1)}%` : '0';
      fill.className = `meter-fill b${p > 0.5 ? 1 : 0}`;
      value.textContent = known ? probability(p) : '–';
      cell.classList.toggle('wrong', known && Number(p > 0.5) !== truth);
    });
  }
}
