"""The notebooks cannot rot: each runs top to bottom in a real `python3` kernel against the sandbox.

Each notebook is executed with nbclient in `notebooks/` (its cwd), with the suite's clean
environment (no LAYEROPS_*/COSTPLAN_* key, so `collect()` starts the emulator on loopback).
After the last cell the test runs one probe cell of its own in the same kernel: it prints the
notebook's results as JSON, so the checks read real objects, not rendered HTML. The probe is
added to the in-memory copy only; the committed files stay output-free (checked too).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
KERNEL = "python3"
CELL_TIMEOUT = 300  # seconds per cell; the whole of 02 takes ~15 s on 2 cores
PROBE_MARK = "costplan-notebook-probe:"

# What each notebook must show, read back by the probe cell (code run in the notebook's kernel).
PROBES: dict[str, str] = {
    "01-catalogue-exploration.ipynb": """
import json
print("costplan-notebook-probe:" + json.dumps({
    "catalogue_rows": len(catalogue.frame),
    "comparison": json.loads(comparison.to_json(orient="index")),
    "big_enough": {
        "rows": len(big_enough),
        "min_vcpus": float(big_enough["vcpus"].min()),
        "min_memory_gb": float(big_enough["memory_gb"].min()),
    },
}))
""",
    "02-planning-what-ifs.ipynb": """
import json
print("costplan-notebook-probe:" + json.dumps({
    "base": {"cost": plan.monthly_cost, "bound": plan.lower_bound, "gap": plan.gap, "status": plan.status},
    "providers": PROD_PROVIDERS,
    "what_if": json.loads(what_if.to_json(orient="index")),
}))
""",
}


def _check_catalogue(summary: dict[str, Any], outputs: list[dict[str, Any]]) -> None:
    comparison = summary["comparison"]
    assert len(comparison) >= 5, f"the provider comparison lists only {sorted(comparison)}"
    assert sum(row["types"] for row in comparison.values()) == summary["catalogue_rows"]
    for provider, row in comparison.items():
        assert row["median_per_vcpu_month"] > 0 and row["median_per_gb_month"] > 0, provider
    big = summary["big_enough"]
    assert big["rows"] > 0 and big["min_vcpus"] >= 4 and big["min_memory_gb"] >= 16
    assert any("<strong>Catalogue</strong>" in html for html in _rich(outputs, "text/html")), (
        "the catalogue is not rendered through Catalogue._repr_html_"
    )
    assert len(_rich(outputs, "image/png")) >= 2, "expected the scatter and the box plot"


def _check_planning(summary: dict[str, Any], outputs: list[dict[str, Any]]) -> None:
    base = summary["base"]
    assert base["status"] in ("optimal", "feasible")
    assert base["bound"] <= base["cost"] + 1e-9
    table = summary["what_if"]
    expected = {"baseline", "headroom 10 %", "headroom 20 %", "N+1", "max 1 pool", "max 2 pools"}
    expected |= {f"without {p}" for p in summary["providers"]}
    assert set(table) == expected and len(summary["providers"]) == 3  # Prod: Azure, GCP, Scaleway
    assert table["baseline"]["monthly_cost"] == base["cost"] and table["baseline"]["delta"] == 0
    for name, row in table.items():
        if row["status"] == "infeasible":
            assert row["pools"], f"{name}: an infeasible scenario must say why"
            continue
        assert row["lower_bound"] <= row["monthly_cost"] + 1e-9, name
        # Every scenario restricts the baseline problem (less room per node, spares, fewer types
        # or providers), so none can beat the baseline's proven bound.
        assert row["monthly_cost"] >= base["bound"] - 1e-9, name
    assert table["N+1"]["status"] != "infeasible"
    assert table["N+1"]["monthly_cost"] >= base["cost"] or base["status"] != "optimal"
    assert any(table[f"without {p}"]["status"] != "infeasible" for p in summary["providers"])
    assert any("lower bound" in html for html in _rich(outputs, "text/html")), (
        "the plan is not rendered through Plan._repr_html_"
    )
    assert _rich(outputs, "image/png"), "expected the what-if bar chart"


CHECKS: dict[str, Callable[[dict[str, Any], list[dict[str, Any]]], None]] = {
    "01-catalogue-exploration.ipynb": _check_catalogue,
    "02-planning-what-ifs.ipynb": _check_planning,
}


def _rich(outputs: list[dict[str, Any]], mime: str) -> list[str]:
    return [
        o["data"][mime]
        for o in outputs
        if o["output_type"] in ("display_data", "execute_result") and mime in o.get("data", {})
    ]


@pytest.fixture
def kernel_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The kernel's environment: the suite's clean one, Jupyter kept inside the test's tmp dirs."""
    # platformdirs paths under the XDG dirs conftest points at tmp: no user kernelspec or config
    # leaks in, and jupyter_core does not warn that it is migrating its paths.
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "jupyter-runtime"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAYEROPS_", "COSTPLAN_"))}
    env.update(
        IPYTHONDIR=str(tmp_path / "ipython"),  # no profile or startup script of the developer's
        MPLBACKEND="module://matplotlib_inline.backend_inline",  # never a GUI backend, even if set
        MPLCONFIGDIR=str(tmp_path / "matplotlib"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",  # debugpy's "frozen modules" note on kernel start
    )
    return env


def test_the_python3_kernel_runs_this_interpreter(kernel_env: dict[str, str]) -> None:
    """nbclient must find ipykernel's `python3` in this venv, and it must start this Python."""
    spec = KernelSpecManager().get_kernel_spec(KERNEL)
    # jupyter_client replaces a bare `python` by sys.executable when it starts the kernel.
    assert spec.argv[0] in ("python", "python3", sys.executable), (
        f"kernel {KERNEL!r} runs {spec.argv[0]}, not this interpreter ({sys.executable}); "
        "install ipykernel in this environment"
    )


def test_there_are_notebooks_and_they_are_committed_clean() -> None:
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert {p.name for p in paths} >= set(CHECKS), "a notebook is missing"
    assert set(CHECKS) >= {p.name for p in paths}, "a new notebook needs its checks in CHECKS and PROBES"
    for path in paths:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        nbformat.validate(nb)
        assert nb.nbformat == 4
        assert nb.metadata["kernelspec"]["name"] == KERNEL, path.name
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name}: clear the outputs"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_notebook_runs_top_to_bottom(name: str, kernel_env: dict[str, str]) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBES[name].strip(), id="test-probe"))
    client = NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        allow_errors=False,  # any error raises CellExecutionError naming the cell
        resources={"metadata": {"path": str(NOTEBOOKS)}},  # the kernel's cwd
    )
    began = time.monotonic()
    client.execute(env=kernel_env)
    print(f"{name}: {time.monotonic() - began:.1f} s")

    *cells, probe = nb.cells
    outputs = [o for cell in cells if cell.cell_type == "code" for o in cell.outputs]
    stderr = [o["text"] for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr"]
    assert not stderr, f"{name} writes to stderr (a warning?): {stderr}"
    printed = "".join(o["text"] for o in probe.outputs if o["output_type"] == "stream")
    summary = json.loads(printed.split(PROBE_MARK, 1)[1])
    CHECKS[name](summary, outputs)
