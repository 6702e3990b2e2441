"""The main path: collect from the emulator over loopback, snapshot, load back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from costplan.catalogue import collect, filter_catalogue, load_catalogue
from costplan.config import Secret, Settings
from costplan.snapshots import write_snapshot


def settings_for(server: Any, key: str, tmp_path: Path, **extra: Any) -> Settings:
    return Settings(api_url=server.base_url, api_key=Secret(key), data_dir=tmp_path, **extra)


def test_collect_from_the_emulator(serve_emulator: Any, example_key: str, tmp_path: Path) -> None:
    server = serve_emulator(extra_providers=2, extra_types_per_provider=5)
    catalogue = collect(settings_for(server, example_key, tmp_path, concurrency=4))
    assert catalogue.complete and catalogue.source == server.base_url
    frame = catalogue.frame
    assert {"Azure", "Google Cloud Platform", "Scaleway"} <= set(frame["provider"])
    assert frame["provider_uuid"].nunique() >= 5
    b2s = frame[frame["instance_type_uuid"] == "cc6d622a-5144-11ed-84a1-1b508e278eb5"].iloc[0]
    assert (b2s["hourly_price"], b2s["monthly_price"]) == (0.0472, 33.984)
    # The seed's deliberately bad rows are reported, not planned with.
    assert {"price_factor", "missing_price"} <= set(catalogue.quality["check"])
    assert not set(catalogue.quality["instance_type_uuid"]) & set(frame["instance_type_uuid"])
    assert frame["monthly_price"].gt(0).all() and frame["vcpus"].gt(0).all()

    path = write_snapshot(catalogue, settings=catalogue_settings(tmp_path))
    loaded = load_catalogue(settings=catalogue_settings(tmp_path))
    assert path.parent == tmp_path / "snapshots" and len(loaded.frame) == len(frame)
    cheapest = filter_catalogue(loaded.frame, min_vcpus=2, sort="monthly_price").iloc[0]
    assert cheapest["monthly_price"] == frame.loc[frame["vcpus"] >= 2, "monthly_price"].min()


def catalogue_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def test_without_a_key_collect_uses_the_sandbox(tmp_path: Path) -> None:
    catalogue = collect(Settings(data_dir=tmp_path))
    assert catalogue.source.startswith("sandbox emulator at http://127.0.0.1:")
    assert len(catalogue.frame) > 0
