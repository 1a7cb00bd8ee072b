// The playground's settings: the form that edits them and the URL that holds them, so a shared link sets up
// the same experiment and, with the same seed, trains the same network. The server checks every setting
// again (gatenet/web/settings.py); the form's limits only save a round trip.
import { bitsOf, h } from './dom.js';
import { KNOWN } from './forward.js';

const LOSSES = ['mse', 'binary_crossentropy', 'mae', 'huber', 'log_cosh', 'squared_hinge', 'hinge'];
const OPTIMIZERS = ['adam', 'sgd', 'rmsprop', 'adamw', 'nadam', 'adamax', 'adagrad', 'adadelta', 'ftrl', 'lion', 'lamb', 'adafactor'];
const OWN = ''; // the gate chooser's value for a table typed in
const NETWORK = ['hidden', 'activation', 'output_activation', 'loss', 'optimizer', 'learning_rate', 'steps'];
const LOGIC = ['logic_width', 'logic_depth', 'logic_wiring', 'logic_restarts', 'logic_steps']; // LogicSpec's, as `gatenet train` names them
const ORDER = ['gate', 'inputs', 'table', 'name', 'kind', ...NETWORK, ...LOGIC, 'seed', 'speed'];
const NUMBERS = ['inputs', 'learning_rate', 'steps', 'seed', 'speed', 'logic_width', 'logic_depth', 'logic_restarts', 'logic_steps'];
const WIRINGS = ['learned', 'random'];

const inputNames = (inputs) => 'abcd'.slice(0, inputs).split('');
const outputNames = (outputs) => (outputs === 1 ? ['out'] : Array.from({ length: outputs }, (_, o) => `out${o}`));

/** The gate offered under `name` (any letter case), or undefined. */
function offered(offer, name) {
  return offer.gates.find((gate) => gate.name.toLowerCase() === String(name).toLowerCase());
}

/** The `logic_*` settings of a LogicSpec's fields. */
const logicSettings = (spec) => Object.fromEntries(LOGIC.map((key) => [key, spec[key.slice('logic_'.length)]]));

/** A gate's table and the network and logic network `gatenet train` gives it: where the form starts from it. */
function gateSettings(gate) {
  const { hidden, activation, output_activation, loss, optimizer, learning_rate, steps } = gate.network;
  return { gate: gate.name, inputs: gate.inputs.length, table: [...gate.table], name: `PLAY_${gate.name}`,
    hidden: [...hidden], activation: [...activation], output_activation, loss, optimizer, learning_rate, steps, ...logicSettings(gate.logic) };
}

/**
 * Settings from the URL's query (the hash after `?`), each missing one from the gate's or gatenet's
 * defaults, and a note when the link names a gate this server does not offer.
 */
export function fromQuery(query, offer) {
  const params = new URLSearchParams(query ?? '');
  const list = (key) => (params.get(key) === '' ? [] : params.get(key).split(','));
  const named = params.get('gate') ?? 'XOR';
  const start = offered(offer, named) ?? offer.gates[0];
  const note = start.name.toLowerCase() === named.toLowerCase() ? null
    : `The link names the gate ${named}, which this server does not offer; the form starts from ${start.name}.`;
  const settings = { ...gateSettings(start), kind: 'network', seed: 0, speed: offer.speed };
  if (params.has('table')) {
    const { hidden, activation, output_activation, loss, optimizer, learning_rate, steps } = offer.network;
    Object.assign(settings, { gate: OWN, table: list('table'), name: 'PLAY_TABLE', hidden, activation, output_activation, loss, optimizer, learning_rate, steps,
      ...logicSettings(offer.logic) });
    settings.inputs = Math.max(1, Math.round(Math.log2(settings.table[0]?.length || 4)));
  }
  for (const key of ORDER.filter((k) => params.has(k) && !['gate', 'table'].includes(k))) {
    if (key === 'hidden') settings.hidden = list(key).map(Number);
    else if (key === 'activation') settings.activation = list(key);
    else settings[key] = NUMBERS.includes(key) ? Number(params.get(key)) : params.get(key);
  }
  if (settings.activation.length === 1) settings.activation = settings.hidden.map(() => settings.activation[0]);
  return { settings, note };
}

