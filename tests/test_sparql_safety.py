"""The /sparql endpoint's defences, over a real `newsgraph serve`: no fetching of remote data (SERVICE,
LOAD), updates only with the token, a time limit that frees the CPU, strict request checking with plain
messages (never a 500 or a traceback), and CORS.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from helpers import RESULTS_JSON, Answer, app_client, assert_error, get, loaded, query, request
from server import Server, process_stats

TOKEN = "test-token-8b1f0c"
CARTESIAN = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
ARTICLE = "http://localhost:5000/id/article/askanews-2023-11-22-csto"


# ---- HTTP with the standard library (Answer, request, get, query, assert_error: helpers.py) -------------------------


def update(endpoint: str, text: str, token: str | None = TOKEN, via: str = "direct",
           authorization: str | None = None) -> Answer:
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if via == "form":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return request(endpoint, "POST", urllib.parse.urlencode({"update": text}), headers)
    headers["Content-Type"] = "application/sparql-update"
    return request(endpoint, "POST", text, headers)


def ask(endpoint: str, text: str) -> bool:
    answer = query(endpoint, text, via="direct")
    assert answer.status == 200, answer
    return answer.json()["boolean"]


# ---- a local HTTP listener: the "remote" endpoint that must never be contacted -------------------------


class Listener:
    """An HTTP server on 127.0.0.1 that records every request and answers like a SPARQL endpoint."""

    RESULT = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"from-listener"}}]}}'
    DATA = b"<http://example.org/remote> <http://example.org/p> \"fetched\" .\n"

    def __init__(self):
        self.requests: list[tuple[str, str]] = []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                listener.requests.append((self.command, self.path))
                sparql = "sparql" in (self.headers.get("Accept") or "")
                body = listener.RESULT if sparql else listener.DATA
                self.send_response(200)
                self.send_header("Content-Type", RESULTS_JSON if sparql else "application/n-triples")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def settle(self) -> list[tuple[str, str]]:
        """The requests received, after giving a stray fetch a moment to arrive."""
        time.sleep(0.2)
        return list(self.requests)


# ---- servers ----------------------------------------------------------------------------------------


def serve(store: Path | str, **options) -> Server:
    """A `Server` (its log goes to a file, so nothing needs draining while it runs)."""
    return Server(store, **options)


# ---- fixtures -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    return loaded(tmp_path_factory.mktemp("safety") / "store").store


@pytest.fixture(scope="module")
def srv(store):
    """Token configured, a 2 s time limit, no SERVICE allow-list."""
    with serve(store, token=TOKEN, timeout=2) as server:
        yield server


@pytest.fixture
def writable(store):
    """A server of its own for a test that writes: see test_queries_still_answer_after_many_updates."""
    with serve(store, token=TOKEN, timeout=2) as server:
        yield server


@pytest.fixture(scope="module")
def slow_srv(store):
    """For the time-limit tests: a server (and pool of executors) that nothing else has used."""
    with serve(store, timeout=2) as server:
        yield server


@pytest.fixture
def listener():
    with Listener() as lst:
        yield lst


# ---- SERVICE and LOAD --------------------------------------------------------------------------------

SERVICE_FORMS = {
    "plain": "SELECT * {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}",
    "lower-case": "select * {{ service <{url}sparql> {{ ?s ?p ?o }} }}",
    "mixed-case": "SELECT * {{ SeRvIcE <{url}sparql> {{ ?s ?p ?o }} }}",
    "silent": "SELECT * {{ SERVICE SILENT <{url}sparql> {{ ?s ?p ?o }} }}",
    "prefixed-name": "PREFIX x: <{url}> SELECT * {{ SERVICE x:sparql {{ ?s ?p ?o }} }}",
    "codepoint-escape": "SELECT * {{ \\u0053ERVICE <{url}sparql> {{ ?s ?p ?o }} }}",
    "escaped-iri": "SELECT * {{ SERVICE <\\u0068ttp://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
    "variable": "SELECT * {{ VALUES ?svc {{ <{url}sparql> }} SERVICE ?svc {{ ?s ?p ?o }} }}",
    "no-spaces": "SELECT*{{SERVICE<{url}sparql>{{?s ?p ?o}}}}",
    "comment-between": "SELECT * {{ SERVICE # the target follows\n <{url}sparql> {{ ?s ?p ?o }} }}",
    "nested": "SELECT * {{ ?a a schema:NewsArticle OPTIONAL {{ {{ SELECT ?s {{ SERVICE <{url}sparql> "
              "{{ ?s ?p ?o }} }} }} }} }}",
}


def _form(template: str, lst: Listener) -> str:
    return template.format(url=lst.url, port=lst.url.rsplit(":", 1)[1].strip("/"))


@pytest.mark.parametrize("via", ["get", "form", "direct"])
@pytest.mark.parametrize("form", SERVICE_FORMS)
def test_service_is_refused_and_never_contacted(srv, listener, form, via):
    answer = query(srv.endpoint, _form(SERVICE_FORMS[form], listener), via=via)
    assert_error(answer, 400, "SERVICE")
    assert listener.settle() == []


LOAD_FORMS = {
    "plain": "LOAD <{url}data.nt>",
    "silent-into": "load silent <{url}data.nt> into graph <http://example.org/g>",
    "prefixed-name": "PREFIX x: <{url}> LOAD x:data.nt",
    "codepoint-escape": "\\u004COAD <{url}data.nt>",
    "after-insert": "INSERT DATA {{ <http://example.org/s> <http://example.org/p> 1 }} ; LOAD <{url}data.nt>",
}


@pytest.mark.parametrize("via", ["direct", "form"])
@pytest.mark.parametrize("form", LOAD_FORMS)
def test_load_in_an_update_is_refused_and_never_contacted(srv, listener, form, via):
    answer = update(srv.endpoint, _form(LOAD_FORMS[form], listener), via=via)
    assert_error(answer, 400, "LOAD")
    assert listener.settle() == []
    # the request is refused whole: not even the INSERT before the LOAD is applied
    assert not ask(srv.endpoint, "ASK { <http://example.org/s> <http://example.org/p> 1 }")
    assert not ask(srv.endpoint, "ASK { ?s ?p \"fetched\" }")


# Spellings that a checker reading the text with its own rules once let through (the engine fetched the URL):
# each is SPARQL the engine accepts, with SERVICE or LOAD where a naive lexer does not see a keyword.
DISGUISED = {
    # SPARQL's lexer reads `SERVICE:sparql` as SERVICE followed by the prefixed name `:sparql`
    "empty-prefix-glued": "PREFIX : <{url}> SELECT * {{ SERVICE:sparql {{ ?s ?p ?o }} }}",
    # `?o.SERVICE` is the variable ?o, a dot, then SERVICE
    "after-variable-and-dot": "SELECT * {{ ?s ?p ?o.SERVICE <{url}sparql> {{ ?a ?b ?c }} }}",
    # `ex:a\\#b` is one prefixed name (local part `a#b`), not the start of a comment
    "escaped-hash-in-local-name": "PREFIX ex: <http://example.org/> SELECT * {{ {{ ?s ex:a\\#b ?o }} UNION "
                                  "{{ SERVICE <{url}sparql> {{ ?a ?b ?c }} }} }}",
}


@pytest.mark.parametrize("form", DISGUISED)
def test_service_disguised_by_lexing_tricks_is_refused(srv, listener, form):
    answer = query(srv.endpoint, _form(DISGUISED[form], listener), via="direct")
    assert listener.settle() == [], f"the endpoint fetched {listener.url}: {answer!r}"
    assert_error(answer, 400, "SERVICE")


def test_load_after_an_escaped_hash_is_refused(writable, listener):
    answer = update(writable.endpoint, _form("PREFIX ex: <http://example.org/> INSERT DATA {{ <http://example.org/s2> "
                                             "ex:p\\#q 1 }} ; LOAD <{url}data.nt>", listener))
    assert listener.settle() == [], f"the endpoint fetched {listener.url}: {answer!r}"
    assert_error(answer, 400, "LOAD")


BYPASSES = {
    # found in review: the check read `<?b)SERVICE#>` as an IRI; the engine reads `?a < ?b`, SERVICE, a comment
    "less-than-hides-the-keyword": "SELECT * WHERE {{ BIND(1 AS ?a) BIND(2 AS ?b) FILTER(?a<?b)SERVICE#>\n"
                                   "<{url}sparql> {{ ?s ?p ?o }} }}",
    # the engine reads `trueSERVICE` as the literal true, then SERVICE
    "glued-to-a-boolean": "SELECT * {{ ?s ?p trueSERVICE <{url}sparql> {{ ?a ?b ?c }} }}",
    # a number glued to the keyword: `0.7SERVICE` is the literal 0.7 then SERVICE (nf:confidence 0.7 is in
    # the seeds, so the join reaches the SERVICE)
    "decimal-glued": "SELECT * {{ ?f ?p 0.7SERVICE <{url}sparql> {{ ?x ?y ?z }} }}",
    "integer-glued": "SELECT * {{ ?f ?p 41SERVICE <{url}sparql> {{ ?x ?y ?z }} }}",
    # `?q<'>'` is ?q less than the string ">"; read as the IRI <'> followed by a string `') … # '`, it hides
    # everything up to the quote in the trailing comment
    "less-than-quote": "SELECT * {{ ?s ?p ?o OPTIONAL {{ ?s ?p ?q FILTER(?q<'>') }} "
                       "SERVICE <{url}sparql> {{ ?x ?y ?z }} }} # '",
    # the engine's keywords need no space between them: `SERVICESILENT` is SERVICE SILENT
    "silent-glued": "SELECT * {{ SERVICESILENT <{url}sparql> {{ ?x ?y ?z }} }}",
}


@pytest.mark.parametrize("form", BYPASSES)
def test_service_after_a_number_or_a_less_than_quote_is_refused(srv, listener, form):
    answer = query(srv.endpoint, _form(BYPASSES[form], listener), via="direct")
    assert listener.settle() == [], f"the endpoint fetched {listener.url}: {answer!r}"
    assert_error(answer, 400, "SERVICE")


LOAD_BYPASSES = {
    "less-than-quote": "DELETE {{ ?s <http://example.org/none> ?o }} WHERE {{ ?s ?p ?o FILTER(?o<'>') }} ; "
                       "LOAD <{url}data.nt> # '",
    "silent-glued": "LOADSILENT <{url}data.nt>",
}


@pytest.mark.parametrize("form", LOAD_BYPASSES)
def test_load_disguised_by_lexing_tricks_is_refused(writable, listener, form):
    answer = update(writable.endpoint, _form(LOAD_BYPASSES[form], listener))
    assert listener.settle() == [], f"the endpoint fetched {listener.url}: {answer!r}"
    assert_error(answer, 400, "LOAD")


def test_allow_list_lets_service_reach_a_listed_prefix_only(store):
    with Listener() as allowed, Listener() as other, serve(store, allow=allowed.url, timeout=10) as server:
        answer = query(server.endpoint, f"SELECT ?x {{ SERVICE <{allowed.url}sparql> {{ ?x ?p ?o }} }}",
                       via="direct")
        assert allowed.settle(), f"SERVICE to an allowed prefix never reached it: {answer!r}"
        assert answer.status == 200, answer
        assert [b["x"]["value"] for b in answer.json()["results"]["bindings"]] == ["from-listener"]

        # the same query to a prefix not on the list is still refused
        refused = query(server.endpoint, f"SELECT ?x {{ SERVICE <{other.url}sparql> {{ ?x ?p ?o }} }}")
        assert_error(refused, 400, "SERVICE")
        assert other.settle() == []


@pytest.mark.parametrize("text", [
    'SELECT * { ?s ?p "SERVICE <http://x>" }',
    "SELECT * { ?s ?p '''LOAD <http://x>\nSERVICE <http://y> { }''' }",
    "# LOAD <http://x>\nSELECT * { ?s ?p ?o } LIMIT 1",
    "SELECT * { ?s ?p ?o } LIMIT 1 # SERVICE <http://x> { ?a ?b ?c }",
    "PREFIX ex: <http://example.org/> SELECT * { ?s ex:SERVICE ?o }",
    "SELECT * { <http://example.org/SERVICE> ?p ?o }",
    "SELECT ?SERVICE { ?SERVICE ?p ?o } LIMIT 1",
], ids=["string", "long-string", "comment-line", "trailing-comment", "prefixed-name", "iri", "variable"])
def test_keywords_inside_strings_iris_and_comments_are_not_refused(srv, listener, text):
    answer = query(srv.endpoint, text)
    assert answer.status == 200, answer
    assert "results" in answer.json()
    assert listener.settle() == []


# ---- updates ----------------------------------------------------------------------------------------


def test_update_without_a_configured_token_is_403(store):
    with serve(store) as server:
        answer = update(server.endpoint, "INSERT DATA { <http://example.org/a> <http://example.org/b> 1 }",
                        token="anything")
        assert_error(answer, 403, "token")
        assert not ask(server.endpoint, "ASK { <http://example.org/a> <http://example.org/b> 1 }")


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer", f"{TOKEN}",
                                           f"Bearer {TOKEN}x"],
                         ids=["missing", "wrong", "basic-scheme", "empty-bearer", "no-scheme", "longer"])
@pytest.mark.parametrize("via", ["direct", "form"])
def test_update_without_the_right_token_is_401(srv, authorization, via):
    triple = "<http://example.org/unauthorised> <http://example.org/p> 1"
    answer = update(srv.endpoint, f"INSERT DATA {{ {triple} }}", token=None, via=via, authorization=authorization)
    assert_error(answer, 401)
    assert answer.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), answer
    assert not ask(srv.endpoint, f"ASK {{ {triple} }}")


@pytest.mark.parametrize("via", ["direct", "form"])
def test_update_with_the_token_is_applied_and_visible(writable, via):
    srv = writable
    triple = f"<http://example.org/authorised/{via}> <http://example.org/p> \"written by {via}\""
    assert not ask(srv.endpoint, f"ASK {{ {triple} }}")
    answer = update(srv.endpoint, f"INSERT DATA {{ GRAPH <http://example.org/g/{via}> {{ {triple} }} }}", via=via)
    assert 200 <= answer.status < 300, answer
    # visible to the next query, through the default graph (the union) and in its graph
    assert ask(srv.endpoint, f"ASK {{ {triple} }}")
    assert ask(srv.endpoint, f"ASK {{ GRAPH <http://example.org/g/{via}> {{ {triple} }} }}")
    got = query(srv.endpoint, f"SELECT ?o {{ <http://example.org/authorised/{via}> ?p ?o }}")
    assert [b["o"]["value"] for b in got.json()["results"]["bindings"]] == [f"written by {via}"]


def test_queries_still_answer_after_many_updates(writable):
    """More updates than the pool has executors: an update must give its executor back (a leak once left
    every later request waiting for `503 every query executor is busy`)."""
    for i in range(6):
        triple = f"<http://example.org/many/{i}> <http://example.org/p> {i}"
        answer = update(writable.endpoint, f"INSERT DATA {{ {triple} }}")
        assert 200 <= answer.status < 300, (i, answer)
        after = query(writable.endpoint, f"ASK {{ {triple} }}", via="direct", timeout=10)
        assert after.status == 200, (f"query after update #{i + 1}", after)
        assert after.json()["boolean"] is True


def test_update_memory_store_is_204():
    """A memory store (the app in-process, changed in place) takes an update with the token: 204."""
    client = app_client("memory:", update_token="t")
    r = client.post("/sparql", data={"update": 'INSERT DATA { <http://example.org/y> <http://example.org/p> "v" }'},
                    headers={"Authorization": "Bearer t"})
    assert r.status_code == 204, r.data


def test_update_by_get_is_400(srv):
    triple = "<http://example.org/by-get> <http://example.org/p> 1"
    answer = get(srv.endpoint, {"Authorization": f"Bearer {TOKEN}"}, update=f"INSERT DATA {{ {triple} }}")
    assert_error(answer, 400, "POST")
    assert not ask(srv.endpoint, f"ASK {{ {triple} }}")


def test_update_syntax_error_is_400_with_the_parsers_message(srv):
    answer = update(srv.endpoint, "INSERT DATA { <http://example.org/a> <http://example.org/b> ")
    assert_error(answer, 400, "expected")


# ---- the time limit ----------------------------------------------------------------------------------


def _cpu_by_pid(session: int) -> dict[int, float]:
    """CPU seconds used so far by every process in the server's session / process group."""
    ticks = os.sysconf("SC_CLK_TCK")
    return {pid: (int(fields[11]) + int(fields[12])) / ticks for pid, fields in process_stats().items()
            if session in (int(fields[2]), int(fields[3]))}


