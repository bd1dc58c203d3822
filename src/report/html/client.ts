/**
 * The HTML report's script: inline in the page (its hash is in the page's Content-Security-Policy).
 * It reads the report's data from the page (a JSON script element) and draws, on demand, what is
 * too large to put in the page as elements: a cell's results, a hop's results, a port's paths.
 * Every string it shows goes in through textContent: nothing from a capture or a rule file is ever
 * parsed as HTML. Plain ES2017, no template literals (this file is one).
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('md-data').textContent);
  var S = D.strings;
  var ST = ['pass', 'skip', 'warn', 'fail', 'error'];
  var ICON = { pass: '\u2714', skip: '\u25cb', warn: '\u26a0', fail: '\u2716', error: '!' };
  var PAGE = 100;
  var P = D.problems.length;
  // cells: [rule, row, worst, acceptedWorst, accepted, n0..n4, problemStart, problemCount, passStart, passCount]
  var C_RULE = 0, C_ROW = 1, C_WORST = 2, C_ACCW = 3, C_ACC = 4, C_N = 5, C_PS = 10, C_PC = 11, C_QS = 12, C_QC = 13;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function plural(n, w) { return n + ' ' + w + (n === 1 ? '' : 's'); }

  /** The cell a pass (index into D.passes pairs) belongs to: the last cell whose passes start at or before it. */
  function passCell(i) {
    var lo = 0, hi = D.cells.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (D.cells[mid][C_QS] <= i) lo = mid; else hi = mid - 1;
    }
    return lo;
  }
  /** A result by id: problems first (0..P-1), then passes. */
  function result(id) {
    if (id < P) {
      var p = D.problems[id];
      var c = D.cells[p[0]];
      return { rule: c[C_RULE], row: c[C_ROW], status: ST[p[1]], subject: S[p[2]], message: S[p[3]], remediation: S[p[4]],
        where: p[5].map(function (w) { return S[w]; }), evidence: p[6], accepted: p[7] || null };
    }
    var i = id - P;
    var cell = D.cells[passCell(i)];
    return { rule: cell[C_RULE], row: cell[C_ROW], status: 'pass', subject: S[D.passes[2 * i]], message: S[D.passes[2 * i + 1]],
      remediation: '', where: [], evidence: null, accepted: null };
  }
  function rowLabel(row) { return D.rows[row][0]; }

  function badge(status, text) { return el('span', 'badge s-' + status, text || status); }

  function evidenceTable(ev) {
    var keys = Object.keys(ev || {});
    if (!keys.length) return null;
    var t = el('table', 'evidence');
    var body = add(t, el('tbody'));
    keys.forEach(function (k) {
      var tr = add(body, el('tr'));
      add(tr, el('th', '', k));
      var v = ev[k];
      var text;
      if (v === null || typeof v !== 'object') text = String(v);
      else if (Array.isArray(v) && v.every(function (x) { return x === null || typeof x !== 'object'; })) text = v.length ? v.join(', ') : '(none)';
      else text = JSON.stringify(v, null, 1);
      add(tr, el('td', '', text));
    });
    return t;
  }

  function resultView(r, withContext) {
    var a = el('article', 'result b-' + r.status);
    var head = add(a, el('div', 'head'));
    add(head, badge(r.status));
    if (r.accepted) add(head, el('span', 'badge acc s-' + r.status, 'accepted'));
    if (withContext) add(head, el('span', 'muted', D.rules[r.rule].id + ' \u00b7 ' + rowLabel(r.row)));
    if (r.subject) add(head, el('span', 'subject', r.subject));
    add(a, el('p', 'message', r.message));
    if (r.where.length) {
      var w = add(a, el('div', 'where'));
      add(w, el('span', 'muted', 'where: '));
      r.where.forEach(function (x, i) { if (i) w.appendChild(document.createTextNode(', ')); add(w, el('code', '', x)); });
    }
    var ev = evidenceTable(r.evidence);
    if (ev) a.appendChild(ev);
    if (r.remediation) add(a, el('p', 'remediation', r.remediation));
    if (r.accepted) add(a, el('p', 'accepted', 'accepted until ' + S[r.accepted[1]] + ': ' + S[r.accepted[0]] + ' (' + S[r.accepted[2]] + ')'));
    return a;
  }

  /** Items drawn a page at a time, with a button for the next page. */
  function paged(container, count, draw) {
    var shown = 0;
    var more = null;
    function next() {
      var end = Math.min(count, shown + PAGE);
      for (; shown < end; shown++) draw(shown);
      if (more) { more.remove(); more = null; }
      if (shown < count) {
        more = el('button', 'more', 'show ' + Math.min(PAGE, count - shown) + ' more (' + (count - shown) + ' left)');
        more.type = 'button';
        more.addEventListener('click', next);
        container.parentNode.insertBefore(more, container.nextSibling);
      }
    }
    next();
  }

  function ruleMeta(parent, rule) {
    var m = add(parent, el('div', 'rule-meta'));
    add(m, el('p', '', '')).appendChild(el('strong', '', rule.title));
    if (rule.description) add(m, el('p', 'muted', rule.description));
    var facts = [];
    if (rule.severity) facts.push('severity ' + rule.severity);
    facts.push(rule.scope + ' rule');
    if (rule.docs) facts.push(rule.docs);
    add(m, el('p', 'muted', facts.join(' \u00b7 ')));
    if (rule.references.length) {
      var ul = add(m, el('ul', 'refs'));
      rule.references.forEach(function (ref) {
        var li = add(ul, el('li'));
        // Only web addresses become links (opened by a click, never loaded by the page).
        if (/^https?:\/\//i.test(ref)) {
          var link = add(li, el('a', '', ref));
          link.href = ref;
          link.rel = 'noopener noreferrer';
          link.target = '_blank';
        } else li.textContent = ref;
      });
    }
  }

  var detail = document.getElementById('detail');
  var openCell = null;

  function showCell(k) {
    var c = D.cells[k];
    var rule = D.rules[c[C_RULE]];
    clear(detail);
    detail.setAttribute('data-cell', String(k));
    add(detail, el('h2', '', rule.id + ' on ' + (D.rows[c[C_ROW]][1] ? 'the cluster' : 'node ' + rowLabel(c[C_ROW]))));
    ruleMeta(detail, rule);
    var counts = [];
    for (var s = ST.length - 1; s >= 0; s--) if (c[C_N + s]) counts.push(c[C_N + s] + ' ' + ST[s]);
    add(detail, el('p', 'counts', counts.join(', ') + (c[C_ACC] ? ' (' + c[C_ACC] + ' accepted)' : '')));
    if (c[C_PC]) {
      add(detail, el('h3', '', plural(c[C_PC], 'result') + ' to look at'));
      var list = add(detail, el('div', 'problems'));
      paged(list, c[C_PC], function (i) { list.appendChild(resultView(result(c[C_PS] + i), false)); });
    }
    if (c[C_QC]) {
      add(detail, el('h3', '', c[C_QC] + (c[C_QC] === 1 ? ' pass' : ' passes')));
      var ul = add(detail, el('ul', 'passes'));
      paged(ul, c[C_QC], function (i) {
        var j = c[C_QS] + i;
        var subject = S[D.passes[2 * j]];
        var li = add(ul, el('li'));
        if (subject) add(li, el('span', 'subject', subject + ': '));
        li.appendChild(document.createTextNode(S[D.passes[2 * j + 1]]));
      });
    }
  }

  var matrix = document.getElementById('matrix');
  function pick(td) {
    if (!td || !td.hasAttribute('data-k')) return;
    if (openCell) openCell.classList.remove('open');
    openCell = td;
    td.classList.add('open');
    showCell(Number(td.getAttribute('data-k')));
  }
  matrix.addEventListener('click', function (e) { pick(e.target.closest('td[data-k]')); });
  matrix.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(e.target.closest('td[data-k]')); }
  });

  // Published ports: [key, worst, brokenNodes, paths]; path: [row, broken, hops...];
  // hop: [status, shared, ids...]: the port's own results, worst first, and shared (-1: none), the
  // index in D.shared of the node's results that hold for every port at the hop, worst first.
  /** A hop's results, worst first (the port's own before the node's at the same status). */
  function hopIds(data) {
    var own = data.slice(2);
    var common = data[1] < 0 ? [] : D.shared[data[1]];
    if (!common.length) return own;
    var out = [], i = 0, j = 0;
    while (i < own.length || j < common.length) {
      if (j >= common.length || (i < own.length && rank(own[i]) >= rank(common[j]))) out.push(own[i++]);
      else out.push(common[j++]);
    }
    return out;
  }
  /** The worst of a hop's results (the first of hopIds), without listing them all; -1 when none. */
  function firstId(data) {
    var a = data.length > 2 ? data[2] : -1;
    var b = data[1] >= 0 && D.shared[data[1]].length ? D.shared[data[1]][0] : -1;
    if (a < 0 || b < 0) return a < 0 ? b : a;
    return rank(a) >= rank(b) ? a : b;
  }
  function rank(id) { return ST.indexOf(result(id).status); }
  var portList = document.getElementById('port-list');
  var portPaths = document.getElementById('port-paths');
  var filter = document.getElementById('port-filter');
  var portButtons = [];

  function showHop(port, path, h) {
    var hop = D.hops[h];
    var ids = hopIds(path[2 + h]);
    if (openCell) { openCell.classList.remove('open'); openCell = null; }
    clear(detail);
    detail.removeAttribute('data-cell');
    add(detail, el('h2', '', port[0] + ': ' + hop.label + ' on node ' + rowLabel(path[0])));
    add(detail, el('p', 'muted', hop.what + ' (rules: ' + hop.rules.join(', ') + ')'));
    if (!ids.length) add(detail, el('p', '', 'No result of these rules names ' + port[0] + ' on this node.'));
    var list = add(detail, el('div', 'problems'));
    paged(list, ids.length, function (i) { list.appendChild(resultView(result(ids[i]), true)); });
  }

  function showPort(i) {
    var port = D.ports[i];
    portButtons.forEach(function (b, j) { b.classList.toggle('sel', j === i); });
    clear(portPaths);
    portPaths.setAttribute('data-port', port[0]);
    var title = add(portPaths, el('h3', '', port[0]));
    title.appendChild(document.createTextNode(port[2] ? ' \u2014 broken on ' + plural(port[2], 'node') : ' \u2014 no broken hop'));
    var table = add(portPaths, el('table', 'paths'));
    var body = add(table, el('tbody'));
    port[3].forEach(function (path) {
      var tr = add(body, el('tr'));
      tr.setAttribute('data-node', rowLabel(path[0]));
      add(tr, el('th', '', rowLabel(path[0])));
      var flow = add(add(tr, el('td')), el('div', 'path'));
      D.hops.forEach(function (hop, h) {
        if (h) add(flow, el('span', 'arrow', '\u2192'));
        var data = path[2 + h];
        var status = data[0] < 0 ? 'none' : ST[data[0]];
        var box = add(flow, el('div', 'hop s-' + status));
        box.tabIndex = 0;
        box.setAttribute('data-hop', hop.id);
        box.setAttribute('data-status', status);
        if (path[1] === h) { box.classList.add('broken'); box.setAttribute('data-broken', 'true'); }
        else if (path[1] >= 0 && h > path[1]) box.classList.add('after');
        var top = data[0] >= 0 ? firstId(data) : -1;
        var first = top >= 0 ? result(top) : null;
        if (first && first.accepted) box.classList.add('acc');
        add(box, el('span', 'st', status === 'none' ? 'not checked' : status));
        add(box, el('div', 'label', hop.label));
        add(box, el('div', 'msg', first ? first.message : 'no result for ' + port[0] + ' here'));
        box.title = hop.what + (first ? '\n' + first.message : '');
        box.addEventListener('click', function () { showHop(port, path, h); });
        box.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); showHop(port, path, h); } });
      });
    });
  }

  D.ports.forEach(function (port, i) {
    var b = add(portList, el('button', port[1] < 0 ? 's-none' : 's-' + ST[port[1]], port[0]));
    b.type = 'button';
    b.setAttribute('data-port', port[0]);
    if (port[2]) add(b, el('span', 'n', '\u2716' + port[2]));
    b.title = port[2] ? 'broken on ' + plural(port[2], 'node') : 'no broken hop';
    b.addEventListener('click', function () { showPort(i); });
    portButtons.push(b);
  });
  if (filter) filter.addEventListener('input', function () {
    var q = filter.value.trim().toLowerCase();
    portButtons.forEach(function (b) { b.hidden = q !== '' && b.getAttribute('data-port').toLowerCase().indexOf(q) < 0; });
  });
  if (D.ports.length) showPort(D.firstPort);
  document.documentElement.setAttribute('data-ready', 'true');
})();
`;
