"""The ``newsgraph`` command: load, validate, query, export, serve."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import NoReturn

import click
import pyoxigraph as ox

from newsgraph.loaders import (
    EXTRACT_LANGUAGES,
    SILENT,
    Plan,
    Progress,
    article_id_from,
    draft_sheet,
    plan_load,
    read_registries,
    sheet_yaml,
)
from newsgraph.loaders.vocab import Iris
from newsgraph.service.config import Settings
from newsgraph.service.progressbar import TerminalProgress
from newsgraph.service.sparql.results import TERMINAL_FORMATS, FormatError, write_results
from newsgraph.service.sparql.saved_queries import QueryFileError, load_queries
from newsgraph.service.store.embedded import open_store
from newsgraph.service.store.interface import Reader, StoreError


def store_options(f):
    f = click.option("--base", metavar="IRI", help="Base of minted IRIs [env NEWSGRAPH_BASE_IRI].")(f)
    f = click.option("--store", metavar="PATH|memory:",
                     help="The store: a path (default data/store) or memory: [env NEWSGRAPH_STORE].")(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@store_options
@click.pass_context
def main(ctx: click.Context, store: str | None, base: str | None) -> None:
    """newsgraph: facts that news reports about states and alliances, kept with their sources."""
    ctx.obj = {"store": store, "base": base}


def settings(ctx: click.Context, store: str | None, base: str | None) -> Settings:
    group = ctx.find_root().obj or {}
    try:
        return Settings.from_env(store or group.get("store"), base or group.get("base"))
    except ValueError as e:
        raise click.UsageError(str(e)) from None


def opened(s: Settings) -> Reader:
    """Open the store for this command; it is closed (and its lock released) when the command ends."""
    try:
        db = open_store(s.store, s)
    except StoreError as e:
        click.echo(f"newsgraph: {e}", err=True)
        sys.exit(2)
    click.get_current_context().call_on_close(db.close)
    return db


def make_plan(paths: tuple[Path, ...], store: Reader, s: Settings, progress: Progress = SILENT) -> Plan:
    return plan_load(paths, store.known_entities, Iris(s.base), progress=progress, stored=store.digests,
                     shacl_engine=s.shacl_engine, derive=store.derive_in_workers())


def report(plan: Plan) -> None:
    for p in plan.problems:
        click.echo(str(p), err=True)
    if plan.problems:
        n, files = len(plan.problems), len(plan.failed_files)
        click.echo(f"{n} problem{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}: "
                   "nothing from those files was written", err=True)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--if-empty", is_flag=True, help="Load only when the store holds nothing yet.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@store_options
@click.pass_context
def load(ctx, paths, if_empty, quiet, store, base):
    """Load fact sheets, registries, RDF files and arms-transfer tables (files or folders).

    Each article is one transaction: it lands whole or not at all. A file with any problem is not
    written; every problem is printed as FILE:LINE: message and the exit status is 1.
    """
    s = settings(ctx, store, base)
    try:
        _load(s, paths, if_empty, quiet)
    except KeyboardInterrupt:  # before the writer started (opening the store, reading the input)
        click.echo(f"newsgraph: interrupted: nothing was written, {s.store} is as it was", err=True)
        sys.exit(130)


def _load(s: Settings, paths: tuple[Path, ...], if_empty: bool, quiet: bool) -> None:
    db = opened(s)
    if if_empty and not db.is_empty():
        if not quiet:
            click.echo(f"{s.store} already holds data: nothing loaded")
        return
    started = time.perf_counter()
    iris = Iris(s.base)
    written = unchanged = facts = triples = articles = 0
    bar = TerminalProgress() if not quiet and sys.stderr.isatty() else None
    progress = bar or SILENT
    plan = Plan()
    writer = None
    try:
        plan = make_plan(paths, db, s, progress=progress)
        with db.writer() as writer:
            writer.progress = progress
            for unit in plan.units:
                if writer.write(unit):
                    written += 1
                    articles += unit.articles
                    facts += unit.facts
                    triples += unit.count
                else:
                    unchanged += 1
            if written:
                writer.ensure_ontology(iris)
    except StoreError as e:
        if bar:
            bar.close()
        report(plan)
        click.echo(f"newsgraph: {e}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        if bar:
            bar.close()
        if s.store.startswith(("http://", "https://")):  # a remote store takes each article as it comes
            click.echo(f"newsgraph: interrupted: the {written} files written before are in {s.store}, each "
                       "whole; the others are not", err=True)
        elif getattr(writer, "committed", False):
            click.echo("newsgraph: interrupted after the load was committed: it is in", err=True)
        else:
            click.echo(f"newsgraph: interrupted: nothing was written, {s.store} is as it was", err=True)
        sys.exit(130)
    if bar:
        bar.close()
    report(plan)
    elapsed = time.perf_counter() - started
    if not quiet:
        click.echo(f"loaded {articles} article{'s' if articles != 1 else ''}, {facts} facts, {triples} triples "
                   f"from {written} file{'s' if written != 1 else ''} in {elapsed:.2f} s"
                   + (f"; {unchanged} unchanged" if unchanged else ""))
    if plan.problems:
        sys.exit(1)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_options
@click.pass_context
def validate(ctx, paths, store, base):
    """Make every check `load` makes, write nothing. Exit 0 when clean, 1 otherwise."""
    s = settings(ctx, store, base)
    db = opened(s)
    plan = make_plan(paths, db, s)
    for _ in plan.units:  # producing them runs the per-file checks
        pass
    report(plan)
    if plan.problems:
        sys.exit(1)
    click.echo(f"{plan.files} file{'s' if plan.files != 1 else ''} OK")


@main.command()
@click.argument("query_or_file")
@click.option("--format", "fmt", type=click.Choice(TERMINAL_FORMATS),
              help="Output format (default: table, or ttl for graphs).")
@store_options
@click.pass_context
def query(ctx, query_or_file, fmt, store, base):
    """Run one SPARQL query; the default graph is the union of all graphs."""
    s = settings(ctx, store, base)
    text = _query_text(query_or_file)
    db = opened(s)
    if getattr(db, "version", None) == "":  # a path with no store yet: answered, empty, but say why
        click.echo(f"newsgraph: nothing has been loaded into {s.store} yet "
                   f"(newsgraph load --store {s.store} PATH…); the answer is empty", err=True)
    try:
        results = db.query(text, base_iri=s.base)
        write_results(results, fmt, sys.stdout.buffer, s.base)
    except SyntaxError as e:
        if text is query_or_file and _looks_like_path(text):
            _fail(f"{text} is neither a file nor a SPARQL query ({e})")
        _fail(f"invalid query: {e}")
    except FormatError as e:
        _fail(str(e))
    except (RuntimeError, OSError, ValueError) as e:  # the engine refuses or fails on what the text asks
        _fail(f"the query cannot run: {e}")
    sys.stdout.flush()


def _query_text(arg: str) -> str:
    """The text of a file that exists, else the argument itself: a query text is never opened as a path."""
    if "\n" in arg or "{" in arg:
        return arg
    path = Path(arg)
    try:
        if not path.is_file():
            return arg
    except OSError:  # a name too long to be a file's: it can only be query text
        return arg
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        _fail(f"{arg} is not UTF-8 text (byte {e.start})")
    except OSError as e:
        _fail(f"cannot read {arg}: {e.strerror}")


def _looks_like_path(text: str) -> bool:
    return not any(c.isspace() for c in text.strip()) and ("/" in text or text.endswith((".rq", ".sparql")))


def _fail(message: str) -> NoReturn:
    click.echo(f"newsgraph: {message}", err=True)
    sys.exit(1)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["nq", "trig"]), default="nq", show_default=True)
@store_options
@click.pass_context
def export(ctx, fmt, store, base):
    """Write the whole dataset, every named graph kept, to stdout."""
    s = settings(ctx, store, base)
    db = opened(s)
    db.dump(sys.stdout.buffer, ox.RdfFormat.N_QUADS if fmt == "nq" else ox.RdfFormat.TRIG)
    sys.stdout.flush()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(1, 64), help="Web worker processes (default 2; a memory: store has 1).")
@store_options
@click.pass_context
def serve(ctx, host, port, workers, store, base):
    """Serve the HTTP interface: gunicorn's master process, waitress in each worker."""
    from newsgraph.service.web.server import run  # gunicorn and waitress: only `serve` pays their import

    s = settings(ctx, store, base)
    if s.store == "memory:":  # one dataset in one process: a second worker would hold a second, empty store
        if workers is not None and workers > 1:
            raise click.UsageError("a memory: store lives inside one process, so it is served by one worker: "
                                   f"drop --workers {workers} (or give --store a path to serve with several)")
        workers = 1
        click.echo("newsgraph: serving a memory: store with one worker; its data is lost when the server stops",
                   err=True)
    try:  # refuse to start on a broken saved query, naming it, rather than fail in every worker
        load_queries(Path(s.queries)) if s.queries else load_queries()
    except QueryFileError as e:
        for problem in e.problems:
            click.echo(str(problem), err=True)
        click.echo("newsgraph: not serving: fix the saved queries above", err=True)
        sys.exit(1)
    run(s, host, port, workers or 2)


