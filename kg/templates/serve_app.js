// Query page: results are untrusted text and only ever become text nodes (textContent) or
// attribute values set as properties; never markup.
(function () {
  "use strict";
  var queries = window.KG_QUERIES || [];
  var prefixes = window.KG_PREFIXES || {};
  var nameQueries = window.KG_NAME_QUERIES || {};
  var byName = {};
  queries.forEach(function (query) { byName[query.name] = query; });

  var status = document.getElementById("status");
  var results = document.getElementById("results");
  var resultBar = document.getElementById("result-bar");
  var paramBox = document.getElementById("params");
  var description = document.getElementById("canned-description");
  var picker = document.getElementById("canned");
  var pageSizeField = document.getElementById("page-size");

  var editor = CodeMirror.fromTextArea(document.getElementById("query"), {
    mode: "sparql",
    lineNumbers: true,
    matchBrackets: true,
    indentUnit: 2,
    screenReaderLabel: "SPARQL query",
    extraKeys: { "Ctrl-Enter": function () { run(); }, "Cmd-Enter": function () { run(); } }
  });
  window.kgEditor = editor;  // for the browser tests and the console

  var current = null;  // the canned query whose parameter fields are shown
  var errorLine = null;  // the editor line marked by the last syntax error
  // the last answer: SELECT rows (with sort and page) or a graph as Turtle
  var shown = { vars: [], rows: [], raw: "", graph: null, sortColumn: null, descending: false, page: 0 };

  // ------------------------------------------------------------------ parameters

  var knownNames = {};  // parameter type -> datalist element, filled once by a small query

  function namesList(type) {
    if (knownNames[type]) { return knownNames[type].id; }
    var list = document.createElement("datalist");
    list.id = "names-" + type;
    document.body.appendChild(list);
    knownNames[type] = list;
    post({ type: "application/sparql-query", body: nameQueries[type] }, "application/sparql-results+json")
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var names = data.results.bindings.map(function (row) { return row.name ? row.name.value : ""; });
        names.filter(Boolean).sort(compareText).forEach(function (name) {
          var option = document.createElement("option");
          option.value = name;
          list.appendChild(option);
        });
      })
      .catch(function () { /* the field still takes any text */ });
    return list.id;
  }

  function paramField(param) {
    var label = document.createElement("label");
    label.appendChild(document.createTextNode("?" + param.name + (param.required ? " *" : "")));
    var input;
    if (param.type === "boolean") {
      input = document.createElement("select");
      ["", "true", "false"].forEach(function (value) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = value || "(any)";
        input.appendChild(option);
      });
    } else {
      input = document.createElement("input");
      input.type = param.type === "integer" || param.type === "year" || param.type === "decimal" ? "number" : "text";
      if (param.type === "decimal") { input.step = "any"; }
      var kind = nameQueries[param.type] ? param.type + " name" : param.type;
      input.placeholder = kind + (param.required ? ", required" : ", optional");
      if (nameQueries[param.type]) { input.setAttribute("list", namesList(param.type)); }
    }
    input.className = "param";
    input.dataset.param = param.name;
    input.required = !!param.required;
    input.addEventListener("keydown", function (event) { if (event.key === "Enter") { run(); } });
    label.appendChild(input);
    var hint = document.createElement("span");
    hint.className = "hint";
    hint.textContent = param.description;
    label.appendChild(hint);
    return label;
  }

  function chooseCanned(name, keepText) {
    var chosen = byName[name] || null;
    current = chosen;
    picker.value = chosen ? chosen.name : "";
    paramBox.replaceChildren();
    description.textContent = chosen ? (chosen.title || chosen.name) : "";
    if (!chosen) { return; }
    if (!keepText) { editor.setValue(chosen.sparql); }
    (chosen.params || []).forEach(function (param) { paramBox.appendChild(paramField(param)); });
  }

  picker.addEventListener("change", function (event) { chooseCanned(event.target.value, false); });

  function paramValues() {
    var values = [];
    paramBox.querySelectorAll(".param").forEach(function (input) {
      if (input.value !== "") { values.push([input.dataset.param, input.value]); }
    });
    return values;
  }

  // ------------------------------------------------------------------ prefixes

  document.querySelectorAll("#prefixes button[data-prefix]").forEach(function (button) {
    button.addEventListener("click", function () {
      var name = button.dataset.prefix;
      var line = "PREFIX " + name + ": <" + prefixes[name] + ">";
      var declared = new RegExp("^\\s*PREFIX\\s+" + name + ":", "im");
      if (!declared.test(editor.getValue())) {
        editor.replaceRange(line + "\n", { line: 0, ch: 0 });
      }
      editor.focus();
    });
  });

  // ------------------------------------------------------------------ the URL keeps the query

  function stateParams() {
    var state = new URLSearchParams();
    if (current) {
      state.set("canned", current.name);
      paramValues().forEach(function (pair) { state.set("param." + pair[0], pair[1]); });
    }
    if (!current || editor.getValue() !== current.sparql) { state.set("query", editor.getValue()); }
    return state;
  }

  function saveState() {
    var hash = "#" + stateParams().toString();
    if (location.hash !== hash) { history.replaceState(null, "", hash); }
  }

  function restoreState() {
    var state = new URLSearchParams(location.hash.replace(/^#/, ""));
    if (!state.has("query") && !state.has("canned")) { return false; }
    chooseCanned(state.get("canned") || "", state.has("query"));
    if (state.has("query")) { editor.setValue(state.get("query")); }
    paramBox.querySelectorAll(".param").forEach(function (input) {
      var value = state.get("param." + input.dataset.param);
      if (value !== null) { input.value = value; }
    });
    return true;
  }

  window.addEventListener("hashchange", function () { if (restoreState()) { run(); } });

  // ------------------------------------------------------------------ requests

  function post(request, accept) {
    return fetch("sparql", {
      method: "POST",
      headers: { "Content-Type": request.type, "Accept": accept },
      body: request.body
    });
  }

  // The request body: plain SPARQL, or a form naming the canned query and its parameter values
  function requestFor(text) {
    if (!current || !(current.params || []).length) {
      return { type: "application/sparql-query", body: text };
    }
    var form = new URLSearchParams();
    form.append("canned", current.name);
    form.append("query", text);
    paramValues().forEach(function (pair) { form.append("param." + pair[0], pair[1]); });
    return { type: "application/x-www-form-urlencoded", body: form.toString() };
  }

  function setStatus(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "";
  }

  function clearResults() {
    results.replaceChildren();
    resultBar.hidden = true;
    if (errorLine !== null) {
      editor.removeLineClass(errorLine, "background", "error-line");
      errorLine = null;
    }
  }

  // The server's message, as text, where the results would be; a syntax error also marks its line
  function showError(code, reason, message) {
    var box = document.createElement("div");
    box.id = "query-error";
    box.setAttribute("role", "alert");
    box.appendChild(cell("strong", "Error " + code + (reason ? " " + reason : "")));
    box.appendChild(cell("pre", message.trim()));
    results.appendChild(box);
    setStatus("error " + code, true);
    var position = /error at (\d+):(\d+)/.exec(message);
    if (position) {
      errorLine = Math.min(Number(position[1]) - 1, editor.lineCount() - 1);
      editor.addLineClass(errorLine, "background", "error-line");
    }
  }

  function run() {
    clearResults();
    saveState();
    setStatus("running…", false);
    var started = Date.now();
    post(requestFor(editor.getValue()), "application/sparql-results+json, text/turtle;q=0.9")
      .then(function (response) {
        return response.text().then(function (text) {
          var seconds = ((Date.now() - started) / 1000).toFixed(2);
          if (!response.ok) { return showError(response.status, response.statusText, text); }
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("json") === -1) { return showGraph(text, type, seconds); }
          var data = JSON.parse(text);
          if (typeof data.boolean === "boolean") {
            results.appendChild(cell("p", "ASK: " + data.boolean));
            setStatus("answered in " + seconds + " s", false);
            return;
          }
          // each row with its place in the answer, so that a sort is stable and can be undone
          var rows = data.results.bindings.map(function (binding, index) { return { binding: binding, order: index }; });
          shown = { vars: data.head.vars || [], rows: rows, raw: text, graph: null,
                    sortColumn: null, descending: false, page: 0 };
          showTable();
          setStatus(shown.rows.length + " rows in " + seconds + " s", false);
        });
      })
      .catch(function (error) { showError("", "", String(error.message || error)); });
  }

  document.getElementById("run").addEventListener("click", run);

  // ------------------------------------------------------------------ results

  function cell(tag, text) {
    var el = document.createElement(tag);
    el.textContent = text;
    return el;
  }

  // kg:Measure for an IRI under one of the build's prefixes
  function compact(iri) {
    var best = null;
    Object.keys(prefixes).forEach(function (name) {
      var base = prefixes[name];
      if (iri.indexOf(base) === 0 && (!best || base.length > prefixes[best].length)) { best = name; }
    });
    if (!best) { return iri; }
    var local = iri.slice(prefixes[best].length);
    return /^[\w.\-]*$/.test(local) ? best + ":" + local : iri;
  }

  function termText(term) {
    if (!term) { return ""; }
    if (term.type === "uri") { return compact(term.value); }
    if (term.type === "literal" && term["xml:lang"]) { return term.value + " @" + term["xml:lang"]; }
    if (term.type === "triple") {
      return "<< " + [termText(term.value.subject), termText(term.value.predicate), termText(term.value.object)].join(" ") + " >>";
    }
    return term.value;
  }

  var NUMERIC = /#(integer|decimal|double|float|int|long|short|byte|nonNegativeInteger|positiveInteger|negativeInteger|nonPositiveInteger|unsignedInt|unsignedLong|unsignedShort|unsignedByte|gYear)$/;
  var collator = new Intl.Collator(["zh", "en"], { numeric: true });

  function compareText(a, b) { return collator.compare(a, b); }

  // numbers by value, other terms as text; unbound cells last whichever the direction
  function compareTerms(a, b) {
    if (!a || !b) { return !a && !b ? 0 : (a ? -1 : 1); }
    if (a.datatype && b.datatype && NUMERIC.test(a.datatype) && NUMERIC.test(b.datatype)) {
      var x = Number(a.value), y = Number(b.value);
      if (!isNaN(x) && !isNaN(y) && x !== y) { return x < y ? -1 : 1; }
    }
    return compareText(termText(a), termText(b));
  }

  function sortBy(column) {
    shown.descending = shown.sortColumn === column ? !shown.descending : false;
    shown.sortColumn = column;
    var sign = shown.descending ? -1 : 1;
    shown.rows.sort(function (a, b) {
      var x = a.binding[column], y = b.binding[column];
      var order = !x !== !y ? compareTerms(x, y) : sign * compareTerms(x, y);
      return order || a.order - b.order;
    });
    shown.page = 0;
    showTable();
  }

  function pageSize() { return Math.max(1, Number(pageSizeField.value) || 50); }
  function pageCount() { return Math.max(1, Math.ceil(shown.rows.length / pageSize())); }

  function showTable() {
    results.replaceChildren();
    var size = pageSize();
    var first = shown.page * size;
    var table = document.createElement("table");
    table.id = "result-table";
    var head = table.createTHead().insertRow();
    head.appendChild(cell("th", "#"));
    shown.vars.forEach(function (name) {
      var th = document.createElement("th");
      th.dataset.column = name;
      if (shown.sortColumn === name) { th.setAttribute("aria-sort", shown.descending ? "descending" : "ascending"); }
      var button = cell("button", name);
      button.type = "button";
      button.title = "sort by ?" + name;
      button.addEventListener("click", function () { sortBy(name); });
      th.appendChild(button);
      head.appendChild(th);
    });
    var body = table.createTBody();
    shown.rows.slice(first, first + size).forEach(function (entry, offset) {
      var binding = entry.binding;
      var row = body.insertRow();
      var number = cell("td", String(first + offset + 1));
      number.className = "row-number";
      row.appendChild(number);
      shown.vars.forEach(function (name) {
        var term = binding[name];
        var td = cell("td", termText(term));
        if (term && term.type === "uri") { td.className = "iri"; td.title = term.value; }
        if (term && term.datatype) { td.title = term.datatype; }
        if (term && term.type === "literal" && term["xml:lang"]) {  // the tag apart, in grey
          td.textContent = term.value;
          td.appendChild(cell("span", " @" + term["xml:lang"])).className = "lang";
        }
        row.appendChild(td);
      });
    });
    results.appendChild(table);
    showBar(false);
  }

  function showGraph(text, type, seconds) {
    shown = { vars: [], rows: [], raw: text, graph: type, sortColumn: null, descending: false, page: 0 };
    var pre = cell("pre", text);
    pre.id = "graph-output";
    results.appendChild(pre);
    showBar(true);
    setStatus("graph (" + type + ") in " + seconds + " s", false);
  }

  function showBar(graph) {
    var total = shown.rows.length;
    var size = pageSize();
    var first = shown.page * size;
    document.getElementById("row-count").textContent = graph ? "" :
      total + " rows" + (total > size ? ", showing " + (first + 1) + "–" + Math.min(total, first + size) : "");
    document.getElementById("pager").hidden = graph || total <= 25;
    document.getElementById("page-info").textContent = "page " + (shown.page + 1) + " of " + pageCount();
    document.getElementById("page-first").disabled = document.getElementById("page-prev").disabled = shown.page === 0;
    document.getElementById("page-last").disabled = document.getElementById("page-next").disabled = shown.page >= pageCount() - 1;
    document.getElementById("download-csv").hidden = graph;
    document.getElementById("download-json").hidden = graph;
    document.getElementById("download-turtle").hidden = !graph;
    resultBar.hidden = false;
  }

  function goTo(page) {
    shown.page = Math.min(Math.max(0, page), pageCount() - 1);
    showTable();
  }

  document.getElementById("page-first").addEventListener("click", function () { goTo(0); });
  document.getElementById("page-prev").addEventListener("click", function () { goTo(shown.page - 1); });
  document.getElementById("page-next").addEventListener("click", function () { goTo(shown.page + 1); });
  document.getElementById("page-last").addEventListener("click", function () { goTo(pageCount() - 1); });
  pageSizeField.addEventListener("change", function () { goTo(0); });

  // ------------------------------------------------------------------ downloads (from the answer in hand)

  function csvField(text) {
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  // SPARQL 1.1 CSV: plain values (full IRIs), in the order shown
  function resultsCsv() {
    var lines = [shown.vars.map(csvField).join(",")];
    shown.rows.forEach(function (entry) {
      var row = entry.binding;
      lines.push(shown.vars.map(function (name) { return csvField(row[name] ? row[name].value : ""); }).join(","));
    });
    return lines.join("\r\n") + "\r\n";
  }

  function download(name, type, text) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: type }));
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
  }

  document.getElementById("download-csv").addEventListener("click", function () {
    download("results.csv", "text/csv;charset=utf-8", resultsCsv());
  });
  document.getElementById("download-json").addEventListener("click", function () {
    download("results.json", "application/sparql-results+json", shown.raw);
  });
  document.getElementById("download-turtle").addEventListener("click", function () {
    download("results.ttl", "text/turtle;charset=utf-8", shown.raw);
  });

  if (restoreState()) { run(); }
})();
