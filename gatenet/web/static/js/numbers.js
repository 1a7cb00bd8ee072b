// An adder's bits read as numbers, so its page can say `a + b + carry_in = 5 + 9 + 1 = 15`. The result is
// read from the model's own output bits, never computed from the inputs: a wrong model shows a wrong sum.
//
// The rule, by bit names alone (docs/gallery.md):
//   - A name ending in a number (a3, sum0) is that bit of the word named by the rest (bit 0 the least
//     significant); any other name (a, sum) is a word of one bit. A word's bits must be 0 .. n-1, each once.
//   - The inputs are two words of the same width n (any names: the operands, in the order the inputs give
//     them) and, if present, the one bit `carry_in`, which is added.
//   - The outputs are the word `sum`, n bits wide, and the one bit `carry` or `carry_out`, the most
//     significant bit of the result, above the sum's bits. Nothing else. n is at most 52.
// A model whose names do not fit (MUX4, PARITY3, a one-operand word, a missing carry) gets no number line.

const CARRY_IN = 'carry_in';
const CARRIES_OUT = ['carry', 'carry_out'];
const SUM = 'sum';
const WIDEST = 52; // bits a word may have: the result, one bit wider, is then a number JavaScript holds exactly

/** Bit names grouped into words, in order of first appearance: {name, width, at: positions by bit}; or
 * null when some word's bits are not 0 .. n-1, each once. */
function words(names) {
  const found = new Map();
  names.forEach((name, position) => {
    const [, stem, digits] = /^(.*?[^0-9])?([0-9]+)?$/.exec(name) ?? [];
    const numbered = digits !== undefined && stem !== undefined && String(Number(digits)) === digits;
    const word = numbered ? stem : name;
    const bit = numbered ? Number(digits) : -1; // -1: a name with no number, a word of one bit
    if (!found.has(word)) found.set(word, { name: word, bits: new Map() });
    found.get(word).bits.set(bit, position);
  });
  const result = [];
  for (const { name, bits } of found.values()) {
    const width = bits.size;
    if (bits.has(-1)) {
      if (width !== 1) return null; // `a` beside `a0`: not one word
      result.push({ name, width, at: [bits.get(-1)] });
      continue;
    }
    const at = Array.from({ length: width }, (_, bit) => bits.get(bit));
    if (at.includes(undefined)) return null; // a gap: a0, a2
    result.push({ name, width, at });
  }
  return result;
}

/** How to read `inputs` and `outputs` (bit names) as an adder, or null when they do not follow the rule. */
export function adderOf(inputs, outputs) {
  const given = words(inputs), made = words(outputs);
  if (!given || !made) return null;
  const carryIn = given.find((word) => word.name === CARRY_IN);
  const operands = given.filter((word) => word !== carryIn);
  if (carryIn && carryIn.width !== 1) return null;
  if (operands.length !== 2 || operands[0].width !== operands[1].width) return null;
  const sum = made.find((word) => word.name === SUM);
  const carries = made.filter((word) => CARRIES_OUT.includes(word.name));
  if (made.length !== 2 || !sum || carries.length !== 1 || carries[0].width !== 1) return null;
  if (sum.width !== operands[0].width || sum.width > WIDEST) return null;
  return { operands, carryIn: carryIn ?? null, sum, carry: carries[0] };
}

const value = (word, bits) => word.at.reduce((total, position, bit) => total + bits[position] * 2 ** bit, 0);

/** The line for input bits `bits` and the model's output bits `made` (0/1 each): its terms, their values
 * and the model's result, read from `made` with the carry above the sum's bits. */
export function adderLine(adder, bits, made) {
  const terms = [...adder.operands, adder.carryIn].filter(Boolean);
  const values = terms.map((word) => value(word, bits));
  const result = value(adder.sum, made) + made[adder.carry.at[0]] * 2 ** adder.sum.width;
  return { values, result, text: `${terms.map((word) => word.name).join(' + ')} = ${values.join(' + ')} = ${result}` };
}
