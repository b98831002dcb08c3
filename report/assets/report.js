(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('hfidx-data').textContent);
  var NOW = D.generated;
  var DAY = 86400;
  var MAX_TILES = 200; // tiles drawn at one level; the rest become "N more"
  var MIN_AREA = 300; // px²: smaller tiles join "N more"
  var marks = { start: performance.now() };

  // ---- formatting ----------------------------------------------------
  var UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  function fmtSize(n) {
    var v = n, u = 0;
    while (Math.abs(v) >= 1000 && u < UNITS.length - 1) { v /= 1000; u++; }
    return u === 0 ? v + ' B' : v.toFixed(1) + ' ' + UNITS[u];
  }
  function fmtInt(n) { return Number(n).toLocaleString('en-US'); }
  function days(ts) { return ts > 0 ? Math.max(0, (NOW - ts) / DAY) : -1; }
  function ago(ts) {
    var d = days(ts);
    if (d < 0) return 'unknown';
    if (d < 1) return 'today';
    if (d < 2) return 'yesterday';
    if (d < 14) return Math.floor(d) + ' days ago';
    if (d < 60) return Math.floor(d / 7) + ' weeks ago';
    if (d < 730) return Math.floor(d / 30) + ' months ago';
    return Math.floor(d / 365) + ' years ago';
  }
  function isoDate(ts) { return ts > 0 ? new Date(ts * 1000).toISOString().slice(0, 10) : ''; }
  // Colour: green when used today, through yellow and orange, to red at a
  // year or more; grey when unknown.
  function colour(ts) {
    var d = days(ts);
    if (d < 0) return '#8a939e';
    var t = Math.min(1, Math.log(1 + d) / Math.log(366));
    var hue = 135 * (1 - t);
    return 'hsl(' + hue.toFixed(0) + ',58%,' + (40 - 6 * Math.sin(t * Math.PI)).toFixed(0) + '%)';
  }
  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; }); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ---- the tree --------------------------------------------------------
  // Repo rows: [id, size, exclusive, lastUsed, refs, damaged, revisions, files]
  var R = D.repos;
  function repoNode(i) {
    var r = R[i];
    return { kind: 'repo', i: i, name: r[0], value: r[1], excl: r[2], used: r[3], refs: r[4], damaged: r[5] };
  }
  var root = {
    kind: 'cache', name: 'Cache', value: 0,
    kids: function () { var a = []; for (var i = 0; i < R.length; i++) a.push(repoNode(i)); return a; }
  };
  for (var i = 0; i < R.length; i++) root.value += R[i][1];
  // A repo's tiles: each revision by the bytes no other revision links,
  // and one tile for the blobs several link, so that they add up to the
  // repo. A revision's own level shows all of its files.
  function revNodes(repo) {
    var d = D.detail[repo.i];
    if (!d) return null;
    var a = d.revs.map(function (v) {
      return { kind: 'rev', repo: repo, hash: v[0], name: v[0].slice(0, 12) + (v[4] ? ' (' + v[4].split(',').join(', ') + ')' : ''),
        value: v[1], excl: v[2], modified: v[3], refs: v[4], used: v[5], files: v[6], moreN: v[7], moreBytes: v[8], area: v[9] };
    });
    if (d.shared_bytes > 0) {
      var used = 0;
      d.shared.forEach(function (f) { used = Math.max(used, f[3]); });
      a.push({ kind: 'shared', repo: repo, name: 'Shared by several revisions', value: d.shared_bytes, used: used, shared: d.shared });
    }
    return a;
  }
  function areaOf(n) { return n.area !== undefined ? n.area : n.value; }
  function fileNodes(rev) {
    var a = rev.files.map(function (f) {
      return { kind: 'file', name: f[0], value: f[1], only: f[2], used: f[3] };
    });
    if (rev.moreN > 0) a.push({ kind: 'file', name: rev.moreN + ' more files (not in this report)', value: rev.moreBytes, only: -1, used: rev.used });
    return a;
  }
  function children(n) {
    if (n.kind === 'cache') return n.kids();
    if (n.kind === 'more') return n.items;
    if (n.kind === 'repo') return revNodes(n);
    if (n.kind === 'rev') return fileNodes(n);
    if (n.kind === 'shared') return n.shared.map(function (f) { return { kind: 'file', name: f[0], value: f[1], only: 0, revs: f[2], used: f[3] }; });
    return [];
  }
  // group keeps the tiles big enough to see and folds the rest into one
  // "N more" tile, which is itself a level to go into.
  function group(items, area, parent) {
    items = items.filter(function (n) { return areaOf(n) > 0; });
    items.sort(function (a, b) { return areaOf(b) - areaOf(a) || (a.name < b.name ? -1 : 1); });
    var total = 0;
    for (var i = 0; i < items.length; i++) total += areaOf(items[i]);
    var keep = [], rest = total;
    for (i = 0; i < items.length; i++) {
      // A few items are all drawn, however thin; many are cut at MAX_TILES,
      // or where tiles get too small to see once what is left is a small
      // part of the whole (a long tail of big items stays drawn).
      if (i > 0 && items.length > 30 && (i >= MAX_TILES || (areaOf(items[i]) / total * area < MIN_AREA && rest / total < 0.1))) break;
      keep.push(items[i]);
      rest -= areaOf(items[i]);
    }
    if (items.length - keep.length === 1) keep.push(items[keep.length]);
    if (keep.length < items.length) {
      var rest = items.slice(keep.length), sum = 0, used = 0;
      for (i = 0; i < rest.length; i++) { sum += areaOf(rest[i]); used = Math.max(used, rest[i].used || 0); }
      keep.push({ kind: 'more', name: fmtInt(rest.length) + ' more', value: sum, used: used, items: rest, parent: parent });
    }
    return keep;
  }

  // ---- squarified treemap (Bruls, Huizing, van Wijk) --------------------
  function squarify(items, x, y, w, h) {
    var out = [], total = 0, i;
    for (i = 0; i < items.length; i++) total += areaOf(items[i]);
    if (total <= 0) return out;
    var scale = w * h / total, row = [], rowSum = 0;
    function worst(sum, min, max, side) {
      var s2 = sum * sum, side2 = side * side;
      return Math.max(side2 * max / s2, s2 / (side2 * min));
    }
    function lay() {
      if (!row.length) return;
      var horizontal = w >= h, side = horizontal ? h : w, thick = rowSum / side, off = 0;
      for (var j = 0; j < row.length; j++) {
        var len = row[j].a / thick;
        if (horizontal) out.push({ n: row[j].n, x: x, y: y + off, w: thick, h: len });
        else out.push({ n: row[j].n, x: x + off, y: y, w: len, h: thick });
        off += len;
      }
      if (horizontal) { x += thick; w -= thick; } else { y += thick; h -= thick; }
      row = []; rowSum = 0;
    }
    var min = Infinity, max = 0;
    for (i = 0; i < items.length; i++) {
      var a = areaOf(items[i]) * scale, side = Math.min(w, h);
      if (row.length) {
        var before = worst(rowSum, min, max, side);
        var after = worst(rowSum + a, Math.min(min, a), Math.max(max, a), side);
        if (after > before) { lay(); min = Infinity; max = 0; side = Math.min(w, h); }
      }
      row.push({ n: items[i], a: a }); rowSum += a; min = Math.min(min, a); max = Math.max(max, a);
    }
    lay();
    return out;
  }

  // ---- drawing -----------------------------------------------------------
  var map = document.getElementById('map'), crumbs = document.getElementById('crumbs'), level = document.getElementById('level');
  var path = [root], tiles = [];
  function describe(n) {
    var s = n.name + ', ' + fmtSize(n.value);
    if (n.kind === 'rev') s += ', ' + fmtSize(n.area) + ' in no other revision';
    if (n.kind === 'repo' || n.kind === 'rev') s += ', ' + fmtSize(n.excl) + ' exclusive';
    if (n.revs) s += ', in ' + n.revs + ' revisions';
    if (n.kind === 'file' && n.only >= 0) s += n.only ? ', only in this revision' : ', shared with other revisions';
    if (n.used !== undefined) s += ', last used ' + ago(n.used);
    if (n.damaged) s += ', damaged';
    return s;
  }
  function draw() {
    var node = path[path.length - 1];
    var W = Math.max(300, map.clientWidth), H = Math.max(200, map.clientHeight);
    var kids = children(node);
    map.textContent = '';
    tiles = [];
    if (kids === null) {
      map.appendChild(el('p', { 'class': 'empty' }, 'The revisions and files of ' + node.name + ' are left out of this report to keep it small (' +
        fmtInt(D.omitted) + ' of the smaller repos are). Run: ' + D.hints.ls + ' ' + node.name));
    } else if (!kids.length || node.value <= 0) {
      map.appendChild(el('p', { 'class': 'empty' }, 'Nothing here takes space.'));
    } else {
      var laid = squarify(group(kids, W * H, node), 0, 0, W, H);
      var svg = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ' + W + ' ' + H + '" role="group" aria-label="' +
        esc('Treemap of ' + node.name + ': ' + laid.length + ' tiles') + '">'];
      for (var i = 0; i < laid.length; i++) {
        var t = laid[i], n = t.n, leaf = n.kind === 'file';
        tiles.push(n);
        var cls = leaf ? 'leaf' : 'tile' + (n.kind === 'more' ? ' more' : '');
        var label = describe(n);
        svg.push('<g class="' + cls + '" data-t="' + i + '" data-kind="' + n.kind + '"' +
          (leaf ? '' : ' tabindex="0" role="button"') + ' aria-label="' + esc(label) + '">');
        svg.push('<rect x="' + t.x.toFixed(1) + '" y="' + t.y.toFixed(1) + '" width="' + Math.max(0, t.w).toFixed(1) +
          '" height="' + Math.max(0, t.h).toFixed(1) + '" fill="' + colour(n.used) + '"><title>' + esc(label) + '</title></rect>');
        if (t.w > 46 && t.h > 17) {
          var chars = Math.floor((t.w - 8) / 6.6), name = n.name;
          // A repo's tile shows its id without the type, else its last
          // part: the tile's title and the table carry the whole name.
          if (n.kind === 'repo') name = name.slice(name.indexOf('/') + 1);
          if (n.kind === 'repo' && name.length > chars) name = name.slice(name.lastIndexOf('/') + 1);
          if (n.kind === 'file' && name.length > chars) name = name.slice(name.lastIndexOf('/') + 1);
          if (name.length > chars) name = name.slice(0, Math.max(1, chars - 1)) + '\u2026';
          svg.push('<text x="' + (t.x + 4).toFixed(1) + '" y="' + (t.y + 14).toFixed(1) + '">' + esc(name) + '</text>');
          var sub = n.kind === 'rev' ? fmtSize(n.area) + ' own of ' + fmtSize(n.value) : n.kind === 'more' ? fmtSize(n.value) + ' \u2014 click to see them' : fmtSize(n.value);
          if (sub.length > chars) sub = n.kind === 'rev' ? fmtSize(n.area) + ' own' : sub;
          if (t.h > 32) svg.push('<text class="sub" x="' + (t.x + 4).toFixed(1) + '" y="' + (t.y + 28).toFixed(1) + '">' + esc(sub) + '</text>');
        }
        svg.push('</g>');
      }
      svg.push('</svg>');
      map.innerHTML = svg.join('');
    }
    drawCrumbs();
    drawLevel(node, kids);
  }
  function drawCrumbs() {
    crumbs.textContent = '';
    path.forEach(function (n, k) {
      var li = el('li');
      var b = el('button', { type: 'button', title: n.kind === 'rev' ? n.hash : n.name }, (n.kind === 'rev' ? n.hash.slice(0, 12) : n.name) + ' (' + fmtSize(n.value) + ')');
      if (k === path.length - 1) li.setAttribute('aria-current', 'location');
      else b.addEventListener('click', function () { path = path.slice(0, k + 1); draw(); });
      li.appendChild(b);
      crumbs.appendChild(li);
    });
  }
  function go(n) {
    if (n.kind === 'file') return;
    path.push(n);
    draw();
    var first = map.querySelector('.tile');
    if (first && document.activeElement && document.activeElement.closest && document.activeElement.closest('#map')) first.focus();
  }
  map.addEventListener('click', function (e) {
    var g = e.target.closest && e.target.closest('.tile');
    if (g) go(tiles[+g.getAttribute('data-t')]);
  });
  map.addEventListener('keydown', function (e) {
    var g = e.target.closest && e.target.closest('.tile');
    if (g && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); go(tiles[+g.getAttribute('data-t')]); }
    if (e.key === 'Backspace' && path.length > 1) { e.preventDefault(); path.pop(); draw(); }
  });
  var resizeTimer = 0;
  window.addEventListener('resize', function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(draw, 120); });

  // The numbers of the level shown, as a table (the repos' own table is
  // below, so the cache level and its "N more" groups need none).
  function drawLevel(node, kids) {
    level.textContent = '';
    if (!kids || node.kind === 'cache' || node.kind === 'more') {
      if (node.kind === 'cache' && root.value !== D.totals.size_on_disk) {
        level.appendChild(el('p', { 'class': 'help' }, 'Tiles add up to ' + fmtSize(root.value) + ': each repo counts every blob it links, ' +
          'damaged repos included, and a shared-store payload counts in every repo using it; the total on disk counts healthy repos and each payload once.'));
      }
      return;
    }
    var t = el('table');
    var cap = node.kind === 'repo' ? 'Revisions of ' + node.name : node.kind === 'shared' ? 'Files several revisions of ' + node.repo.name + ' link' :
      'Files of revision ' + node.hash + ' of ' + node.repo.name;
    t.appendChild(el('caption', {}, cap));
    var head = node.kind === 'repo' ? ['Revision', 'Refs', 'Size', 'Its own', 'Exclusive', 'Files', 'Last modified', 'Last used'] : ['Path', 'Size', node.kind === 'shared' ? 'Revisions linking it' : 'In other revisions', 'Last used'];
    var hr = el('tr');
    head.forEach(function (h, k) { hr.appendChild(el('th', { scope: 'col', 'class': (node.kind === 'repo' ? k >= 2 && k <= 5 : k === 1) ? 'num' : '' }, h)); });
    t.appendChild(el('thead')).appendChild(hr);
    var rows = [];
    var revs = node.kind === 'repo' ? kids.filter(function (n) { return n.kind === 'rev'; }) : kids;
    revs.forEach(function (n, k) {
      if (node.kind === 'repo') {
        rows.push('<tr><td class="name"><button type="button" data-k="' + k + '"><code>' + esc(n.hash) + '</code></button></td><td>' + esc(n.refs.split(',').join(', ')) +
          '</td><td class="num">' + fmtSize(n.value) + '</td><td class="num">' + fmtSize(n.area) +
          '</td><td class="num">' + fmtSize(n.excl) + '</td><td class="num">' + fmtInt(n.files.length + n.moreN) + '</td><td>' + isoDate(n.modified) +
          '</td><td>' + ago(n.used) + '</td></tr>');
      } else {
        rows.push('<tr><td class="name">' + esc(n.name) + '</td><td class="num">' + fmtSize(n.value) + '</td><td>' +
          (n.revs ? n.revs : n.only < 0 ? '' : n.only ? 'no' : 'yes') + '</td><td>' + ago(n.used) + '</td></tr>');
      }
    });
    var tb = el('tbody');
    tb.innerHTML = rows.join('');
    tb.addEventListener('click', function (e) {
      var b = e.target.closest('button[data-k]');
      if (b) go(revs[+b.getAttribute('data-k')]);
    });
    t.appendChild(tb);
    level.appendChild(t);
    if (node.kind === 'repo') {
      level.appendChild(el('p', { 'class': 'help' }, 'A revision\'s tile is the bytes no other revision of the repo links (its own); ' +
        'the blobs several link make one tile of their own, so the tiles add up to the repo. Exclusive is what deleting that revision alone frees.'));
    }
  }

  // ---- summary, prune, growth ------------------------------------------------
  var T = D.totals;
  var total = document.getElementById('total-size');
  total.textContent = fmtSize(T.size_on_disk);
  total.parentNode.parentNode.className = 'card main';
  var summary = document.getElementById('summary');
  function card(label, text, value) {
    var div = el('div', { 'class': 'card' }), dd = el('dd');
    div.appendChild(el('dt', {}, label));
    if (value !== undefined) dd.appendChild(el('data', { value: value }, text)); else dd.textContent = text;
    div.appendChild(dd);
    summary.appendChild(div);
    return div;
  }
  card('Repos', fmtInt(T.repos), T.repos);
  card('Revisions', fmtInt(T.revisions), T.revisions);
  card('Files', fmtInt(T.files), T.files);
  if (T.damaged_repos) card('Damaged repos', fmtInt(T.damaged_repos) + ' (' + fmtSize(T.damaged_size_on_disk) + ')', T.damaged_repos).classList.add('dmg');
  if (T.incomplete_files) card('Interrupted downloads', fmtInt(T.incomplete_files) + ' (' + fmtSize(T.incomplete_size) + ')', T.incomplete_size);
  if (D.prune_total !== null) card('Prune would free', fmtSize(D.prune_total), D.prune_total);

  if (D.prune.length) {
    document.getElementById('prune-section').hidden = false;
    var pb = document.querySelector('#prune tbody'), pr = [];
    D.prune.forEach(function (k) {
      pr.push('<tr><td>' + esc(k.kind) + '</td><td class="num">' + fmtInt(k.count) + '</td><td class="num">' + (k.size || k.count ? fmtSize(k.size) : '') + '</td></tr>');
    });
    pb.innerHTML = pr.join('');
    document.querySelector('#prune tfoot').innerHTML = '<tr><td>Total</td><td></td><td class="num"><data id="prune-total" value="' + D.prune_total + '">' + fmtSize(D.prune_total) + '</data></td></tr>';
  }

  // Growth: drawn only from two points of history on.
  if (D.history.length >= 2) {
    document.getElementById('growth-section').hidden = false;
    var hs = D.history, gw = 1000, gh = 120, t0 = hs[0].at, t1 = hs[hs.length - 1].at, top = 0;
    hs.forEach(function (p) { top = Math.max(top, p.size_on_disk); });
    var pts = hs.map(function (p) {
      return ((p.at - t0) / Math.max(1, t1 - t0) * (gw - 20) + 10).toFixed(1) + ',' + (gh - 10 - p.size_on_disk / Math.max(1, top) * (gh - 20)).toFixed(1);
    });
    var g = document.getElementById('growth');
    g.innerHTML = '<svg viewBox="0 0 ' + gw + ' ' + gh + '" preserveAspectRatio="none" aria-hidden="true"><polyline fill="none" stroke="#2458b3" stroke-width="2" points="' + pts.join(' ') + '"/></svg>';
    var gt = '<table><caption class="sr-only">Cache total over time</caption><thead><tr><th scope="col">Date</th><th scope="col" class="num">On disk</th></tr></thead><tbody>';
    hs.forEach(function (p) { gt += '<tr><td>' + isoDate(p.at) + '</td><td class="num">' + fmtSize(p.size_on_disk) + '</td></tr>'; });
    g.insertAdjacentHTML('beforeend', gt + '</tbody></table>');
  }

  // Legend.
  var stops = [0, 7, 30, 180, 365].map(function (d) { return colour(NOW - d * DAY); });
  document.getElementById('legend').innerHTML = '<span>used today</span><span class="bar" style="background:linear-gradient(90deg,' + stops.join(',') +
    ')"></span><span>a year ago or more</span><span><span class="swatch" style="background:#8a939e"></span>unknown</span>';

  // ---- the repos table -----------------------------------------------------------
  var tbody = document.querySelector('#repos tbody'), order = [], sortKey = 1, sortDesc = true, chunkTimer = 0;
  for (i = 0; i < R.length; i++) order.push(i);
  function rowHTML(i) {
    var r = R[i];
    return '<tr><td class="name"><button type="button" data-i="' + i + '">' + esc(r[0]) + '</button></td><td class="num">' + fmtSize(r[1]) +
      '</td><td class="num">' + fmtSize(r[2]) + '</td><td>' + ago(r[3]) + '</td><td class="num">' + r[6] + '</td><td>' +
      esc(r[4].split(',').join(', ')) + '</td><td>' + (r[5] ? '<span class="dmg">damaged</span>' : 'no') + '</td></tr>';
  }
  function fillTable(done) {
    clearTimeout(chunkTimer);
    tbody.textContent = '';
    var k = 0, first = 500;
    function chunk(n) {
      var parts = [];
      for (var end = Math.min(order.length, k + n); k < end; k++) parts.push(rowHTML(order[k]));
      tbody.insertAdjacentHTML('beforeend', parts.join(''));
      if (k < order.length) chunkTimer = setTimeout(function () { chunk(3000); }, 0);
      else if (done) done();
    }
    chunk(first);
  }
  function sortBy(key) {
    if (key === sortKey) sortDesc = !sortDesc; else { sortKey = key; sortDesc = key !== 0 && key !== 4; }
    var s = sortDesc ? -1 : 1;
    order.sort(function (a, b) {
      var x = R[a][key], y = R[b][key];
      if (x < y) return -s;
      if (x > y) return s;
      return a - b;
    });
    document.querySelectorAll('#repos th').forEach(function (th) {
      th.setAttribute('aria-sort', +th.getAttribute('data-key') === sortKey ? (sortDesc ? 'descending' : 'ascending') : 'none');
    });
    fillTable();
  }
  document.querySelector('#repos thead').addEventListener('click', function (e) {
    var th = e.target.closest('th');
    if (th) sortBy(+th.getAttribute('data-key'));
  });
  tbody.addEventListener('click', function (e) {
    var b = e.target.closest('button[data-i]');
    if (!b) return;
    path = [root, repoNode(+b.getAttribute('data-i'))];
    draw();
    document.getElementById('map-section').scrollIntoView();
  });
  if (D.omitted) {
    document.getElementById('repos-help').textContent += ' The treemap shows revisions and files of the ' + fmtInt(R.length - D.omitted) +
      ' largest repos; for the other ' + fmtInt(D.omitted) + ' run ' + D.hints.ls + ' REPO.';
  }

  draw();
  marks.drawn = performance.now();
  // The table's rows are written once the page has loaded, a few thousand
  // per task, so that they never hold back the first paint.
  var tableDone = new Promise(function (resolve) {
    window.addEventListener('load', function () {
      setTimeout(function () { fillTable(function () { marks.table = performance.now(); resolve(); }); }, 0);
    });
  });

  // ---- test hook -------------------------------------------------------------------
  // ?test=repo,rev clicks the first tile of each level in turn once the
  // page has loaded and writes what it sees into <pre id="test-result">,
  // for the browser test (a headless run with --dump-dom).
  var test = new URLSearchParams(location.search).get('test');
  window.addEventListener('load', function () {
    marks.load = performance.now();
    if (test === null) return;
    tableDone.then(function () {
      var steps = test ? test.split(',') : [], clicked = [];
      steps.forEach(function (kind) {
        var g = map.querySelector('.tile[data-kind="' + kind + '"]');
        if (!g) { clicked.push(null); return; }
        clicked.push(tiles[+g.getAttribute('data-t')].name);
        g.dispatchEvent(new MouseEvent('click', { bubbles: true }));
      });
      var fcp = performance.getEntriesByName('first-contentful-paint')[0];
      var res = {
        total: total.getAttribute('value'), totalText: total.textContent, clicked: clicked,
        crumbs: Array.prototype.map.call(crumbs.querySelectorAll('li'), function (li) { return li.textContent; }),
        tiles: tiles.map(function (n) { return { kind: n.kind, name: n.name, value: n.value }; }),
        levelRows: level.querySelectorAll('tbody tr').length,
        tableRows: tbody.querySelectorAll('tr').length,
        loadMs: marks.load, drawnMs: marks.drawn, tableMs: marks.table, fcpMs: fcp ? fcp.startTime : null,
        injected: document.querySelectorAll('#pwned').length,
        areaSum: tiles.reduce(function (s, n) { return s + areaOf(n); }, 0), nodeValue: path[path.length - 1].value
      };
      var pre = el('pre', { id: 'test-result', hidden: '' }, JSON.stringify(res));
      document.body.appendChild(pre);
    });
  });
})();
