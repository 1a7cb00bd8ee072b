// A network's forward pass in the browser, from its weights in Keras order (kernel, bias per layer), for the
// pictures of what it computes while it learns: the playground's live view and the replays. Each activation
// is Keras 3's function of that name with its default arguments (tests/test_web_playground.py checks every
// one against Keras). A network with an activation missing here gets no picture, never a wrong one.

const SELU_SCALE = 1.0507009873554805;
const SELU_ALPHA = 1.6732632423543772;

const sigmoid = (x) => 1 / (1 + Math.exp(-x));
const softplus = (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const hardSigmoid = (x) => Math.min(Math.max(x / 6 + 0.5, 0), 1);

/** erf to about 1e-7 (Numerical Recipes' erfc, a Chebyshev fit): enough for a picture and for gelu's test. */
function erf(x) {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const tail = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
    + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
    + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - tail : tail - 1;
}

/** Activations of one value at a time, by the name Keras knows them by. */
export const ACTIVATIONS = {
  linear: (x) => x,
  relu: (x) => Math.max(0, x),
  relu6: (x) => Math.min(Math.max(0, x), 6),
  leaky_relu: (x) => (x >= 0 ? x : 0.2 * x),
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  celu: (x) => (x > 0 ? x : Math.expm1(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  exponential: (x) => Math.exp(x),
  sigmoid,
  hard_sigmoid: hardSigmoid,
  sparse_sigmoid: (x) => Math.min(Math.max((x + 1) / 2, 0), 1),
  log_sigmoid: (x) => -softplus(-x),
  silu: (x) => x * sigmoid(x),
  swish: (x) => x * sigmoid(x),
  hard_silu: (x) => x * hardSigmoid(x),
  hard_swish: (x) => x * hardSigmoid(x),
  mish: (x) => x * Math.tanh(softplus(x)),
  tanh: Math.tanh,
  hard_tanh: (x) => Math.min(Math.max(x, -1), 1),
  tanh_shrink: (x) => x - Math.tanh(x),
  hard_shrink: (x) => (Math.abs(x) > 0.5 ? x : 0),
  soft_shrink: (x) => (x > 0.5 ? x - 0.5 : x < -0.5 ? x + 0.5 : 0),
  softplus,
  softsign: (x) => x / (1 + Math.abs(x)),
  sparse_plus: (x) => (x <= -1 ? 0 : x >= 1 ? x : (x + 1) ** 2 / 4),
  squareplus: (x) => (x + Math.sqrt(x * x + 4)) / 2,
};

/** Activations of a whole layer's units at once, for one point: `values` in place. */
const LAYERWISE = {
  softmax(values) {
    const top = Math.max(...values);
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += (values[i] = Math.exp(values[i] - top));
    for (let i = 0; i < values.length; i++) values[i] /= sum;
  },
  log_softmax(values) {
    const top = Math.max(...values);
    const log = Math.log(values.reduce((sum, value) => sum + Math.exp(value - top), 0)) + top;
    for (let i = 0; i < values.length; i++) values[i] -= log;
  },
};

export const KNOWN = [...Object.keys(ACTIVATIONS), ...Object.keys(LAYERWISE)].sort();

/** The layers' activations: the hidden layers' in order, then the output's. */
export function activationsOf(network) {
  return [...network.hidden.map((_, i) => network.activation[i] ?? network.activation[0]), network.output_activation];
}

/** The first activation of `network` that has no JavaScript version here, or null. */
export function missingActivation(network) {
  return activationsOf(network).find((name) => !(name in ACTIVATIONS) && !(name in LAYERWISE)) ?? null;
}

/** A network with fixed weights, ready to run on many points. */
export class Net {
  /** `weights` as JSON gives them: [kernel (rows of fan_in, each of units), bias, ...]; null for a NaN. */
  constructor(network, weights) {
    this.layers = activationsOf(network).map((name, l) => {
      const kernel = weights[2 * l];
      const bias = Float64Array.from(weights[2 * l + 1], (value) => value ?? NaN);
      return { kernel: Float64Array.from(kernel.flat(), (value) => value ?? NaN), bias, fanIn: kernel.length, units: bias.length,
        each: ACTIVATIONS[name], whole: LAYERWISE[name] };
    });
    this.finite = this.layers.every((layer) => layer.kernel.every(Number.isFinite) && layer.bias.every(Number.isFinite));
  }

  /** Each layer's outputs for `count` points (`points` holds their inputs, row after row): [hidden..., output]. */
  run(points, count) {
    const outputs = [];
    let input = points;
    for (const { kernel, bias, fanIn, units, each, whole } of this.layers) {
      const out = new Float64Array(count * units);
      for (let p = 0; p < count; p++) {
        const at = p * units;
        out.set(bias, at);
        for (let i = 0; i < fanIn; i++) {
          const x = input[p * fanIn + i];
          if (x === 0) continue;
          for (let u = 0; u < units; u++) out[at + u] += x * kernel[i * units + u];
        }
        if (whole) whole(out.subarray(at, at + units));
        else for (let u = 0; u < units; u++) out[at + u] = each(out[at + u]);
      }
      outputs.push(out);
      input = out;
    }
    return outputs;
  }
}

/** Every row of `inputs` bits in binary counting order (first input most significant), row after row. */
export function tableRows(inputs) {
  const rows = new Float64Array(2 ** inputs * inputs);
  for (let row = 0; row < 2 ** inputs; row++) {
    for (let i = 0; i < inputs; i++) rows[row * inputs + i] = Math.floor(row / 2 ** (inputs - 1 - i)) % 2;
  }
  return rows;
}
