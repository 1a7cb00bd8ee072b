// The learning curve from a model's stored history: loss (log scale) above accuracy, one step axis.
import { count, s } from './dom.js';

const WIDTH = 460, HEIGHT = 310;
const LEFT = 64, RIGHT = 18, TOP = 16, GAP = 36, BOTTOM = 44;
const PANEL = (HEIGHT - TOP - GAP - BOTTOM) / 2;

/** About five round tick values from 0 to `last`. */
function ticks(last) {
  const rough = last / 5;
  const power = 10 ** Math.floor(Math.log10(rough || 1));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough) ?? power * 10;
  return Array.from({ length: Math.floor(last / step) + 1 }, (_, i) => i * step);
}

function line(x1, y1, x2, y2, className) {
  return s('line', { x1, y1, x2, y2, class: className });
}

function label(x, y, text, attributes = {}) {
  return s('text', { x, y, ...attributes }, text);
}

/**
 * An SVG chart of `history` ({step, loss, accuracy, first_right_step}); `lossName` titles the loss axis.
 * `last` ends the step axis (a training still running draws into a fixed axis); `marker` marks a step
 * (the one a replay shows).
 */
export function learningCurve(history, lossName, { last: end, marker } = {}) {
  const { step: steps, loss, accuracy } = history;
  const last = Math.max(1, end ?? steps[steps.length - 1]);
  const right = history.first_right_step;
  const x = (step) => LEFT + (step / last) * (WIDTH - LEFT - RIGHT);
  const positive = loss.filter((value) => value > 0);
  const low = positive.length ? Math.floor(Math.log10(Math.min(...positive))) : -3;
  const high = Math.max(low + 1, positive.length ? Math.ceil(Math.log10(Math.max(...positive))) : 0);
  const yLoss = (value) => TOP + ((high - Math.log10(Math.max(value, 10 ** low))) / (high - low)) * PANEL;
  const accuracyTop = TOP + PANEL + GAP;
  const yAccuracy = (value) => accuracyTop + (1 - value) * PANEL;
  const path = (values, y) => steps.map((step, i) => [step, values[i]]).filter(([, value]) => value !== null)
    .map(([step, value]) => `${x(step).toFixed(1)},${y(value).toFixed(1)}`).join(' ');
  const powers = Array.from({ length: high - low + 1 }, (_, i) => low + i).filter((p, i, all) => all.length <= 4 || (high - p) % 2 === 0);
  const bottom = accuracyTop + PANEL;

  const shown = (value) => (value === null ? 'overflow' : value.toPrecision(2));
  const summary = `Learning curve over ${count(steps[steps.length - 1])} steps: loss from ${shown(loss[0])} to ${shown(loss[loss.length - 1])}, `
    + `accuracy from ${Math.round(accuracy[0] * 100)}% to ${Math.round(accuracy[accuracy.length - 1] * 100)}%`
    + (right === null ? '' : `; every row right from step ${count(right)}`);
  return s('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'curve', role: 'img', 'aria-label': summary },
    s('title', {}, summary),
    // Loss panel.
    s('rect', { x: LEFT, y: TOP, width: WIDTH - LEFT - RIGHT, height: PANEL, class: 'frame' }),
    powers.map((p) => [
      line(LEFT - 5, yLoss(10 ** p), WIDTH - RIGHT, yLoss(10 ** p), 'grid'),
      label(LEFT - 8, yLoss(10 ** p), `1e${p}`, { class: 'tick', 'text-anchor': 'end', 'dominant-baseline': 'middle' }),
    ]),
    s('polyline', { points: path(loss, yLoss), class: 'series loss' }),
    label(18, TOP + PANEL / 2, `loss (${lossName})`, { class: 'axis-title', transform: `rotate(-90 18 ${TOP + PANEL / 2})`, 'text-anchor': 'middle' }),
    // Accuracy panel.
    s('rect', { x: LEFT, y: accuracyTop, width: WIDTH - LEFT - RIGHT, height: PANEL, class: 'frame' }),
    [0, 0.5, 1].map((value) => [
      line(LEFT - 5, yAccuracy(value), WIDTH - RIGHT, yAccuracy(value), 'grid'),
      label(LEFT - 8, yAccuracy(value), `${value * 100}%`, { class: 'tick', 'text-anchor': 'end', 'dominant-baseline': 'middle' }),
    ]),
    s('polyline', { points: path(accuracy, yAccuracy), class: 'series accuracy' }),
    label(18, accuracyTop + PANEL / 2, 'accuracy', { class: 'axis-title', transform: `rotate(-90 18 ${accuracyTop + PANEL / 2})`, 'text-anchor': 'middle' }),
    // The shared step axis.
    ticks(last).map((step) => [
      line(x(step), bottom, x(step), bottom + 5, 'axis'),
      label(x(step), bottom + 18, count(step), { class: 'tick', 'text-anchor': 'middle' }),
    ]),
    label(LEFT + (WIDTH - LEFT - RIGHT) / 2, HEIGHT - 6, 'training step', { class: 'axis-title', 'text-anchor': 'middle' }),
    right === null ? null : [
      line(x(right), TOP, x(right), bottom, 'marker'),
      label(Math.min(x(right) + 6, WIDTH - RIGHT - 150), TOP + 14, `all rows right from step ${count(right)}`, { class: 'marker-label' }),
    ],
    marker === undefined ? null : line(x(marker), TOP, x(marker), bottom, 'now'),
  );
}
