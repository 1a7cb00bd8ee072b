// A classic script, not a module: opened as a file (file://), the browser refuses the page's modules and
// its fetches, so app.js never runs and the page would say "Loading…" for ever. This says why, and what
// to do instead.
if (location.protocol === 'file:') {
  document.addEventListener('DOMContentLoaded', () => {
    const element = (tag, ...children) => {
      const made = document.createElement(tag);
      made.append(...children);
      return made;
    };
    const card = element('div',
      element('h2', 'Open this gallery through a web server'),
      element('p', 'It was opened as a file, and browsers do not let a page opened as a file load its scripts ',
        'and models. Serve its folder over http: run ', element('code', 'python -m http.server'),
        ' in the site folder and open ', element('code', 'http://localhost:8000/'), ', or run ',
        element('code', 'gatenet serve --dir FOLDER'), ' for a model folder.'));
    card.className = 'card error';
    card.setAttribute('role', 'alert');
    document.getElementById('view').replaceChildren(card);
    document.getElementById('folder').textContent = 'Opened as a file: the models cannot be read from here.';
  });
}
