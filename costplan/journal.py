"""The provisioning journal: an append-only JSON-lines file, fsync'd after every record.

It is what lets `costplan provision --apply` be killed at any instant and run again without
creating anything twice. Before each write call the provisioner appends an `intent` record,
after it a `done` (or `unknown`, `failed`) record; a re-run reads the journal, lists what the
API has, and reconciles the two (see `costplan.provisioner`). The API is the truth about what
exists; the journal says which calls may be in doubt and which uuids this plan created.

One record per line, keys sorted, for example:

```
{"environment_uuid": "e7b7...", "event": "run_start", "mode": "apply", "pid": 42, "seq": 0, ...}
{"body": {...}, "event": "intent", "key": "pool:web", "op": "create_pool", "round": 1, "seq": 1, ...}
{"event": "done", "key": "pool:web", "op": "create_pool", "uuid": "27d6...", "seq": 2, ...}
```

A process killed while writing leaves at most one torn last line; it is skipped when read and
the next writer starts on a fresh line. An exclusive `flock` on `<environment>.lock` keeps two
runs on one environment from interleaving (the lock dies with its process, even on SIGKILL).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from costplan.errors import ProvisioningError

JOURNAL_VERSION = 1
JOURNALS_DIR = "journals"

# Events that close an intent: the call's outcome is known (or was reconciled with the API).
SETTLING_EVENTS = frozenset({"done", "failed", "adopted", "absent"})


class JournalWriteError(ProvisioningError):
    """A record could not be made durable (disk full, read-only, I/O error); the file is left whole."""


def plan_digest(document: Mapping[str, Any]) -> str:
    """SHA-256 of the plan's canonical JSON: the same plan always maps to the same journal."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_journal_dir(data_dir: Path | str) -> Path:
    """Where journals live unless told otherwise: `<data_dir>/journals`."""
    return Path(data_dir) / JOURNALS_DIR


def journal_path(directory: Path | str, digest: str, environment_uuid: str) -> Path:
    """`<directory>/<environment>-<digest[:16]>.jsonl`: one journal per plan and environment."""
    return Path(directory) / f"{_safe(environment_uuid)}-{digest[:16]}.jsonl"


def lock_path(directory: Path | str, environment_uuid: str) -> Path:
    """`<directory>/<environment>.lock`: one apply or destroy per environment at a time."""
    return Path(directory) / f"{_safe(environment_uuid)}.lock"


def _safe(text: str) -> str:
    return "".join(c for c in text if c.isalnum() or c in "-_") or "environment"


