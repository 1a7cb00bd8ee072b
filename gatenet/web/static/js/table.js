// The truth table beside the model's own probabilities, row by row; a large one a page at a time.
import { bitsOf, count, h, probability } from './dom.js';

const WHOLE = 64; // tables up to this many rows are shown whole
const PAGE = 32;
const WIDE = 8; // more inputs than this are shown as one string of bits

export class TruthTable {
  /** `pick(row)` sets the input bits to a row; `columns` is the truth table, one string per output. */
  constructor(model, columns, runner, pick) {
    this.model = model;
    this.columns = columns;
    this.runner = runner;
    this.pick = pick;
    this.rows = 2 ** model.inputs.length;
    this.size = this.rows <= WHOLE ? this.rows : PAGE;
    this.page = null;
    this.current = 0;
    this.body = h('tbody');
    this.pager = h('div', { class: 'pager' });
    const table = h('table', { class: 'truth' },
      h('caption', { class: 'visually-hidden' }, `Truth table of ${model.name}`), this.head(), this.body);
    this.element = h('div', {}, h('div', { class: 'table-wrap' }, table), this.pager);
  }

  head() {
    const { inputs, outputs } = this.model;
    const inputCells = inputs.length > WIDE
      ? [h('th', { scope: 'col', class: 'bits-head' }, inputs.join(' '))]
      : inputs.map((name) => h('th', { scope: 'col', class: 'in' }, name));
    return h('thead', {},
      h('tr', {},
        h('th', { scope: 'col' }, 'row'),
        inputCells,
        outputs.map((name) => h('th', { scope: 'col', class: 'out-head' }, name, h('span', { class: 'sub' }, 'truth · model'))),
      ));
  }

  /** Highlight `row`, turning to its page first. */
  async select(row) {
    this.current = row;
    const page = Math.floor(row / this.size);
    if (page !== this.page) await this.show(page);
    for (const tr of this.body.rows) tr.setAttribute('aria-current', String(Number(tr.dataset.row) === row));
  }

  async show(page) {
    this.page = page;
    const first = page * this.size;
    const last = Math.min(this.rows, first + this.size);
    const { inputs, outputs } = this.model;
    const bits = Array.from({ length: last - first }, (_, k) => bitsOf(first + k, inputs.length));
    const values = await this.runner.run(Float32Array.from(bits.flat()), inputs.length);
    if (page !== this.page) return; // turned again while this page ran
    this.body.replaceChildren(...bits.map((rowBits, k) => {
      const row = first + k;
      const cells = outputs.map((_, o) => {
        const p = values[k * outputs.length + o];
        const truth = this.columns[o][row];
        const wrong = Number(p > 0.5) !== Number(truth);
        return h('td', { class: wrong ? 'out-cell wrong' : 'out-cell' },
          h('span', { class: `chip b${truth}` }, truth), ' ', h('span', { class: 'p' }, probability(p)));
      });
      const inputCells = inputs.length > WIDE
        ? [h('td', { class: 'bits-cell' }, rowBits.join(''))]
        : rowBits.map((bit) => h('td', { class: 'in' }, String(bit)));
      return h('tr', { 'data-row': row, 'aria-current': String(row === this.current) },
        h('td', {}, h('button', { type: 'button', class: 'row-pick', 'aria-label': `Set the inputs to row ${row}`, onclick: () => this.pick(row) }, count(row))),
        inputCells, cells);
    }));
    this.paging(first, last);
  }

  paging(first, last) {
    if (this.rows <= WHOLE) return;
    const pages = this.rows / this.size;
    this.pager.replaceChildren(
      h('button', { type: 'button', disabled: this.page === 0, onclick: () => this.show(this.page - 1) }, '← Previous'),
      h('span', { class: 'muted' }, `rows ${count(first)}–${count(last - 1)} of ${count(this.rows)}`),
      h('button', { type: 'button', disabled: this.page === pages - 1, onclick: () => this.show(this.page + 1) }, 'Next →'),
    );
  }
}
