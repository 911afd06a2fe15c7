"""The browser UI at its edges: the no-script editor page (format=html) and newsgraph.js in Chromium; each
test began as the proof of a bug a review found, or pins what the review found working."""

from __future__ import annotations

import urllib.parse

import pytest

from newsgraph.service.config import Settings
from newsgraph.service.web.app import create_app

EVIL = "</script><img src=x onerror=alert(1)>"


@pytest.fixture
def client():
    app = create_app(Settings(store="memory:", update_token="t", cache_mb=0), executors=0)
    with app.extensions["newsgraph.store"].get().writer() as writer:
        writer.update('INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/x> '
                      f'<http://www.w3.org/2000/01/rdf-schema#label> "{EVIL}"@en . '
                      '<http://example.org/x> <http://example.org/p> <javascript:alert(1)> } }')
    return app.test_client()


def test_html_results_escape_data(client):
    r = client.post("/sparql", data={"query": "SELECT ?s ?o WHERE { ?s ?p ?o }", "format": "html"})
    body = r.data.decode()
    assert r.status_code == 200
    assert EVIL not in body and "&lt;/script&gt;" in body
    assert 'href="javascript:' not in body


def test_html_syntax_error_shows_editor(client):
    r = client.post("/sparql", data={"query": "SELECT ?s WHERE { ?s ?p }", "format": "html"})
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert "SELECT ?s WHERE { ?s ?p }" in r.data.decode()


def test_html_refused_service_shows_editor(client):
    q = "SELECT * WHERE { SERVICE <http://example.net/sparql> { ?s ?p ?o } }"
    r = client.post("/sparql", data={"query": q, "format": "html"})
    assert r.status_code == 400
    assert r.mimetype == "text/html", r.data


def test_update_memory_store_is_204(client):
    r = client.post("/sparql", data={"update": 'INSERT DATA { <http://example.org/y> <http://example.org/p> "v" }'},
                    headers={"Authorization": "Bearer t"})
    assert r.status_code == 204, r.data


# ---- Chromium ----------------------------------------------------------------------------------


# `srv` (a server on the seeds) and `browser` (Chromium) come from conftest.py


@pytest.fixture
def page(browser):
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()


def html_url(srv, query: str) -> str:
    return f"{srv.url}/sparql?{urllib.parse.urlencode({'query': query, 'format': 'html'})}"


def test_server_error_cleared_after_good_run(srv, page):
    page.goto(html_url(srv, "SELECT ?s WHERE { ?s ?p }"))
    page.fill("#sparql-query", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 2")
    page.press("#sparql-query", "Control+Enter")
    page.wait_for_function("document.getElementById('sparql-status').textContent.includes('row')")
    assert page.locator("[role=alert]").count() == 0, page.locator("[role=alert]").all_inner_texts()


def test_server_results_cleared_after_failing_run(srv, page):
    page.goto(html_url(srv, "SELECT ?s WHERE { ?s ?p ?o } LIMIT 2"))
    assert page.locator("#server-results").count() == 1
    page.fill("#sparql-query", "SELECT ?s WHERE { ?s ?p }")
    page.press("#sparql-query", "Control+Enter")
    page.wait_for_function("document.getElementById('sparql-status').textContent.startsWith('Error')")
    assert page.locator("#server-results").count() == 0


def test_two_quick_runs_show_one_table(srv, page):
    page.goto(srv.url + "/")
    page.fill("#sparql-query", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3")
    page.evaluate("() => { const f = document.getElementById('editor'); f.requestSubmit(); f.requestSubmit(); }")
    page.wait_for_function("document.getElementById('sparql-status').textContent.includes('row')")
    page.wait_for_timeout(1000)
    assert page.locator("#sparql-results table").count() == 1


def test_results_table_escapes_html(srv, page):
    errors = []
    page.on("dialog", lambda d: (errors.append(d.message), d.dismiss()))
    page.goto(srv.url + "/")
    page.fill("#sparql-query", f'SELECT ?x ?i WHERE {{ BIND("{EVIL}" AS ?x) BIND(IRI("javascript:alert(2)") AS ?i) }}')
    page.press("#sparql-query", "Control+Enter")
    page.wait_for_function("document.getElementById('sparql-status').textContent.includes('row')")
    assert page.locator("#sparql-results td").first.inner_text() == EVIL
    assert page.locator("#sparql-results img").count() == 0
    assert page.locator("#sparql-results a[href^='javascript']").count() == 0
    assert not errors