@main.command()
@click.argument("article", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--language", "lang", required=True, type=click.Choice(EXTRACT_LANGUAGES),
              help="Language of the text (a data file in loaders/extract/languages/).")
@click.option("--published", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Publication date: relative dates (\"ieri\", \"last month\") count from it.")
@click.option("--id", "article_id", metavar="ID", help="Article id (default: from the file name).")
@click.option("--title", help="Title (default: the text's first line).")
@click.option("--publisher", metavar="ENTITY", help="Publisher's entity id (default: proposed from the text).")
@click.option("--registry", "registries", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A registry file whose entities the draft may name (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@store_options
@click.pass_context
def extract(ctx, article, lang, published, article_id, title, publisher, registries, fmt, store, base):
    """Draft a fact sheet from an article's text, printed on standard output; writes nothing.

    Saved beside the text, the draft validates as it is with the same --registry files and store. Every
    fact is a proposal, with a confidence and a note naming the rule that made it: check each one.
    """
    try:
        text = article.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise click.BadParameter(f"{article} is not UTF-8 text (byte {e.start})", param_hint="ARTICLE") from None
    except OSError as e:
        raise click.BadParameter(f"cannot read {article}: {e.strerror}", param_hint="ARTICLE") from None
    if not text.strip():
        raise click.BadParameter(f"{article} is empty: there is nothing to draft from", param_hint="ARTICLE")
    s = settings(ctx, store, base)
    db = opened(s)
    registry, problems = read_registries(registries, db.known_entities())
    for p in problems:
        click.echo(str(p), err=True)
    if problems:
        click.echo(f"newsgraph: {len(problems)} problem{'s' if len(problems) != 1 else ''} in the registries: "
                   "nothing drafted", err=True)
        sys.exit(1)
    draft = draft_sheet(text, lang, published.date(), registry=registry,
                        article_id=article_id or article_id_from(article.name), title=title, publisher=publisher,
                        text_file=article.name)
    if fmt == "json":
        click.echo(json.dumps(draft, ensure_ascii=False, indent=2))
    else:
        click.echo(sheet_yaml(draft), nl=False)
