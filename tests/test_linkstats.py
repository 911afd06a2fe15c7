"""The link counts a load leaves beside each version: present, right, used, and removed with the version."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from newsgraph.service.store import linkstats
from newsgraph.service.store.embedded import open_store, versions_dir
from newsgraph.service.web.describe import describe

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from generate import generate


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """60 generated articles: a few countries get past MIN_LINKS, most entities stay under it."""
    out = tmp_path_factory.mktemp("linkstats") / "corpus"
    generate(out, 60, 15, 7)
    return out


def sidecars(store: Path) -> list[str]:
    return sorted(p.name for p in versions_dir(store).glob(f"*{linkstats.SUFFIX}"))


def live(store_path: Path):
    """The same version, with the counts file ignored: everything counted by queries."""
    s = open_store(str(store_path))
    s._links = linkstats.LinkTable(None)
    return s


def test_a_load_writes_the_counts_of_the_well_linked_entities(cli, corpus):
    assert cli("load", str(corpus)).exit_code == 0
    version = versions_dir(cli.store) / os.readlink(cli.store).rsplit("/", 1)[-1]
    data = json.loads(linkstats.path_for(version).read_text())
    assert data["format"] == linkstats.FORMAT
    heavy = data["entities"]
    assert heavy, "some country of 60 articles has hundreds of links"
    assert len(heavy) < 100, "small entities are left to live counting"
    store, plain = open_store(str(cli.store)), live(cli.store)
    for iri in list(heavy)[:5]:
        node = ox.NamedNode(iri)
        assert store.links(node) is not None and plain.links(node) is None
        counted, counted_live = describe(store, node), describe(plain, node)
        assert counted.facts == counted_live.facts > 0
        assert [(g.property, g.total) for g in counted.incoming] == \
               [(g.property, g.total) for g in counted_live.incoming]
        assert [(g.property, g.total) for g in counted.outgoing] == \
               [(g.property, g.total) for g in counted_live.outgoing]
        assert set(counted.triples) == set(counted_live.triples)


def test_the_counts_follow_the_version_and_go_with_it(cli, corpus, tmp_path):
    more = tmp_path / "more"
    generate(more, 5, 15, 8)
    for folder in (corpus, str(Path(__file__).resolve().parent.parent / "seeds"), more):
        assert cli("load", str(folder)).exit_code == 0
    numbers = sorted(p.name for p in versions_dir(cli.store).iterdir() if p.name.isdigit())
    assert len(numbers) == 2, "two versions kept"
    assert sidecars(cli.store) == [n + linkstats.SUFFIX for n in numbers], "one file per kept version, no other"


def test_a_version_without_the_file_is_counted_live(cli, corpus):
    assert cli("load", str(corpus)).exit_code == 0
    for f in versions_dir(cli.store).glob(f"*{linkstats.SUFFIX}"):
        f.unlink()
    store = open_store(str(cli.store))
    rows = store.query("SELECT ?c WHERE { ?c a nf:Country } LIMIT 1")
    iri = next(iter(rows))["c"]
    assert store.links(iri) is None
    assert describe(store, iri).facts > 0
