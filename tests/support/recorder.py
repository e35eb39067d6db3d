"""A thread-safe record that tests wait on instead of sleeping (peers append to it from their own threads)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Recorder(Generic[T]):
    """A list that peers append to from their threads and tests read or wait on, with a deadline."""

    def __init__(self) -> None:
        self._items: list[T] = []
        self._cond = threading.Condition()

    def append(self, item: T) -> None:
        with self._cond:
            self._items.append(item)
            self._cond.notify_all()

    def snapshot(self) -> list[T]:
        with self._cond:
            return list(self._items)

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

    def reached(self, count: int, timeout: float) -> bool:
        """Block until at least ``count`` items arrived or ``timeout`` seconds passed; whether they arrived."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._items) >= count, timeout)

    def wait_until(self, predicate: Callable[[list[T]], bool], timeout: float = 10.0) -> list[T]:
        """Block until ``predicate`` holds of the items (called on each arrival); fail the test when the
        deadline passes first."""
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self._items), timeout):
                raise AssertionError(
                    f"not reached within {timeout}s; {len(self._items)} item(s): {self._items!r}"
                )
            return list(self._items)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[T]:
        """Block until at least ``count`` items arrived; fail the test when the deadline passes first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._items) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} message(s) within {timeout}s, got {len(self._items)}"
                    )
                self._cond.wait(remaining)
            return list(self._items)
