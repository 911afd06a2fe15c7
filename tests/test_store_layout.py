"""The on-disk store: versions behind a symlink, atomic commits, crash leftovers, plain folders."""

from __future__ import annotations

import os
import shutil

import pyoxigraph as ox
from conftest import SEEDS


def versions(store) -> list[str]:
    folder = store.parent / f".{store.name}-versions"
    return sorted(p.name for p in folder.iterdir() if p.name.isdigit())


def test_a_load_commits_a_new_version_and_keeps_the_previous_one(cli, tmp_path):
    assert cli("load", str(SEEDS / "entities.yaml")).exit_code == 0
    assert os.readlink(cli.store) == ".store-versions/000001"
    assert cli("load", str(SEEDS)).exit_code == 0
    assert os.readlink(cli.store) == ".store-versions/000002"
    # an unchanged load writes no new version
    assert cli("load", str(SEEDS)).exit_code == 0
    assert os.readlink(cli.store) == ".store-versions/000002"
    assert versions(cli.store) == ["000001", "000002"]


def test_a_crashed_load_leaves_the_store_as_it_was_and_is_cleaned_up(cli, tmp_path):
    assert cli("load", str(SEEDS)).exit_code == 0
    before = cli.export()
    # what a load killed before its commit leaves behind: a version folder with no commit mark
    folder = cli.store.parent / ".store-versions"
    shutil.copytree(folder / "000001", folder / "000002")
    assert cli.export() == before  # readers follow the link, not the newest folder
    other = tmp_path / "extra.ttl"
    other.write_text("<http://example.org/a> <http://example.org/b> 1 .\n", encoding="utf-8")
    assert cli("load", str(other)).exit_code == 0
    assert versions(cli.store) == ["000001", "000002"]  # the leftover was removed, its number reused
    assert (folder / "000002.committed").exists()
    assert cli.export() > before


def test_a_load_killed_between_its_commit_mark_and_the_link_switch_is_cleaned_up(cli, tmp_path):
    """Marked committed but never current: the next load drops it and keeps the version readers are on."""
    assert cli("load", str(SEEDS / "entities.yaml")).exit_code == 0
    assert cli("load", str(SEEDS)).exit_code == 0
    before = cli.export()
    folder = cli.store.parent / ".store-versions"
    shutil.copytree(folder / "000001", folder / "000003")  # the killed load's version, and its mark
    (folder / "000003.committed").touch()
    assert cli.export() == before
    other = tmp_path / "extra.ttl"
    other.write_text("<http://example.org/a> <http://example.org/b> 1 .\n", encoding="utf-8")
    assert cli("load", str(other)).exit_code == 0
    # the orphan went, its number was reused for the new version, and the previous current one was kept
    assert versions(cli.store) == ["000002", "000003"]
    assert os.readlink(cli.store) == ".store-versions/000003"
    assert cli.export() > before


def test_only_one_load_at_a_time(cli, tmp_path):
    import fcntl

    assert cli("load", str(SEEDS / "entities.yaml")).exit_code == 0
    lock = open(cli.store.parent / ".store-versions" / "LOCK", "w")  # noqa: SIM115
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = cli("load", str(SEEDS))
        assert result.exit_code == 2
        assert "another load" in result.stderr
    finally:
        lock.close()
    assert cli("load", str(SEEDS)).exit_code == 0


def test_a_plain_pyoxigraph_folder_is_readable_but_not_loaded_into(cli, tmp_path):
    plain = tmp_path / "plain"
    store = ox.Store(str(plain))
    store.add(ox.Quad(ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/b"),
                      ox.Literal("c"), ox.NamedNode("http://example.org/g")))
    store.flush()
    del store
    from click.testing import CliRunner

    from newsgraph.service.cli import main

    runner = CliRunner()
    exported = runner.invoke(main, ["export", "--store", str(plain)])
    assert exported.exit_code == 0
    assert '<http://example.org/a> <http://example.org/b> "c" <http://example.org/g> .' in exported.stdout
    refused = runner.invoke(main, ["load", "--store", str(plain), str(SEEDS)])
    assert refused.exit_code == 2
    assert "not loaded into" in refused.stderr


