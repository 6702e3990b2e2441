"""What every page states before anything else: where the data came from, how old it is, the currency.

A sandbox report must never be mistaken for a bill: the source is resolved once here and drawn
by `_header.html` as a banner on every page, print included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from costplan.report.formatting import age, timestamp, to_datetime

SANDBOX = "sandbox"
LIVE = "live API"


def resolve_source(source: str | None, hint: str | None = None) -> str:
    """`sandbox` or `live API`; `hint` is a catalogue's own source text when the caller gave none."""
    text = (source or hint or "").strip()
    if not text:
        return "not stated"
    lowered = text.lower()
    if lowered.startswith(("sandbox", "emulator")) or "emulator" in lowered:
        return SANDBOX
    if lowered.startswith(("live", "http://", "https://")):
        return LIVE
    return text


@dataclass(frozen=True)
class Page:
    """The header every report shares; templates read it as `page`."""

    kind: str
    title: str
    source: str
    currency: str
    generated_at: datetime
    catalogue_collected_at: datetime | None = None
    environment_uuid: str | None = None
    subtitle: str = ""

    @property
    def is_sandbox(self) -> bool:
        return self.source == SANDBOX

    @property
    def is_live(self) -> bool:
        return self.source == LIVE

    @property
    def generated(self) -> str:
        return timestamp(self.generated_at)

    @property
    def catalogue_age(self) -> str:
        if self.catalogue_collected_at is None:
            return "unknown"
        return age(self.catalogue_collected_at, self.generated_at)

    @property
    def catalogue_collected(self) -> str:
        return timestamp(self.catalogue_collected_at)

    @property
    def catalogue_is_stale(self) -> bool:
        """Older than a week: prices move, and a plan built on them should be re-run."""
        if self.catalogue_collected_at is None:
            return False
        return (self.generated_at - self.catalogue_collected_at).total_seconds() > 7 * 86400


def now_utc(value: datetime | None = None) -> datetime:
    return to_datetime(value) or datetime.now(UTC)


def oldest_collected_at(rows: Iterable[Mapping[str, Any]], fallback: Any = None) -> datetime | None:
    """The oldest price in the data: a report is only as fresh as its stalest row."""
    moments = [m for m in (to_datetime(r.get("collected_at")) for r in rows) if m is not None]
    if moments:
        return min(moments)
    return to_datetime(fallback)
