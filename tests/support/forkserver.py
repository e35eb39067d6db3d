"""Running ``drawwatch`` from a process that imported it once: each command is a fork of that process.

A fresh ``python -m drawwatch`` spends about a second importing Click, SQLAlchemy, Scrapy, Twisted, apprise
and Jinja2 before it runs a line of the command; the end-to-end tests run the command line hundreds of
times. The fork server imports them once per test worker, then forks a child per command, which sets the
command's environment, working directory and standard streams and calls the command line's own entry point
(:func:`drawwatch.cli.main`) — the same code as ``python -m drawwatch``, from the same pristine state each
time (nothing a command does reaches the server or the next command).

What a fork cannot give a command, :func:`needs_fresh_interpreter` sends to a real interpreter instead:
settings Python reads at its own start-up (``PYTHON*``, locale, ``TZ``). The server never installs Twisted's
reactor (each command installs its own) and starts no thread, so forking it is safe.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Read by the interpreter (or the C library) when it starts, so a fork would not see them changed.
STARTUP_ONLY = ("PYTHON", "LANG", "LC_", "TZ")

SERVER = r"""
import json, os, selectors, signal, sys, traceback

import drawwatch.cli
# What commands use, imported once here (each is imported lazily by the commands themselves).
import alembic.command, jinja2.sandbox, sqlmodel, scrapy.crawler, scrapy.http
import drawwatch.app.check, drawwatch.app.deliver, drawwatch.notify.sending, drawwatch.storage.migrate
import drawwatch.report.charts  # matplotlib, for `drawwatch report`
from drawwatch.notify.urls import instantiate
instantiate("json://127.0.0.1:9/warm-up")  # apprise loads its plugins once, here
assert "twisted.internet.reactor" not in sys.modules, "the fork server must not install a reactor"

requests = sys.stdin.buffer
answers = sys.stdout
ended_r, ended_w = os.pipe()  # SIGCHLD wakes the loop through this pipe
os.set_blocking(ended_w, False)
signal.set_wakeup_fd(ended_w)
signal.signal(signal.SIGCHLD, lambda *_: None)
selector = selectors.DefaultSelector()
selector.register(requests, selectors.EVENT_READ, "request")
selector.register(ended_r, selectors.EVENT_READ, "ended")


def child(order):
    os.environ.clear()
    os.environ.update(order["env"])
    os.chdir(order["cwd"])
    streams = ((0, os.devnull, os.O_RDONLY), (1, order["stdout"], os.O_WRONLY), (2, order["stderr"], os.O_WRONLY))
    for fd, path, mode in streams:
        os.dup2(os.open(path, mode), fd)
    sys.stdin = open(0, "r", closefd=False)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    sys.argv = ["drawwatch", *order["args"]]
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    code = 0
    try:
        drawwatch.cli.cli.main(args=order["args"], prog_name="drawwatch")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int) and exc.code is not None:
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        try:
            import coverage
            cov = coverage.Coverage.current()
            if cov is not None:
                cov.stop()
                cov.save()
        finally:
            os._exit(code)


running = set()
buffer = b""
while True:
    for key, _ in selector.select():
        if key.data == "request":
            line = requests.readline()
            if not line:
                sys.exit(0)
            order = json.loads(line)
            pid = os.fork()
            if pid == 0:
                selector.close()
                child(order)
            running.add(pid)
            answers.write(json.dumps({"id": order["id"], "pid": pid}) + "\n")
            answers.flush()
        else:
            os.read(ended_r, 4096)
            for pid in list(running):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    running.discard(pid)
                    answers.write(json.dumps({"pid": pid, "code": os.waitstatus_to_exitcode(status)}) + "\n")
                    answers.flush()
"""


def needs_fresh_interpreter(env: Mapping[str, str]) -> bool:
    """Whether ``env`` sets something only a new interpreter would read (a changed ``PYTHON*``, locale, …)."""
    return any(
        key.startswith(STARTUP_ONLY) and os.environ.get(key) != value
        for key, value in env.items()
        if key != "PYTHONPATH"
    )


class ForkServer:
    """One fork server per test process, started on first use; :meth:`run` is safe from several threads."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DRAWWATCH_")}
        env["PYTHONPATH"] = str(ROOT)
        self._proc = subprocess.Popen(
            [sys.executable, "-c", SERVER],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()  # one order at a time on the pipe
        self._ids = 0
        self._started: dict[int, Future[int]] = {}  # order id -> pid
        self._ended: dict[int, Future[int]] = {}  # pid -> exit code
        self._early: dict[int, int] = {}  # exit codes read before anyone waited for them
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            answer = json.loads(line)
            with self._lock:
                if "id" in answer:
                    self._started.pop(answer["id"]).set_result(answer["pid"])
                    continue
                waiter = self._ended.pop(answer["pid"], None)
                if waiter is None:
                    self._early[answer["pid"]] = answer["code"]
                else:
                    waiter.set_result(answer["code"])
        with self._lock:  # the server is gone: nobody waits for ever
            for future in [*self._started.values(), *self._ended.values()]:
                future.set_exception(RuntimeError("the fork server ended"))

    def start(self, args: list[str], env: Mapping[str, str], cwd: Path, stdout: Path, stderr: Path) -> int:
        """Fork a child running ``drawwatch ARGS``; its pid."""
        started: Future[int] = Future()
        with self._lock:
            self._ids += 1
            self._started[self._ids] = started
            order = {
                "id": self._ids,
                "args": args,
                "env": dict(env),
                "cwd": str(cwd),
                "stdout": str(stdout),
                "stderr": str(stderr),
            }
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(order) + "\n")
            self._proc.stdin.flush()
        return started.result(timeout=60)

    def wait(self, pid: int, timeout: float) -> int:
        """The exit status of child ``pid`` (negative: killed by that signal); killed after ``timeout``."""
        with self._lock:
            if pid in self._early:
                return self._early.pop(pid)
            ended: Future[int] = Future()
            self._ended[pid] = ended
        try:
            return ended.result(timeout=timeout)
        except TimeoutError:
            os.kill(pid, 9)
            ended.result(timeout=30)
            raise subprocess.TimeoutExpired(["drawwatch", str(pid)], timeout) from None


_server: ForkServer | None = None
_server_lock = threading.Lock()


def fork_server() -> ForkServer:
    global _server
    with _server_lock:
        if _server is None or _server._proc.poll() is not None:
            _server = ForkServer()
        return _server
