"""A check opens no listening socket: Scrapy's remote-control HTTP server and telnet console stay off.

The real command (``drawwatch check``, and the daemon's check) runs against the local feed server, which
holds the feed's answer back; while the process waits for it, mid-crawl with every extension started, its
sockets are read from ``/proc``: none of them (TCP, TCP6 or Unix) may be in the listening state.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.commands import background, daemon
from tests.support.feed_server import FeedServer
from tests.support.feeds import feed_bytes

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="needs Linux's /proc/<pid>/net"),
]

TCP_LISTEN = "0A"  # include/net/tcp_states.h
UNIX_ACCEPTING = 0x10000  # __SO_ACCEPTCON in /proc/net/unix's Flags: a listening Unix socket


def listening_sockets(pid: int) -> list[str]:
    """The listening sockets process ``pid`` holds ("tcp port 41234", "unix /path"), matched by inode between
    its open files and the kernel's socket tables."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:  # closed while we looked
            continue
        if target.startswith("socket:["):
            inodes.add(target.removeprefix("socket:[").removesuffix("]"))
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == TCP_LISTEN and inode in inodes:
                found.append(f"{table} port {int(local.rsplit(':', 1)[1], 16)}")
    for line in Path(f"/proc/{pid}/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        flags, inode = int(fields[3], 16), fields[6]
        if flags & UNIX_ACCEPTING and inode in inodes:
            found.append(f"unix {fields[7] if len(fields) > 7 else '(unnamed)'}")
    return found


def test_the_probe_sees_a_listening_socket() -> None:
    """The probe is not blind: in this process it finds the feed server's own listening socket."""
    with FeedServer() as server:
        assert f"tcp port {server.port}" in listening_sockets(os.getpid())


@pytest.mark.parametrize("command", ["check", "run"])
def test_a_check_opens_no_listening_socket(command: str, tmp_path: Path) -> None:
    state_dir = tmp_path / "state"  # where Scrapy's remote control would write its job file (token, port)
    env = {
        "DRAWWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'dw.db'}",
        "DRAWWATCH_DOWNLOAD_TIMEOUT": "20",
        "DRAWWATCH_RETRY_TIMES": "0",
        "XDG_STATE_HOME": str(state_dir),
    }
    with FeedServer() as server:
        server.serve(feed_bytes(437))
        env["DRAWWATCH_FEED_URL"] = server.url
        server.hold()
        starter = background(env, "check", "--no-deliver") if command == "check" else daemon(env)
        with starter as proc:
            server.wait_for_requests(1)  # the crawl is running, waiting for the held answer
            assert proc.poll() is None
            assert listening_sockets(proc.pid) == []
            server.release()
            if command == "check":
                out, err = proc.communicate(timeout=60)
                assert proc.returncode == 0, err
                assert "First check: recorded" in out
    assert not (state_dir / "scrapy").exists()
