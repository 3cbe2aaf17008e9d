"""A per-run lock, so that a run overlapping the next schedule (or a second worker) cannot run the
same run twice at once. ``fcntl.flock`` locks are released by the kernel when the holder dies, so a
killed run never leaves a stale lock behind; the next attempt resumes the run."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from costbench.errors import StoreError


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold the lock file ``path`` for the duration; raise at once if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise StoreError(f"run {path.parent.name} shard {path.stem} is already running ({holder}); not started twice. "
                             "Wait for it to finish, or re-run it later to resume it") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
