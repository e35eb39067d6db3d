"""What every benchmark needs: which drawwatch it measures, timing a child process (wall, CPU, peak RSS),
a feed server that counts every request, PostgreSQL scratch schemas, medians of repeats.

Which drawwatch: the one the interpreter named by ``--drawwatch-python`` (or ``$BENCH_PYTHON``; default: the
interpreter running the benchmark) imports. A benchmark started by another interpreter runs itself again
under that one (:func:`run_under`), so in-process figures and child processes measure the same tree, e.g.
``BENCH_PYTHON=/tmp/before/.venv/bin/python .venv/bin/python benchmarks/bench_startup.py`` measures the copy
installed in /tmp/before while the benchmark code and the test peers come from this tree.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
PYTHON_ENV = "BENCH_PYTHON"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MiB = 1024 * 1024


def _import_own_drawwatch() -> None:
    """Import ``drawwatch`` as this interpreter's install has it, before this tree (on sys.path for the
    benchmarks and test peers) can shadow it: an editable install's finder comes after sys.path."""
    if "drawwatch" in sys.modules:
        return
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() not in (ROOT, ROOT / "benchmarks")]
    try:
        import drawwatch  # noqa: F401
    except ImportError:
        pass  # not installed here: this tree's copy is imported later
    finally:
        sys.path[:] = saved


_import_own_drawwatch()

from tests.support.feed_server import FeedServer  # noqa: E402
from tests.support.http_peer import Request, Response  # noqa: E402

# --- which drawwatch ---------------------------------------------------------------------------------


def add_python_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--drawwatch-python",
        default=os.environ.get(PYTHON_ENV) or sys.executable,
        help=f"the interpreter whose drawwatch is measured (default: ${PYTHON_ENV}, else this one)",
    )


def run_under(opts: argparse.Namespace) -> None:
    """Run this benchmark again under ``--drawwatch-python`` unless it already runs there."""
    python = os.path.abspath(opts.drawwatch_python)
    if python == os.path.abspath(sys.executable):
        return
    if not os.access(python, os.X_OK):
        raise SystemExit(f"--drawwatch-python {python}: not an executable interpreter")
    script = os.path.abspath(sys.argv[0])
    sys.stdout.flush()
    os.execve(python, [python, script, *sys.argv[1:]], {**os.environ, PYTHON_ENV: python})


def describe_target() -> str:
    """One line naming the drawwatch measured (its source tree) and the interpreter."""
    import drawwatch

    where = Path(drawwatch.__file__).resolve().parents[1]
    return f"drawwatch {drawwatch.__version__} from {where} (python {sys.executable})"


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a measured child: no DRAWWATCH_* or PYTHONPATH from the caller (PYTHONPATH would
    put this tree's drawwatch in front of the interpreter's own), no config file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWWATCH_") and k != "PYTHONPATH"}
    return {**env, "DRAWWATCH_CONFIG": "", **extra}


def drawwatch_command(*args: str, python_flags: tuple[str, ...] = ()) -> list[str]:
    return [sys.executable, *python_flags, "-m", "drawwatch", *args]


_neutral: list[str] = []


def neutral_cwd() -> str:
    """An empty directory to run children in: ``python -m`` puts the working directory first on sys.path,
    and this tree's checkout there would shadow the drawwatch measured."""
    if not _neutral:
        _neutral.append(tempfile.mkdtemp(prefix="drawwatch-bench-cwd-"))
        atexit.register(shutil.rmtree, _neutral[0], True)
    return _neutral[0]


# --- timing children ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # the child's user + system seconds (and those of children it waited for)
    peak_rss_mib: float  # the child's ru_maxrss (see run_child)
    stdout: str
    stderr: str


def run_child(args: list[str], env: dict[str, str], *, cwd: str | None = None, check: bool = True) -> Run:
    """Run a child and reap it with ``os.wait4``, so CPU and peak RSS are its own, not the sum or the
    maximum over every child so far (RUSAGE_CHILDREN).

    ru_maxrss carries over a fork and an exec: a child's figure is never below this process's RSS when it
    started (see :func:`rss_floor_mib`); the benchmarks keep this process small for that reason.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, env=env, cwd=cwd or neutral_cwd(), stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if check and proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}):\n{stderr.strip()[-3000:]}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout, stderr)


def rss_floor_mib() -> float:
    """The peak RSS a do-nothing child reports when started from here: below it, ru_maxrss says nothing."""
    return run_child(["/bin/true"], dict(os.environ)).peak_rss_mib


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, the child's CPU seconds, stdout) of one child. CPU time hardly moves when other work
    shares the machine's cores, wall time does: print both."""
    run = run_child(args, env)
    return run.wall, run.cpu, run.stdout


# --- peers -------------------------------------------------------------------------------------------


class CountingFeedServer(FeedServer):
    """The test suite's feed server, counting every request by path, robots.txt's too (``FeedServer``
    records the feed's only)."""

    def __init__(self) -> None:
        super().__init__()
        self.hits: Counter[str] = Counter()
        self._hits_lock = threading.Lock()

    def respond(self, request: Request, recorded: Request | None) -> Response:
        with self._hits_lock:
            self.hits[urlsplit(request.path).path] += 1
        return super().respond(request, recorded)

    def count(self) -> Counter[str]:
        with self._hits_lock:
            return Counter(self.hits)


def requests_between(before: Counter[str], after: Counter[str]) -> str:
    """``robots.txt 1 + feed 1`` for the requests a step made."""
    made = after - before
    robots = made.pop("/robots.txt", 0)
    feed = sum(made.values())
    return f"{robots + feed} (robots.txt {robots} + feed {feed})"


def pg_reachable(url: str) -> bool:
    """Whether the PostgreSQL server of ``url`` accepts TCP connections (a quick probe, no login)."""
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://", 1))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def scratch_database(server_url: str | None, label: str) -> Iterator[str]:
    """A fresh, empty database URL, removed afterwards: a SQLite file (``server_url`` None), or a new
    database on the PostgreSQL server of ``server_url`` (the database that URL names is not touched)."""
    if server_url is None:
        with tempfile.TemporaryDirectory(prefix="drawwatch-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / f'{label}.db'}"
        return
    import psycopg

    libpq = server_url.replace("postgresql+psycopg://", "postgresql://", 1)
    name = f"drawwatch_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def reset_pg(url: str) -> None:
    """Empty the database named by ``url`` (a scratch database: never point this at real data)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


# --- figures -----------------------------------------------------------------------------------------


class Figures:
    """Named measurements over repeats, printed as median (min–max)."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}

    def note(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def median(self, name: str) -> float:
        return statistics.median(self.values[name])

    def print(self, width: int = 42, names: list[str] | None = None) -> None:
        for name in names or list(self.values):
            values = self.values[name]
            print(
                f"  {name:<{width}} {statistics.median(values):>10.3f}  ({min(values):.3f}–{max(values):.3f})"
            )


def load_line() -> str:
    return f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores"
