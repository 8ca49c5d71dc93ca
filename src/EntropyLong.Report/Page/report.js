"use strict";
// The report's viewer. Corpus text reaches the page only through textContent and text nodes, never as markup.
(function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const docs = data.documents;
  const pageSize = 50;
  let filtered = docs, page = 0, current = null;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k === "title") e.title = v; else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }
  const fmt = (x, d = 3) => (x === null || x === undefined) ? "-" : Number(x).toFixed(d);

  document.getElementById("note").textContent = data.note || "";

  // Hard negatives (failed chunks placed on purpose, --hard-negatives) sit among the contexts; they are never counted as verified.
  const isNegative = c => c.kind === "negative";
  const negatives = doc => doc.sample ? doc.sample.contexts.filter(isNegative).length : 0;

  function kept(doc) {
    if (doc.sample) return doc.sample.contexts.length - negatives(doc);
    let n = 0;
    for (const a of doc.anchors || []) for (const c of a.cands) if (c.kept) n++;
    return n;
  }

  function renderList() {
    const list = document.getElementById("doc-list");
    list.replaceChildren();
    const pages = Math.max(1, Math.ceil(filtered.length / pageSize));
    page = Math.min(page, pages - 1);
    for (const doc of filtered.slice(page * pageSize, (page + 1) * pageSize)) {
      const badge = doc.skip ? el("span", { class: "badge skip" }, doc.skip) : el("span", { class: "badge" }, "used");
      const meta = el("span", { class: "meta" },
        (doc.anchors ? doc.anchors.length + " anchors, " : "") + kept(doc) + " verified" + (negatives(doc) ? ", " + negatives(doc) + " negatives" : "") +
        (doc.sample ? ", sequence " + doc.sample.seq : ""));
      const li = el("li", { "data-id": doc.id }, el("span", { class: "id" }, doc.id), badge, meta);
      if (doc === current) li.classList.add("selected");
      li.addEventListener("click", () => show(doc));
      list.append(li);
    }
    document.getElementById("page").textContent = (page + 1) + " / " + pages + " (" + filtered.length + ")";
  }

  document.getElementById("filter").addEventListener("input", e => {
    const q = e.target.value.toLowerCase();
    filtered = q ? docs.filter(d => d.id.toLowerCase().includes(q)) : docs;
    page = 0;
    renderList();
  });
  document.getElementById("prev").addEventListener("click", () => { if (page > 0) { page--; renderList(); } });
  document.getElementById("next").addEventListener("click", () => { if ((page + 1) * pageSize < filtered.length) { page++; renderList(); } });

  function heat(h, lo, hi) {
    const t = hi > lo ? Math.min(1, Math.max(0, (h - lo) / (hi - lo))) : 1;
    return "hsl(24, 95%, " + (88 - 38 * t).toFixed(1) + "%)";
  }

  function show(doc) {
    current = doc;
    renderList();
    const pane = document.getElementById("doc");
    pane.replaceChildren();
    pane.append(el("h3", {}, doc.id));
    const facts = [doc.skip ? "not used: " + doc.skip : "used"];
    if (doc.n !== undefined) facts.push(doc.n + " scorer tokens");
    if (doc.tau !== undefined && doc.tau !== null) facts.push("tau " + fmt(doc.tau));
    if (doc.anchors) facts.push(doc.anchors.length + " anchors");
    if (doc.sample) facts.push("sequence " + doc.sample.seq + ", tokens " + doc.sample.start_token + "-" + doc.sample.end_token +
      ", " + kept(doc) + " verified contexts" + (negatives(doc) ? " and " + negatives(doc) + " hard negatives" : "") + (doc.sample.dropped ? " (" + doc.sample.dropped + " dropped for length)" : ""));
    pane.append(el("p", { class: "facts" }, facts.join(" · ")));
    const detail = el("div", { class: "panel", id: "anchor-detail" }, el("p", { class: "hint" }, "Click an anchor to see its query, candidates and verified chunks."));
    const verifiedAt = new Set((doc.sample ? doc.sample.contexts : []).filter(c => !isNegative(c)).map(c => c.pos));

    if (doc.tokens && doc.anchors) {
      // Loops, not Math.max(...array): a long document has more tokens than a call may take arguments.
      const hi = doc.anchors.reduce((m, a) => Math.max(m, a.h), -Infinity);
      const lo = doc.tau ?? doc.anchors.reduce((m, a) => Math.min(m, a.h), Infinity);
      const heatAll = el("input", { type: "checkbox", id: "heat-all" });
      pane.append(el("p", { class: "legend" }, "Anchors are highlighted, darker for higher entropy; a thick outline marks an anchor that verified a chunk. ",
        el("label", {}, heatAll, " colour every token by entropy")));
      const text = el("div", { class: "text", id: "doc-text" });
      const byPos = new Map(doc.anchors.map((a, i) => [a.pos, i]));
      const maxH = doc.entropy.reduce((m, h) => h === null ? m : Math.max(m, h), 1e-9);
      const draw = all => {
        text.replaceChildren();
        let run = "";
        const flush = () => { if (run) { text.append(document.createTextNode(run)); run = ""; } };
        doc.tokens.forEach((piece, i) => {
          const a = byPos.get(i);
          if (a !== undefined) {
            flush();
            const m = el("mark", { "data-anchor": a, tabindex: "0", title: "H = " + fmt(doc.anchors[a].h) + " nats (token " + i + ")" }, piece || "\u2400");
            m.style.background = heat(doc.anchors[a].h, lo, hi);
            if (verifiedAt.has(i)) m.classList.add("verified");
            m.addEventListener("click", () => showAnchor(doc, a, detail, text));
            m.addEventListener("keydown", e => { if (e.key === "Enter") showAnchor(doc, a, detail, text); });
            text.append(m);
          } else if (all && doc.entropy[i] !== null) {
            flush();
            const s = el("span", { title: "H = " + fmt(doc.entropy[i]) }, piece);
            s.style.background = "rgba(28,126,214," + (0.6 * doc.entropy[i] / maxH).toFixed(3) + ")";
            text.append(s);
          } else run += piece;
        });
        flush();
      };
      draw(false);
      heatAll.addEventListener("change", () => draw(heatAll.checked));
      pane.append(text);
    } else if (doc.anchors) {
      pane.append(el("p", { class: "legend" }, "The document's text is not embedded (page size limit); its anchors:"));
      const list = el("div", { class: "anchor-list" });
      doc.anchors.forEach((a, i) => {
        const b = el("button", { type: "button", "data-anchor": i }, "token " + a.pos + " (H " + fmt(a.h) + ")");
        b.addEventListener("click", () => showAnchor(doc, i, detail, null));
        list.append(b);
      });
      pane.append(list);
    }
    pane.append(detail);
    if (doc.sample && doc.sample.contexts.length) {
      const box = el("div", { class: "panel" }, el("h4", {}, negatives(doc) ? "Contexts, in sequence order: verified and hard negatives" : "Verified contexts, in sequence order"));
      for (const c of doc.sample.contexts) box.append(contextBlock(c));
      pane.append(box);
    }
  }

  function contextBlock(c) {
    const where = c.start_token === null ? "" : "sequence tokens " + c.start_token + "-" + c.end_token + ", anchor at token " + c.anchor_token +
      " (distance " + (c.anchor_token - c.end_token) + " tokens)";
    return el("div", { class: isNegative(c) ? "context negative" : "context" },
      el("p", {}, isNegative(c) ? el("span", { class: "badge negative" }, "hard negative") : null, el("b", {}, c.chunk), " from ", c.src, " · anchor token " + c.pos + " ", el("code", {}, JSON.stringify(c.anchor_text)),
        " · H " + fmt(c.h) + ", H' " + fmt(c.hp) + ", dI " + fmt(c.d) + (where ? " · " + where : "")),
      el("pre", { class: "context" }, c.text));
  }

  function showAnchor(doc, i, detail, text) {
    const a = doc.anchors[i];
    if (text) for (const m of text.querySelectorAll("mark.active")) m.classList.remove("active");
    if (text) { const m = text.querySelector('mark[data-anchor="' + i + '"]'); if (m) m.classList.add("active"); }
    detail.replaceChildren();
    const piece = doc.tokens ? doc.tokens[a.pos] : null;
    detail.append(el("h4", {}, "Anchor at token " + a.pos + (piece !== null ? " " : ""), piece !== null ? el("code", {}, JSON.stringify(piece)) : null,
      " · H = " + fmt(a.h) + " nats" + (doc.tau !== null ? " (tau " + fmt(doc.tau) + ")" : "")));
    detail.append(el("p", {}, "Query:"), el("div", { class: "query" }, a.query));
    const head = el("tr", {}, ...["#", "chunk", "source document", "score", "H", "H'", "dI", "kept"].map(h => el("th", {}, h)));
    const body = el("tbody", {});
    a.cands.forEach((c, r) => {
      const row = el("tr", { class: c.kept ? "kept" : "" }, el("td", {}, r + 1), el("td", {}, c.chunk), el("td", {}, c.src),
        el("td", {}, fmt(c.score)), el("td", {}, fmt(c.h)), el("td", {}, fmt(c.hp)), el("td", {}, fmt(c.d)),
        el("td", {}, c.h === null ? "not judged" + (c.excluded ? ": " + c.excluded.replace("_", "-") : "") : c.kept ? "\u2713" : c.capped ? "passed, capped" : c.below_gain ? "passed, below the document gain" : ""));
      body.append(row);
    });
    detail.append(el("p", {}, a.cands.length + " candidates, " + a.cands.filter(c => c.kept).length + " kept:"),
      el("table", { class: "candidates" }, el("thead", {}, head), body));
    const placed = (doc.sample ? doc.sample.contexts : []).filter(c => c.pos === a.pos);
    if (placed.length) {
      detail.append(el("h4", {}, "Chunks placed for this anchor"));
      for (const c of placed) detail.append(contextBlock(c));
    }
    if (!placed.some(c => !isNegative(c)) && a.cands.some(c => c.kept)) {
      detail.append(el("p", { class: "hint" }, "Kept chunks of this anchor were placed for another anchor where they lowered entropy more, or dropped for length."));
    }
  }

  renderList();
  if (docs.length) show(docs[0]);
})();
