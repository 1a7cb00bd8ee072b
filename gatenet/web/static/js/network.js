// The network drawn as TensorFlow Playground draws it: a column of nodes per layer, each node a small heat
// map of what it computes over the inputs, and a line per weight whose width is |weight| and whose colour
// is the weight on the page's diverging scale (blue negative, red positive), with a legend of both scales.
import { h } from './dom.js';
import { colour } from './surface.js';

const WIDTH = 600;
const LEFT = 78; // room for the input names
const RIGHT = 86; // and for the output names
const TOP = 46; // and for the column titles
export const WEIGHT_RANGE = 2; // weights of ±2 and beyond get the ends of the colour scale
const INK = '#1c1e21';
const MUTED = '#5b616b';
const FRAME = '#8a8f98';
const EMPTY = '#e9e8e3';
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

const css = ([r, g, b]) => `rgb(${r}, ${g}, ${b})`;
export const weightColour = (w) => colour(0.5 + Math.max(-1, Math.min(1, w / WEIGHT_RANGE)) / 2);
const neuronColour = (v) => colour((v + 1) / 2); // hidden neurons: -1 blue, 0 white, +1 red

/** Node size in CSS pixels in a layer of `units`: a layer of 64 stays under 700 px high. */
function tileSize(units) {
  return units <= 6 ? 40 : units <= 10 ? 32 : units <= 16 ? 22 : units <= 32 ? 12 : 7;
}

export class NetworkView {
  /** `inputs` and `outputs` name the bits; `hidden` and `activation` list the hidden layers; `caption`
   * says what a node's heat map shows. */
  constructor({ inputs, outputs, hidden, activation, outputActivation, caption }) {
    this.columns = [inputs.length, ...hidden, outputs.length];
    this.names = { inputs, outputs };
    // Each layer's nodes as large as its count allows, centred on the tallest layer.
    this.sizes = this.columns.map(tileSize);
    const pitch = this.sizes.map((size) => size + Math.max(3, Math.round(size / 3)));
    const spans = this.columns.map((units, c) => units * pitch[c] - (pitch[c] - this.sizes[c]));
    const tallest = Math.max(...spans);
    this.height = TOP + tallest + 14;
    this.thinning = Math.min(1, 24 / Math.max(...this.columns)); // a dense network gets thinner lines
    const widest = Math.max(...this.sizes);
    const stride = (WIDTH - LEFT - RIGHT - widest) / Math.max(1, this.columns.length - 1);
    this.x = this.columns.map((_, c) => LEFT + widest / 2 + c * stride - this.sizes[c] / 2);
    this.y = this.columns.map((units, c) => Array.from({ length: units }, (_, i) => TOP + (tallest - spans[c]) / 2 + i * pitch[c]));
    this.titles = [
      ['inputs', `${inputs.length}`],
      ...hidden.map((units, i) => [`hidden ${i + 1}`, `${units} ${activation[i]}`]),
      ['output', `${outputs.length} ${outputActivation}`],
    ];
    this.canvas = h('canvas', { class: 'network', role: 'img' });
    this.element = h('figure', {}, this.canvas, h('figcaption', {}, h('p', { class: 'legend-text' }, caption), legend()));
  }

