"""Snapshots: atomic writes, the latest one, hand-made catalogues, and diffs."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from costplan.catalogue import Catalogue, load_catalogue
from costplan.config import Settings
from costplan.errors import CatalogueError, InputError
from costplan.normalise import FRAME_DTYPES
from costplan.snapshots import diff, latest_snapshot, list_snapshots, write_snapshot
from tests.catalogue.conftest import AZURE, DEFAULT_TYPES, DS1, GCP, NOW, api_handler, instance_type


@pytest.fixture
def catalogue(run_collect: Any) -> Catalogue:
    types = dict(DEFAULT_TYPES)
    types[AZURE] = [*types[AZURE], dict(DS1, uuid="bad", name="Bad", priceFactor=0)]
    return run_collect(api_handler(types, down=frozenset({GCP})))


def test_round_trip_keeps_rows_dtypes_quality_and_missing(tmp_path: Path, catalogue: Catalogue) -> None:
    path = write_snapshot(catalogue, tmp_path)
    assert path.name == "catalogue-20240501T120000000000Z.parquet"
    loaded = load_catalogue(tmp_path)
    pd.testing.assert_frame_equal(loaded.frame, catalogue.frame)
    assert {c: str(loaded.frame[c].dtype) for c in loaded.frame.columns} == FRAME_DTYPES
    pd.testing.assert_frame_equal(loaded.quality, catalogue.quality)
    pd.testing.assert_frame_equal(loaded.missing, catalogue.missing)
    assert (loaded.collected_at, loaded.currency, loaded.complete) == (NOW, "EUR", False)
    assert loaded.source.startswith("snapshot ")


def test_default_directory_is_in_the_data_dir(tmp_path: Path, catalogue: Catalogue) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    path = write_snapshot(catalogue, settings=settings)
    assert path.parent == tmp_path / "data" / "snapshots"
    assert len(load_catalogue(settings=settings).frame) == len(catalogue.frame)


def test_latest_is_by_collection_time_and_same_instant_does_not_overwrite(tmp_path: Path, catalogue: Catalogue) -> None:
    newer = Catalogue(catalogue.frame.head(1), collected_at=NOW + timedelta(days=1))
    first = write_snapshot(newer, tmp_path)
    write_snapshot(catalogue, tmp_path)
    again = write_snapshot(newer, tmp_path)
    assert again != first and again.name.endswith("-1.parquet")
    assert list_snapshots(tmp_path)[-1] == again == latest_snapshot(tmp_path)
    assert len(load_catalogue(tmp_path).frame) == 1


class Crash(Exception):
    pass


def test_crash_during_write_leaves_previous_snapshot_and_no_stray_file(
    tmp_path: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    write_snapshot(catalogue, tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())

    def half_write(table: Any, where: Any, **kwargs: Any) -> None:
        where.write(b"PAR1 half a file")  # some bytes reach the disk, then the process "dies"
        raise Crash

    monkeypatch.setattr(pq, "write_table", half_write)
    later = Catalogue(catalogue.frame.head(2), collected_at=NOW + timedelta(hours=1))
    with pytest.raises(Crash):
        write_snapshot(later, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert len(load_catalogue(tmp_path).frame) == len(catalogue.frame)


def test_crash_before_rename_never_exposes_a_partial_snapshot(
    tmp_path: Path, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_snapshot(catalogue, tmp_path)

    def die(src: Any, dst: Any) -> None:
        raise Crash

    monkeypatch.setattr(os, "replace", die)
    with pytest.raises(Crash):
        write_snapshot(Catalogue(catalogue.frame.head(1), collected_at=NOW + timedelta(hours=1)), tmp_path)
    monkeypatch.undo()
    # Had the process died for real, its temporary file would remain: it is never taken as latest.
    (tmp_path / ".catalogue-zzzz.parquet.tmp").write_bytes(b"PAR1 truncated")
    assert latest_snapshot(tmp_path) == list_snapshots(tmp_path)[0]
    assert len(load_catalogue(tmp_path).frame) == len(catalogue.frame)


def test_no_snapshot_yet_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="no catalogue snapshot in .*costplan collect"):
        load_catalogue(tmp_path)


def test_diff_of_two_snapshots(tmp_path: Path, run_collect: Any) -> None:
    old = run_collect(api_handler())
    types = dict(DEFAULT_TYPES)
    types[AZURE] = [
        types[AZURE][0],  # B2s unchanged
        dict(DS1, onDemandCost=1000, monthlyPrice=720000),  # price up
        instance_type("new-1", "B4ms", 4, 16, 1660),  # added
    ]
    types[GCP] = types[GCP][1:]  # e2-standard-2 removed
    new = run_collect(api_handler(types))
    changes = diff(load_catalogue(write_snapshot(old, tmp_path)), new)
    assert changes["change"].tolist() == ["removed", "added", "price"]
    assert changes["instance_type"].tolist() == ["e2-standard-2", "B4ms", "DS1 v2"]
    price = changes.iloc[2]
    assert (price["old_monthly_price"], price["new_monthly_price"]) == (63.144, 72.0)
    assert (price["old_hourly_price"], price["new_hourly_price"]) == (0.0877, 0.1)
    assert price["change_pct"] == 14.03
    assert diff(new, new).empty


def test_diff_refuses_mixed_currencies(run_collect: Any) -> None:
    eur, usd = run_collect(api_handler()), run_collect(api_handler(), currency="USD")
    with pytest.raises(CatalogueError, match="EUR, USD"):
        diff(eur, usd)


# --- hand-made catalogues ---------------------------------------------------------------------

HAND_MADE = """provider,instance_type,vcpus,memory_gb,monthly_price,hourly_price
OnPrem,rack-small,4,16,40.0,
OnPrem,rack-large,16,64,,0.25
OnPrem,broken,0,8,10,
"""


def test_load_a_hand_made_csv(tmp_path: Path) -> None:
    path = tmp_path / "what-if.csv"
    path.write_text(HAND_MADE, encoding="utf-8")
    catalogue = load_catalogue(path, settings=Settings(currency="USD"))
    rows = catalogue.frame.set_index("instance_type")
    assert list(rows.index) == ["rack-small", "rack-large"]
    assert (rows.at["rack-small", "hourly_price"], rows.at["rack-small", "price_per_vcpu_month"]) == (
        0.055556,
        10.0,
    )
    assert (rows.at["rack-large", "monthly_price"], rows.at["rack-large", "price_per_gb_month"]) == (
        180.0,
        2.8125,
    )
    assert rows.at["rack-small", "list_monthly_price"] == 40.0 and set(rows["currency"]) == {"USD"}
    assert rows["provider_uuid"].nunique() == 1 and rows["instance_type_uuid"].nunique() == 2
    assert rows["collected_at"].isna().all()
    assert {c: str(catalogue.frame[c].dtype) for c in catalogue.frame.columns} == FRAME_DTYPES
    assert catalogue.quality["instance_type"].tolist() == ["broken"]
    assert "vcpus is zero" in catalogue.quality.at[0, "problem"]
    assert catalogue.collected_at is None and catalogue.source == f"catalogue file {path}"


FOUR_ROWS = """provider,instance_type,vcpus,memory_gb,monthly_price
Acme,small,2,4,20
Acme,medium,4,8,38
Acme,large,8,16,70
Other,big,16,64,150
"""


def test_hand_made_rows_without_uuids_stay_distinct_and_plan(tmp_path: Path) -> None:
    """Without uuid columns the planner once kept only the cheapest row ("duplicate provider x type")."""
    from costplan.models import ServiceSpec
    from costplan.planner import PlanOptions, make_plan

    path = tmp_path / "what-if.csv"
    path.write_text(FOUR_ROWS, encoding="utf-8")
    catalogue = load_catalogue(path)
    frame = catalogue.frame
    assert len(frame) == 4 and frame["instance_type_uuid"].nunique() == 4
    assert frame["provider_uuid"].nunique() == 2
    assert (frame["price_note"] == "uuids derived from the names (uuid5)").all()
    assert any("4 rows" in n and "uuid5" in n for n in catalogue.notices)
    assert load_catalogue(path).frame["instance_type_uuid"].tolist() == frame["instance_type_uuid"].tolist()
    pinned = ServiceSpec("api", 3, 3, 1500, 2000, providers=("Acme",))
    plan = make_plan(frame, [pinned], PlanOptions(time_limit=5))
    assert plan.assumptions["catalogue"]["candidate_types"] == 4
    assert "duplicate provider x instance type" not in plan.assumptions["catalogue"]["skipped_rows"]
    assert {p.provider for p in plan.pools} == {"Acme"}


def test_load_hand_made_json_with_prices(tmp_path: Path) -> None:
    path = tmp_path / "what-if.json"
    rows = [{"provider": "OnPrem", "instance_type": "rack", "vcpus": 2, "memory_gb": 4, "monthly_price": 20}]
    path.write_text(json.dumps(rows), encoding="utf-8")
    catalogue = load_catalogue(path, prices={"discounts": {"onprem": 10}})
    assert catalogue.frame.at[0, "monthly_price"] == 18.0 and catalogue.frame.at[0, "list_monthly_price"] == 20.0


def test_missing_essential_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("provider,instance_type,cpus\nA,b,2\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_catalogue(path)
    assert "vcpus, memory_gb, monthly_price or hourly_price" in str(caught.value)


def test_text_in_a_number_column_names_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("provider,instance_type,vcpus,memory_gb,monthly_price\nA,b,two,4,10\n", encoding="utf-8")
    with pytest.raises(InputError, match="column vcpus holds 'two' \\(row 1\\)"):
        load_catalogue(path)


@pytest.mark.parametrize(("name", "content"), [("x.parquet", b"not parquet"), ("x.json", b"{oops"), ("x.txt", b"")])
def test_unreadable_files_are_input_errors(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=str(path.name)):
        load_catalogue(path)
