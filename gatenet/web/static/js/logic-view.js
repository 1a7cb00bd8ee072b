// A logic network as it learns, and the circuit it ends with. Every node of a logic network is a two-input
// gate that learns which of the 16 Boolean functions it computes (gatenet/logic_learner.py); the server
// streams, for the restart that is best at each update, the function each node leans to, how likely the node
// makes it and the two signals it reads. This draws that network (one column per layer, the last one a node
// per output), every restart's accuracy, and at the end the discretized, minimized circuit: plain SVG, no
// Graphviz, from the netlist the server verified.
import { count, h, s } from './dom.js';

const COLUMN = 150, ROW = 44, BOX_W = 104, BOX_H = 30, PAD = 24, LABELS = 90; // LABELS: room for input names

/** The x of column `c` and the y of row `r` of a column of `n`, centred in a picture `rows` high. */
const place = (c, r, n, rows) => [LABELS + c * COLUMN, PAD + (rows - n) * ROW / 2 + r * ROW + BOX_H / 2];

export class LogicPicture {
  /** `inputs`/`outputs` name the bits, `widths` is nodes per layer (the last, one per output), `functions`
   * the 16 gate names by number, `restarts` the networks trained side by side. */
  constructor({ inputs, outputs, widths, functions, restarts }) {
    this.inputs = inputs;
    this.outputs = outputs;
    this.widths = widths;
    this.functions = functions;
    const rows = Math.max(inputs.length, ...widths);
    this.spots = []; // per signal: inputs, then nodes in order, [x, y] of its right edge's middle
    inputs.forEach((_, r) => this.spots.push(place(0, r, inputs.length, rows)));
    widths.forEach((width, layer) => {
      for (let r = 0; r < width; r += 1) this.spots.push(place(layer + 1, r, width, rows));
    });
    const width = LABELS + widths.length * COLUMN + BOX_W / 2 + LABELS;
    const height = PAD * 2 + rows * ROW;
    this.nodes = [];
    const nodeGroup = s('g', { class: 'nodes' });
    const first = inputs.length;
    widths.forEach((layerWidth, layer) => {
      const start = this.nodes.length;
      for (let r = 0; r < layerWidth; r += 1) {
        const [x, y] = this.spots[first + start + r];
        const isOutput = layer === widths.length - 1;
        const rect = s('rect', { x: x - BOX_W / 2, y: y - BOX_H / 2, width: BOX_W, height: BOX_H, rx: 6, class: 'gate-box' });
        const name = s('text', { x, y: y - 2, class: 'gate-name', 'text-anchor': 'middle' }, '');
        const sure = s('text', { x, y: y + 10, class: 'gate-sure', 'text-anchor': 'middle' }, '');
        const group = s('g', { class: `logic-node${isOutput ? ' output-node' : ''}`, 'data-node': this.nodes.length }, rect, name, sure,
          isOutput ? s('text', { x: x + BOX_W / 2 + 6, y: y + 4, class: 'bit-label' }, outputs[r]) : null);
        this.nodes.push({ group, rect, name, sure, wires: [s('path', { class: 'wire' }), s('path', { class: 'wire' })] });
        nodeGroup.append(group);
      }
    });
    this.wires = s('g', { class: 'wires' }, this.nodes.map((node) => node.wires));
    const inputMarks = inputs.map((input, r) => {
      const [x, y] = this.spots[r];
      return inputMark(x, y, input);
    });
    this.svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'logic-network', role: 'img',
      'aria-label': `A logic network: ${inputs.length} inputs, ${widths.slice(0, -1).map(String).join(' + ') || 'no'} nodes in layers, `
        + `${outputs.length} output node${outputs.length === 1 ? '' : 's'}` }, this.wires, inputMarks, nodeGroup);
    this.headline = h('p', { class: 'logic-headline', role: 'status' }, 'Waiting for the first update…');
    this.restartList = h('ol', { class: 'restart-list' }, Array.from({ length: restarts }, (_, r) => h('li', { 'data-restart': r },
      h('span', { class: 'restart-name' }, `#${r}`), h('span', { class: 'restart-bar' }, s('svg', { viewBox: '0 0 100 8', class: 'bar' },
        s('rect', { x: 0, y: 0, width: 100, height: 8, class: 'bar-back' }), s('rect', { x: 0, y: 0, width: 0, height: 8, class: 'bar-fill' }))),
      h('span', { class: 'restart-figures' }, ''))));
    this.circuitHolder = h('div', { class: 'circuit-holder' },
      h('p', { class: 'muted' }, 'When training ends, the circuit discretized from the best exact restart, minimized, is drawn here.'));
    this.element = [
      h('section', { class: 'card logic-picture', 'aria-labelledby': 'logic-title' },
        h('h3', { id: 'logic-title' }, 'Logic network', h('span', { class: 'sub' }, 'each node shows the gate it leans to and how sure it is')),
        this.headline, h('div', { class: 'logic-scroll' }, this.svg)),
      h('section', { class: 'card circuit-card', 'aria-labelledby': 'circuit-title' },
        h('h3', { id: 'circuit-title' }, 'Circuit'), this.circuitHolder),
      h('section', { class: 'card restarts', 'aria-labelledby': 'restarts-title' },
        h('h3', { id: 'restarts-title' }, 'Restarts', h('span', { class: 'sub' }, `${restarts} networks trained side by side; the smallest exact circuit wins`)),
        this.restartList),
    ];
    this.pending = null;
  }

  /** Draw `frame` (a progress event of a logic training) at the next frame: only the latest of several. */
  show(frame) {
    const first = this.pending === null;
    this.pending = frame;
    if (first) requestAnimationFrame(() => this.draw());
  }

  draw() {
    const frame = this.pending;
    this.pending = null;
    const { functions, sure, wires, shown } = frame;
    const used = this.used(wires);
    this.nodes.forEach((node, k) => {
      node.group.classList.toggle('unused', !used[k]);
      for (const wire of node.wires) wire.classList.toggle('unused', !used[k]);
      const name = this.functions[functions[k]];
      const p = sure[k] ?? 0;
      node.name.textContent = name;
      node.sure.textContent = `${Math.round(p * 100)}%`;
      node.group.dataset.gate = name;
      node.group.dataset.sure = p.toFixed(3);
      node.group.classList.toggle('wire-like', ['A', 'B'].includes(name));
      node.rect.setAttribute('fill-opacity', (0.15 + 0.85 * p).toFixed(3));
      const [x, y] = this.spots[this.inputs.length + k];
      wires[k].forEach((signal, side) => {
        const [fromX, fromY] = this.spots[signal];
        const startX = fromX + (signal < this.inputs.length ? DOT : BOX_W / 2);
        const endX = x - BOX_W / 2, endY = y + (side ? 7 : -7);
        const bend = (endX - startX) / 2;
        node.wires[side].setAttribute('d', `M${startX},${fromY} C${startX + bend},${fromY} ${endX - bend},${endY} ${endX},${endY}`);
      });
    });
    this.svg.dataset.step = String(frame.step);
    this.svg.dataset.restart = String(shown);
    const best = frame.best_gates === null ? 'no exact circuit yet'
      : `smallest exact circuit so far: ${count(frame.best_gates)} gate${frame.best_gates === 1 ? '' : 's'}`;
    this.headline.textContent = `Restart #${shown}, the best now (${Math.round(frame.accuracy * 100)}% of rows right when discretized) · ${best}`;
    [...this.restartList.children].forEach((item, r) => {
      const accuracy = frame.accuracies[r];
      item.classList.toggle('shown', r === shown);
      item.querySelector('.bar-fill').setAttribute('width', String(Math.round((accuracy ?? 0) * 100)));
      const loss = frame.losses[r];
      item.querySelector('.restart-figures').textContent = `${Math.round((accuracy ?? 0) * 100)}% right · loss ${loss === null ? 'overflow' : loss.toPrecision(2)}`;
    });
  }

  /** Per node, whether an output reads it, through any chain of wires: the others are drawn faint. */
  used(wires) {
    const first = this.inputs.length;
    const used = wires.map(() => false);
    const todo = this.outputs.map((_, o) => wires.length - this.outputs.length + o);
    while (todo.length) {
      const k = todo.pop();
      if (used[k]) continue;
      used[k] = true;
      for (const signal of wires[k]) if (signal >= first) todo.push(signal - first);
    }
    return used;
  }

  /** The learned circuit (a netlist's JSON, as `gatenet.netlist.Netlist.to_dict` writes it), or why there is none. */
  showCircuit(circuit, problem) {
    if (!circuit) {
      this.circuitHolder.replaceChildren(h('p', {}, problem || 'No exact circuit was found, so there is nothing to draw.'));
      return;
    }
    this.circuitHolder.replaceChildren(...circuitFigure(circuit));
  }
}

