"""Running queries and updates where they can be stopped: a pool of executor processes.

pyoxigraph cannot cancel a query and a thread cannot be stopped, so each query runs in a separate
process that the web worker kills when the time limit passes: the CPU is freed at once, and a new
executor takes its place. Results are serialised inside the executor, in the negotiated format, and
streamed back in chunks through a pipe, so a large result never sits whole in memory.

A request is a plain dict; the executor answers with messages:
``("head", status, content_type)``, then ``("chunk", bytes)``…, then ``("end",)``; or
``("error", status, message)`` before any head; or ``("abort", message)`` when evaluation fails
after the head was sent (the HTTP response is then cut short).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from typing import Any, Protocol

import pyoxigraph as ox

from newsgraph.loaders.vocab import PREFIXES
from newsgraph.service.config import Settings
from newsgraph.service.sparql.results import term_json
from newsgraph.service.store.embedded import open_store
from newsgraph.service.store.interface import Current, Reader, StoreError
from newsgraph.service.web.negotiate import GRAPH, RESULTS, NotAcceptable, choose

CHUNK = 64 * 1024
EMPTY_GRAPH = "urn:x-newsgraph:empty"


class Timeout(Exception):
    pass


class Busy(Exception):
    pass


class ExecutorLost(Busy):
    """The executor died under a query (killed, out of memory): the pool replaces it at once, and the
    client is told to try again, as when every executor is busy (503 with Retry-After)."""


class StreamAborted(Exception):
    """Raised inside a response body: the server closes the connection, so the client sees a cut
    answer rather than a complete-looking one, and no cache keeps it."""


@dataclass
class Request:
    op: str  # query | update
    text: str
    base_iri: str | None = None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)
    accept: str | None = None
    format: str | None = None
    #: (offset, count): answer only these rows of a SELECT, as SPARQL JSON (saved queries page this way)
    window: tuple[int, int] | None = None


# ---- the executor process ----------------------------------------------------------------------------


class Sender(Protocol):
    """Where an executor's messages go: a pipe's end (:class:`multiprocessing.connection.Connection`)."""

    def send(self, obj: Any) -> None: ...


class _PipeWriter:
    """A binary file for pyoxigraph's serialisers that sends what they write in chunks, after ``head``."""

    def __init__(self, conn: Sender, head: tuple[Any, ...]):
        self.conn = conn
        self.head = head
        self.head_sent = False
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        if len(self.buffer) >= CHUNK:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if not self.head_sent:
            self.conn.send(self.head)
            self.head_sent = True
        if self.buffer:
            self.conn.send(("chunk", bytes(self.buffer)))
            self.buffer.clear()


def run_request(store: Reader, req: Request, conn: Sender) -> None:
    """Execute one request against a :class:`~.interface.Reader`, answering through ``conn``."""
    if req.op == "update":
        try:
            with store.writer() as writer:
                writer.update(req.text, base_iri=req.base_iri)
        except SyntaxError as e:
            conn.send(("error", 400, f"invalid update: {e}"))
            return
        except StoreError as e:
            conn.send(("error", 503, str(e)))
            return
        except (OSError, RuntimeError, ValueError) as e:
            conn.send(("error", 400, f"the update failed: {e}"))
            return
        conn.send(("head", 204, None))
        conn.send(("end",))
        return
    kwargs: dict[str, Any] = {"base_iri": req.base_iri}
    try:
        if req.default_graphs or req.named_graphs:
            # only named graphs given: the default graph is then empty (SPARQL 1.1 Protocol §2.1.4)
            kwargs["default_graph"] = [ox.NamedNode(g) for g in req.default_graphs] or [ox.NamedNode(EMPTY_GRAPH)]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in req.named_graphs]
        results = store.query(req.text, **kwargs)
    except SyntaxError as e:
        conn.send(("error", 400, f"invalid query: {e}"))
        return
    except ValueError as e:
        conn.send(("error", 400, f"invalid request: {e}"))
        return
    except RuntimeError as e:  # the engine refuses what the text asks (an unknown function, a feature it lacks)
        conn.send(("error", 400, f"the query cannot run: {e}"))
        return
    except StoreError as e:  # a remote engine's time limit (503), or its refusal or failure (502)
        conn.send(("error", 503 if getattr(e, "status", 0) == 503 else 502, str(e)))
        return
    kind = RESULTS if isinstance(results, ox.QuerySolutions | ox.QueryBoolean) else GRAPH
    if req.window is not None:
        if not isinstance(results, ox.QuerySolutions):
            conn.send(("error", 400, "only a SELECT query can be paged"))
            return
        out = _PipeWriter(conn, head=("head", 200, "application/sparql-results+json"))
        try:
            write_window(results, req.window, out)
        except (OSError, RuntimeError, ValueError, SyntaxError) as e:
            conn.send(("abort", str(e)) if out.head_sent else ("error", 400, f"the query failed: {e}"))
            return
        out.flush()
        conn.send(("end",))
        return
    try:
        fmt = choose(kind, req.accept, req.format)
    except NotAcceptable as e:
        conn.send(("error", 406, str(e)))
        return
    # nothing is sent before the engine has produced the first chunk (or finished): a query that is
    # stopped by the time limit, or fails while evaluating, still gets its proper status
    out = _PipeWriter(conn, head=("head", 200, fmt.content_type))
    try:
        if kind == RESULTS:
            results.serialize(out, fmt.engine)
        else:
            assert isinstance(fmt.engine, ox.RdfFormat)  # what choose() answers for a graph
            prefixes = PREFIXES if fmt.engine in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
            # pyoxigraph's stub asks for a typing.IO[bytes]; the serialiser only calls write() (and flush())
            ox.serialize(results, out, fmt.engine, prefixes=prefixes)  # type: ignore[arg-type]
    except (OSError, RuntimeError, ValueError, SyntaxError) as e:
        if out.head_sent:
            conn.send(("abort", str(e)))
        else:
            conn.send(("error", 400, f"the query failed: {e}"))
        return
    out.flush()
    conn.send(("end",))


