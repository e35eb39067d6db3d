"""What every benchmark needs: timing a child process, a clean PostgreSQL schema, medians of repeats."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a child; return (wall seconds, its CPU seconds, stdout). CPU time hardly moves when other work
    shares the machine's two cores, wall time does: print both."""
    before = os.times()
    started = time.perf_counter()
    proc = subprocess.run(args, env=env, capture_output=True, text=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - started
    after = os.times()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, proc.stdout


def reset_pg(url: str) -> None:
    """Empty the database named by ``url`` (a scratch database: never point this at real data)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")


class Figures:
    """Named measurements over repeats, printed as median (min–max)."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}

    def note(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def median(self, name: str) -> float:
        return statistics.median(self.values[name])

    def print(self, width: int = 42) -> None:
        for name, values in self.values.items():
            print(
                f"  {name:<{width}} {statistics.median(values):>10.3f}  ({min(values):.3f}–{max(values):.3f})"
            )
