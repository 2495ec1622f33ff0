/* dedupe report: the article and cluster views. Plain JS, no library, no network.
   Data: the JSON in <script id="data"> (see dedupe/report/html.py `payload`).
   Text from the report is only ever inserted with textContent / text nodes. */
(function () {
  "use strict";
  var node = document.getElementById("data");
  if (node.type === "application/gzip-base64") {  // large runs: gzipped, unpacked here
    var bin = atob(node.textContent), bytes = new Uint8Array(bin.length);
    for (var b = 0; b < bin.length; b++) bytes[b] = bin.charCodeAt(b);
    bin = null;
    new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")))
      .text().then(function (text) { main(JSON.parse(text)); });
  } else main(JSON.parse(node.textContent));

function main(D) {
  var RULES = D.rules, PAGE = 50, MAX_D = 4000;
  var DOC = 0, FILE = 1, LINE = 2, SITE = 3, TITLE = 4, FLAGS = 5, CHARS = 6;
  var R_RULE = 0, R_START = 1, R_END = 2, R_SEG = 3, R_SCORE = 4, R_MDOC = 5, R_MID = 6,
    R_MSEG = 7, R_INFO = 8, R_GROUP = 9, R_TEXT = 10;
  var n = D.docs.length, S = D.strs;
  // removal items hold indexes into D.strs; make them strings once, here
  D.rm.forEach(function (items) {
    items.forEach(function (r) {
      r[R_INFO] = r[R_INFO] >= 0 ? S[r[R_INFO]] : "";
      if (r.length > R_TEXT) r[R_TEXT] = S[r[R_TEXT]];
      if (r[R_MID] == null && r[R_MDOC] >= 0) r[R_MID] = D.docs[r[R_MDOC]][DOC];
    });
  });

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) {
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }
  function fmt(x) { return x == null ? "" : (+x).toFixed(2); }
  function plural(k, word, many) { return k.toLocaleString("en") + " " + (k === 1 ? word : (many || word + "s")); }
  function where(i) {
    var d = D.docs[i], f = d[FILE] >= 0 ? D.files[d[FILE]] : "?";
    return d[LINE] == null ? f : f + ":" + d[LINE];
  }
  function badge(rule, label) { return el("span", { cls: "badge r-" + rule, text: label }); }

  // -- per-article facts, computed once -------------------------------------------------
  var mask = new Int32Array(n), count = new Int32Array(n), clusterOf = new Int32Array(n).fill(-1);
  var groupsOf = [];
  for (var i = 0; i < n; i++) {
    var rm = D.rm[i], g = null;
    for (var j = 0; j < rm.length; j++) {
      mask[i] |= 1 << rm[j][R_RULE];
      if (rm[j][R_GROUP] >= 0) (g = g || {})[rm[j][R_GROUP]] = 1;
    }
    count[i] = rm.length;
    groupsOf.push(g);
  }
  D.cl.forEach(function (c, k) {
    if (c[0] >= 0) clusterOf[c[0]] = k;
    c[2].forEach(function (m) { clusterOf[m[0]] = k; });
  });
  var hay = null;
  function haystack(i) {
    if (!hay) hay = new Array(n);
    if (hay[i] === undefined) {
      var d = D.docs[i];
      hay[i] = (d[DOC] + "\n" + where(i) + "\n" + (d[TITLE] || "")).toLowerCase();
    }
    return hay[i];
  }

  // -- filters and the paged list ---------------------------------------------------------
  var state = { q: "", text: false, rule: "", site: "", file: "", sort: "", group: -1, page: 0 };
  var shown = [], current = -1;

  function fillSelect(sel, values, label) {
    if (values.length < 2) { sel.hidden = true; return; }
    values.forEach(function (v, k) { sel.appendChild(el("option", { value: String(k), text: label(v) })); });
  }
  RULES.forEach(function (r, k) {
    $("f-rule").appendChild(el("option", { value: String(k), text: r === "document" ? "dropped (document)" : r }));
  });
  $("f-rule").appendChild(el("option", { value: "cleaned", text: "cleaned, not dropped" }));
  fillSelect($("f-site"), D.sites, function (s) { return s; });
  if (D.files.length <= 2000) fillSelect($("f-file"), D.files, function (f) { return f; });
  else $("f-file").hidden = true;

  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  function filter() {
    var q = state.q.trim().toLowerCase(), re = q && state.text ? new RegExp(escapeRe(q), "i") : null;
    var rule = state.rule === "" ? -1 : state.rule === "cleaned" ? -2 : +state.rule;
    var site = state.site === "" ? -1 : +state.site, file = state.file === "" ? -1 : +state.file;
    var out = [];
    for (var i = 0; i < n; i++) {
      var d = D.docs[i];
      if (!(d[FLAGS] & 1)) continue;
      if (rule >= 0 && !(mask[i] & (1 << rule))) continue;
      if (rule === -2 && (d[FLAGS] & 2)) continue;
      if (site >= 0 && d[SITE] !== site) continue;
      if (file >= 0 && d[FILE] !== file) continue;
      if (state.group >= 0 && !(groupsOf[i] && groupsOf[i][state.group])) continue;
      if (q && haystack(i).indexOf(q) < 0) {
        if (!re) continue;
        var t = D.tx[i];
        if (t != null ? !re.test(t) : !D.rm[i].some(function (r) { return re.test(r[R_TEXT] || ""); })) continue;
      }
      out.push(i);
    }
    if (state.sort === "n") out.sort(function (a, b) { return count[b] - count[a] || a - b; });
    if (state.sort === "c") out.sort(function (a, b) { return D.docs[b][CHARS] - D.docs[a][CHARS] || a - b; });
    shown = out;
    state.page = 0;
  }

  function renderList() {
    var list = $("list"), pages = Math.max(1, Math.ceil(shown.length / PAGE));
    state.page = Math.min(state.page, pages - 1);
    list.textContent = "";
    shown.slice(state.page * PAGE, state.page * PAGE + PAGE).forEach(function (i) {
      var d = D.docs[i], li = el("li", { "data-doc": String(i) });
      li.appendChild(el("a", { cls: "id", href: "#doc/" + i, text: d[DOC] }));
      var per = {};
      D.rm[i].forEach(function (r) { per[r[R_RULE]] = (per[r[R_RULE]] || 0) + 1; });
      Object.keys(per).forEach(function (k) {
        var rule = RULES[k];
        li.appendChild(badge(rule, rule === "document" ? "dropped" : per[k] + " " + rule));
      });
      li.appendChild(el("span", { cls: "where", text: where(i) + (d[SITE] >= 0 ? " · " + D.sites[d[SITE]] : "") }));
      if (d[TITLE]) li.appendChild(el("span", { cls: "t", text: d[TITLE] }));
      if (i === current) li.className = "on";
      li.addEventListener("click", function () { location.hash = "#doc/" + i; });
      list.appendChild(li);
    });
    $("count").textContent = plural(shown.length, "article") + " shown" +
      (state.group >= 0 ? "" : "") + " of " + plural(D.docs.filter(function (d) { return d[FLAGS] & 1; }).length, "article") + " in the report";
    $("page").textContent = "page " + (state.page + 1) + " of " + pages;
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
    var gf = $("group-filter");
    gf.textContent = "";
    if (state.group >= 0) {
      var clear = el("button", { text: "×" });
      clear.addEventListener("click", function () { state.group = -1; update(); });
      gf.appendChild(el("span", { cls: "note", text: "with boilerplate “" + D.groups[state.group][0].slice(0, 60) + "” " }));
      gf.appendChild(clear);
    }
  }
  function update() { filter(); renderList(); }

  var timer = null;
  $("q").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = $("q").value; update(); }, state.text ? 250 : 60);
  });
  $("qtext").addEventListener("change", function () { state.text = $("qtext").checked; update(); });
  [["f-rule", "rule"], ["f-site", "site"], ["f-file", "file"], ["f-sort", "sort"]].forEach(function (p) {
    $(p[0]).addEventListener("change", function () { state[p[1]] = $(p[0]).value; update(); });
  });
  $("prev").addEventListener("click", function () { state.page--; renderList(); });
  $("next").addEventListener("click", function () { state.page++; renderList(); });

  // -- one article ------------------------------------------------------------------------
  function describe(i, r) {
    var rule = RULES[r[R_RULE]], parts = [rule];
    if (r[R_SCORE] != null) parts.push("score " + fmt(r[R_SCORE]));
    if (r[R_SEG] != null) parts.push("segment " + r[R_SEG]);
    if (r[R_INFO]) parts.push(r[R_INFO]);
    if (r[R_MID] != null && r[R_MID] !== D.docs[i][DOC]) parts.push("matched " + r[R_MID] + (r[R_MSEG] != null ? " segment " + r[R_MSEG] : ""));
    else if (r[R_MSEG] != null) parts.push("repeats segment " + r[R_MSEG]);
    return parts.join(" · ");
  }

  function flash(node) {
    if (!node) return;
    node.scrollIntoView({ block: "center" });
    node.classList.add("hit");
    setTimeout(function () { node.classList.remove("hit"); }, 1500);
  }

  function follow(i, r) {
    var other = r[R_MDOC];
    if (other >= 0 && other !== i) { location.hash = "#doc/" + other + (r[R_MSEG] != null ? "/" + r[R_MSEG] : ""); return; }
    flash(document.getElementById("seg-" + r[R_MSEG]));
  }

  function matchedCell(i, r) {
    var rule = RULES[r[R_RULE]], td = el("td"), other = r[R_MDOC];
    if (rule === "document") {
      td.appendChild(document.createTextNode("kept: "));
      td.appendChild(other >= 0 ? el("a", { href: "#doc/" + other, text: r[R_MID] }) : el("span", { text: r[R_MID] || "?" }));
      if (clusterOf[i] >= 0) {
        td.appendChild(document.createTextNode(" · "));
        td.appendChild(el("a", { href: "#cluster/" + clusterOf[i], text: "compare side by side" }));
      }
      return td;
    }
    if (r[R_MID] != null && r[R_MID] !== D.docs[i][DOC]) {
      var label = r[R_MID] + (r[R_MSEG] != null ? " (segment " + r[R_MSEG] + ")" : "");
      td.appendChild(other >= 0 ? el("a", { href: "#doc/" + other + (r[R_MSEG] != null ? "/" + r[R_MSEG] : ""), text: label }) : el("span", { text: label }));
      return td;
    }
    if (rule === "boilerplate") { td.textContent = "first article with it"; return td; }
    if (r[R_MSEG] != null) {
      var a = el("a", { href: "#doc/" + i + "/" + r[R_MSEG], text: (rule === "headline" ? "the title, " : "") + "segment " + r[R_MSEG] });
      td.appendChild(a);
    }
    return td;
  }

  function markedText(i) {
    var text = D.tx[i], rm = D.rm[i], marks = [];
    rm.forEach(function (r, k) {
      if (RULES[r[R_RULE]] !== "document" && r[R_START] != null) marks.push({ s: r[R_START], e: r[R_END], k: k });
    });
    var t = D.title[i];
    if (t) marks.push({ s: t[0], e: t[1], title: true });
    var segs = D.seg[i] || {};
    Object.keys(segs).forEach(function (s) { marks.push({ s: segs[s][0], e: segs[s][1], target: +s }); });
    marks.sort(function (a, b) { return a.s - b.s || (a.k == null) - (b.k == null); });
    var box = el("div", { cls: "text" }), pos = 0;
    marks.forEach(function (m) {
      if (m.s < pos || m.e > text.length) return; // overlapping: keep the first
      if (m.s > pos) box.appendChild(document.createTextNode(text.slice(pos, m.s)));
      var node;
      if (m.k != null) {
        var r = rm[m.k];
        node = el("del", { cls: "rm r-" + RULES[r[R_RULE]], title: describe(i, r), text: text.slice(m.s, m.e) });
        if (r[R_SEG] != null) node.id = "seg-" + r[R_SEG];
        node.addEventListener("click", function () { follow(i, r); });
      } else if (m.title) {
        node = el("mark", { cls: "title target", title: "the title chosen for this article", text: text.slice(m.s, m.e) });
        var seg = Object.keys(segs).filter(function (s) { return segs[s][0] === m.s; });
        if (seg.length) node.id = "seg-" + seg[0];
      } else {
        node = el("span", { cls: "target", id: "seg-" + m.target, title: "segment " + m.target + ": repeated by a removal below", text: text.slice(m.s, m.e) });
      }
      box.appendChild(node);
      pos = m.e;
    });
    if (pos < text.length) box.appendChild(document.createTextNode(text.slice(pos)));
    return box;
  }

  function removedOnly(i) {
    var box = el("div", { cls: "text" });
    D.rm[i].forEach(function (r, k) {
      if (k) box.appendChild(el("span", { cls: "gap", text: "\n…\n" }));
      var node = el("del", { cls: "rm r-" + RULES[r[R_RULE]], title: describe(i, r), text: r[R_TEXT] || "" });
      if (r[R_SEG] != null) node.id = "seg-" + r[R_SEG];
      node.addEventListener("click", function () { follow(i, r); });
      box.appendChild(node);
    });
    return box;
  }

  function showDoc(i, seg) {
    current = i;
    var d = D.docs[i], rm = D.rm[i], box = $("doc");
    box.textContent = "";
    Array.prototype.forEach.call($("list").children, function (li) {
      li.className = +li.dataset.doc === i ? "on" : "";
      if (li.className) li.scrollIntoView({ block: "nearest" });
    });
    box.appendChild(el("h2", { text: d[DOC] }));
    box.appendChild(el("div", { cls: "note", text: where(i) + (d[SITE] >= 0 ? " · site " + D.sites[d[SITE]] : "") + " · " + plural(d[CHARS], "character") + " removed" }));
    var drop = rm.filter(function (r) { return RULES[r[R_RULE]] === "document"; })[0];
    if (drop) {
      var p = el("p", { cls: "dropped" }, ["Dropped as a near duplicate of "]);
      p.appendChild(drop[R_MDOC] >= 0 ? el("a", { href: "#doc/" + drop[R_MDOC], text: drop[R_MID] }) : el("b", { text: drop[R_MID] || "?" }));
      p.appendChild(document.createTextNode(" (score " + fmt(drop[R_SCORE]) + (drop[R_INFO] ? " · " + drop[R_INFO] : "") + "). "));
      if (clusterOf[i] >= 0) p.appendChild(el("a", { href: "#cluster/" + clusterOf[i], text: "Compare side by side" }));
      box.appendChild(p);
    } else if (!(d[FLAGS] & 1)) {
      box.appendChild(el("p", { cls: "note", text: "Kept; nothing removed. It is here because a removal matched it." }));
    }
    if (clusterOf[i] >= 0 && !drop) {
      var c = D.cl[clusterOf[i]];
      box.appendChild(el("p", {}, ["Kept in place of " + plural(c[2].length, "near duplicate") + ": ", el("a", { href: "#cluster/" + clusterOf[i], text: "compare side by side" })]));
    }
    var legend = el("div", { cls: "legend" });
    RULES.forEach(function (r) { if (r !== "document") legend.appendChild(el("span", {}, [el("i", { cls: "sw r-" + r }), r])); });
    legend.appendChild(el("span", {}, [el("mark", { cls: "title", text: "title" })]));
    legend.appendChild(el("span", {}, [el("span", { cls: "target", text: "repeated segment" })]));
    box.appendChild(legend);
    if (D.tx[i] != null) box.appendChild(markedText(i));
    else {
      box.appendChild(el("p", { cls: "note", text: "Only the removed segments are in the report; pass the run's inputs (dedupe report --input ...) to see the whole text." }));
      box.appendChild(removedOnly(i));
    }
    if (rm.length) {
      var table = el("table", { cls: "removals" });
      table.appendChild(el("tr", {}, ["#", "rule", "score", "segment", "text", "what it matched", "details"].map(function (h) { return el("th", { text: h }); })));
      rm.forEach(function (r, k) {
        var rule = RULES[r[R_RULE]];
        var txt = rule === "document" ? "(the whole article)" : (r[R_TEXT] != null ? r[R_TEXT] : (D.tx[i] || "").slice(r[R_START], r[R_END]));
        if (!txt.trim()) txt = "(blank: " + JSON.stringify(txt) + ")";
        var cell = el("td", { cls: "seg" });
        var a = el("a", { href: "#doc/" + i + (r[R_SEG] != null ? "/" + r[R_SEG] : ""), text: txt.length > 160 ? txt.slice(0, 159) + "…" : txt });
        cell.appendChild(a);
        table.appendChild(el("tr", {}, [el("td", { text: String(k + 1) }), el("td", {}, [badge(rule, rule)]), el("td", { text: fmt(r[R_SCORE]) }),
          el("td", { text: r[R_SEG] == null ? "" : String(r[R_SEG]) }), cell, matchedCell(i, r), el("td", { cls: "note", text: r[R_INFO] || "" })]));
      });
      box.appendChild(el("h2", { text: plural(rm.length, "removal") }));
      box.appendChild(table);
    }
    if (seg != null) flash(document.getElementById("seg-" + seg));
    else box.scrollTop = 0;
  }

  // -- clusters and the word diff ---------------------------------------------------------
  var cpage = 0;
  function renderClusters() {
    var list = $("clist"), pages = Math.max(1, Math.ceil(D.cl.length / PAGE));
    cpage = Math.max(0, Math.min(cpage, pages - 1));
    list.textContent = "";
    D.cl.slice(cpage * PAGE, cpage * PAGE + PAGE).forEach(function (c, k) {
      var idx = cpage * PAGE + k, li = el("li", { "data-cluster": String(idx) });
      li.appendChild(el("a", { cls: "id", href: "#cluster/" + idx, text: c[1] }));
      li.appendChild(badge("document", plural(c[2].length, "dropped copy", "dropped copies")));
      var best = Math.max.apply(null, c[2].map(function (m) { return m[1] || 0; }));
      li.appendChild(el("span", { cls: "where", text: (c[0] >= 0 ? where(c[0]) : "kept article not in the report or inputs") + " · best score " + fmt(best) }));
      li.addEventListener("click", function () { location.hash = "#cluster/" + idx; });
      list.appendChild(li);
    });
    $("ccount").textContent = plural(D.cl.length, "cluster") + ": a kept article and the near duplicates dropped in its place";
    $("cpage").textContent = "page " + (cpage + 1) + " of " + pages;
    $("cprev").disabled = cpage === 0;
    $("cnext").disabled = cpage >= pages - 1;
  }
  $("cprev").addEventListener("click", function () { cpage--; renderClusters(); });
  $("cnext").addEventListener("click", function () { cpage++; renderClusters(); });

  // Words are compared as dedupe compares them: case, quotes and dashes aside.
  function norm(w) {
    return w.normalize("NFKC").toLowerCase().replace(/[‘’‚‛′`´]/g, "'").replace(/[“”„‟″«»]/g, '"').replace(/[‐‑‒–—―−]/g, "-");
  }
  function tokens(text) {
    var out = [], re = /(\S+)(\s*)/g, m, lead = /^\s*/.exec(text)[0];
    while ((m = re.exec(text))) out.push({ w: m[1], s: m[2] });
    return { lead: lead, toks: out };
  }

  // Myers' O((N+M)D) diff of two word lists; ops: [0 same | 1 only in a | 2 only in b, i, j].
  function diff(a, b) {
    var s = 0, ea = a.length, eb = b.length;
    while (s < ea && s < eb && a[s] === b[s]) s++;
    while (ea > s && eb > s && a[ea - 1] === b[eb - 1]) { ea--; eb--; }
    var N = ea - s, M = eb - s, max = N + M, off = max + 1, V = new Int32Array(2 * max + 3), trace = [], done = false, d;
    for (d = 0; d <= max && !done; d++) {
      if (d > MAX_D) return null;
      trace.push(V.slice(off - d - 1, off + d + 2));
      for (var k = -d; k <= d; k += 2) {
        var x = (k === -d || (k !== d && V[off + k - 1] < V[off + k + 1])) ? V[off + k + 1] : V[off + k - 1] + 1, y = x - k;
        while (x < N && y < M && a[s + x] === b[s + y]) { x++; y++; }
        V[off + k] = x;
        if (x >= N && y >= M) { done = true; break; }
      }
    }
    var rev = [], X = N, Y = M;
    for (d = trace.length - 1; d >= 0; d--) {
      var T = trace[d], K = X - Y;
      var get = function (q) { return T[q + d + 1]; };
      var pk = (K === -d || (K !== d && get(K - 1) < get(K + 1))) ? K + 1 : K - 1;
      var px = get(pk), py = px - pk;
      while (X > px && Y > py) { rev.push([0, s + X - 1, s + Y - 1]); X--; Y--; }
      if (d > 0) { if (X === px) rev.push([2, -1, s + Y - 1]); else rev.push([1, s + X - 1, -1]); }
      X = px; Y = py;
    }
    var ops = [];
    for (var i = 0; i < s; i++) ops.push([0, i, i]);
    for (i = rev.length - 1; i >= 0; i--) ops.push(rev[i]);
    for (i = 0; ea + i < a.length; i++) ops.push([0, ea + i, eb + i]);
    return ops;
  }

  function diffPanes(kept, dropped) {
    var A = tokens(kept), B = tokens(dropped);
    var ops = diff(A.toks.map(function (t) { return norm(t.w); }), B.toks.map(function (t) { return norm(t.w); }));
    var left = el("div", { cls: "text" }), right = el("div", { cls: "text" });
    if (!ops) {
      left.textContent = kept; right.textContent = dropped;
      return { left: left, right: right, note: "Too different for a word diff: shown as they are.", same: 0, del: 0, ins: 0 };
    }
    left.appendChild(document.createTextNode(A.lead)); right.appendChild(document.createTextNode(B.lead));
    var same = 0, del = 0, ins = 0, runL = null, runR = null;
    ops.forEach(function (op) {
      if (op[0] === 0) {
        runL = runR = null; same++;
        left.appendChild(document.createTextNode(A.toks[op[1]].w + A.toks[op[1]].s));
        right.appendChild(document.createTextNode(B.toks[op[2]].w + B.toks[op[2]].s));
      } else if (op[0] === 1) {
        del++;
        if (!runL) { runL = el("del"); left.appendChild(runL); }
        runL.appendChild(document.createTextNode(A.toks[op[1]].w + A.toks[op[1]].s));
      } else {
        ins++;
        if (!runR) { runR = el("ins"); right.appendChild(runR); }
        runR.appendChild(document.createTextNode(B.toks[op[2]].w + B.toks[op[2]].s));
      }
    });
    return { left: left, right: right, note: "", same: same, del: del, ins: ins };
  }

  function showCluster(k, member) {
    var c = D.cl[k], box = $("cluster");
    if (!c) return;
    Array.prototype.forEach.call($("clist").children, function (li) { li.className = +li.dataset.cluster === k ? "on" : ""; });
    box.textContent = "";
    var kept = c[0];
    var h = el("h2", {}, ["Kept: "]);
    h.appendChild(kept >= 0 ? el("a", { href: "#doc/" + kept, text: c[1] }) : el("span", { text: c[1] }));
    box.appendChild(h);
    var tabs = el("div", { cls: "tabs" });
    member = Math.max(0, Math.min(member || 0, c[2].length - 1));
    c[2].forEach(function (m, j) {
      if (j >= 100) return;
      var b = el("button", { cls: j === member ? "on" : "", text: D.docs[m[0]][DOC] + " (" + fmt(m[1]) + ")" });
      b.addEventListener("click", function () { location.hash = "#cluster/" + k + "/" + j; });
      tabs.appendChild(b);
    });
    if (c[2].length > 100) tabs.appendChild(el("span", { cls: "note", text: " and " + (c[2].length - 100) + " more" }));
    box.appendChild(tabs);
    var m = c[2][member], drop = m[0];
    var info = "Dropped " + D.docs[drop][DOC] + " (" + where(drop) + "): score " + fmt(m[1]) + (m[2] != null ? ", containment " + fmt(m[2]) : "");
    box.appendChild(el("p", {}, [info + " · ", el("a", { href: "#doc/" + drop, text: "open the article" })]));
    var keptText = kept >= 0 ? D.tx[kept] : null, dropText = D.tx[drop];
    if (keptText == null || dropText == null) {
      box.appendChild(el("p", { cls: "note", text: "The kept article's text is not in the report: pass the run's inputs (dedupe report --input ...) to compare them word by word." }));
      if (dropText != null) box.appendChild(el("div", { cls: "text", text: dropText }));
      return;
    }
    var p = diffPanes(keptText, dropText);
    box.appendChild(el("p", { cls: "note", text: p.note || (plural(p.same, "word") + " the same; " + plural(p.del, "word") + " only in the kept article (struck), " + plural(p.ins, "word") + " only in the dropped one (highlighted)") }));
    var grid = el("div", { cls: "diff" });
    grid.appendChild(el("div", {}, [el("b", { text: "kept: " + c[1] }), p.left]));
    grid.appendChild(el("div", {}, [el("b", { text: "dropped: " + D.docs[drop][DOC] }), p.right]));
    box.appendChild(grid);
  }

  // -- routing -----------------------------------------------------------------------------
  var listed = false, clustered = false;
  function view(name) {
    ["overview", "articles", "clusters"].forEach(function (v) { $("view-" + v).hidden = v !== name; });
    document.querySelectorAll("nav a").forEach(function (a) { a.className = a.dataset.view === name ? "on" : ""; });
  }
  function route() {
    var h = decodeURIComponent(location.hash.slice(1)), m;
    if ((m = /^doc\/(\d+)(?:\/(\d+))?$/.exec(h)) && +m[1] < n) {
      view("articles");
      if (!listed) { update(); listed = true; }
      var at = shown.indexOf(+m[1]);  // the list turns to the article's page
      if (at >= 0 && Math.floor(at / PAGE) !== state.page) { state.page = Math.floor(at / PAGE); renderList(); }
      showDoc(+m[1], m[2] != null ? +m[2] : null);
    } else if ((m = /^cluster\/(\d+)(?:\/(\d+))?$/.exec(h))) {
      view("clusters");
      if (!clustered) { cpage = Math.floor(+m[1] / PAGE); renderClusters(); clustered = true; }
      showCluster(+m[1], m[2] != null ? +m[2] : 0);
    } else if ((m = /^articles(?:\?(.*))?$/.exec(h))) {
      view("articles");
      if (m[1] != null) {
        var params = new URLSearchParams(m[1]);
        state.group = params.has("group") ? +params.get("group") : -1;
        var rule = params.get("rule");
        state.rule = rule != null && RULES.indexOf(rule) >= 0 ? String(RULES.indexOf(rule)) : "";
        $("f-rule").value = state.rule;
        update();
      } else if (!listed) update();
      listed = true;
    } else if (h === "clusters") {
      view("clusters");
      if (!clustered) { renderClusters(); clustered = true; }
    } else view("overview");
  }
  window.addEventListener("hashchange", route);
  route();
  document.body.dataset.ready = "1";
}
})();