/** The URL query of `settings`: readable, with commas in lists kept as they are. */
export function toQuery(settings) {
  const value = (key) => (Array.isArray(settings[key]) ? settings[key].join(',') : String(settings[key]));
  const other = settings.kind === 'logic' ? NETWORK : LOGIC;
  const keys = ORDER.filter((key) => (settings.gate === OWN ? key !== 'gate' : !['inputs', 'table'].includes(key)) && !other.includes(key));
  return keys.map((key) => `${key}=${encodeURIComponent(value(key)).replaceAll('%2C', ',')}`).join('&');
}

/** The body of `POST api/train` for `settings`: the settings of its kind only (the server refuses the other's). */
export function requestOf(settings) {
  const { gate, inputs, table, ...rest } = settings;
  for (const key of settings.kind === 'logic' ? NETWORK : LOGIC) delete rest[key];
  return gate === OWN ? { inputs, table, ...rest } : { gate, ...rest };
}

/** The names of a table's bits, and the table itself, as the server will build the gate. */
export function bitsOfSettings(settings, offer) {
  const gate = settings.gate === OWN ? null : offered(offer, settings.gate);
  return {
    inputs: gate ? gate.inputs : inputNames(settings.inputs),
    outputs: gate ? gate.outputs : outputNames(settings.table.length),
    columns: settings.table,
  };
}

const fileHint = (folder, name) => `Written to ${folder}/ as ${name.toLowerCase()}.onnx when it verifies`;
const field = (label, control, hint) => h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control,
  hint ? h('span', { class: 'field-hint' }, hint) : null);

export class SettingsForm {
  /** `changed(settings)` is called after every edit. */
  constructor(offer, settings, changed) {
    this.offer = offer;
    this.settings = settings;
    this.changed = changed;
    this.error = h('p', { class: 'form-error', role: 'alert', hidden: true });
    this.body = h('div', { class: 'settings-grid' });
    this.element = h('form', { class: 'card settings', 'aria-label': 'Training settings', novalidate: true,
      onsubmit: (event) => event.preventDefault(), oninput: (event) => this.edit(event.target) },
    this.body, this.error,
    h('datalist', { id: 'pg-activations' }, KNOWN.map((name) => h('option', { value: name }))),
    h('datalist', { id: 'pg-losses' }, LOSSES.map((name) => h('option', { value: name }))),
    h('datalist', { id: 'pg-optimizers' }, OPTIMIZERS.map((name) => h('option', { value: name }))));
    this.render();
  }

  /** Lock the settings while a training runs: what trains is what was asked. */
  lock(locked) {
    for (const fieldset of this.body.querySelectorAll('fieldset')) fieldset.disabled = locked;
  }

  /** Point at the field a refusal names (of hidden layer `layer`, when it says), with its message. */
  refuse(name, message, layer) {
    const control = layer === undefined ? this.control(name) : this.body.querySelector(`[name="${name}-${layer}"]`) ?? this.control(name);
    control?.setAttribute('aria-invalid', 'true');
    control?.focus();
    this.error.textContent = message;
    this.error.hidden = false;
  }

  control(name) {
    const selector = { kind: '[name="kind"]', hidden: '[name="layers"], [name^="units-"]', activation: '[name^="activation-"]', table: '.editor button' }[name]
      ?? `[name="${CSS.escape(name)}"]`;
    const found = [...this.body.querySelectorAll(selector)];
    return found.find((control) => control.matches('[aria-invalid="true"]')) ?? found.at(-1) ?? null;
  }

