// The alignment reader: builds every element from window.KG_READER with textContent only;
// document text is untrusted and never parsed as HTML.
(function () {
  'use strict';
  const data = window.KG_READER;
  const measures = data.measures;
  const list = document.getElementById('measures');
  const reading = document.getElementById('reading');
  const position = document.getElementById('position');
  let current = 0;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The passage's text with its marks; marks may overlap, so the text is cut at every mark
  // boundary and each piece carries the kinds of all marks covering it.
  function markedText(passage) {
    const box = el('div', 'text');
    const text = passage.text;
    const cuts = new Set([0, text.length]);
    for (const mark of passage.marks) {
      cuts.add(Math.max(0, Math.min(text.length, mark.start)));
      cuts.add(Math.max(0, Math.min(text.length, mark.end)));
    }
    const points = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i + 1 < points.length; i++) {
      const start = points[i], end = points[i + 1];
      const piece = text.slice(start, end);
      const covering = passage.marks.filter(m => m.start <= start && end <= m.end);
      if (!covering.length) {
        box.appendChild(document.createTextNode(piece));
        continue;
      }
      const mark = el('mark', covering.map(m => 'kg-' + m.kind).join(' '), piece);
      mark.dataset.kinds = covering.map(m => m.kind).join(' ');
      mark.title = covering.map(m => data.kinds[m.kind] + (m.note ? ' — ' + m.note : '')).join('\n');
      box.appendChild(mark);
    }
    return box;
  }

  function heading(passage, prefix) {
    const title = passage.title ? ' ' + passage.title : '';
    return el('h3', '', prefix + passage.doc + ' · ' + passage.label + title);
  }

  function upperBox(link) {
    const box = el('section', 'passage upper');
    box.dataset.upper = link.upper_doc + '|' + link.upper_measure;
    box.appendChild(heading(link.passage, link.period === 'later' ? 'context: ' : '#' + link.rank + ' '));
    box.appendChild(el('div', 'words', link.words));
    box.appendChild(markedText(link.passage));
    return box;
  }

  function show(index, focusItem) {
    current = Math.max(0, Math.min(measures.length - 1, index));
    const measure = measures[current];
    reading.replaceChildren();
    const title = measure.passage.title ? ' ' + measure.passage.title : '';
    reading.appendChild(el('h2', '', data.doc.name + ' · ' + measure.label + title));
    reading.appendChild(el('p', measure.local_only ? 'summary local-only' : 'summary', measure.summary));
    const pair = el('div', 'pair');
    const lower = el('section', 'passage lower');
    lower.appendChild(heading(measure.passage, 'lower: '));
    lower.appendChild(markedText(measure.passage));
    pair.appendChild(lower);
    const uppers = el('div', 'uppers');
    if (!measure.links.length) {
      uppers.appendChild(el('p', 'local-only', 'No passage of an upper plan in force takes this measure up.'));
    }
    for (const link of measure.links) uppers.appendChild(upperBox(link));
    if (measure.context.length) {
      const details = el('details', 'context');
      details.appendChild(el('summary', '', measure.context.length + ' passage(s) of later plans, as context'));
      for (const link of measure.context) details.appendChild(upperBox(link));
      uppers.appendChild(details);
    }
    pair.appendChild(uppers);
    reading.appendChild(pair);
    reading.scrollTop = 0;
    for (const [i, item] of [...list.querySelectorAll('button')].entries()) {
      item.setAttribute('aria-current', i === current ? 'true' : 'false');
    }
    const item = list.querySelectorAll('button')[current];
    if (item) {
      item.scrollIntoView({block: 'nearest'});
      if (focusItem) item.focus();
    }
    position.textContent = 'measure ' + (current + 1) + ' of ' + measures.length;
    history.replaceState(null, '', '#' + encodeURIComponent(measure.label));
  }

  measures.forEach((measure, i) => {
    const li = el('li');
    const button = el('button', '', measure.label + (measure.passage.title ? ' ' + measure.passage.title : ''));
    button.type = 'button';
    button.dataset.label = measure.label;
    if (measure.local_only) {
      button.appendChild(el('span', 'tag local', 'local only'));
    } else if (measure.links.some(link => link.strength === 'direct')) {
      button.appendChild(el('span', 'tag strong', 'strong'));
    }
    button.addEventListener('click', () => show(i, false));
    li.appendChild(button);
    list.appendChild(li);
  });

  document.getElementById('prev').addEventListener('click', () => show(current - 1, false));
  document.getElementById('next').addEventListener('click', () => show(current + 1, false));
  document.getElementById('document').addEventListener('change', event => {
    window.location.href = event.target.value;
  });
  document.addEventListener('keydown', event => {
    const target = event.target;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (target && (target.tagName === 'SELECT' || target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return;
    const step = {j: 1, ArrowDown: 1, ArrowRight: 1, k: -1, ArrowUp: -1, ArrowLeft: -1}[event.key];
    if (!step) return;
    event.preventDefault();
    show(current + step, true);
  });

  let wanted = '';
  try {
    wanted = decodeURIComponent(window.location.hash.slice(1));
  } catch (error) {  // a hand-edited address: start at the first measure
    wanted = '';
  }
  const start = Math.max(0, measures.findIndex(m => m.label === wanted));
  if (measures.length) show(start, false);
  window.kgReader = {show: show, current: () => current, ready: true};
})();
