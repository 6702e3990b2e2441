"""The journal: durable, append-only, readable after a torn write, one writer per environment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from costplan.errors import ProvisioningError
from costplan.journal import Journal, JournalState, journal_path, lock_path, plan_digest, read_journal


def test_records_are_lines_of_json_with_sequence_and_time(tmp_path: Path) -> None:
    path = tmp_path / "j" / "run.jsonl"
    with Journal.open(path) as journal:
        journal.append("intent", op="create_pool", key="pool:web", body={"name": "web"})
        journal.append("done", op="create_pool", key="pool:web", uuid="u-1")
    lines = path.read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["intent", "done"]
    first = json.loads(lines[0])
    assert first["seq"] == 0 and first["v"] == 1 and first["ts"].endswith("Z") and first["body"] == {"name": "web"}
    with Journal.open(path) as again:  # a second run continues the sequence
        assert again.append("run_start")["seq"] == 2


def test_a_torn_last_line_is_skipped_and_the_next_record_starts_clean(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with Journal.open(path) as journal:
        journal.append("intent", op="create_pool", key="pool:web")
    with path.open("ab") as handle:
        handle.write(b'{"event": "done", "op": "create_po')  # killed mid-write
    with Journal.open(path) as journal:
        assert [r["event"] for r in journal.records] == ["intent"]
        journal.append("done", op="create_pool", key="pool:web", uuid="u-1")
    assert [r["event"] for r in read_journal(path)] == ["intent", "done"]


def test_state_folds_intents_and_outcomes() -> None:
    records = [
        {"event": "run_start"},
        {"event": "intent", "op": "create_pool", "key": "pool:a"},
        {"event": "done", "op": "create_pool", "key": "pool:a", "uuid": "A"},
        {"event": "intent", "op": "create_pool", "key": "pool:b"},
        {"event": "unknown", "op": "create_pool", "key": "pool:b"},
        {"event": "intent", "op": "create_pool", "key": "pool:c"},
        {"event": "unknown", "op": "create_pool", "key": "pool:c"},
        {"event": "adopted", "op": "create_pool", "key": "pool:c", "uuid": "C"},
        {"event": "intent", "op": "delete_pool", "key": "pool:a", "uuid": "A"},
        {"event": "done", "op": "delete_pool", "key": "pool:a", "uuid": "A"},
    ]
    state = JournalState.from_records(records)
    assert state.uuids == {"pool:c": "C"}
    assert set(state.in_doubt) == {"pool:b"}
    assert state.attempts == {"pool:a": 1, "pool:b": 1, "pool:c": 1}
    assert state.runs == 1


def test_paths_are_keyed_by_plan_digest_and_environment(tmp_path: Path) -> None:
    digest = plan_digest({"pools": [{"name": "web"}], "monthly_cost": 1.0})
    assert digest == plan_digest({"monthly_cost": 1.0, "pools": [{"name": "web"}]})  # key order is irrelevant
    assert digest != plan_digest({"pools": [{"name": "web2"}], "monthly_cost": 1.0})
    assert journal_path(tmp_path, digest, "env-1") == tmp_path / f"env-1-{digest[:16]}.jsonl"
    assert journal_path(tmp_path, digest, "../x").parent == tmp_path  # an id never escapes the directory
    assert lock_path(tmp_path, "env-1") == tmp_path / "env-1.lock"


def test_a_second_process_cannot_take_the_environment_lock(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("flock is POSIX")
    lock = tmp_path / "env.lock"
    holder = (
        "import sys, time\n"
        "from costplan.journal import Journal\n"
        f"j = Journal.open({str(tmp_path / 'a.jsonl')!r}, lock={str(lock)!r})\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", holder],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    ) as child:
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "locked"
            with pytest.raises(ProvisioningError, match=rf"pid {child.pid}\).*is locked"):
                Journal.open(tmp_path / "b.jsonl", lock=lock)
        finally:
            child.kill()
    with Journal.open(tmp_path / "b.jsonl", lock=lock):  # the lock died with its holder
        pass
