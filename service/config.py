"""Settings from options and environment variables, in one object (an option wins over a variable).

This is the only module that reads the environment: every other one takes what it needs from a
:class:`Settings`, and every value is checked here, so a bad variable is one clear error at start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_STORE = "data/store"
DEFAULT_BASE = "http://localhost:5000/"


@dataclass(frozen=True)
class Settings:
    store: str = DEFAULT_STORE
    base: str = DEFAULT_BASE
    update_token: str | None = None
    query_timeout: float = 30.0
    service_allow: tuple[str, ...] = ()
    cache_mb: int = 64
    queries: str = ""  # folder of saved queries; "" = the project's queries/
    request_deadline: float = 30.0  # seconds a request may take to arrive whole (slow clients are cut off)
    shacl_engine: str = "fast"  # "fast" (the compiled SHACL Core validator) or "pyshacl"
    # an executor that grew by more than this after a request is replaced by a fresh one (0: never)
    executor_memory_mb: int = 64
    # answer list queries from the rows the load stored for the version (off: always SPARQL)
    stored_answers: bool = True
    # a remote store (``store`` is an http(s) SPARQL endpoint): where updates and whole graphs go, and credentials
    remote_update_url: str | None = None
    remote_gsp_url: str | None = None
    remote_user: str | None = None
    remote_password: str | None = None
    remote_token: str | None = None

    @classmethod
    def from_env(cls, store: str | None = None, base: str | None = None) -> Settings:
        env = os.environ
        base = base or env.get("NEWSGRAPH_BASE_IRI") or DEFAULT_BASE
        return cls(
            store=store or env.get("NEWSGRAPH_STORE") or DEFAULT_STORE,
            base=base if base.endswith("/") else base + "/",
            update_token=env.get("NEWSGRAPH_UPDATE_TOKEN") or None,
            query_timeout=_seconds(env, "NEWSGRAPH_QUERY_TIMEOUT", 30.0),
            request_deadline=_seconds(env, "NEWSGRAPH_REQUEST_DEADLINE", 30.0),
            service_allow=tuple(env.get("NEWSGRAPH_SERVICE_ALLOW", "").split()),
            cache_mb=_int(env, "NEWSGRAPH_CACHE_MB", 64),
            queries=env.get("NEWSGRAPH_QUERIES", ""),
            shacl_engine=_choice(env, "NEWSGRAPH_SHACL", ("fast", "pyshacl"), "fast"),
            executor_memory_mb=_at_least(0, "NEWSGRAPH_EXECUTOR_MEMORY_MB",
                                         _int(env, "NEWSGRAPH_EXECUTOR_MEMORY_MB", 64)),
            stored_answers=_choice(env, "NEWSGRAPH_STORED_ANSWERS", ("on", "off"), "on") == "on",
            remote_update_url=_url(env, "NEWSGRAPH_STORE_UPDATE_URL"),
            remote_gsp_url=_url(env, "NEWSGRAPH_STORE_GSP_URL"),
            remote_user=env.get("NEWSGRAPH_STORE_USER") or None,
            remote_password=env.get("NEWSGRAPH_STORE_PASSWORD") or None,
            remote_token=env.get("NEWSGRAPH_STORE_TOKEN") or None,
        )


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = env.get(name) or default
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _url(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name) or None
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError(f"{name} must be an http:// or https:// URL, not {value!r}")
    return value


def _at_least(low: int, name: str, value: int) -> int:
    if value < low:
        raise ValueError(f"{name} must be {low} or more, not {value}")
    return value


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name)
    if value is None or value == "":
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, not {value!r}") from None
    if not seconds > 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")
    return seconds
