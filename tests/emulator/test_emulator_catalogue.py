"""The demo catalogue: real GCP and Exoscale prices, labelled illustrative rows, bad rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_support import AZURE, GCP, SCALEWAY, Serve

from costplan.emulator import catalogue

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "costplan" / "emulator" / "data"
PRICING = REPO.parent / "shared" / "pricing"


def providers(client: httpx.Client) -> list[dict[str, Any]]:
    listing = client.get("/workspaces", params={"includeEnvironmentAndProviders": "true"}).json()
    return [p for w in listing["workspaces"] for e in w["environments"] for p in e["providers"]]


def types_by_name(client: httpx.Client, provider: str) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in client.get(f"/providers/{provider}/instancesTypes").json()}


def test_six_platforms_are_seeded(shared_client: httpx.Client) -> None:
    names = sorted(p["platformName"] for p in providers(shared_client))
    assert names == sorted(["Azure", "Google Cloud Platform", "Scaleway", "AWS", "3DS Outscale", "Exoscale"])
    for provider in providers(shared_client):
        rows = shared_client.get(f"/providers/{provider['uuid']}/instancesTypes").json()
        assert len({r["uuid"] for r in rows}) == len(rows) >= 10


def test_gcp_rows_are_derived_from_the_cyclenerd_file(shared_client: httpx.Client) -> None:
    rows = types_by_name(shared_client, GCP)
    assert 100 <= len(rows) <= 250
    e2 = rows["e2-standard-2"]  # europe-west1: hour 0.07371546, month_1y 33.90173582
    assert (e2["vCPUs"], e2["memory"], e2["priceFactor"]) == (2, 8, 10000)
    assert e2["onDemandCost"] == round(0.07371546 * 10000) == 737
    assert e2["monthlyPrice"] == 737 * 720
    assert e2["reservedCost"] == round(33.90173582 / 730 * 10000)
    assert not any(name.startswith(("a2-", "a3-", "g2-")) for name in rows)  # GPUs skipped
    assert {name.split("-")[0] for name in rows} >= {"e2", "n1", "n2", "n2d", "c2", "c3", "t2d"}
    assert all(isinstance(r["vCPUs"], int) and r["monthlyPrice"] == r["onDemandCost"] * 720 for r in rows.values())


def test_exoscale_rows_use_the_eur_prices(shared_client: httpx.Client) -> None:
    exoscale = next(p for p in providers(shared_client) if p["platformName"] == "Exoscale")
    rows = types_by_name(shared_client, exoscale["uuid"])
    medium = rows["standard.medium"]
    assert (medium["vCPUs"], medium["memory"], medium["onDemandCost"]) == (2, 4, round(0.04666 * 10000))
    assert (rows["standard.micro"]["memory"], rows["standard.colossus"]["vCPUs"]) == (0.5, 40)


def test_bad_rows_are_served_by_default_and_can_be_hidden(serve: Serve) -> None:
    def outscale_rows(client: httpx.Client) -> list[dict[str, Any]]:
        outscale = next(p for p in providers(client) if p["platformName"] == "3DS Outscale")
        rows: list[dict[str, Any]] = client.get(f"/providers/{outscale['uuid']}/instancesTypes").json()
        return rows

    with_bad = outscale_rows(serve()[1])
    assert any(r["priceFactor"] == 0 for r in with_bad)
    assert any(r["onDemandCost"] is None and r["monthlyPrice"] is None for r in with_bad)
    clean = outscale_rows(serve(include_bad_rows=False)[1])
    assert len(clean) == len(with_bad) - 2
    assert all(r["priceFactor"] == 10000 and r["onDemandCost"] for r in clean)


def test_documented_providers_have_no_bad_rows(shared_client: httpx.Client) -> None:
    for provider in (AZURE, GCP, SCALEWAY):
        for row in shared_client.get(f"/providers/{provider}/instancesTypes").json():
            assert row["priceFactor"] == 10000 and isinstance(row["onDemandCost"], int)


def test_extra_synthetic_providers_for_benchmarks(serve: Serve) -> None:
    _, client = serve(extra_providers=15, extra_types_per_provider=40)
    listed = providers(client)
    assert len(listed) == 21
    synthetic = [p for p in listed if p["platformName"].startswith("Synthetic Cloud")]
    assert len(synthetic) == 15
    rows = client.get(f"/providers/{synthetic[-1]['uuid']}/instancesTypes").json()
    assert len(rows) == len({r["name"] for r in rows}) == 40
    again = serve(extra_providers=15, extra_types_per_provider=40)[1]
    assert again.get(f"/providers/{synthetic[-1]['uuid']}/instancesTypes").json() == rows


def test_data_file_labels_its_sources() -> None:
    document = json.loads((DATA / "catalogue.json").read_text())
    for key, entry in document["catalogues"].items():
        assert isinstance(entry["illustrative"], bool) and entry["source"], key
    assert not document["catalogues"]["gcp"]["illustrative"]
    assert document["catalogues"]["aws"]["illustrative"]
    notice = (DATA / "NOTICE").read_text()
    for needed in (
        "fd66b26ff84fee5cdd94f341ea89206e76c06b99",
        "Apache License, Version 2.0",
        "Cyclenerd/google-cloud-pricing-cost-calculator",
        "exoscale/karpenter-provider-exoscale",
        "ILLUSTRATIVE",
        "priceFactor 0",
    ):
        assert needed in notice
    assert "Apache License" in (DATA / "LICENSE-Apache-2.0").read_text()
    assert catalogue.catalogue_info("scaleway")["illustrative"] is True


@pytest.mark.skipif(not PRICING.is_dir(), reason="shared/pricing is not next to the checkout")
def test_packaged_data_is_up_to_date_with_the_build_script() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/build_demo_catalogue.py", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