/** A learned circuit drawn, under a line that says what its gate count counts: what the Playground shows
 * when a training ends, and what a logic model's page in the gallery shows (model.js). */
export function circuitFigure(circuit) {
  const gates = circuit.nodes.length;
  return [
    h('p', {}, `${count(gates)} two-input gate${gates === 1 ? '' : 's'}, checked on every row (wires, constants and duplicates removed; `
      + 'a complemented output is free, drawn as a small circle).'),
    h('div', { class: 'logic-scroll' }, drawCircuit(circuit)),
  ];
}

/** A netlist as a schematic: inputs on the left, each gate in the column of its depth, outputs on the right. */
export function drawCircuit(circuit) {
  const inputs = circuit.inputs.length;
  const level = circuit.inputs.map(() => 0);
  for (const node of circuit.nodes) level.push(1 + Math.max(level[node.a], level[node.b]));
  const deepest = Math.max(0, ...level);
  const columns = Array.from({ length: deepest + 1 }, () => []);
  level.forEach((l, signal) => columns[l].push(signal));
  const rows = Math.max(circuit.outputs.length, ...columns.map((column) => column.length));
  const spot = [];
  columns.forEach((column, c) => column.forEach((signal, r) => { spot[signal] = place(c, r, column.length, rows); }));
  const outX = LABELS + (deepest + 1) * COLUMN - BOX_W / 2;
  const width = outX + LABELS;
  const height = PAD * 2 + rows * ROW;
  const right = (signal) => spot[signal][0] + (signal < inputs ? DOT : BOX_W / 2);
  const curve = (fromX, fromY, toX, toY) => {
    const bend = (toX - fromX) / 2;
    return s('path', { class: 'wire', d: `M${fromX},${fromY} C${fromX + bend},${fromY} ${toX - bend},${toY} ${toX},${toY}` });
  };
  const wires = [];
  const parts = [];
  circuit.inputs.forEach((name, signal) => {
    const [x, y] = spot[signal];
    parts.push(inputMark(x, y, name));
  });
  circuit.nodes.forEach((node, k) => {
    const [x, y] = spot[inputs + k];
    [node.a, node.b].forEach((signal, side) => wires.push(curve(right(signal), spot[signal][1], x - BOX_W / 2, y + (side ? 7 : -7))));
    parts.push(s('g', { class: 'circuit-gate', 'data-gate': node.op },
      s('rect', { x: x - BOX_W / 2, y: y - BOX_H / 2, width: BOX_W, height: BOX_H, rx: 6, class: 'gate-box' }),
      s('text', { x, y: y + 4, class: 'gate-name', 'text-anchor': 'middle' }, node.op),
      s('title', {}, `n${k} = ${node.op}(${signalName(circuit, node.a)}, ${signalName(circuit, node.b)})`)));
  });
  circuit.outputs.forEach((out, r) => {
    const [, y] = place(0, r, circuit.outputs.length, rows);
    const x = outX;
    const label = out.signal === null ? `${out.name} = ${out.complement ? 1 : 0}` : out.name;
    if (out.signal !== null) {
      wires.push(curve(right(out.signal), spot[out.signal][1], x - (out.complement ? 10 : 4), y));
      if (out.complement) parts.push(s('circle', { cx: x - 6, cy: y, r: 4, class: 'complement' }));
    }
    parts.push(s('text', { x: x + 2, y: y + 4, class: 'bit-label circuit-output', 'data-output': out.name }, label));
  });
  const summary = `The learned circuit: ${circuit.nodes.length} gates (${circuit.nodes.map((node) => node.op).join(', ') || 'none'}), `
    + `${circuit.inputs.length} inputs, outputs ${circuit.outputs.map((out) => out.name).join(', ')}`;
  return s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'circuit', role: 'img', 'aria-label': summary, 'data-gates': circuit.nodes.length },
    s('title', {}, summary), s('g', { class: 'wires' }, wires), parts);
}

const DOT = 5; // an input's dot; its name is written to its left

function inputMark(x, y, name) {
  return s('g', { class: 'logic-input' }, s('circle', { cx: x, cy: y, r: DOT }),
    s('text', { x: x - DOT - 5, y: y + 4, 'text-anchor': 'end', class: 'bit-label' }, name));
}

function signalName(circuit, signal) {
  return signal < circuit.inputs.length ? circuit.inputs[signal] : `n${signal - circuit.inputs.length}`;
}