  edit(control) {
    if (!control.name) return;
    this.error.hidden = true;
    for (const marked of this.body.querySelectorAll('[aria-invalid]')) marked.removeAttribute('aria-invalid');
    const settings = this.settings;
    const value = control.value;
    const [key, index] = control.name.split('-');
    let structural = true;
    if (key === 'gate') {
      const gate = offered(this.offer, value);
      const name = settings.name === `PLAY_${settings.gate || 'TABLE'}` ? `PLAY_${gate?.name ?? 'TABLE'}` : settings.name;
      Object.assign(settings, gate ? gateSettings(gate) : { gate: OWN }, { name }); // a name of one's own stays
    } else if (key === 'inputs') {
      settings.inputs = Number(value);
      settings.table = settings.table.map(() => '0'.repeat(2 ** settings.inputs));
    } else if (key === 'outputs') {
      const outputs = Number(value);
      settings.table = Array.from({ length: outputs }, (_, o) => settings.table[o] ?? '0'.repeat(2 ** settings.inputs));
    } else if (key === 'kind') {
      settings.kind = value;
    } else if (key === 'layers') {
      const layers = Math.max(0, Math.min(this.offer.limits.layers, Math.round(Number(value)) || 0));
      if (control.value === '' || layers === settings.hidden.length) return;
      settings.hidden = Array.from({ length: layers }, (_, i) => settings.hidden[i] ?? settings.hidden.at(-1) ?? 8);
      settings.activation = Array.from({ length: layers }, (_, i) => settings.activation[i] ?? settings.activation.at(-1) ?? 'relu');
    } else {
      structural = false;
      if (key === 'units') settings.hidden[Number(index)] = Number(value);
      else if (key === 'activation') settings.activation[Number(index)] = value;
      else settings[key] = NUMBERS.includes(key) ? Number(value) : value;
      if (key === 'name') this.nameHint.textContent = fileHint(this.offer.folder, value);
    }
    if (structural) {
      const focused = control.name;
      this.render();
      this.body.querySelector(`[name="${focused}"]`)?.focus();
    }
    this.changed(settings);
  }

  toggle(row, output) {
    const column = this.settings.table[output];
    const bit = column[row] === '1' ? '0' : '1';
    this.settings.table[output] = column.slice(0, row) + bit + column.slice(row + 1);
    const button = this.body.querySelector(`.editor button[data-row="${row}"][data-output="${output}"]`);
    button.textContent = bit;
    button.setAttribute('aria-pressed', String(bit === '1'));
    button.className = `cell-bit b${bit}`;
    this.changed(this.settings);
  }

  render() {
    const { settings, offer } = this;
    const limits = offer.limits;
    const own = settings.gate === OWN;
    const names = bitsOfSettings(settings, offer);
    const gate = offered(offer, settings.gate);
    const number = (name, value, min, max, step = 1) => h('input', { type: 'number', name, value, min, max, step, required: true, inputmode: 'decimal' });
    const named = (name, value, list) => h('input', { type: 'text', name, value, list, required: true, spellcheck: 'false', autocomplete: 'off' });
    const options = (values, chosen) => values.map((value) => h('option', { value, selected: String(value) === String(chosen) }, String(value)));

    this.body.replaceChildren(
      h('fieldset', { class: 'table-set' }, h('legend', {}, 'Truth table'),
        field('Learn', h('select', { name: 'gate' },
          offer.gates.map((g) => h('option', { value: g.name, selected: g.name === settings.gate }, `${g.name} · ${g.description}`)),
          h('option', { value: OWN, selected: own }, 'Your own truth table…'))),
        own ? h('div', { class: 'field-row' },
          field('Inputs', h('select', { name: 'inputs' }, options([1, 2, 3, 4].filter((n) => n <= limits.inputs), settings.inputs))),
          field('Outputs', h('select', { name: 'outputs' }, options([1, 2, 3, 4].filter((n) => n <= limits.outputs), settings.table.length)))) : null,
        this.editor(names, own),
        h('p', { class: 'field-hint' }, own ? 'Click an output bit to flip it.' : `${gate?.description ?? ''}. Choose “Your own truth table” to edit it.`)),
      h('fieldset', { class: 'kind-set' }, h('legend', {}, 'Learn it as'),
        field('Kind', h('select', { name: 'kind' },
          h('option', { value: 'network', selected: settings.kind !== 'logic' }, 'network · a small float network that imitates the table'),
          h('option', { value: 'logic', selected: settings.kind === 'logic' }, 'logic · a network of learned 2-input gates, discretized to a circuit')))),
      ...(settings.kind === 'logic' ? this.logicFields(number) : this.networkFields(number, named)),
      h('fieldset', {}, h('legend', {}, 'Model'),
        field('Name', h('input', { type: 'text', name: 'name', value: settings.name, required: true, maxlength: limits.name, spellcheck: 'false', autocomplete: 'off', pattern: '[A-Za-z][A-Za-z0-9_]*' }),
          fileHint(offer.folder, settings.name))),
    );
    this.nameHint = this.body.querySelector('[name="name"] + .field-hint'); // follows the name as it is typed
  }

