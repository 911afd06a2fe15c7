/* newsgraph: the little the pages need script for. Everything here enhances a plain form that works
   without it: the SPARQL editor gets colours and runs in place, the search box suggests as you type.
   No library, no request to anywhere but this service. */
"use strict";

(function () {
  const base = (document.getElementById("editor") || document.body).dataset.base || "";

  /* An IRI's link: this site's page for what it mints, the IRI itself for other web IRIs. */
  function hrefOf(iri) {
    if (base && iri.startsWith(base) && !iri.slice(base.length).startsWith("/")) return "/" + iri.slice(base.length);
    if (iri.startsWith("https://w3id.org/newsgraph/ns#")) return "/ontology#" + iri.split("#")[1];
    return /^https?:\/\//.test(iri) ? iri : null;
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* ---- SPARQL syntax colours ------------------------------------------------------------------- */

  const KEYWORDS = new Set(("select construct describe ask where from named prefix base distinct reduced as " +
    "optional union minus filter bind values graph service silent order by asc desc limit offset group having " +
    "not exists in a true false count sum min max avg sample group_concat separator str lang langmatches " +
    "datatype bound iri uri bnode rand abs ceil floor round concat strlen ucase lcase encode_for_uri contains " +
    "strstarts strends strbefore strafter year month day hours minutes seconds timezone tz now uuid struuid " +
    "md5 sha1 sha256 sha384 sha512 coalesce if strlang strdt sameterm isiri isuri isblank isliteral isnumeric " +
    "regex substr replace insert delete data load clear drop create add move copy to using with default all").split(" "));
  const TOKEN = new RegExp([
    "(#[^\\n]*)",                                   // 1 comment
    "(\"\"\"[\\s\\S]*?\"\"\"|'''[\\s\\S]*?'''|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)*')", // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                     // 3 IRI
    "([?$][A-Za-z_0-9\\u00C0-\\uFFFF]+)",           // 4 variable
    "([A-Za-z_][\\w.-]*)?:([\\w.%-]*)",             // 5,6 prefixed name
    "([A-Za-z_]+)",                                 // 7 word
    "([+-]?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?)",    // 8 number
  ].join("|"), "g");

  function escapeHtml(s) {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function highlight(text) {
    let out = "", last = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      if (m[0] === "") { TOKEN.lastIndex++; continue; }
      out += escapeHtml(text.slice(last, m.index));
      let cls = null;
      if (m[1]) cls = "c";
      else if (m[2]) cls = "s";
      else if (m[3]) cls = "i";
      else if (m[4]) cls = "v";
      else if (m[6] !== undefined) cls = "p";
      else if (m[7]) cls = KEYWORDS.has(m[7].toLowerCase()) ? "k" : null;
      else if (m[8]) cls = "n";
      out += cls ? `<span class="t-${cls}">${escapeHtml(m[0])}</span>` : escapeHtml(m[0]);
      last = m.index + m[0].length;
    }
    return out + escapeHtml(text.slice(last)) + "\n";
  }

  /* ---- the editor -------------------------------------------------------------------------------- */

  const editor = document.getElementById("editor");
  if (editor) {
    const area = document.getElementById("sparql-query");
    const code = document.getElementById("sparql-highlight");
    const status = document.getElementById("sparql-status");
    const results = document.getElementById("sparql-results");
    const csv = document.getElementById("download-csv");
    const json = document.getElementById("download-json");
    const pre = code.parentElement;
    editor.classList.add("enhanced");

    const paint = () => {
      code.innerHTML = highlight(area.value);
      const q = encodeURIComponent(area.value);
      csv.href = `/sparql?query=${q}&format=csv`;
      json.href = `/sparql?query=${q}&format=json`;
    };
    area.addEventListener("input", paint);
    area.addEventListener("scroll", () => { pre.scrollTop = area.scrollTop; pre.scrollLeft = area.scrollLeft; });
    paint();

    const examples = document.getElementById("sparql-examples");
    const data = document.getElementById("sparql-examples-data");
    if (examples && data) {
      const list = JSON.parse(data.textContent);
      examples.addEventListener("change", () => {
        const chosen = list[Number(examples.value)];
        if (chosen) { area.value = chosen.query; paint(); area.focus(); }
      });
    }

    function cell(term) {
      const td = el("td");
      if (!term) return td;
      if (term.type === "uri") {
        const href = hrefOf(term.value);
        td.appendChild(href ? el("a", {href}, term.value) : document.createTextNode(term.value));
      } else {
        td.textContent = term.value;
        if (term["xml:lang"]) td.appendChild(el("small", {}, " @" + term["xml:lang"]));
      }
      return td;
    }

    let running = null;  // the run in flight: a new one cancels it, so one table only ever shows

    async function run(event) {
      if (event) event.preventDefault();
      if (running) running.abort();
      running = new AbortController();
      const signal = running.signal;
      status.textContent = "Running…";
      results.textContent = "";
      // what the server rendered for an earlier submission (rows or an error) no longer applies
      document.querySelectorAll("#server-results, .problems[role=alert]").forEach(n => n.remove());
      const started = performance.now();
      let response;
      try {
        response = await fetch("/sparql", {
          method: "POST",
          headers: {"Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/sparql-results+json, text/turtle;q=0.9"},
          body: new URLSearchParams({query: area.value}),
          signal,
        });
      } catch (e) {
        if (!signal.aborted) status.textContent = "The service did not answer: " + e.message;
        return;
      }
      if (signal.aborted) return;
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      const type = response.headers.get("Content-Type") || "";
      if (!response.ok) {
        status.textContent = `Error ${response.status}: ${await response.text()}`;
        results.appendChild(el("p", {class: "problems", role: "alert"}, status.textContent));
        return;
      }
      if (!type.startsWith("application/sparql-results+json")) {  // a graph: shown as Turtle
        const text = await response.text();
        status.textContent = `A graph, in ${seconds} s`;
        results.appendChild(el("pre", {class: "turtle"}, text));
        return;
      }
      const answer = await response.json();
      if (signal.aborted) return;
      if ("boolean" in answer) {
        status.textContent = `${answer.boolean ? "Yes" : "No"} (${seconds} s)`;
        return;
      }
      const vars = answer.head.vars, rows = answer.results.bindings;
      status.textContent = `${rows.length} row${rows.length === 1 ? "" : "s"} in ${seconds} s`;
      const table = el("table", {class: "results"});
      const head = table.appendChild(el("thead")).appendChild(el("tr"));
      vars.forEach(v => head.appendChild(el("th", {scope: "col"}, v)));
      const body = table.appendChild(el("tbody"));
      const shown = rows.slice(0, 2000);
      shown.forEach(row => {
        const tr = body.appendChild(el("tr"));
        vars.forEach(v => tr.appendChild(cell(row[v])));
      });
      if (rows.length > shown.length) {
        results.appendChild(el("p", {class: "hint"}, `The first ${shown.length} rows; download the rest.`));
      }
      results.appendChild(table);
    }

    editor.addEventListener("submit", run);
    area.addEventListener("keydown", e => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(e);
      if (e.key === "Tab" && !e.shiftKey && !e.altKey) {  // indent, but Esc then Tab still leaves the field
        if (area.dataset.escaped) { delete area.dataset.escaped; return; }
        e.preventDefault();
        const start = area.selectionStart;
        area.setRangeText("  ", start, area.selectionEnd, "end");
        paint();
      }
      if (e.key === "Escape") area.dataset.escaped = "1";
    });
  }

  /* ---- entity search suggestions (an ARIA combobox) ------------------------------------------------ */

  const search = document.getElementById("search");
  const box = document.getElementById("search-suggestions");
  if (search && box) {
    let timer = null, active = -1, asked = "", options = [];

    const close = () => {
      box.hidden = true; search.setAttribute("aria-expanded", "false");
      search.removeAttribute("aria-activedescendant"); active = -1;
    };
    const mark = i => {
      options.forEach((o, j) => o.setAttribute("aria-selected", String(i === j)));
      active = i;
      if (i >= 0) search.setAttribute("aria-activedescendant", options[i].id);
    };

    async function suggest() {
      const q = search.value.trim();
      if (q.length < 2) { close(); return; }
      asked = q;
      let answer;
      try {
        const r = await fetch(`/queries/search?q=${encodeURIComponent(q)}&limit=8`, {headers: {Accept: "application/json"}});
        if (!r.ok) { close(); return; }
        answer = await r.json();
      } catch (e) { close(); return; }
      if (asked !== search.value.trim()) return;  // a newer request is on its way
      box.textContent = "";
      options = answer.rows.map((row, i) => {
        const li = el("li", {role: "option", id: `suggestion-${i}`, "aria-selected": "false"});
        // only web IRIs become links: an entity named javascript:… or data:… is shown, never followed
        const href = hrefOf(row.entity);
        const a = href ? el("a", {href: href, tabindex: "-1"}, row.label) : el("span", {}, row.label);
        li.appendChild(a);
        li.appendChild(el("small", {}, " " + (row.type || "").replace("-", " ")));
        li.addEventListener("mousedown", e => { e.preventDefault(); if (href) window.location.href = href; });
        box.appendChild(li);
        return li;
      });
      if (!options.length) box.appendChild(el("li", {class: "none"}, "No entity has that name"));
      box.hidden = false;
      search.setAttribute("aria-expanded", "true");
      active = -1;
    }

    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(suggest, 120); });
    search.addEventListener("keydown", e => {
      if (box.hidden || !options.length) return;
      if (e.key === "ArrowDown") { e.preventDefault(); mark((active + 1) % options.length); }
      else if (e.key === "ArrowUp") { e.preventDefault(); mark((active - 1 + options.length) % options.length); }
      else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        const link = options[active].querySelector("a");
        if (link) window.location.href = link.href;
      } else if (e.key === "Escape") close();
    });
    search.addEventListener("blur", () => setTimeout(close, 150));
  }
})();
