// The decision surface of a 2-input model: its probability over [0, 1]^2, from one batched run of the
// ONNX file itself, with the 0.5 boundary, the truth table at the corners and a colour scale.

export const GRID = 128; // points per axis: 16,384 rows in one batch

// Blue (0) to light grey (0.5) to red (1): a diverging scale that colour-blind readers can tell apart.
const STOPS = [
  [0, [33, 102, 172]],
  [0.25, [103, 169, 207]],
  [0.5, [247, 247, 247]],
  [0.75, [239, 138, 98]],
  [1, [178, 24, 43]],
];
const SCALE = Array.from({ length: 256 }, (_, i) => interpolate(i / 255));
const INK = '#1c1e21';
const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
// Layout in CSS pixels: room for tick labels and axis titles around a square plot, the colour bar right.
const LEFT = 66, TOP = 18, SIZE = 260, BOTTOM = 58, BAR_GAP = 28, BAR = 14, RIGHT = 64;
export const WIDTH = LEFT + SIZE + BAR_GAP + BAR + RIGHT;
export const HEIGHT = TOP + SIZE + BOTTOM;

function interpolate(p) {
  const upper = STOPS.findIndex(([at]) => at >= p);
  if (upper <= 0) return STOPS[0][1];
  const [a, from] = STOPS[upper - 1];
  const [b, to] = STOPS[upper];
  const t = (p - a) / (b - a);
  return from.map((value, i) => Math.round(value + (to[i] - value) * t));
}

const UNDEFINED = [150, 150, 150]; // NaN: what a network that overflowed computes

/** The colour of probability p, as [r, g, b]. */
export function colour(p) {
  return Number.isNaN(p) ? UNDEFINED : SCALE[Math.round(Math.min(1, Math.max(0, p)) * 255)];
}

const css = ([r, g, b]) => `rgb(${r}, ${g}, ${b})`;

/** A grid's points, first input across and second input up, each in [0, 1] with both ends included. */
export function gridPoints(grid) {
  const rows = new Float32Array(grid * grid * 2);
  for (let j = 0; j < grid; j++) {
    for (let i = 0; i < grid; i++) {
      rows[(j * grid + i) * 2] = i / (grid - 1);
      rows[(j * grid + i) * 2 + 1] = j / (grid - 1);
    }
  }
  return rows;
}
const POINTS = gridPoints(GRID);

/** The model's probabilities over the grid: one run, `outputs` values per point. */
export function sample(model) {
  return model.run(POINTS, 2);
}

/**
 * Draw one output's surface into `canvas`. `values` holds `outputs` values per point of a square grid, as
 * `sample` gives them for GRID (or a forward pass for any `gridPoints`); `expected` is the truth table's
 * column for this output (a string of 4 bits); `current` the row the input bits show, marked with a ring
 * (-1 for none).
 */
export function paint(canvas, values, { output, outputs, inputNames, outputName, expected, current }) {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(WIDTH * ratio);
  canvas.height = Math.round(HEIGHT * ratio);
  canvas.dataset.plot = [LEFT, TOP, SIZE].map((v) => Math.round(v * ratio)).join(',');
  const context = canvas.getContext('2d');
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, WIDTH, HEIGHT);
  const at = (a, b) => [LEFT + a * SIZE, TOP + (1 - b) * SIZE];

  const grid = Math.round(Math.sqrt(values.length / outputs));
  const column = new Float32Array(grid * grid);
  for (let k = 0; k < column.length; k++) column[k] = values[k * outputs + output];
  heatmap(context, column, grid);
  boundary(context, column, grid, at);
  axes(context, inputNames);
  corners(context, expected, current, at);
  scale(context, outputName);
}

function heatmap(context, column, grid) {
  const image = new ImageData(grid, grid);
  for (let j = 0; j < grid; j++) {
    for (let i = 0; i < grid; i++) {
      const [r, g, b] = colour(column[j * grid + i]);
      const pixel = ((grid - 1 - j) * grid + i) * 4; // second input grows upwards
      image.data[pixel] = r;
      image.data[pixel + 1] = g;
      image.data[pixel + 2] = b;
      image.data[pixel + 3] = 255;
    }
  }
  const tile = document.createElement('canvas');
  tile.width = tile.height = grid;
  tile.getContext('2d').putImageData(image, 0, 0);
  // Pixel centres sit on the sampled points: the image reaches half a cell past the plot, clipped.
  const half = SIZE / (grid - 1) / 2;
  context.save();
  context.beginPath();
  context.rect(LEFT, TOP, SIZE, SIZE);
  context.clip();
  context.imageSmoothingEnabled = true;
  context.drawImage(tile, LEFT - half, TOP - half, SIZE + 2 * half, SIZE + 2 * half);
  context.restore();
}

// Marching squares: for each case of which cell corners are above 0.5, the cell edges the line crosses.
// Corners: 1 = (i, j), 2 = (i+1, j), 4 = (i+1, j+1), 8 = (i, j+1); edges: 0 bottom, 1 right, 2 top, 3 left.
const CASES = [[], [[3, 0]], [[0, 1]], [[3, 1]], [[1, 2]], [[3, 0], [1, 2]], [[0, 2]], [[3, 2]],
  [[2, 3]], [[0, 2]], [[0, 1], [2, 3]], [[1, 2]], [[1, 3]], [[0, 1]], [[0, 3]], []];

