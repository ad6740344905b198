// Builds the network from window.KG_DATA. Data is untrusted: it only ever becomes text nodes.
(function () {
  "use strict";
  var data = window.KG_DATA;

  function tipElement(text) {
    var div = document.createElement("div");
    div.className = "kg-tip";
    div.textContent = text;  // vis-network would render a title *string* as HTML
    return div;
  }

  var hiddenNodes = data.hiddenNodes || [], hiddenEdges = data.hiddenEdges || [];
  data.nodes.concat(hiddenNodes).forEach(function (node) { if (node.tip) { node.title = tipElement(node.tip); } });
  data.edges.forEach(function (edge, i) {
    edge.id = "e" + i;
    if (edge.tip) { edge.title = tipElement(edge.tip); }
  });
  hiddenEdges.forEach(function (edge, i) {
    edge.id = "h" + i;
    if (edge.tip) { edge.title = tipElement(edge.tip); }
  });

  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);

  function selected(id) { var el = document.getElementById(id); return el ? el.value : "all"; }
  function typeChecked(kind) {
    var boxes = document.querySelectorAll("input.filter-type");
    if (!boxes.length) { return true; }
    for (var i = 0; i < boxes.length; i++) { if (boxes[i].value === kind) { return boxes[i].checked; } }
    return true;  // kinds without a checkbox are always shown
  }
  function documentMatches(node) {
    var year = selected("filter-year"), level = selected("filter-level");
    return (year === "all" || node.year === year) && (level === "all" || node.level === level);
  }
  function lowerMatches(lowerDocs) {
    var lower = selected("filter-lower");
    return lower === "all" || !lowerDocs || lowerDocs.indexOf(lower) !== -1;
  }
  function nodeVisible(node) {
    if (!typeChecked(node.kind)) { return false; }
    if (!lowerMatches(node.lower_docs)) { return false; }
    if (node.kind === "document" || node.kind === "government") { return documentMatches(node); }
    if (node.docs) {
      return node.docs.some(function (id) { var doc = nodes.get(id); return doc && documentMatches(doc); });
    }
    return true;
  }
  var nodeView = new vis.DataView(nodes, { filter: nodeVisible });
  var edgeView = new vis.DataView(edges, {
    filter: function (edge) {
      return (!edge.lower_doc || lowerMatches([edge.lower_doc]))
        && nodeView.get(edge.from) !== null && nodeView.get(edge.to) !== null;
    }
  });

  var frameOptions = data.frame || {};
  if (frameOptions.drawThreshold) {
    // labels smaller than this many screen pixels are not drawn: minor labels wait for zooming in
    data.options.nodes.scaling = { label: { drawThreshold: frameOptions.drawThreshold,
                                            maxVisible: frameOptions.maxVisible || 22 } };
  }
  var container = document.getElementById("graph");
  var network = new vis.Network(container, { nodes: nodeView, edges: edgeView }, data.options);

  // Label sizes in screen pixels per tier (documents, frequent entities, the rest) at the fitted zoom
  // A tier-1 label that would overlap a label already placed drops to the last tier (shown when zoomed in)
  function labelBox(node, size) {
    var lines = String(node.label || "").split("\n");
    var width = Math.max.apply(null, lines.map(function (line) { return line.length; })) * size;
    var height = lines.length * size * 1.25 + size * 0.4;  // a little air between labels
    if (node.shape === "box" || node.shape === "text") {
      return { left: node.x - width / 2 - size / 2, right: node.x + width / 2 + size / 2,
               top: node.y - height / 2 - size / 2, bottom: node.y + height / 2 + size / 2 };
    }
    var below = node.y + (node.size || 10) + 2;
    return { left: node.x - width / 2, right: node.x + width / 2, top: below, bottom: below + height };
  }
  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  // Each label's own size on the canvas (set by the data or by its tier); what is drawn is clamped
  // so that no label exceeds labelMaxPx on screen: zoomed in, nodes move apart and labels do not grow
  var defaultFont = data.options.nodes.font.size;
  var naturalSize = {}, drawnSize = {};
  function fontSizeOf(node) { return (node.font && node.font.size) || defaultFont; }
  data.nodes.concat(hiddenNodes).forEach(function (node) { naturalSize[node.id] = fontSizeOf(node); });
  var maxPx = data.labelMaxPx || 22;
  function clampLabels() {
    var scale = network.getScale(), updates = [];
    nodes.getIds().forEach(function (id) {
      var size = Math.min(naturalSize[id] || defaultFont, maxPx / scale);
      if (id in enlarged) {  // hovered or marked: larger than its own size, never larger than maxPx
        var current = fontSizeOf(nodes.get(id));
        size = Math.min(current, maxPx / scale);
        if (size === current) { return; }
      }
      if (drawnSize[id] === size) { return; }
      drawnSize[id] = size;
      var font = Object.assign({}, nodes.get(id).font || {});
      font.size = size;
      updates.push({ id: id, font: font });
    });
    if (updates.length) { nodes.update(updates); }
  }
  // every change of zoom (wheel, focus, moveTo, fit) ends in a redraw: clamp there, before labels are drawn
  var clampedAt = null;
  function clampOnZoom() {
    var scale = network.getScale();
    if (scale === clampedAt) { return; }
    clampedAt = scale;
    clampLabels();
  }

  var fittedScale = null;  // the scale tier sizes were computed for
  function sizeLabelsByTier(scale) {
    var px = frameOptions.labelTiers;
    if (!px) { return; }
    fittedScale = scale;
    var tiers = Object.keys(px).map(Number).sort();
    var last = tiers[tiers.length - 1];
    var ranked = nodeView.get().filter(function (node) { return px[node.tier] !== undefined; });
    ranked.sort(function (a, b) { return a.tier - b.tier || (b.size || 0) - (a.size || 0); });
    var placed = [], updates = [];
    ranked.forEach(function (node) {
      var tier = node.tier;
      var box = labelBox(node, px[tier] / scale);
      if (tier !== tiers[0] && tier !== last && placed.some(function (other) { return overlaps(box, other); })) {
        tier = last;
      } else if (tier !== last) {
        placed.push(box);
      }
      naturalSize[node.id] = px[tier] / scale;
    });
  }

  // Fit the visible nodes; when that makes labels unreadably small, zoom to minScale at the top left
  function frame(fitAll) {
    var ids = nodeView.getIds();
    document.getElementById("hint").textContent = "";
    if (!ids.length) { return; }
    network.fit({ nodes: ids, animation: false });
    var scale = network.getScale();
    sizeLabelsByTier(scale);
    clampLabels();
    var min = frameOptions.minScale;
    if (fitAll || !min || scale >= min) { return; }
    var box = { left: Infinity, top: Infinity, right: -Infinity };
    ids.forEach(function (id) {
      var b = network.getBoundingBox(id);
      if (!b) { return; }
      box.left = Math.min(box.left, b.left);
      box.top = Math.min(box.top, b.top);
      box.right = Math.max(box.right, b.right);
    });
    var width = container.clientWidth / min, height = container.clientHeight / min, pad = 16 / min;
    var x = box.right - box.left + 2 * pad <= width ? (box.left + box.right) / 2 : box.left - pad + width / 2;
    network.moveTo({ position: { x: x, y: box.top - pad + height / 2 }, scale: min });
    clampLabels();
    document.getElementById("hint").textContent = "zoomed in to read; drag to pan, wheel to zoom, “Fit all” to see everything";
  }
  var enlarged = {};
  frame(false);
  document.getElementById("fit").addEventListener("click", function () { frame(true); });
  network.on("beforeDrawing", clampOnZoom);

  // A label too small to read grows while the pointer is on its node
  network.on("hoverNode", function (params) {
    var node = nodes.get(params.node);
    if (!node) { return; }
    var font = Object.assign({}, node.font || {});
    var size = font.size || data.options.nodes.font.size;
    var wanted = 15 / network.getScale();
    if (size >= wanted || node.id === marked) { return; }
    enlarged[node.id] = true;
    font.size = wanted;
    nodes.update({ id: node.id, font: font });
  });
  network.on("blurNode", function (params) {
    if (!(params.node in enlarged) || params.node === marked) { return; }
    delete enlarged[params.node];
    delete drawnSize[params.node];
    clampLabels();
  });

  function refresh() {
    nodeView.refresh();
    edgeView.refresh();
    document.getElementById("counts").textContent = nodeView.length + " nodes, " + edgeView.length + " edges shown";
  }
  ["filter-year", "filter-level"].forEach(function (id) {
    var el = document.getElementById(id);
    if (el) { el.addEventListener("change", refresh); }
  });
  var lowerSelect = document.getElementById("filter-lower");
  if (lowerSelect) { lowerSelect.addEventListener("change", function () { refresh(); frame(false); }); }
  document.querySelectorAll("input.filter-type").forEach(function (box) { box.addEventListener("change", refresh); });

  // The side panel pins an item's tip; the quotes its tooltip leaves out ("+N more") open below it
  var details = document.getElementById("details");
  function show(item) {
    if (!item || !item.tip) { return; }
    details.textContent = item.tip;
    if (!item.more || !item.more.length) { return; }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "kg-more";
    button.textContent = "show " + item.more.length + " more";
    button.addEventListener("click", function () {
      var list = document.createElement("div");
      list.className = "kg-more-list";
      list.textContent = item.more.join("\n\n");
      button.replaceWith(list);
    });
    details.appendChild(document.createElement("br"));
    details.appendChild(button);
  }
  network.on("click", function (params) {
    if (params.nodes.length) { show(nodes.get(params.nodes[0])); }
    else if (params.edges.length) { show(edges.get(params.edges[0])); }
  });

  // Search looks at every node: the visible ones, the ones a filter hides and the ones the frequency
  // cut left out (hiddenNodes), and offers to show the latter two instead of answering "0 found"
  var search = document.getElementById("search");
  var status = document.getElementById("status");
  function nameMatches(node, needle) {
    var name = ((node.tip || "").split("\n")[0] + "\n" + (node.label || "")).toLowerCase();
    return name.indexOf(needle) !== -1;
  }
  function lookFor(text) {
    var needle = text.trim().toLowerCase();
    var found = { shown: [], filtered: [], rare: [] };
    if (!needle) { return found; }
    nodes.get({ filter: function (node) { return nameMatches(node, needle); } }).forEach(function (node) {
      (nodeView.get(node.id) !== null ? found.shown : found.filtered).push(node);
    });
    found.rare = hiddenNodes.filter(function (node) { return nodes.get(node.id) === null && nameMatches(node, needle); });
    return found;
  }
  function resetFilters() {
    document.querySelectorAll("header select").forEach(function (select) { select.value = "all"; });
    document.querySelectorAll("input.filter-type").forEach(function (box) { box.checked = true; });
  }
  // bring the frequency-hidden matches (and their edges) onto the canvas, clear filters hiding matches
  function reveal(found) {
    if (found.rare.length) {
      var ids = {};
      found.rare.forEach(function (node) { ids[node.id] = true; });
      nodes.add(found.rare);
      edges.add(hiddenEdges.filter(function (edge) { return ids[edge.from] && edges.get(edge.id) === null; }));
      if (fittedScale) { sizeLabelsByTier(fittedScale); }
      found.rare.forEach(function (node) { delete drawnSize[node.id]; });
    }
    if (found.filtered.length) { resetFilters(); }
    refresh();
    clampLabels();
    runSearch(true);
  }
  function report(found) {
    status.textContent = "";
    if (!search.value.trim()) { return; }
    var parts = [found.shown.length + " found"];
    if (found.filtered.length) { parts.push(found.filtered.length + " hidden by the filters"); }
    if (found.rare.length) { parts.push(found.rare.length + " hidden by the frequency filter"); }
    status.appendChild(document.createTextNode(parts.join(", ")));
    if (found.filtered.length || found.rare.length) {
      var button = document.createElement("button");
      button.type = "button";
      button.id = "show-hidden";
      button.textContent = "show";
      button.addEventListener("click", function () { reveal(found); });
      status.appendChild(document.createTextNode(" — "));
      status.appendChild(button);
    }
  }
  // vis-network centres a focused node in the canvas; pinned column headers may cover the top of it,
  // so the node goes to the middle of what they leave free
  // the match's label stands out from its neighbours' (vis-network draws selected nodes on top)
  var marked = null, markedColour = null;
  function mark(id) {
    if (marked !== null && marked !== id && nodes.get(marked)) {
      delete enlarged[marked];
      delete drawnSize[marked];
      nodes.update({ id: marked, font: { background: "none", color: markedColour || "#343434" } });
    }
    var node = nodes.get(id), font = Object.assign({}, node.font || {});
    if (marked !== id) { markedColour = font.color || null; }
    marked = id;
    font.size = Math.min(16, maxPx) / network.getScale();
    font.background = "rgba(255, 244, 160, 0.95)";
    font.color = "#111111";
    enlarged[id] = true;
    nodes.update({ id: id, font: font });
    clampLabels();
  }
  function focusBelowHeaders(id) {
    window.kgView.focused = id;
    // views with label tiers are dense: zoom as far as shows every tier's label, not further
    var scale = fittedScale ? fittedScale * 2.2 : 1.2;
    network.focus(id, { scale: Math.max(network.getScale(), scale), animation: false });
    clampLabels();
    pinHeaders();
    var covered = band.hidden ? 0 : band.offsetHeight;
    if (covered) {
      network.focus(id, { scale: network.getScale(), offset: { x: 0, y: covered / 2 }, animation: false });
      pinHeaders();
    }
    mark(id);
  }
  function runSearch(focus) {
    var found = lookFor(search.value);
    report(found);
    network.selectNodes(found.shown.map(function (node) { return node.id; }));
    if (focus && found.shown.length) {
      focusBelowHeaders(found.shown[0].id);
      show(found.shown[0]);
    }
  }
  search.addEventListener("input", function () { runSearch(false); });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { runSearch(true); }
  });

  // Column headers stay readable while panning: once the canvas would take them above the top edge,
  // a band at the top of the graph shows them over their columns (nodes with a "sticky" row, 0 on top)
  var band = document.createElement("div");
  band.id = "column-headers";
  band.hidden = true;
  container.appendChild(band);
  var pins = {};
  data.nodes.forEach(function (node) {
    if (typeof node.sticky !== "number") { return; }
    var pin = document.createElement("div");
    pin.className = node.shape === "box" ? "kg-pin kg-pin-box" : "kg-pin";
    pin.textContent = node.label || "";
    var colour = node.color || {};
    if (node.shape === "box") {
      pin.style.background = typeof colour === "string" ? colour : (colour.background || "#ffffff");
      pin.style.borderColor = typeof colour === "string" ? colour : (colour.border || colour.background || "#888888");
    }
    if (node.font && node.font.color) { pin.style.color = node.font.color; }
    if (node.tier === 0) { pin.style.fontWeight = "bold"; }
    band.appendChild(pin);
    pins[node.id] = pin;
  });
  function pinHeaders() {
    var ids = Object.keys(pins).filter(function (id) { return nodeView.get(id) !== null; });
    var top = Infinity;
    ids.forEach(function (id) {
      var box = network.getBoundingBox(id);
      if (box) { top = Math.min(top, network.canvasToDOM({ x: box.left, y: box.top }).y); }
    });
    band.hidden = !(top < 0);
    if (band.hidden) { return; }
    Object.keys(pins).forEach(function (id) { pins[id].hidden = true; });
    var rows = {};
    ids.forEach(function (id) { (rows[nodes.get(id).sticky] = rows[nodes.get(id).sticky] || []).push(id); });
    var y = 4;
    Object.keys(rows).map(Number).sort(function (a, b) { return a - b; }).forEach(function (row) {
      var xs = rows[row].map(function (id) { return network.canvasToDOM(network.getPositions([id])[id]).x; });
      var sorted = xs.slice().sort(function (a, b) { return a - b; });
      var gap = Infinity;  // neighbouring headers of a row must not overlap
      for (var i = 1; i < sorted.length; i++) { gap = Math.min(gap, sorted[i] - sorted[i - 1]); }
      var width = Math.max(40, Math.min(260, gap - 6));
      var height = 0;
      rows[row].forEach(function (id, i) {
        var pin = pins[id];
        pin.hidden = false;
        pin.style.left = xs[i] + "px";
        pin.style.top = y + "px";
        pin.style.width = width + "px";  // fixed: near the right edge a shrinking box would wrap every character
        pin.style.height = "";
        height = Math.max(height, pin.offsetHeight);
      });
      rows[row].forEach(function (id) { pins[id].style.height = height + "px"; });  // a row of equal boxes
      y += height + 4;
    });
    band.style.height = y + "px";
  }
  network.on("afterDrawing", pinHeaders);

  network.once("afterDrawing", function () { window.kgDrawn = true; });
  window.kgView = { network: network, nodes: nodes, edges: edges, nodeView: nodeView, edgeView: edgeView };
})();
