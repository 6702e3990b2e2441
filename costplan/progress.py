"""A progress display for catalogue collection: one line per provider, on stderr, for terminals only.

`costplan.catalogue` reports through the `Progress` protocol and knows nothing of rich; this
module is the one place that draws it, and only the CLI uses it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from costplan.catalogue import NullProgress, Progress
from costplan.models import Provider

if TYPE_CHECKING:
    from rich.progress import Progress as RichBars
    from rich.progress import TaskID


class RichProgress:
    """Draws a spinner per provider and an overall bar; each line ends as "N types" or "failed"."""

    def __init__(self, bars: RichBars) -> None:
        self._bars = bars
        self._overall: TaskID | None = None
        self._tasks: dict[str, TaskID] = {}

    def discovered(self, providers: Sequence[Provider]) -> None:
        self._overall = self._bars.add_task("providers", total=len(providers), status="")

    def started(self, provider: Provider) -> None:
        self._tasks[provider.uuid] = self._bars.add_task(_label(provider), total=1, status="fetching")

    def done(self, provider: Provider, instance_types: int) -> None:
        self._finish(provider, f"{instance_types} types")

    def failed(self, provider: Provider, reason: str) -> None:
        self._finish(provider, "[red]failed[/red]")

    def _finish(self, provider: Provider, status: str) -> None:
        task = self._tasks.get(provider.uuid)
        if task is not None:
            self._bars.update(task, completed=1, status=status)
        if self._overall is not None:
            self._bars.advance(self._overall)


def _label(provider: Provider) -> str:
    return f"{provider.platform_name or provider.uuid} ({provider.uuid[:8]})"


@contextmanager
def terminal_progress(stream: IO[str] | None = None, *, enabled: bool | None = None) -> Iterator[Progress]:
    """A `RichProgress` on `stream` (stderr) when it is a terminal, else a `NullProgress`."""
    stream = stream or sys.stderr
    if enabled is None:
        enabled = bool(getattr(stream, "isatty", lambda: False)())
    if not enabled:
        yield NullProgress()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn
    from rich.progress import Progress as RichBars

    columns: list[Any] = [
        SpinnerColumn(finished_text="[green]✓[/green]"),
        TextColumn("{task.description}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
    ]
    with RichBars(*columns, console=Console(file=stream), transient=False) as bars:
        yield RichProgress(bars)
