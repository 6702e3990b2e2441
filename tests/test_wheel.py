"""The installed wheel works outside the checkout: templates, demo data and examples ship inside it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_wheel_runs_the_demo_outside_the_checkout(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("costplan-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in (
        "costplan/report/templates/plan.html",
        "costplan/emulator/data/catalogue.json",
        "costplan/emulator/data/NOTICE",
        "costplan/examples/services.yaml",
        "costplan/schemas/plan.schema.json",
        "costplan/py.typed",
    ):
        assert shipped in names

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "COSTPLAN_DATA_DIR": str(tmp_path / "data")}
    where = subprocess.run(
        [sys.executable, "-c", "import costplan; print(costplan.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip().startswith(str(target))
    demo = subprocess.run(
        [sys.executable, "-m", "costplan", "demo", "--out-dir", "out", "--time-limit", "5"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert demo.returncode == 0, demo.stderr
    for report in ("plan.html", "catalogue.html", "status.html"):
        assert "SANDBOX" in (elsewhere / "out" / report).read_text(encoding="utf-8")
