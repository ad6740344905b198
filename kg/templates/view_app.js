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

  data.nodes.forEach(function (node) { if (node.tip) { node.title = tipElement(node.tip); } });
  data.edges.forEach(function (edge, i) {
    edge.id = "e" + i;
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
  function nodeVisible(node) {
    if (!typeChecked(node.kind)) { return false; }
    if (node.kind === "document") { return documentMatches(node); }
    if (node.docs) {
      return node.docs.some(function (id) { var doc = nodes.get(id); return doc && documentMatches(doc); });
    }
    return true;
  }
  var nodeView = new vis.DataView(nodes, { filter: nodeVisible });
  var edgeView = new vis.DataView(edges, {
    filter: function (edge) { return nodeView.get(edge.from) !== null && nodeView.get(edge.to) !== null; }
  });

  var container = document.getElementById("graph");
  var network = new vis.Network(container, { nodes: nodeView, edges: edgeView }, data.options);

  function refresh() {
    nodeView.refresh();
    edgeView.refresh();
    document.getElementById("counts").textContent = nodeView.length + " nodes, " + edgeView.length + " edges shown";
  }
  ["filter-year", "filter-level"].forEach(function (id) {
    var el = document.getElementById(id);
    if (el) { el.addEventListener("change", refresh); }
  });
  document.querySelectorAll("input.filter-type").forEach(function (box) { box.addEventListener("change", refresh); });

  var details = document.getElementById("details");
  function show(item) { if (item && item.tip) { details.textContent = item.tip; } }
  network.on("click", function (params) {
    if (params.nodes.length) { show(nodes.get(params.nodes[0])); }
    else if (params.edges.length) { show(edges.get(params.edges[0])); }
  });

  var search = document.getElementById("search");
  var status = document.getElementById("status");
  function matches(text) {
    var needle = text.trim().toLowerCase();
    if (!needle) { return []; }
    return nodeView.get({
      filter: function (node) {
        var name = ((node.tip || "").split("\n")[0] + "\n" + (node.label || "")).toLowerCase();
        return name.indexOf(needle) !== -1;
      }
    });
  }
  search.addEventListener("input", function () {
    var found = matches(search.value);
    status.textContent = search.value.trim() ? found.length + " found" : "";
    network.selectNodes(found.map(function (node) { return node.id; }));
  });
  search.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") { return; }
    var found = matches(search.value);
    if (found.length) {
      network.focus(found[0].id, { scale: 1.2 });
      show(found[0]);
    }
  });

  network.once("afterDrawing", function () { window.kgDrawn = true; });
  window.kgView = { network: network, nodes: nodes, edges: edges, nodeView: nodeView, edgeView: edgeView };
})();
