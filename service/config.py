"""Settings from options and environment variables, in one object (an option wins over a variable)."""

from __future__ import annotations

import os
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
        )


def _int(env, name: str, default: int) -> int:
    value = env.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def _seconds(env, name: str, default: float) -> float:
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
