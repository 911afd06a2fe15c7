"""A throw-away Virtuoso 7 (Debian's ``virtuoso-opensource``) for the tests: its own folder, free ports
on loopback, ``dba``/``dba``, stopped and deleted afterwards."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from server import free_port

VIRTUOSO = shutil.which("virtuoso-t") or "/usr/bin/virtuoso-t"
INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


def available() -> bool:
    return Path(VIRTUOSO).exists() and INI.exists()


def _set(text: str, section: str, key: str, value: str) -> str:
    pattern = re.compile(r"(\[" + re.escape(section) + r"\][^\[]*?)^(" + re.escape(key) + r"\s*=)[^\n]*", re.M | re.S)
    new, n = pattern.subn(lambda m: f"{m.group(1)}{m.group(2)} {value}", text, count=1)
    if n != 1:
        raise ValueError(f"{INI} has no {key} in [{section}]")
    return new


class Virtuoso:
    """``with Virtuoso(folder) as v:`` → ``v.endpoint``, ``v.update_url``, ``v.env`` (NEWSGRAPH_STORE…)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.http_port = free_port()
        self.sql_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.endpoint = f"{self.url}/sparql"
        self.update_url = f"{self.url}/sparql-auth"
        self.process: subprocess.Popen | None = None

    @property
    def env(self) -> dict[str, str]:
        return {"NEWSGRAPH_STORE": self.endpoint, "NEWSGRAPH_STORE_UPDATE_URL": self.update_url,
                "NEWSGRAPH_STORE_USER": "dba", "NEWSGRAPH_STORE_PASSWORD": "dba"}

    def _config(self) -> Path:
        text = INI.read_text()
        d = self.folder
        for key, name in (("DatabaseFile", "virtuoso.db"), ("ErrorLogFile", "virtuoso.log"),
                          ("LockFile", "virtuoso.lck"), ("TransactionFile", "virtuoso.trx"),
                          ("xa_persistent_file", "virtuoso.pxa")):
            text = _set(text, "Database", key, str(d / name))
        text = _set(text, "TempDatabase", "DatabaseFile", str(d / "virtuoso-temp.db"))
        text = _set(text, "TempDatabase", "TransactionFile", str(d / "virtuoso-temp.trx"))
        text = _set(text, "Parameters", "ServerPort", f"127.0.0.1:{self.sql_port}")
        text = _set(text, "Parameters", "DirsAllowed", f"., {d}, /usr/share/virtuoso-opensource-7/vad")
        text = _set(text, "HTTPServer", "ServerPort", f"127.0.0.1:{self.http_port}")
        text = _set(text, "SPARQL", "ResultSetMaxRows", "1000000")
        text = _set(text, "SPARQL", "MaxQueryExecutionTime", "20")  # a backstop; each query sends its own
        # Virtuoso refuses a query whose *estimated* cost passes this, and its estimates for OPTIONAL-heavy
        # queries bound by VALUES run to millions of seconds for a query that takes milliseconds
        text = _set(text, "SPARQL", "MaxQueryCostEstimationTime", "0")
        ini = d / "virtuoso.ini"
        ini.write_text(text)
        return ini

    def __enter__(self) -> Virtuoso:
        self.folder.mkdir(parents=True, exist_ok=True)
        ini = self._config()
        self._log = open(self.folder / "stdout.log", "wb")
        self.process = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(ini)], cwd=self.folder,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso exited: {(self.folder / 'virtuoso.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}?query=ASK%7B%7D", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("virtuoso did not answer within 90 s")

    def __exit__(self, *exc) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        except ProcessLookupError:
            pass
        self._log.close()
        self.process = None
