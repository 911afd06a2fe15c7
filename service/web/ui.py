"""The home page: the dataset in figures, a SPARQL editor, entity search and the saved queries.

Everything it needs is served from ``/static`` (no CDN), and everything works without script: the
search box and the query forms are plain forms, the editor posts to ``/sparql?format=html``. The
script (``static/newsgraph.js``) adds what script is good for: syntax colours, suggestions as you
type, running a query in place.
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, render_template

from newsgraph.loaders.vocab import PREFIXES
from newsgraph.service.sparql.params import EntityResolver, check
from newsgraph.service.store.summary import figures
from newsgraph.service.web import display
from newsgraph.service.web.charts import facts_by_year
from newsgraph.service.web.conditional import respond

bp = Blueprint("ui", __name__)

START_QUERY = """SELECT DISTINCT ?member ?label ?article WHERE {
  ?claim a org:Membership ;
         org:organization/dcterms:identifier "csto" ;
         org:member ?member ;
         nf:status "member" ;
         prov:wasDerivedFrom ?article .
  ?member rdfs:label ?label FILTER(LANG(?label) = "en")
}
ORDER BY ?label
LIMIT 100"""


def prologue() -> str:
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(PREFIXES.items()))


def examples(store) -> list[dict]:
    """Each saved query as runnable SPARQL, its parameters bound to their documented examples."""
    out = []
    resolver = EntityResolver(store)
    for q in current_app.extensions["newsgraph.queries"].values():
        given = {p.name: [p.example] for p in q.params if p.example is not None}
        checked = check(q, given, resolver)
        terms = {name: t for name, t in checked.terms.items() if name in given or q.param(name).default}
        text = q.bound(terms) if not checked.problems else q.text
        body = "\n".join(line for line in text.splitlines() if not line.startswith("#+")).strip()
        out.append({"name": q.name, "summary": q.summary, "query": body})
    return out


@bp.get("/")
def home() -> Response:
    store = current_app.extensions["newsgraph.store"].get()
    cache = current_app.extensions.get("newsgraph.cache")
    key = ("home", store.version) if cache is not None and store.version else None
    hit = cache.get(key) if key is not None else None
    if hit is not None:
        return respond(hit[0], "text/html; charset=utf-8", {})
    f = figures(store)
    base = current_app.config["NEWSGRAPH"].base
    newest = [{**a, "href": display.href(ox.NamedNode(a["iri"]), base)} for a in f.newest]
    body = render_template(
        "home.html", title="newsgraph", html_lang="en", figures=f, newest=newest, chart=facts_by_year(f.by_year),
        kinds=display.KIND_TITLES, queries=list(current_app.extensions["newsgraph.queries"].values()),
        examples=examples(store), prologue=prologue(), start=START_QUERY, base=base).encode()
    if key is not None:
        cache.put(key, (body,))
    return respond(body, "text/html; charset=utf-8", {})


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for it whatever the page says: the same picture as the pages' icon."""
    return current_app.send_static_file("favicon.svg")
