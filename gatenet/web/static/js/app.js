// The gallery: the model list from gallery.json, and the view the URL's hash names:
//   #xor                     a model's page
//   #replay/xor              its training, replayed from its history's weight snapshots
//   #playground?gate=XOR&…   train a network and watch it learn (only from gatenet serve: "api": true)
// The same files run from `gatenet serve` and from any static host (`gatenet site`): every URL is relative.
import { count, h, loadJSON } from './dom.js';
import { showModel } from './model.js';
import { showPlayground } from './playground.js';
import { showReplay } from './replay.js';

const view = document.getElementById('view');
const list = document.getElementById('model-list');
const filter = document.getElementById('filter');
const folder = document.getElementById('folder');
let gallery = null;
// The view shown: `leave()` when the page moves on (stops a training, a replay); `busy()` while it holds
// work that showing it afresh would throw away (a training under way).
let shown = null;

function report(error) {
  view.replaceChildren(h('div', { class: 'card error', role: 'alert' },
    h('h2', {}, 'Something went wrong'), h('p', {}, error.message ?? String(error))));
}

function where() {
  const [path, query] = location.hash.slice(1).split(/\?(.*)/s);
  return { path: decodeURIComponent(path), query };
}

function navigation() {
  const models = gallery.models;
  // A click on the view already shown starts it afresh, unless that would stop a training under way. The
  // hash changes only if the URL held the playground's settings; otherwise nothing else would show it.
  const again = (path) => (event) => {
    if (where().path !== path) return;
    if (shown?.busy?.()) event.preventDefault();
    else if (location.hash === event.currentTarget.getAttribute('href')) route();
  };
  const groups = [['Gates', models.filter((m) => m.kind === 'gate')], ['Circuits', models.filter((m) => m.kind === 'circuit')]];
  // replaceChildren, unlike h(), adds a null as the text "null": the link is spread in, or nothing.
  const playground = gallery.api ? [h('a', { href: '#playground', class: 'nav-link playground-link', 'data-key': 'playground', onclick: again('playground') },
    h('span', { class: 'name' }, 'Playground'), h('span', { class: 'shape' }, 'train'))] : [];
  list.replaceChildren(
    ...playground,
    ...groups.filter(([, members]) => members.length).map(([title, members]) => h('section', { class: 'group' },
      h('h2', {}, title, h('span', { class: 'count' }, String(members.length))),
      h('ul', {}, members.map((model) => h('li', { 'data-search': `${model.name} ${model.description}`.toLowerCase() },
        h('a', { href: `#${encodeURIComponent(model.key)}`, class: 'model-link', 'data-key': model.key, onclick: again(model.key) },
          h('span', { class: 'name' }, model.name),
          h('span', { class: 'shape', title: `${model.inputs.length} inputs, ${model.outputs.length} outputs` },
            `${model.inputs.length} → ${model.outputs.length}`))))))));
  applyFilter();
  const source = gallery.api ? 'served by gatenet serve' : 'a static site';
  folder.textContent = `${gallery.folder}: ${count(models.length)} verified models, run in your browser by onnxruntime-web (${source})`;
}

function applyFilter() {
  const words = filter.value.toLowerCase().trim().split(/\s+/);
  for (const item of list.querySelectorAll('li')) item.hidden = !words.every((word) => item.dataset.search.includes(word));
  for (const group of list.querySelectorAll('.group')) group.hidden = !group.querySelector('li:not([hidden])');
}

function mark(key) {
  for (const link of list.querySelectorAll('a[data-key]')) {
    if (link.dataset.key === key) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** Read gallery.json again: a training in the playground has added a model. */
async function refresh() {
  gallery = await loadJSON('gallery.json');
  navigation();
  mark(where().path.startsWith('playground') ? 'playground' : where().path);
}

function route() {
  shown?.leave();
  shown = null;
  const { path, query } = where();
  if (path === 'playground') {
    mark('playground');
    document.title = 'Playground · gatenet gallery';
    shown = showPlayground(view, { api: gallery.api, query, onModels: refresh, report });
    return;
  }
  const replay = path.startsWith('replay/');
  const key = replay ? path.slice('replay/'.length) : path;
  const model = gallery.models.find((m) => m.key === key) ?? gallery.models[0];
  if (!model) {
    view.replaceChildren(h('div', { class: 'card' }, h('h2', {}, 'No models yet'),
      h('p', {}, 'This folder holds no models. Train some with ', h('code', {}, 'gatenet train'),
        gallery.api ? h('span', {}, ', or in the ', h('a', { href: '#playground' }, 'playground')) : null, '.')));
    return;
  }
  mark(model.key);
  document.title = `${replay ? 'Replay: ' : ''}${model.name} · gatenet gallery`;
  if (replay) shown = { leave: showReplay(view, model, report) };
  else showModel(view, model, gallery.api, report).catch(report);
}

async function start() {
  gallery = await loadJSON('gallery.json');
  navigation();
  filter.addEventListener('input', applyFilter);
  window.addEventListener('hashchange', route);
  route();
}

start().catch((error) => {
  folder.textContent = 'The model folder could not be read.';
  report(error);
});