def read_journal(path: Path | str) -> list[dict[str, Any]]:
    """Every complete record of a journal (none if the file does not exist); torn lines are skipped."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ProvisioningError(f"cannot read the journal {path}: {exc.strerror or exc}") from None
    records = []
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line torn by a kill mid-write: the call it announced is reconciled anyway
        if isinstance(record, dict):
            records.append(record)
    return records


@dataclass
class JournalState:
    """What a journal says, folded by resource key (`pool:<name>`, `service:<name>`)."""

    uuids: dict[str, str] = field(default_factory=dict)  # key -> uuid last created/adopted by this plan
    in_doubt: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> intent with no outcome
    attempts: dict[str, int] = field(default_factory=dict)  # key -> create intents so far
    runs: int = 0

    @classmethod
    def from_records(cls, records: list[dict[str, Any]]) -> JournalState:
        state = cls()
        for record in records:
            event, key, op = record.get("event"), record.get("key"), str(record.get("op", ""))
            if event == "run_start":
                state.runs += 1
            if not isinstance(key, str):
                continue
            if event == "intent":
                state.in_doubt[key] = record
                if op.startswith("create"):
                    state.attempts[key] = state.attempts.get(key, 0) + 1
            elif event == "unknown":
                state.in_doubt[key] = record
            elif event in SETTLING_EVENTS:
                state.in_doubt.pop(key, None)
                if record.get("uuid") and op.startswith("create") and event in ("done", "adopted"):
                    state.uuids[key] = str(record["uuid"])
                elif op.startswith("delete") and event in ("done", "absent"):
                    if state.uuids.get(key) == record.get("uuid"):
                        del state.uuids[key]
        return state


class Journal:
    """An open journal: `append()` writes one durable record; use as a context manager.

    ```
    with Journal.open(path) as journal:
        journal.append("intent", op="create_pool", key="pool:web", body=body)
        ref = client.create_instance_pool(provider_uuid, body)
        journal.append("done", op="create_pool", key="pool:web", uuid=ref.uuid)
    ```
    """

    def __init__(self, path: Path, handle: Any, records: list[dict[str, Any]], lock: Any = None) -> None:
        self.path = path
        self._handle = handle
        self._lock = lock
        self.records = records
        self.run = secrets.token_hex(6)
        self._seq = 1 + max((int(r.get("seq", -1)) for r in records if isinstance(r.get("seq"), int)), default=-1)

    @classmethod
    def open(cls, path: Path | str, *, lock: Path | str | None = None) -> Journal:
        """Open (creating it and its directory) for appending, holding `lock` (a lock file) exclusively.

        ProvisioningError if another process holds the lock: two runs never interleave.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            lock_handle = _acquire(Path(lock)) if lock is not None else None
        except OSError as exc:
            raise ProvisioningError(f"cannot open the journal {path}: {exc.strerror or exc}") from None
        try:
            created = not path.exists()
            handle = open(path, "ab", buffering=0)  # unbuffered; closed by close() / __exit__
        except OSError as exc:
            if lock_handle is not None:
                lock_handle.close()
            raise ProvisioningError(f"cannot open the journal {path}: {exc.strerror or exc}") from None
        try:
            if created:
                _fsync_dir(path.parent)
            records = read_journal(path)
            if path.stat().st_size and not path.read_bytes().endswith(b"\n"):
                handle.write(b"\n")  # end a line torn by a killed writer before adding ours
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            handle.close()
            if lock_handle is not None:
                lock_handle.close()
            raise
        return cls(path, handle, records, lock_handle)

    def state(self) -> JournalState:
        return JournalState.from_records(self.records)

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        """Write one record and fsync it before returning: once this returns, it survives a kill."""
        record = {
            "v": JOURNAL_VERSION,
            "seq": self._seq,
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "pid": os.getpid(),
            "run": self.run,
            "event": event,
            **fields,
        }
        line = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str) + "\n"
        start: int | None = None
        try:
            start = os.fstat(self._handle.fileno()).st_size
            # One unbuffered write of the whole line: nothing is left pending for close() to fail on.
            data = line.encode("utf-8")
            if os.write(self._handle.fileno(), data) != len(data):
                raise OSError(errno.ENOSPC, "short write (no space left on device?)")
            os.fsync(self._handle.fileno())
        except OSError as exc:
            self._cut_back(start)
            raise JournalWriteError(
                f"cannot write to the journal {self.path}: {exc.strerror or exc} (the journal is intact up to "
                "its last complete record)"
            ) from None
        self._seq += 1
        self.records.append(record)
        return record

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def _cut_back(self, size: int | None) -> None:
        """Drop the part of a line a failed write left, so the journal never holds a torn record."""
        if size is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._handle.fileno(), size)
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the file and release the lock; never raises (a failed close must not hide the real error)."""
        with contextlib.suppress(OSError):
            self._handle.close()
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.close()  # closing the descriptor releases the flock

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _acquire(lock: Path) -> Any:
    """An open lock file holding an exclusive flock; the holder's pid is written into it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock, "a+")  # closed by Journal.close(); the OS drops the lock if the process dies
    try:
        import fcntl
    except ImportError:  # Windows: no flock; concurrent runs on one environment are the user's to avoid
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip()
        handle.close()
        who = f" (pid {holder})" if holder.isdigit() else ""
        raise ProvisioningError(
            f"another costplan run{who} is changing this environment right now ({lock} is locked); "
            "wait for it to finish, or stop it and run again"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _fsync_dir(directory: Path) -> None:
    """Make a new file's directory entry durable too (POSIX); a no-op where unsupported."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