def _cpu_gained(session: int, seconds: float = 1.0) -> dict[int, float]:
    before = _cpu_by_pid(session)
    time.sleep(seconds)
    after = _cpu_by_pid(session)
    return {pid: after[pid] - before[pid] for pid in before.keys() & after.keys()}


def _in_thread(fn, *args, **kwargs) -> tuple[threading.Thread, dict]:
    box: dict = {}

    def run():
        try:
            box["answer"] = fn(*args, **kwargs)
        except Exception as e:  # shown by the assertion that reads the box
            box["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def test_timeout_answers_503_keeps_the_server_responsive_and_frees_the_cpu(slow_srv):
    srv = slow_srv
    session = os.getpgid(srv.process.pid)
    long_thread, long_box = _in_thread(query, srv.endpoint, CARTESIAN, via="get", timeout=20)
    time.sleep(0.3)

    # while the query runs, other requests answer at once
    health_thread, health_box = _in_thread(request, srv.url + "/health", timeout=5)
    small_thread, small_box = _in_thread(query, srv.endpoint, "ASK { ?a a schema:NewsArticle } # while busy",
                                         via="direct", timeout=5)
    health_thread.join(5)
    small_thread.join(5)
    assert "answer" in health_box, health_box
    assert health_box["answer"].status == 200 and health_box["answer"].seconds < 1, health_box["answer"]
    assert health_box["answer"].json()["status"] == "ok"
    assert "answer" in small_box, small_box
    assert small_box["answer"].status == 200 and small_box["answer"].seconds < 1, small_box["answer"]
    assert small_box["answer"].json()["boolean"] is True

    # the query is really burning a CPU somewhere in the server's process group (what the check below
    # must then not see any more)
    burning = _cpu_gained(session, 0.8)
    assert max(burning.values()) > 0.25, burning
    burner = max(burning, key=burning.get)

    long_thread.join(20)
    answer = long_box.get("answer")
    assert answer is not None, long_box
    assert_error(answer, 503)
    assert 1.8 <= answer.seconds <= 5, answer.seconds
    assert any(w in answer.text.lower() for w in ("time", "longer than", "stopped")), answer

    gained = _cpu_gained(session, 1.0)
    assert all(cpu < 0.3 for cpu in gained.values()), f"still burning after the 503: {gained}"
    assert gained.get(burner, 0.0) < 0.3, (burner, gained)

    after = query(srv.endpoint, "SELECT (COUNT(*) AS ?n) { ?a a nf:Article } # after timeout",
                  via="direct")
    assert after.status == 200 and after.seconds < 1, after
    assert after.json()["results"]["bindings"][0]["n"]["value"] == "2"


@pytest.mark.slow
def test_the_pool_recovers_after_repeated_timeouts(slow_srv):
    srv = slow_srv
    for round_ in range(3):
        answer = query(srv.endpoint, CARTESIAN + f" # round {round_}", via="direct", timeout=20)
        assert_error(answer, 503)
        assert answer.seconds <= 5, answer.seconds
        # a fresh query (POST with new text: never a cached answer) is served right away, correctly
        ok = query(srv.endpoint, f"SELECT ?a {{ ?a a nf:Article }} ORDER BY ?a # recovered {round_}",
                   via="direct")
        assert ok.status == 200 and ok.seconds < 1, ok
        articles = [b["a"]["value"] for b in ok.json()["results"]["bindings"]]
        assert ARTICLE in articles and len(articles) == 2
    health = request(srv.url + "/health")
    assert health.status == 200 and health.json()["articles"] == 2


def test_a_select_stopped_by_the_timeout_is_503(slow_srv):
    """A streaming SELECT that finds nothing before the limit: 503, not a `200 OK` with an empty body."""
    srv = slow_srv
    text = 'SELECT * { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(CONCAT(STR(?a), STR(?e), STR(?i)) = "x") }'
    for _ in range(2):  # and the failure is not kept by the response cache
        answer = query(srv.endpoint, text, via="get", timeout=20)
        assert answer.seconds >= 1.5, answer  # it did run into the limit
        assert_error(answer, 503)


# ---- request checking -------------------------------------------------------------------------------


def test_body_over_one_mib_is_413(srv):
    text = "SELECT * { ?s ?p ?o } LIMIT 1 #" + "x" * (1024 * 1024)
    answer = request(srv.endpoint, "POST", text, {"Content-Type": "application/sparql-query"})
    assert_error(answer, 413)
    form = request(srv.endpoint, "POST", urllib.parse.urlencode({"query": text}),
                   {"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(form, 413)
    # just under the limit is served
    small = "SELECT * { ?s ?p ?o } LIMIT 1 #" + "x" * (1000 * 1024)
    assert request(srv.endpoint, "POST", small, {"Content-Type": "application/sparql-query",
                                                 "Accept": RESULTS_JSON}).status == 200


def test_chunked_body_over_one_mib_is_413(srv):
    text = "#" + "x" * (2 * 1024 * 1024) + "\nSELECT * { ?s ?p ?o } LIMIT 1"
    answer = request(srv.endpoint, "POST", text, {"Content-Type": "application/sparql-query"}, chunked=True)
    assert_error(answer, 413)


@pytest.mark.parametrize("content_type, status", [
    ("text/plain", 415),
    ("application/json", 415),
    ("application/sparql-query; charset=ISO-8859-1", (400, 415)),
    ("application/x-www-form-urlencoded; charset=latin1", (400, 415)),
], ids=["text-plain", "json", "iso-8859-1", "form-latin1"])
def test_unsupported_media_types_and_charsets_are_refused(srv, content_type, status):
    body = "SELECT * { ?s ?p ?o } LIMIT 1"
    if "form" in content_type:
        body = urllib.parse.urlencode({"query": body})
    assert_error(request(srv.endpoint, "POST", body, {"Content-Type": content_type}), status)


def test_post_without_content_type_is_400(srv):
    assert_error(request(srv.endpoint, "POST", "SELECT * { ?s ?p ?o } LIMIT 1"), 400, "Content-Type")


def test_post_without_query_is_400(srv):
    answer = request(srv.endpoint, "POST", "format=json", {"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(answer, 400)


def test_body_not_utf8_is_400(srv):
    answer = request(srv.endpoint, "POST", b"SELECT * { ?s ?p \"\xe9t\xe9\" }",
                     {"Content-Type": "application/sparql-query"})
    assert_error(answer, 400, "UTF-8")


def test_two_query_parameters_are_400(srv):
    answer = request(srv.endpoint + "?query=ASK%7B%7D&query=SELECT+*+%7B%7D")
    assert_error(answer, 400, "query")
    form = request(srv.endpoint, "POST", "query=ASK%7B%7D&query=ASK%7B%7D",
                   {"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(form, 400, "query")
    # one in the URL and one in the body is two as well
    mixed = request(srv.endpoint + "?query=ASK%7B%7D", "POST", "query=ASK%7B%7D",
                    {"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(mixed, 400)


def test_query_and_update_together_are_400(srv):
    body = urllib.parse.urlencode({"query": "ASK {}", "update": "INSERT DATA { <http://example.org/both> "
                                                                "<http://example.org/p> 1 }"})
    answer = request(srv.endpoint, "POST", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                  "Authorization": f"Bearer {TOKEN}"})
    assert_error(answer, 400)
    direct = request(srv.endpoint + "?query=ASK%7B%7D", "POST", "CLEAR ALL",
                     {"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"})
    assert_error(direct, 400)
    assert not ask(srv.endpoint, "ASK { <http://example.org/both> ?p ?o }")
    assert ask(srv.endpoint, "ASK { ?a a schema:NewsArticle }")  # CLEAR ALL did not run


@pytest.mark.parametrize("via", ["get", "form", "direct"])
def test_syntax_error_is_400_with_the_parsers_message(srv, via):
    answer = query(srv.endpoint, "SELEC * WHERE { ?s ?p ?o }", via=via)
    assert_error(answer, 400, "expected")
    answer = query(srv.endpoint, "SELECT * WHERE { ?s ?p ?o ", via=via)
    assert_error(answer, 400, "expected")


#: queries the engine parses and then refuses (pyoxigraph raises RuntimeError before the first row): the
#: caller's fault, so 400 with the engine's message; 500 is for newsgraph's own bugs
ENGINE_REFUSALS = {
    "unknown-function": ("SELECT (<http://a/>(1) AS ?x) {}", "custom function <http://a/> is not supported"),
    "unknown-function-in-filter": ("SELECT * { ?s ?p ?o FILTER(<http://example.org/f>(?o)) } LIMIT 1",
                                   "is not supported"),
    "unknown-function-in-order": ("SELECT ?s { ?s ?p ?o } ORDER BY <http://example.org/g>(?s) LIMIT 1",
                                  "is not supported"),
}


@pytest.mark.parametrize("store_kind", ["path", "memory"])
def test_the_default_graph_stays_a_set_through_updates(store, tmp_path, store_kind):
    """Updates keep the default graph a set: a triple two graphs state is one, it stays while one graph holds
    it and leaves with the last; a triple written to the default graph directly stays until deleted."""
    target = "memory:" if store_kind == "memory" else shutil_copy_store(store, tmp_path)
    with serve(target, token=TOKEN, timeout=5) as srv:
        def n(pattern: str) -> int:
            return int(query(srv.endpoint, f"SELECT (COUNT(*) AS ?n) {{ {pattern} }}").json()[
                "results"]["bindings"][0]["n"]["value"])

        shared, direct = "<http://example.org/b> <http://example.org/p> 'shared'", \
            "<http://example.org/a> <http://example.org/p> 'direct'"
        assert update(srv.endpoint, f"INSERT DATA {{ {direct} . GRAPH <http://example.org/g1> {{ {shared} }} "
                                    f"GRAPH <http://example.org/g2> {{ {shared} }} }}").status == 204
        assert n(shared) == 1 and n(direct) == 1 and n(f"GRAPH ?g {{ {shared} }}") == 2
        assert update(srv.endpoint, f"DELETE DATA {{ GRAPH <http://example.org/g1> {{ {shared} }} }}").status == 204
        assert n(shared) == 1, "the triple left the default graph while a graph still states it"
        assert update(srv.endpoint, f"DELETE DATA {{ GRAPH <http://example.org/g2> {{ {shared} }} }} ; "
                                    "# a comment at the end").status == 204
        assert n(shared) == 0, "the triple stayed in the default graph after its last graph dropped it"
        assert n(direct) == 1
        assert update(srv.endpoint, f"DELETE DATA {{ {direct} }}").status == 204
        assert n(direct) == 0


def shutil_copy_store(store: Path, tmp_path: Path) -> str:
    """A copy of the module's store (link and versions) for a test that writes."""
    import shutil

    target = tmp_path / "store"
    shutil.copytree(store.parent / f".{store.name}-versions", tmp_path / ".store-versions", symlinks=True)
    target.symlink_to(os.readlink(store))
    return str(target)


@pytest.mark.parametrize("via", ["get", "form", "direct"])
@pytest.mark.parametrize("case", sorted(ENGINE_REFUSALS))
def test_a_query_the_engine_refuses_is_400_with_its_message(srv, case, via):
    text, says = ENGINE_REFUSALS[case]
    assert_error(query(srv.endpoint, text, via=via), 400, says)


@pytest.mark.parametrize("params", [
    {"query": ""},
    {"query": "SELECT * { ?s ?p ?o } LIMIT 1", "format": "no-such-format"},
    {"query": "SELECT * { ?s ?p ?o } LIMIT 1", "using-graph-uri": "http://example.org/g"},
    {"query": "SELECT * { ?s <not an iri> ?o }"},
], ids=["empty", "unknown-format", "using-graph-uri-on-query", "bad-iri"])
def test_odd_requests_are_plain_4xx(srv, params):
    assert_error(get(srv.endpoint, **params), (400, 406))


def test_query_string_that_is_not_utf8_is_400(srv):
    assert_error(request(srv.endpoint + "?query=SELECT%20%FF%FE%20%7B%7D"), 400)


@pytest.mark.parametrize("name, value", [("default-graph-uri", "not an iri"), ("named-graph-uri", "<bad>")])
def test_invalid_dataset_iri_is_400_not_500(srv, name, value):
    """Not `500 internal error: ValueError: Invalid IRI code point`."""
    assert_error(get(srv.endpoint, query="SELECT * { ?s ?p ?o } LIMIT 1", **{name: value}), 400)


# ---- CORS -------------------------------------------------------------------------------------------


def test_every_kind_of_answer_carries_cors(srv):
    answers = {
        200: query(srv.endpoint, "ASK { ?s ?p ?o }"),
        400: query(srv.endpoint, "SELEC nothing"),
        406: query(srv.endpoint, "SELECT * { ?s ?p ?o } LIMIT 1", accept="text/turtle"),
        401: update(srv.endpoint, "CLEAR ALL", token="nope"),
        413: request(srv.endpoint, "POST", "#" + "x" * (1024 * 1024 + 1), {"Content-Type": "application/sparql-query"}),
        415: request(srv.endpoint, "POST", "ASK {}", {"Content-Type": "text/plain"}),
        503: query(srv.endpoint, CARTESIAN + " # cors", via="direct", timeout=20),
    }
    for status, answer in answers.items():
        assert answer.status == status, answer
        assert answer.headers.get("Access-Control-Allow-Origin") == "*", (status, answer.headers)
    # and the service description (GET with no query)
    description = request(srv.endpoint, headers={"Accept": "text/turtle"})
    assert description.status == 200, description
    assert "Service" in description.text
    assert description.headers.get("Access-Control-Allow-Origin") == "*"


def test_preflight_allows_post_with_authorization_and_content_type(srv):
    answer = request(srv.endpoint, "OPTIONS", headers={
        "Origin": "https://example.org",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type"})
    assert 200 <= answer.status < 300, answer
    assert answer.headers.get("Access-Control-Allow-Origin") == "*"

    def listed(name: str) -> set[str]:
        return {v.strip().lower() for v in answer.headers.get(name, "").split(",")}

    assert "post" in listed("Access-Control-Allow-Methods"), answer.headers
    assert {"authorization", "content-type"} <= listed("Access-Control-Allow-Headers"), answer.headers


def test_nesting_beyond_the_limit_is_400_before_the_engine(srv):
    """pyoxigraph's parser crashes its process near 10,000 levels; the service refuses past 256, by name."""
    deep = query(srv.endpoint, "ASK " + "{ " * 300 + "} " * 300)
    assert_error(deep, 400)
    assert "300 levels" in deep.text
    fine = query(srv.endpoint, "ASK " + "{ " * 200 + "} " * 200, via="post")
    assert fine.status == 200, fine
    # brackets inside strings, IRIs and comments do not count
    quoted = query(srv.endpoint, 'ASK { FILTER("' + "{" * 400 + '" != "") } # ' + "(" * 400, via="post")
    assert quoted.status == 200, quoted


# ---- memory: an executor grown large is let go -------------------------------------------------------------------


def _pool_answers(store: Path, memory_mb: int) -> tuple[list[int], list[set[int]], int]:
    """Five queries through a pool of one executor: (rows each answered, executor pids after each, recycled)."""
    from newsgraph.service.config import Settings
    from newsgraph.service.store.execute import Pool, Request

    pool = Pool(Settings(store=str(store), query_timeout=10, executor_memory_mb=memory_mb), size=1, isolate=False)
    rows, pids = [], []
    for i in range(5):
        status, content_type, body = pool.execute(Request("query", f"SELECT ?s WHERE {{ ?s a nf:Fact }} # {i}",
                                                          window=(0, 1000)))
        assert (status, content_type) == (200, "application/sparql-results+json"), body
        rows.append(len(json.loads(b"".join(body))["results"]["bindings"]))
        pids.append({ex.process.pid for ex in list(pool._idle.queue)})
    for ex in list(pool._idle.queue):
        ex.kill()
    return rows, pids, pool.recycled


def test_an_executor_past_its_memory_limit_is_replaced_after_answering(store):
    """With a limit below what the process holds (a negative growth) every executor is let go after its
    answer, and a fresh one takes the next request: the answers are whole and alike. With the default
    limit the same executor serves all."""
    rows, pids, recycled = _pool_answers(store, memory_mb=-1)
    assert recycled == 5 and len(set(rows)) == 1 and rows[0] > 10
    assert len({pid for p in pids for pid in p}) == 5  # a new process each time
    rows_kept, pids_kept, recycled_kept = _pool_answers(store, memory_mb=64)
    assert recycled_kept == 0 and rows_kept == rows
    assert len({pid for p in pids_kept for pid in p}) == 1
