// Query page: results are untrusted text and only ever become text nodes (textContent).
(function () {
  "use strict";
  var queries = window.KG_QUERIES || [];
  var editor = document.getElementById("query");
  var status = document.getElementById("status");
  var results = document.getElementById("results");

  var paramBox = document.getElementById("params");
  var description = document.getElementById("canned-description");
  var current = null;  // the canned query whose parameter fields are shown

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
      input.placeholder = param.type + (param.required ? ", required" : ", optional");
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

  document.getElementById("canned").addEventListener("change", function (event) {
    var chosen = event.target.value === "" ? null : queries[Number(event.target.value)];
    current = chosen || null;
    paramBox.replaceChildren();
    description.textContent = chosen ? (chosen.title || chosen.name) : "";
    if (!chosen) { return; }
    editor.value = chosen.sparql;
    (chosen.params || []).forEach(function (param) { paramBox.appendChild(paramField(param)); });
  });

  // The request body: plain SPARQL, or a form naming the canned query and its parameter values
  function requestFor(text) {
    if (!current || !(current.params || []).length) {
      return { type: "application/sparql-query", body: text };
    }
    var form = new URLSearchParams();
    form.append("canned", current.name);
    form.append("query", text);
    paramBox.querySelectorAll(".param").forEach(function (input) {
      if (input.value !== "") { form.append("param." + input.dataset.param, input.value); }
    });
    return { type: "application/x-www-form-urlencoded", body: form.toString() };
  }

  function setStatus(text, isError) {
    status.textContent = text;
    status.className = isError ? "error" : "";
  }

  function termText(term) {
    if (!term) { return ""; }
    if (term.type === "literal" && term["xml:lang"]) { return term.value + " @" + term["xml:lang"]; }
    if (term.type === "triple") { return "<< " + [termText(term.value.subject), termText(term.value.predicate), termText(term.value.object)].join(" ") + " >>"; }
    return term.value;
  }

  function cell(tag, text) {
    var el = document.createElement(tag);
    el.textContent = text;
    return el;
  }

  function showTable(data) {
    var vars = data.head.vars || [];
    var rows = data.results.bindings;
    var limit = Math.max(1, Number(document.getElementById("limit").value) || 500);
    var table = document.createElement("table");
    table.id = "result-table";
    var head = table.createTHead().insertRow();
    vars.forEach(function (name) { head.appendChild(cell("th", name)); });
    var body = table.createTBody();
    rows.slice(0, limit).forEach(function (binding) {
      var row = body.insertRow();
      vars.forEach(function (name) { row.appendChild(cell("td", termText(binding[name]))); });
    });
    results.appendChild(table);
    setStatus(rows.length + " rows" + (rows.length > limit ? " (first " + limit + " shown)" : ""), false);
  }

  function run() {
    results.replaceChildren();
    setStatus("running…", false);
    var started = Date.now();
    var request = requestFor(editor.value);
    fetch("sparql", {
      method: "POST",
      headers: {
        "Content-Type": request.type,
        "Accept": "application/sparql-results+json, text/turtle;q=0.9"
      },
      body: request.body
    }).then(function (response) {
      return response.text().then(function (text) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok) { throw new Error(response.status + " " + text); }
        var seconds = ((Date.now() - started) / 1000).toFixed(2);
        if (type.indexOf("json") !== -1) {
          var data = JSON.parse(text);
          if (typeof data.boolean === "boolean") {
            results.appendChild(cell("p", "ASK: " + data.boolean));
            setStatus("answered in " + seconds + " s", false);
          } else {
            showTable(data);
            status.textContent += " in " + seconds + " s";
          }
        } else {
          var pre = cell("pre", text);
          pre.id = "graph-output";
          results.appendChild(pre);
          setStatus("graph (" + type + ") in " + seconds + " s", false);
        }
      });
    }).catch(function (error) { setStatus(String(error.message || error), true); });
  }

  document.getElementById("run").addEventListener("click", run);
  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { run(); }
  });
})();
