"""The package's public surface and `write_report`'s atomic write."""

from __future__ import annotations

import inspect
import os
from pathlib import Path

import pytest

import costplan.report as report


def test_public_names() -> None:
    assert report.__all__ == sorted(report.__all__)
    for name in report.__all__:
        assert callable(getattr(report, name)), name


def test_render_functions_take_their_options_by_keyword() -> None:
    for name in ("render_catalogue_report", "render_plan_report", "render_status_report"):
        parameters = inspect.signature(getattr(report, name)).parameters.values()
        keyword_only = {p.name for p in parameters if p.kind is p.KEYWORD_ONLY}
        assert {"source", "templates", "title", "generated_at"} <= keyword_only, name


def test_write_report_writes_atomically(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "plan.html"
    assert report.write_report("<p>caf\u00e9</p>", target) == target
    assert target.read_text(encoding="utf-8") == "<p>caf\u00e9</p>"
    report.write_report("<p>second</p>", target)
    assert target.read_text(encoding="utf-8") == "<p>second</p>"
    assert sorted(p.name for p in target.parent.iterdir()) == ["plan.html"]  # no temporary left behind
    assert os.stat(target).st_mode & 0o044 == 0o044  # shareable, unlike mkstemp's 0600


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "plan.html").mkdir()  # the target is a directory: os.replace fails
    with pytest.raises(OSError):
        report.write_report("<p>x</p>", tmp_path / "plan.html")
    assert [p.name for p in tmp_path.iterdir()] == ["plan.html"]