def test_a_load_that_read_an_older_version_does_not_overwrite_a_newer_one(cli, tmp_path):
    import pytest

    from newsgraph.service.store.embedded import StoreError, open_store

    assert cli("load", str(SEEDS / "entities.yaml")).exit_code == 0
    stale = open_store(str(cli.store))  # what a long load opened before it started checking
    assert cli("load", str(SEEDS)).exit_code == 0  # meanwhile another load commits
    with pytest.raises(StoreError, match="another load changed"), stale.writer():
        pass
    assert cli.select("SELECT ?a WHERE { ?a a nf:Article }")  # the other load's articles are still there


def test_two_stores_in_one_process_never_share_cached_figures_or_ids(tmp_path):
    """Caches kept across requests are keyed by the store's real path and version: two stores whose current
    versions have the same name (both .store-versions/000001) are two datasets."""
    import pytest
    from conftest import Cli

    from newsgraph.service.sparql.params import BadValue, EntityResolver
    from newsgraph.service.store.embedded import open_store
    from newsgraph.service.store.summary import figures

    registry_only, full = Cli(tmp_path / "a" / "store"), Cli(tmp_path / "b" / "store")  # same relative links
    registry_only.store.parent.mkdir()
    full.store.parent.mkdir()
    one = tmp_path / "one.yaml"
    one.write_text("- {id: testland, type: country, labels: {en: Testland}}\n", encoding="utf-8")
    assert registry_only("load", str(one)).exit_code == 0
    assert full("load", str(SEEDS)).exit_code == 0
    a, b = open_store(str(registry_only.store)), open_store(str(full.store))
    assert a.version == b.version and a.cache_key != b.cache_key
    for store in (a, b, a):  # each asked after the other has filled the caches
        f = figures(store)
        assert f.triples == len(store) and f.articles == store.stats()["articles"]
    assert figures(a).articles == 0 and figures(b).articles == 2
    # the did-you-mean hint lists the ids of the store asked, not those of the one asked before
    ids_b = EntityResolver(b)._ids()
    ids_a = EntityResolver(a)._ids()
    assert EntityResolver(b)._ids() == ids_b and EntityResolver(a)._ids() == ids_a
    assert ids_a == ["testland"] and "testland" not in ids_b and len(ids_b) > 10
    with pytest.raises(BadValue):
        EntityResolver(a).resolve("no-such-entity-anywhere")


def test_a_memory_store_replaces_an_article_in_one_step():
    """A store written in place (memory:) drops and inserts an article's graph in one transaction: a reader
    meanwhile sees the old article or the new one, never none of it and never a part."""
    import threading
    import time

    from conftest import BASE

    from newsgraph.loaders import Unit, plan_load
    from newsgraph.loaders.vocab import Iris
    from newsgraph.service.store.embedded import open_store

    store = open_store("memory:")
    units = list(plan_load([SEEDS], [], Iris(BASE)).units)
    with store.writer() as writer:
        for unit in units:
            writer.write(unit)
    article = next(u for u in units if u.kind == "article" and "askanews" in u.file)
    graph = article.replace[0]
    quads = list(dict.fromkeys(q for q in article.quads() if q.graph_name == graph))
    versions = [Unit.of(article.file, "article", [graph], quads[:-40]),
                Unit.of(article.file, "article", [graph], quads)]
    sizes: list[int] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            sizes.append(len(store.quads(graph)))
            time.sleep(0)  # let the writer run between two reads

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(30):
            with store.writer() as writer:
                assert writer.write(versions[i % 2])
    finally:
        done.set()
        reader.join()
    assert len(sizes) > 30 and set(sizes) <= {len(quads) - 40, len(quads)}, sorted(set(sizes))[:5]
    assert set(store.quads(graph)) == set(quads)
