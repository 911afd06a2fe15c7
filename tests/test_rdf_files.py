"""RDF files: triples go to a graph named after the file, quads keep their graphs, errors carry lines."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request
from typing import ClassVar

import pytest
from conftest import BASE

EX = "http://example.org/"

TRIPLE_FILES = {
    "ttl": f"""@prefix ex: <{EX}> .
ex:alpha ex:name "Alpha" ;
    ex:knows ex:beta .
ex:beta ex:name "Beta"@en .
""",
    "nt": f"""<{EX}alpha> <{EX}name> "Alpha" .
<{EX}alpha> <{EX}knows> <{EX}beta> .
<{EX}beta> <{EX}name> "Beta"@en .
""",
    "jsonld": json.dumps([
        {"@id": f"{EX}alpha", f"{EX}name": "Alpha", f"{EX}knows": {"@id": f"{EX}beta"}},
        {"@id": f"{EX}beta", f"{EX}name": {"@value": "Beta", "@language": "en"}},
    ], indent=1),
    "rdf": f"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">
  <rdf:Description rdf:about="{EX}alpha">
    <ex:name>Alpha</ex:name>
    <ex:knows rdf:resource="{EX}beta"/>
  </rdf:Description>
  <rdf:Description rdf:about="{EX}beta"><ex:name xml:lang="en">Beta</ex:name></rdf:Description>
</rdf:RDF>
""",
}
EXPECTED_TRIPLES = {
    (f"{EX}alpha", f"{EX}name", "Alpha"),
    (f"{EX}alpha", f"{EX}knows", f"{EX}beta"),
    (f"{EX}beta", f"{EX}name", "Beta"),
}

QUAD_FILES = {
    "nq": f"""<{EX}alpha> <{EX}name> "Alpha" <{EX}g/one> .
<{EX}alpha> <{EX}knows> <{EX}beta> <{EX}g/two> .
<{EX}beta> <{EX}name> "Beta" .
""",
    "trig": f"""@prefix ex: <{EX}> .
ex:g\\/one {{ ex:alpha ex:name "Alpha" . }}
<{EX}g/two> {{ ex:alpha ex:knows ex:beta . }}
{{ ex:beta ex:name "Beta" . }}
""",
}

# each: (text, line of the error)
BAD_FILES = {
    "ttl": (f"@prefix ex: <{EX}> .\nex:a ex:p ex:b .\n\nex:a ex:q ex:b ex:c .\nex:c ex:p ex:d .\n", 4),
    "nt": (f"<{EX}a> <{EX}p> <{EX}b> .\n<{EX}a> <{EX}p> <{EX}c> .\n<{EX}a> <{EX}p> nope .\n", 3),
    "nq": (f"<{EX}a> <{EX}p> <{EX}b> <{EX}g> .\n<{EX}a> <{EX}p> <{EX}b> <{EX}g> <{EX}h> .\n", 2),
    "trig": (f"@prefix ex: <{EX}> .\nex:g {{\n  ex:a ex:p ex:b .\n  ex:a ex:p ex:c ex:d .\n}}\n", 4),
    "jsonld": ('{\n  "@id": "http://example.org/a",\n  "http://example.org/p": "x",\n  "http://example.org/q": ]\n}\n',
               4),
}


def graph_triples(cli, graph: str) -> set[tuple[str, str, str]]:
    rows = cli.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return {(r["s"], r["p"], r["o"]) for r in rows}


def data_graphs(cli) -> set[str]:
    """Named graphs other than the ontology copy that every load keeps."""
    rows = cli.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    return {r["g"] for r in rows} - {f"{BASE}graph/ontology"}


@pytest.mark.parametrize("ext", list(TRIPLE_FILES))
def test_triples_land_in_the_graph_named_after_the_file(cli, tmp_path, ext):
    path = tmp_path / f"My Data.{ext}"
    path.write_text(TRIPLE_FILES[ext], encoding="utf-8")
    result = cli("load", str(path))
    assert result.exit_code == 0, result.output
    graph = f"{BASE}graph/file/my-data"
    assert data_graphs(cli) == {graph}
    assert graph_triples(cli, graph) == EXPECTED_TRIPLES


@pytest.mark.parametrize("ext", list(QUAD_FILES))
def test_quad_files_keep_their_graph_names(cli, tmp_path, ext):
    path = tmp_path / f"quads.{ext}"
    path.write_text(QUAD_FILES[ext], encoding="utf-8")
    result = cli("load", str(path))
    assert result.exit_code == 0, result.output
    assert data_graphs(cli) == {f"{EX}g/one", f"{EX}g/two", f"{BASE}graph/file/quads"}
    assert graph_triples(cli, f"{EX}g/one") == {(f"{EX}alpha", f"{EX}name", "Alpha")}
    assert graph_triples(cli, f"{EX}g/two") == {(f"{EX}alpha", f"{EX}knows", f"{EX}beta")}
    # what the file puts in its default graph goes to the file's own graph
    assert graph_triples(cli, f"{BASE}graph/file/quads") == {(f"{EX}beta", f"{EX}name", "Beta")}


@pytest.mark.parametrize("ext", [*TRIPLE_FILES, *QUAD_FILES])
def test_loading_the_same_file_twice_changes_nothing(cli, tmp_path, ext):
    path = tmp_path / f"data.{ext}"
    path.write_text({**TRIPLE_FILES, **QUAD_FILES}[ext], encoding="utf-8")
    assert cli("load", str(path)).exit_code == 0
    before = cli.export()
    second = cli("load", str(path))
    assert second.exit_code == 0, second.output
    assert second.stderr == ""
    assert "from 0 files" in second.stdout and "1 unchanged" in second.stdout, second.stdout
    assert cli.export() == before


