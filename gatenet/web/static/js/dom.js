// Small helpers shared by the page's modules: build elements without innerHTML, fetch JSON, format numbers.

const SVG = 'http://www.w3.org/2000/svg';

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

/** An HTML element: h('button', {type: 'button', onclick}, 'label'). */
export function h(tag, attributes, ...children) {
  return build(document.createElement(tag), attributes, children);
}

/** An SVG element, the same way. */
export function s(tag, attributes, ...children) {
  return build(document.createElementNS(SVG, tag), attributes, children);
}

/** A JSON document the page needs; a refusal's JSON error message becomes the Error's message. */
export async function loadJSON(url) {
  const response = await fetch(url, { cache: 'no-cache' });
  if (!response.ok) {
    const reason = await response.json().then((body) => body.error, () => response.statusText);
    throw new Error(`${url}: ${reason || `HTTP ${response.status}`}`);
  }
  return response.json();
}

export const count = (n) => n.toLocaleString('en');
export const probability = (p) => p.toFixed(4);

export function bytes(n) {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1000).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** Input bits (first input most significant) as the truth table's row number, and back. */
export function rowOf(bits) {
  return bits.reduce((row, bit) => row * 2 + bit, 0);
}

export function bitsOf(row, inputs) {
  return Array.from({ length: inputs }, (_, i) => Math.floor(row / 2 ** (inputs - 1 - i)) % 2);
}
