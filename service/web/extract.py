"""``/extract``: a draft fact sheet from an article's text, for a person to check before anything is loaded.

``GET`` is the page: paste the text, give its language and publication date, and see the proposed facts
beside the text with each fact's evidence highlighted; untick what is wrong and download the sheet.
``POST`` answers the draft as YAML or JSON (by ``Accept``), or that page (a browser's form). Nothing is
written. Entities are resolved against the store's; names it does not know are proposed in ``entities:``.

Why the text is limited to 200 KB: drafting costs about 7 ms per KB here (200 KB: 1.4 s), and it runs in
the web worker, so the limit is what bounds its time; a draft that still outlasts the query time limit is
answered 503 (its thread ends on its own within that bound).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import Blueprint, Response, current_app, render_template, request

from newsgraph.loaders import EXTRACT_LANGUAGES, Registry, draft_sheet, sheet_yaml
from newsgraph.service.web.errors import HttpError

bp = Blueprint("extract", __name__)

MAX_TEXT = 200 * 1024  # bytes of article text (UTF-8)
ID = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")
FORMATS = {"application/yaml": "yaml", "application/json": "json", "text/html": "html", "text/yaml": "yaml"}
_drafting = ThreadPoolExecutor(max_workers=2, thread_name_prefix="extract")
_registries: dict[str, Registry] = {}
_registries_lock = threading.Lock()


@bp.get("/extract")
def page() -> Response:
    return _page({"language": "it", "published": dt.date.today().isoformat()}, None)


@bp.post("/extract")
def extract() -> Response:
    form = _form()
    draft = _draft(form)
    download = request.form.get("download")
    if download:
        if request.form.get("select"):  # the page's ticks: keep those facts, and the entities they name
            draft = _keep(draft, {int(i) for i in request.form.getlist("keep") if i.isdigit()})
        fmt = "json" if download == "json" else "yaml"
        name = f"{draft['article'].get('id') or 'article'}.{fmt}"
        return _answer(draft, fmt, {"Content-Disposition": f'attachment; filename="{name}"'})
    fmt = FORMATS[request.accept_mimetypes.best_match(list(FORMATS), default="application/yaml") or "application/yaml"]
    if fmt == "html":
        return _page(form, draft)
    return _answer(draft, fmt, {})


def _answer(draft: dict, fmt: str, headers: dict[str, str]) -> Response:
    if fmt == "json":
        body = json.dumps(draft, ensure_ascii=False, indent=2, default=str) + "\n"
        return Response(body, mimetype="application/json", headers=headers)
    return Response(sheet_yaml(draft), content_type="application/yaml; charset=utf-8", headers=headers)


def _form() -> dict[str, str]:
    """The request's fields, checked: every problem is a 400 (413 for a text too long) that says which field."""
    text = request.form.get("text", "")
    if not text and "text" in request.files:  # `curl -F text=@article.txt` uploads the file
        raw = request.files["text"].read(MAX_TEXT + 1)
        if len(raw) > MAX_TEXT:
            raise HttpError(413, f"the text is over {MAX_TEXT // 1024} KB: at most {MAX_TEXT // 1024} KB can be "
                                 "drafted at once; split the article")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise HttpError(400, f"the uploaded `text` is not UTF-8 ({e.reason} at byte {e.start})") from None
    if len(text.encode("utf-8")) > MAX_TEXT:
        raise HttpError(413, f"the text is {len(text.encode('utf-8')) // 1024} KB: at most {MAX_TEXT // 1024} KB "
                             "can be drafted at once; split the article")
    if not text.strip():
        raise HttpError(400, "`text` is missing or empty: give the article's text (form field `text`)")
    language = request.form.get("language", "").strip()
    if language not in EXTRACT_LANGUAGES:
        raise HttpError(400, f"`language` must be one of {', '.join(sorted(EXTRACT_LANGUAGES))}, not "
                             f"{language!r}" if language else
                             f"`language` is missing: one of {', '.join(sorted(EXTRACT_LANGUAGES))}")
    published = request.form.get("published", "").strip()
    try:
        dt.date.fromisoformat(published)
    except ValueError:
        raise HttpError(400, f"`published` must be a date as YYYY-MM-DD, not {published!r}" if published else
                             "`published` is missing: the article's publication date, YYYY-MM-DD") from None
    form = {"text": text, "language": language, "published": published}
    for name in ("id", "title", "publisher"):
        value = request.form.get(name, "").strip()
        if value:
            form[name] = value
    for name in ("id", "publisher"):
        if name in form and not ID.match(form[name]):
            raise HttpError(400, f"`{name}` must be an id: lower-case letters, digits and '-' ({form[name]!r})")
    return form