function boundary(context, column, grid, at) {
  const level = 0.5;
  const value = (i, j) => column[j * grid + i];
  const cross = (va, vb) => (level - va) / (vb - va);
  context.save();
  context.beginPath();
  for (let j = 0; j < grid - 1; j++) {
    for (let i = 0; i < grid - 1; i++) {
      const v = [value(i, j), value(i + 1, j), value(i + 1, j + 1), value(i, j + 1)];
      const index = v.reduce((sum, x, k) => sum + (x > level ? 1 << k : 0), 0);
      if (index === 0 || index === 15) continue;
      const edge = [
        () => [i + cross(v[0], v[1]), j],
        () => [i + 1, j + cross(v[1], v[2])],
        () => [i + cross(v[3], v[2]), j + 1],
        () => [i, j + cross(v[0], v[3])],
      ];
      for (const [from, to] of CASES[index]) {
        const [x0, y0] = at(...edge[from]().map((g) => g / (grid - 1)));
        const [x1, y1] = at(...edge[to]().map((g) => g / (grid - 1)));
        context.moveTo(x0, y0);
        context.lineTo(x1, y1);
      }
    }
  }
  context.strokeStyle = INK;
  context.lineWidth = 1.75;
  context.stroke();
  context.restore();
}

function axes(context, [xName, yName]) {
  context.save();
  context.strokeStyle = '#8a8f98';
  context.lineWidth = 1;
  context.strokeRect(LEFT + 0.5, TOP + 0.5, SIZE - 1, SIZE - 1);
  context.fillStyle = INK;
  context.font = FONT;
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    const x = LEFT + t * SIZE;
    const y = TOP + (1 - t) * SIZE;
    const length = t % 0.5 === 0 ? 6 : 3;
    context.beginPath();
    context.moveTo(x, TOP + SIZE);
    context.lineTo(x, TOP + SIZE + length);
    context.moveTo(LEFT, y);
    context.lineTo(LEFT - length, y);
    context.stroke();
    if (t % 0.5 !== 0) continue;
    context.textAlign = 'center';
    context.textBaseline = 'top';
    context.fillText(String(t), x, TOP + SIZE + 20);
    context.textAlign = 'right';
    context.textBaseline = 'middle';
    context.fillText(String(t), LEFT - 20, y);
  }
  context.font = `600 ${FONT}`;
  context.textAlign = 'center';
  context.textBaseline = 'bottom';
  context.fillText(`${xName} (input 1)`, LEFT + SIZE / 2, HEIGHT - 8);
  context.translate(16, TOP + SIZE / 2);
  context.rotate(-Math.PI / 2);
  context.textBaseline = 'middle';
  context.fillText(`${yName} (input 2)`, 0, 0);
  context.restore();
}

function corners(context, expected, current, at) {
  context.save();
  context.font = `600 ${FONT}`;
  context.textAlign = 'center';
  context.textBaseline = 'middle';
  for (let row = 0; row < 4; row++) {
    const [x, y] = at(row >> 1, row & 1);
    const bit = Number(expected[row]);
    if (row === current) {
      context.beginPath();
      context.arc(x, y, 15, 0, 2 * Math.PI);
      context.lineWidth = 3;
      context.strokeStyle = INK;
      context.stroke();
    }
    context.beginPath();
    context.arc(x, y, 9, 0, 2 * Math.PI);
    context.fillStyle = css(colour(bit));
    context.fill();
    context.lineWidth = 2;
    context.strokeStyle = '#ffffff';
    context.stroke();
    context.fillStyle = '#ffffff';
    context.fillText(String(bit), x, y + 0.5);
  }
  context.restore();
}

function scale(context, outputName) {
  const x = LEFT + SIZE + BAR_GAP;
  context.save();
  for (let k = 0; k < SIZE; k++) {
    context.fillStyle = css(colour(1 - k / (SIZE - 1)));
    context.fillRect(x, TOP + k, BAR, 1);
  }
  context.strokeStyle = '#8a8f98';
  context.strokeRect(x + 0.5, TOP + 0.5, BAR - 1, SIZE - 1);
  context.fillStyle = INK;
  context.strokeStyle = INK;
  context.font = FONT;
  context.textAlign = 'left';
  context.textBaseline = 'middle';
  for (const t of [0, 0.5, 1]) {
    const y = TOP + (1 - t) * SIZE;
    context.beginPath();
    context.moveTo(x + BAR, y);
    context.lineTo(x + BAR + (t === 0.5 ? 8 : 5), y);
    context.lineWidth = t === 0.5 ? 1.75 : 1;
    context.stroke();
    context.fillText(String(t), x + BAR + 10, y);
  }
  context.font = `600 ${FONT}`;
  context.textAlign = 'center';
  context.translate(x + BAR + 46, TOP + SIZE / 2);
  context.rotate(-Math.PI / 2);
  context.fillText(`P(${outputName} = 1)`, 0, 0);
  context.restore();
}