def write_window(results: ox.QuerySolutions, window: tuple[int, int], out: _PipeWriter) -> None:
    """SPARQL JSON of rows ``offset`` … ``offset + count - 1``; the engine stops once they are read."""
    offset, count = window
    names = [v.value for v in results.variables]
    out.write(b'{"head":{"vars":' + json.dumps(names).encode() + b'},"results":{"bindings":[')
    for i, solution in enumerate(itertools.islice(results, offset, offset + count)):
        row = {name: term_json(solution[name]) for name in names if solution[name] is not None}
        out.write((b"," if i else b"") + json.dumps(row, ensure_ascii=False).encode())
    out.write(b"]}}")


CLONE_NEWNET = 0x40000000


def isolate_network() -> bool:
    """Move this process into a network namespace of its own, with no interface up.

    Defence in depth behind the SERVICE/LOAD check of :mod:`newsgraph.service.sparql.text`: should a spelling
    ever slip past it, the engine still has nowhere to connect to. Needs CAP_SYS_ADMIN (root, as
    here); where it is refused the text check stands alone. True when the process is isolated.
    """
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.unshare(CLONE_NEWNET) == 0
    except (OSError, AttributeError):
        return False


def executor_main(conn: Connection, settings: Settings, isolate: bool = False) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the web worker decides when executors stop
    if isolate and not isolate_network():
        print("newsgraph: executors cannot get a network namespace of their own; SERVICE/LOAD are "
              "stopped by the query check alone", file=sys.stderr)
    location = settings.store
    store = open_store(location, settings)
    # growth over what the process holds with the store open: at 100,000 articles the store's own tables
    # are part of every executor, and must not count against it
    limit = resident_bytes() + settings.executor_memory_mb * 1024 * 1024 if settings.executor_memory_mb else 0
    while True:
        try:
            req = conn.recv()
        except EOFError:
            return
        if req is None:
            return
        try:
            if store.is_stale():
                store = open_store(location, settings)
            run_request(store, req, RecycleAfter(conn, limit))
            if req.op == "update":
                store = open_store(location, settings)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:  # never let one request take the executor down silently: a Rust panic in
            # the engine is a BaseException (pyo3's PanicException); it is our bug, so 500, and the executor goes on
            print(f"newsgraph: executor: {type(e).__name__}: {e}", file=sys.stderr)
            conn.send(("error", 500, f"internal error: {type(e).__name__}: {e}"))


def resident_bytes() -> int:
    """This process's own resident memory now (not its peak): resident minus shared pages (the store's files,
    mapped by every executor, are not what a large join leaves behind), from /proc/self/statm."""
    try:
        with open("/proc/self/statm") as f:
            fields = f.read().split()
        return (int(fields[1]) - int(fields[2])) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class RecycleAfter:
    """The executor's pipe end, which marks a request's last message ``("end", "recycle")`` when the process
    holds more than ``limit`` bytes of its own (0: no limit). The allocator keeps what a large join took,
    and executors are many, so the pool lets this one go and starts a fresh one (from the forkserver, in
    milliseconds) instead of keeping the memory for the life of the server."""

    def __init__(self, conn: Sender, limit: int):
        self.conn = conn
        self.limit = limit

    def send(self, msg: Any) -> None:
        if msg == ("end",) and self.limit and resident_bytes() > self.limit:
            msg = ("end", "recycle")
        self.conn.send(msg)