def test_a_changed_file_replaces_its_graph(cli, tmp_path):
    path = tmp_path / "data.ttl"
    path.write_text(TRIPLE_FILES["ttl"], encoding="utf-8")
    assert cli("load", str(path)).exit_code == 0
    path.write_text(f'@prefix ex: <{EX}> .\nex:alpha ex:name "Alpha, renamed" .\n', encoding="utf-8")
    assert cli("load", str(path)).exit_code == 0
    assert graph_triples(cli, f"{BASE}graph/file/data") == {(f"{EX}alpha", f"{EX}name", "Alpha, renamed")}


@pytest.mark.parametrize("ext", list(BAD_FILES))
def test_syntax_error_is_reported_at_its_line_and_nothing_is_written(cli, tmp_path, ext):
    good = tmp_path / "good.ttl"
    good.write_text(TRIPLE_FILES["ttl"], encoding="utf-8")
    assert cli("load", str(good)).exit_code == 0
    before = cli.export()
    text, line = BAD_FILES[ext]
    path = tmp_path / f"bad.{ext}"
    path.write_text(text, encoding="utf-8")
    result = cli("load", str(path))
    assert result.exit_code == 1
    problems = [p for p in result.stderr.splitlines() if p.startswith(f"{path}:")]
    assert len(problems) == 1, result.stderr
    assert problems[0].startswith(f"{path}:{line}: invalid {ext} data"), problems[0]
    assert cli.export() == before, "the triples before the error must not be written either"


def test_rdfxml_syntax_error_is_reported_at_its_line(cli, tmp_path):
    path = tmp_path / "bad.rdf"
    path.write_text(f"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">
  <rdf:Description rdf:about="{EX}a">
    <ex:p>x</ex:p>
  </rdf:Descriptio>
</rdf:RDF>
""", encoding="utf-8")
    result = cli("load", str(path))
    assert result.exit_code == 1
    assert cli.export() == set()
    assert f"{path}:5: invalid rdf data" in result.stderr, result.stderr


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self):
        type(self).requests.append(self.path)
        body = json.dumps({"@context": {"name": "http://schema.org/name"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_HEAD = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def context_server():
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/context.jsonld"
    try:
        # the recorder works: a real fetch of the URL is seen
        with urllib.request.urlopen(url, timeout=5) as response:
            assert json.load(response)["@context"]
        assert _Recorder.requests == ["/context.jsonld"]
        _Recorder.requests.clear()
        yield url, _Recorder.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_jsonld_with_a_remote_context_is_refused_without_fetching_it(cli, tmp_path, context_server):
    url, requests = context_server
    path = tmp_path / "remote.jsonld"
    path.write_text(json.dumps({"@context": url, "@id": f"{EX}x", "name": "X"}), encoding="utf-8")
    result = cli("load", str(path))
    assert result.exit_code == 1
    assert any(p.startswith(f"{path}:") for p in result.stderr.splitlines()), result.stderr
    assert cli.export() == set()
    validate = cli("validate", str(path))
    assert validate.exit_code == 1
    assert requests == [], f"the loader fetched {requests} from {url}"


def _billion_laughs(levels: int = 9) -> str:
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE rdf:RDF [", '<!ENTITY l0 "lollollollollollollollollollol">']
    lines += [f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, levels + 1)]
    lines += ["]>", f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">',
              f'<rdf:Description rdf:about="{EX}a"><ex:p>&l{levels};</ex:p></rdf:Description></rdf:RDF>']
    return "\n".join(lines)


@pytest.mark.parametrize("name, text, line, words", [
    # ten nested entities of ten references: pyoxigraph's parser asked for 4.8 GB and aborted the load
    ("laughs", _billion_laughs(), 4, "nested entities"),
    ("external", '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n'
                 f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">'
                 f'<rdf:Description rdf:about="{EX}a"><ex:p>&x;</ex:p></rdf:Description></rdf:RDF>',
     3, "external entity"),
    ("flat", '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY w "' + "w" * 4000 + '">\n]>\n'
             f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="{EX}">'
             f'<rdf:Description rdf:about="{EX}a"><ex:p>' + "&w;" * 20000 + "</ex:p></rdf:Description></rdf:RDF>",
     1, "expand to"),
])
def test_rdfxml_entities_that_could_expand_without_bound_are_refused(cli, tmp_path, name, text, line, words):
    path = tmp_path / f"{name}.rdf"
    path.write_text(text, encoding="utf-8")
    result = cli("load", str(path))
    assert result.exit_code == 1, result.stderr
    assert f"{path}:{line}: " in result.stderr and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert cli.export() == set()


def test_rdfxml_entities_for_namespaces_still_load(cli, tmp_path):
    path = tmp_path / "entities.rdf"
    path.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY ex "{EX}">\n]>\n'
                    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="&ex;">'
                    '<rdf:Description rdf:about="&ex;a"><ex:p rdf:resource="&ex;b"/></rdf:Description></rdf:RDF>',
                    encoding="utf-8")
    assert cli("load", str(path)).exit_code == 0
    assert any(f"<{EX}a> <{EX}p> <{EX}b>" in q for q in cli.export())