def _registry() -> Registry:
    """The store's entities, read once per store version."""
    store = current_app.extensions["newsgraph.store"].get()
    key = f"{id(current_app)}:{store.version}" if store.version else ""
    with _registries_lock:
        if key and key in _registries:
            return _registries[key]
    registry = Registry(store.known_entities())
    if key:
        with _registries_lock:
            _registries.clear()
            _registries[key] = registry
    return registry


def _draft(form: dict[str, str]) -> dict:
    registry = _registry()
    timeout = current_app.config["NEWSGRAPH"].query_timeout
    future = _drafting.submit(draft_sheet, form["text"], form["language"], dt.date.fromisoformat(form["published"]),
                              registry=registry, article_id=form.get("id"), title=form.get("title"),
                              publisher=form.get("publisher"))
    try:
        draft = future.result(timeout=timeout)
        if "id" not in form:  # no file name to take it from: the convention's publisher-date-topic
            draft["article"]["id"] = _default_id(draft["article"])
        return draft
    except FutureTimeout:
        raise HttpError(503, f"drafting took longer than the time limit ({timeout:g} s); try a shorter text",
                        headers={"Retry-After": "5"}) from None
    except ValueError as e:
        raise HttpError(400, str(e)) from None


def _default_id(article: dict) -> str:
    words = re.findall(r"[a-z0-9]+", unicodedata.normalize("NFKD", str(article.get("title", ""))).encode(
        "ascii", "ignore").decode().lower())
    parts = [str(article.get("publisher") or "article"), str(article.get("published", ""))[:10],
             *[w for w in words if len(w) > 3][:3]]
    return "-".join(p for p in parts if p)[:120].strip("-")


def _keep(draft: dict, kept: set[int]) -> dict:
    facts = [f for i, f in enumerate(draft["facts"]) if i in kept]
    named = set(_names(draft["article"])) | {n for f in facts for n in _names(f)}
    return {**draft, "facts": facts, "entities": [e for e in draft["entities"] if e["id"] in named]}


def _names(record: dict) -> list[str]:
    out: list[str] = []
    for value in record.values():
        out += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
    return out


def _spans(text: str, quote: str) -> tuple[int, int] | None:
    """Where the quote is in the text (white space runs folded, as the loader compares them)."""
    pattern = r"\s+".join(re.escape(part) for part in quote.split())
    m = re.search(pattern, text) if pattern else None
    return (m.start(), m.end()) if m else None


def _segments(text: str, facts: list[dict]) -> list[tuple[str, list[int]]]:
    """The text cut where evidence starts or ends: (piece, the facts whose quote covers it)."""
    spans = [(s, e, i) for i, f in enumerate(facts) if (found := _spans(text, f.get("quote", ""))) for s, e in [found]]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    return [(text[a:b], [i for s, e, i in spans if s <= a and b <= e]) for a, b in itertools.pairwise(cuts)
            if a < b]


def _page(form: dict[str, str], draft: dict | None) -> Response:
    facts = draft["facts"] if draft else []
    rows = [{"index": i, "fact": f, "fields": [(k, v) for k, v in f.items()
                                               if k not in ("type", "id", "quote", "confidence", "note")]}
            for i, f in enumerate(facts)]
    body = render_template("extract.html", title="Draft a fact sheet", html_lang="en", form=form, draft=draft,
                           rows=rows, segments=_segments(form.get("text", ""), facts) if draft else [],
                           languages=sorted(EXTRACT_LANGUAGES), max_kb=MAX_TEXT // 1024)
    return Response(body, mimetype="text/html")