# ---- the pool, in the web worker ---------------------------------------------------------------------


class _Executor:
    def __init__(self, settings: Settings, ctx: ForkServerContext, isolate: bool):
        parent, child = ctx.Pipe()
        self.conn = parent
        self.process = ctx.Process(target=executor_main, args=(child, settings, isolate), daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        pid = self.process.pid
        assert pid is not None  # started in __init__
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        self.process.join(5)
        self.conn.close()


class Pool:
    """Executor processes for one web worker; a request leases one, and kills it when time runs out."""

    def __init__(self, settings: Settings, size: int, isolate: bool = True):
        self.settings = settings
        self.location = settings.store
        self.timeout = settings.query_timeout
        self.isolate = isolate
        self._ctx = multiprocessing.get_context("forkserver")
        # executors fork from a server that has imported this module (and the store) already: a new or
        # replacement executor is ready in milliseconds instead of re-importing for half a second
        self._ctx.set_forkserver_preload([__name__])
        self._idle: queue.Queue[_Executor] = queue.Queue()
        self.recycled = 0  # executors let go for their memory (see RecycleAfter)
        for _ in range(size):
            self._idle.put(_Executor(settings, self._ctx, isolate))

    def execute(self, req: Request) -> tuple[int, str | None, Iterator[bytes] | str]:
        """(status, content type, body chunks) or (status, None, message) for an error."""
        deadline = time.monotonic() + self.timeout
        try:
            ex = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise Busy("every query executor is busy; try again shortly") from None
        if not ex.process.is_alive():
            ex = self._replace(ex)
        try:
            ex.conn.send(req)
        except OSError:  # it died since: a fresh one takes the request
            ex = self._replace(ex)
            ex.conn.send(req)
        try:
            first = self._recv(ex, deadline)
        except (Timeout, ExecutorLost):
            self._kill(ex)
            raise
        if first[0] == "error":
            self._idle.put(ex)
            return first[1], None, first[2]
        status, content_type = first[1], first[2]
        if content_type is None:  # no body (an update): wait for its end, then the executor is free again
            for _ in self._stream(ex, deadline):
                pass
            return status, None, ""
        return status, content_type, self._stream(ex, deadline)

    def _stream(self, ex: _Executor, deadline: float) -> Iterator[bytes]:
        done = False
        try:
            while True:
                msg = self._recv(ex, deadline)
                if msg[0] == "chunk":
                    yield msg[1]
                elif msg[0] == "end":
                    done = len(msg) == 1  # ("end", "recycle"): answered, but the executor is let go
                    if not done:
                        self.recycled += 1
                    return
                else:  # abort: the status line is gone; cutting the body short is all that is left
                    raise StreamAborted(msg[1] if len(msg) > 1 else "the query failed")
        except (Timeout, ExecutorLost) as e:
            raise StreamAborted(str(e)) from None
        finally:
            if done:
                self._idle.put(ex)
            else:  # timed out, aborted, or the client went away mid-stream: start clean
                self._kill(ex)

    def _recv(self, ex: _Executor, deadline: float) -> tuple[Any, ...]:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not ex.conn.poll(remaining):
            raise Timeout(f"the query ran longer than {self.timeout:g} s and was stopped")
        try:
            return ex.conn.recv()
        except (EOFError, OSError):
            raise ExecutorLost("the process running the query stopped unexpectedly; try again") from None

    def _kill(self, ex: _Executor) -> None:
        ex.kill()
        self._idle.put(_Executor(self.settings, self._ctx, self.isolate))

    def _replace(self, ex: _Executor) -> _Executor:
        ex.kill()
        return _Executor(self.settings, self._ctx, self.isolate)


class _Collect:
    """A pipe end that keeps what is sent, for running a request in this process."""

    def __init__(self) -> None:
        self.messages: list[tuple[Any, ...]] = []

    def send(self, msg: tuple[Any, ...]) -> None:
        self.messages.append(msg)


class LocalRunner:
    """Runs requests in the calling thread: for ``memory:`` stores, which executor processes cannot share.

    No time limit can be enforced here; the on-disk store is what a public endpoint runs on.
    """

    def __init__(self, current: Current):
        self.current = current
        self._lock = threading.Lock()

    def execute(self, req: Request) -> tuple[int, str | None, Iterator[bytes] | str]:
        conn = _Collect()
        with self._lock:
            run_request(self.current.get(), req, conn)
        first = conn.messages[0]
        if first[0] == "error":
            return first[1], None, first[2]
        if first[2] is None:  # an update: no body, as the pool answers it
            return first[1], None, ""
        chunks = [m[1] for m in conn.messages[1:] if m[0] == "chunk"]
        return first[1], first[2], iter(chunks)
