"""Who holds the poller's lease, and when a restarted bot may take a dead process's lease at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from drawwatch.bot.runner import holder_is_dead, new_holder


def test_holders() -> None:
    me = new_holder()
    host = socket.gethostname()[:100]
    assert me.startswith(f"{host}:{os.getpid()}:")
    assert not holder_is_dead(me)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    assert holder_is_dead(f"{host}:{gone.stdout.strip()}:abcd1234")
    assert not holder_is_dead(f"{host}:1:abcd1234")  # alive
    assert not holder_is_dead(f"elsewhere-{host}:{gone.stdout.strip()}:abcd1234")  # another host: wait it out
    assert not holder_is_dead("garbage")
