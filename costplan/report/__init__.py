"""Self-contained HTML reports: the catalogue, a plan, the environment's status.

Each report is one file with inline CSS and SVG: it opens offline, loads nothing from any
host, runs no JavaScript, and prints on A4 or Letter. Templates are Jinja with autoescape on;
a user directory can replace any of them (`templates=`, the CLI's `--templates DIR`).

```python
from costplan.report import render_plan_report, write_report
html = render_plan_report(plan.to_dict(), catalogue=catalogue, source="sandbox")
write_report(html, "plan.html")
```

This package sees models, plans and pandas only (never the API, config or CLI).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from costplan.files import write_text_atomic
from costplan.report.catalogue_view import catalogue_context, read_input
from costplan.report.environment import TemplateDirs, render, template_environment
from costplan.report.plan_view import plan_context
from costplan.report.status_view import status_context

__all__ = [
    "render_catalogue_report",
    "render_plan_report",
    "render_status_report",
    "template_environment",
    "write_report",
]


def render_catalogue_report(
    catalogue: Any,
    *,
    quality: Any = None,
    missing: Any = None,
    changelog: Any = None,
    source: str | None = None,
    templates: TemplateDirs = None,
    title: str | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The catalogue report as HTML.

    `catalogue` is a `costplan.catalogue.Catalogue` or a DataFrame of `CATALOGUE_COLUMNS`;
    `quality`, `missing` and `changelog` (`snapshots.diff(old, new)`) override its tables.
    `source` is "sandbox" or "live API" (default: read from `catalogue.source`).
    """
    data = read_input(catalogue, quality=quality, missing=missing, changelog=changelog)
    context = catalogue_context(data, source=source, title=title, generated_at=generated_at)
    return render("catalogue.html", context, templates)


def render_plan_report(
    plan: Any,
    *,
    catalogue: Any = None,
    current: Any = None,
    source: str | None = None,
    templates: TemplateDirs = None,
    title: str | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The plan report as HTML, from a plan-JSON dict (or anything with `to_dict()`).

    `catalogue` (Catalogue or DataFrame) dates the prices and fills in instance sizes;
    `current` (rows with provider, instance_type[_uuid], count, optional monthly_cost) adds
    the diff against the pools running now.
    """
    context = plan_context(
        plan, catalogue=catalogue, current=current, source=source, title=title, generated_at=generated_at
    )
    return render("plan.html", context, templates)


def render_status_report(
    pools: Any,
    services: Any,
    *,
    catalogue: Any = None,
    currency: str | None = None,
    environment: str | None = None,
    source: str | None = None,
    templates: TemplateDirs = None,
    title: str | None = None,
    generated_at: datetime | None = None,
) -> str:
    """The environment-status report as HTML.

    `pools`: rows (dicts, DataFrame, or `models.PoolStatus`) with name, provider, instance_type,
    count, count_running, total/reserved CPU MHz and memory MB, monthly_cost (or
    instance_type_uuid plus `catalogue` to price them). `services`: rows with name, count,
    count_running, placement_failure (API camelCase accepted).
    """
    context = status_context(
        pools,
        services,
        catalogue=catalogue,
        currency=currency,
        environment=environment,
        source=source,
        title=title,
        generated_at=generated_at,
    )
    return render("status.html", context, templates)


def write_report(html: str, path: str | os.PathLike[str]) -> Path:
    """Write `html` to `path` atomically: a reader (or a browser refresh) never sees half a report."""
    return write_text_atomic(path, html)