  /** A network's settings: its layers, then how it trains. */
  networkFields(number, named) {
    const { settings } = this;
    const { limits } = this.offer;
    return [
      h('fieldset', {}, h('legend', {}, 'Network'),
        field('Hidden layers', number('layers', settings.hidden.length, 0, limits.layers), `0 to ${limits.layers}`),
        settings.hidden.map((units, i) => h('div', { class: 'field-row layer' },
          field(`Layer ${i + 1} units`, number(`units-${i}`, units, 1, limits.units)),
          field(`Layer ${i + 1} activation`, named(`activation-${i}`, settings.activation[i], 'pg-activations')))),
        field('Output activation', named('output_activation', settings.output_activation, 'pg-activations'))),
      h('fieldset', {}, h('legend', {}, 'Training'),
        h('div', { class: 'field-row' },
          field('Loss', named('loss', settings.loss, 'pg-losses')),
          field('Optimizer', named('optimizer', settings.optimizer, 'pg-optimizers'))),
        h('div', { class: 'field-row' },
          field('Learning rate', number('learning_rate', settings.learning_rate, 0, limits.learning_rate, 'any')),
          field('Steps', number('steps', settings.steps, 1, limits.steps)),
          field('Seed', number('seed', settings.seed, 0, limits.seed)))),
    ];
  }

  /** A logic network's settings (`gatenet train --kind logic`'s logic_* settings): its shape, then how it trains. */
  logicFields(number) {
    const { settings } = this;
    const { limits } = this.offer;
    return [
      h('fieldset', {}, h('legend', {}, 'Logic network'),
        h('div', { class: 'field-row' },
          field('Width', number('logic_width', settings.logic_width, 1, limits.logic_width), `gates a layer, 1 to ${limits.logic_width}`),
          field('Depth', number('logic_depth', settings.logic_depth, 0, limits.logic_depth), `layers, 0 to ${limits.logic_depth}, then a gate per output`)),
        field('Wiring', h('select', { name: 'logic_wiring' }, WIRINGS.map((wiring) => h('option', { value: wiring, selected: wiring === settings.logic_wiring },
          wiring === 'learned' ? 'learned · each gate learns which two signals it reads' : 'random · fixed random pairs, as in difflogic'))))),
      h('fieldset', {}, h('legend', {}, 'Training'),
        h('div', { class: 'field-row' },
          field('Restarts', number('logic_restarts', settings.logic_restarts, 1, limits.logic_restarts), 'networks side by side'),
          field('Steps', number('logic_steps', settings.logic_steps, 1, limits.logic_steps)),
          field('Seed', number('seed', settings.seed, 0, limits.seed)))),
    ];
  }

  /** The truth table: bits of each row, and each output as a button that flips it (a table typed in). */
  editor({ inputs, outputs, columns }, editable) {
    return h('div', { class: 'table-wrap editor-wrap' }, h('table', { class: 'truth editor' },
      h('caption', { class: 'visually-hidden' }, 'The truth table to learn'),
      h('thead', {}, h('tr', {}, inputs.map((name) => h('th', { scope: 'col', class: 'in' }, name)),
        outputs.map((name) => h('th', { scope: 'col', class: 'out-head' }, name)))),
      h('tbody', {}, Array.from({ length: 2 ** inputs.length }, (_, row) => h('tr', {},
        bitsOf(row, inputs.length).map((bit) => h('td', { class: 'in' }, String(bit))),
        outputs.map((name, o) => {
          const bit = columns[o]?.[row] ?? '?'; // a link's malformed table: the server will name it
          return h('td', {}, h('button', { type: 'button', class: `cell-bit b${bit}`, disabled: !editable, 'data-row': row, 'data-output': o,
            'aria-pressed': String(bit === '1'), 'aria-label': `${name} for row ${row}`, onclick: () => this.toggle(row, o) }, bit));
        }))))));
  }
}
