"""The emulator's state: one JSON document, a lock, optional persistence, reconciliation.

Every operation runs as a transaction: take the in-process lock (and, with a state file,
an advisory file lock), re-read the file if another process changed it, bring derived
state up to date for "now" (pool events, replica placement), apply the change, and write
the file back atomically (temp file + ``os.replace``). That keeps separate CLI
invocations sharing one state file consistent, and concurrent requests safe.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid as uuidlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from costplan.emulator import scheduling
from costplan.emulator.config import EmulatorConfig
from costplan.emulator.seed import STATE_VERSION, initial_state

try:  # POSIX only; elsewhere the in-process lock is all there is.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

MAX_EVENTS = 5000


class StateFileError(ValueError):
    """The state file is not an emulator state this version can read (corrupt, truncated, foreign)."""


def new_uuid() -> str:
    """A fresh id for a created resource."""
    return str(uuidlib.uuid4())


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class Store:
    """Holds the state document; :mod:`costplan.emulator.operations` mutates it."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._lock = threading.RLock()
        self._path = config.state_file
        self._signature: tuple[int, int, int] | None = None
        self._changed = False
        self._dirty = True
        self._next_due: float | None = None
        with self._file_lock():
            if self._path is not None and self._path.exists():
                self._state = self._read()
            else:
                self._state = initial_state(config)
                self._write()

    # -- persistence -------------------------------------------------------------------

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self._path is None or fcntl is None:
            yield
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._path.with_name(self._path.name + ".lock"), "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read(self) -> dict[str, Any]:
        assert self._path is not None
        self._signature = _signature(self._path)
        try:
            state = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise StateFileError(
                f"emulator state file {self._path} cannot be read ({exc}); move it away to start from a fresh state"
            ) from None
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            found = state.get("version") if isinstance(state, dict) else type(state).__name__
            raise StateFileError(
                f"emulator state file {self._path} is not an emulator state of version {STATE_VERSION} "
                f"(found {found!r}); move it away to start from a fresh state"
            )
        self._dirty = True
        return state

    def _write(self) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(f".{self._path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(self._state, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, self._path)
        self._signature = _signature(self._path)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[tuple[dict[str, Any], float]]:
        """Yield ``(state, now)`` with derived state current; persist changes on exit."""
        with self._lock, self._file_lock():
            if self._path is not None and _signature(self._path) != self._signature:
                self._state = self._read() if self._path.exists() else initial_state(self.config)
            now = self.config.clock()
            self._changed = False
            self.reconcile(now)
            if self._changed:
                # Persist what time alone changed now, so a request that fails validation
                # below does not leave memory and file apart.
                self._write()
                self._changed = False
            yield self._state, now
            if self._changed:
                self._dirty = True
                self.reconcile(now)
            if self._changed:
                self._write()

    def mark_changed(self) -> None:
        """Record that the current transaction mutated the state."""
        self._changed = True

    # -- events ------------------------------------------------------------------------

    def record(
        self,
        kind: str,
        message: str,
        at: float,
        *,
        environment: str,
        pool: str | None = None,
        service: str | None = None,
    ) -> None:
        """Append an event (kept internally with the ids it concerns)."""
        events = self._state["events"]
        events.append(
            {
                "uuid": new_uuid(),
                "type": kind,
                "message": message,
                "createdAt": at,
                "environmentUuid": environment,
                "poolUuid": pool,
                "serviceUuid": service,
            }
        )
        if len(events) > MAX_EVENTS:
            del events[: len(events) - MAX_EVENTS]
        self._changed = True

    # -- derived state -----------------------------------------------------------------

    def reconcile(self, now: float) -> None:
        """Bring pools, evaluations and autoscaling up to ``now`` (see :mod:`scheduling`)."""
        if not self._dirty and (self._next_due is None or now < self._next_due):
            return
        scheduling.advance(self, self._state, now)
        self._dirty = False
        self._next_due = scheduling.next_due(self._state, now)