  /**
   * Draw `weights` (Keras order). `tiles` says what each node computes: {layers, cells: [across, up],
   * pixel, smooth}, where layers[c] holds column c's values at every tile point (inputs first) and
   * pixel[p] is point p's place in the tile image; null draws blank nodes (no picture can be computed).
   */
  draw(weights, tiles) {
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(WIDTH * ratio);
    this.canvas.height = Math.round(this.height * ratio);
    this.canvas.style.aspectRatio = `${WIDTH} / ${this.height}`;
    const context = this.canvas.getContext('2d');
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, WIDTH, this.height);
    const lines = this.lines(context, weights);
    this.nodes(context, tiles);
    this.labels(context);
    const all = weights.filter((_, i) => i % 2 === 0).flat(2).filter(Number.isFinite);
    const range = all.length ? `${Math.min(...all).toFixed(2)} to ${Math.max(...all).toFixed(2)}` : 'not numbers';
    this.canvas.setAttribute('aria-label', `The network, ${this.titles.map(([, detail]) => detail).join(' → ')}: `
      + `${lines} weights, from ${range}; line width is the weight's size, colour its sign`);
    this.canvas.dataset.lines = String(lines);
    this.canvas.dataset.tiles = tiles ? 'drawn' : 'blank';
  }

  lines(context, weights) {
    const drawn = [];
    for (let c = 0; c + 1 < this.columns.length; c++) {
      weights[2 * c].forEach((row, i) => row.forEach((w, u) => drawn.push([w ?? NaN, c, i, u])));
    }
    drawn.sort((a, b) => Math.abs(a[0]) - Math.abs(b[0])); // the strongest on top
    const sizes = this.sizes;
    for (const [w, c, i, u] of drawn) {
      const [x0, y0] = [this.x[c] + sizes[c], this.y[c][i] + sizes[c] / 2];
      const [x1, y1] = [this.x[c + 1], this.y[c + 1][u] + sizes[c + 1] / 2];
      const middle = (x0 + x1) / 2;
      context.beginPath();
      context.moveTo(x0, y0);
      context.bezierCurveTo(middle, y0, middle, y1, x1, y1);
      context.lineWidth = Number.isFinite(w) ? this.thinning * Math.min(6, 0.35 + 1.6 * Math.abs(w)) : 1;
      context.strokeStyle = css(weightColour(w));
      context.stroke();
    }
    return drawn.length;
  }

  nodes(context, tiles) {
    const last = this.columns.length - 1;
    this.columns.forEach((units, c) => {
      const scale = c === 0 || c === last ? colour : neuronColour;
      for (let n = 0; n < units; n++) {
        const [x, y, size] = [this.x[c], this.y[c][n], this.sizes[c]];
        if (tiles) {
          context.imageSmoothingEnabled = tiles.smooth;
          context.drawImage(tile(tiles, c, n, units, scale), x, y, size, size);
        } else {
          context.fillStyle = EMPTY;
          context.fillRect(x, y, size, size);
        }
        context.lineWidth = 1;
        context.strokeStyle = FRAME;
        context.strokeRect(x + 0.5, y + 0.5, size - 1, size - 1);
      }
    });
  }

  labels(context) {
    const last = this.columns.length - 1;
    context.fillStyle = INK;
    context.textBaseline = 'middle';
    this.titles.forEach(([title, detail], c) => {
      const middle = this.x[c] + this.sizes[c] / 2;
      context.textAlign = 'center';
      context.font = `600 12px ${FONT}`;
      context.fillText(title, middle, 12);
      context.font = `11px ${FONT}`;
      context.fillStyle = MUTED;
      context.fillText(c === 0 ? `${detail} bits` : detail, middle, 28);
      context.fillStyle = INK;
    });
    context.font = `600 12px ${FONT}`;
    context.textAlign = 'right';
    const [first, end] = [this.sizes[0], this.sizes[last]];
    this.names.inputs.forEach((name, i) => context.fillText(name, this.x[0] - 8, this.y[0][i] + first / 2));
    context.textAlign = 'left';
    this.names.outputs.forEach((name, o) => context.fillText(name, this.x[last] + end + 8, this.y[last][o] + end / 2));
  }
}

const scratch = document.createElement('canvas'); // each node's image, drawn at once into the network

/** One node's heat map, a pixel per tile point, in `scratch`. */
function tile({ layers, cells: [across, up], pixel }, c, n, units, scale) {
  const image = new ImageData(across, up);
  const values = layers[c];
  for (let p = 0; p < pixel.length; p++) {
    const [r, g, b] = scale(values[p * units + n]);
    image.data.set([r, g, b, 255], pixel[p] * 4);
  }
  scratch.width = across;
  scratch.height = up;
  scratch.getContext('2d').putImageData(image, 0, 0);
  return scratch;
}

function scaleBar(label, ticks) {
  return h('div', { class: 'scale' },
    h('span', { class: 'scale-label' }, label),
    h('span', { class: 'scale-bar', 'aria-hidden': 'true' }),
    h('span', { class: 'scale-ticks' }, ticks.map((tick) => h('span', {}, tick))));
}

function legend() {
  return h('div', { class: 'legend' },
    scaleBar('Weight (line colour; width grows with |weight|)', [`−${WEIGHT_RANGE}`, '0', `+${WEIGHT_RANGE}`]),
    scaleBar('Hidden neuron’s output', ['−1', '0', '+1']),
    scaleBar('Input bit, output probability', ['0', '0.5', '1']));
}
