"""Collect every provider's instance types into one catalogue, concurrently, and browse it.

```python
>>> import costplan
>>> catalogue = costplan.collect()            # Settings() without a key: the sandbox emulator
>>> catalogue.complete, len(catalogue.frame), len(catalogue.quality)
>>> filter_catalogue(catalogue.frame, min_vcpus=4, sort="price_per_vcpu_month").head()
```

`collect_from(client, ...)` is the core: the caller injects an `api.Client` (a test passes one
over `httpx.MockTransport`); providers are fetched on up to `concurrency` threads (the sync client
is thread-safe, as the provisioner's reader relies on too). `collect(settings)` makes the client.
Prices are normalised in `costplan.normalise`; snapshots live in `costplan.snapshots`.

Providers are found through `list_workspaces(include_environments_and_providers=True)`: every
workspace, every environment not deleted. A provider that appears in several environments is
fetched once; its rows carry the uuid of the first environment it was seen in.
"""

from __future__ import annotations

import fnmatch
import html
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import pandas as pd

from costplan.config import DEFAULT_CONCURRENCY, DEFAULT_CURRENCY, Settings, public_url
from costplan.errors import ApiError, CatalogueError, ConfigError, InputError, PartialCatalogue
from costplan.models import InstanceType, Provider, Workspace
from costplan.normalise import (
    CURRENCY_CODE,
    FRAME_COLUMNS,
    PriceRules,
    ProviderTypes,
    apply_prices,
    build_frame,
    empty_quality,
)

if TYPE_CHECKING:
    import httpx

    from costplan.api import Client

T = TypeVar("T")

MISSING_DTYPES: dict[str, str] = {"provider_uuid": "string", "provider": "string", "reason": "string"}
MISSING_COLUMNS: tuple[str, ...] = tuple(MISSING_DTYPES)
_HTML_ROWS = 20


class Progress(Protocol):
    """What `collect` reports while it runs, provider by provider (the CLI draws a bar from it)."""

    def discovered(self, providers: Sequence[Provider]) -> None: ...

    def started(self, provider: Provider) -> None: ...

    def done(self, provider: Provider, instance_types: int) -> None: ...

    def failed(self, provider: Provider, reason: str) -> None: ...


class NullProgress:
    """Progress that shows nothing: the default for library use."""

    def discovered(self, providers: Sequence[Provider]) -> None:
        pass

    def started(self, provider: Provider) -> None:
        pass

    def done(self, provider: Provider, instance_types: int) -> None:
        pass

    def failed(self, provider: Provider, reason: str) -> None:
        pass


def empty_missing() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in MISSING_DTYPES.items()})


@dataclass(frozen=True, eq=False)
class Catalogue:
    """A catalogue and what it does not contain.

    - `frame`: one row per usable provider x instance type (`models.CATALOGUE_COLUMNS` plus
      `list_hourly_price`, `list_monthly_price`, `price_note`);
    - `quality`: rows kept out, one per problem, with a sentence (`normalise.QUALITY_COLUMNS`);
    - `missing`: providers whose instance types could not be fetched, and why.
    """

    frame: pd.DataFrame
    quality: pd.DataFrame = field(default_factory=empty_quality)
    missing: pd.DataFrame = field(default_factory=empty_missing)
    collected_at: datetime | None = None
    currency: str = DEFAULT_CURRENCY
    source: str = ""
    notices: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """True when no provider is missing (rows kept out for quality do not count)."""
        return bool(self.missing.empty)

    @property
    def providers(self) -> int:
        return int(self.frame["provider_uuid"].fillna(self.frame["provider"]).nunique())

    @property
    def currencies(self) -> list[str]:
        """The currencies the rows are priced in (each row states its own), or the catalogue's default."""
        found = sorted(set(self.frame["currency"].dropna())) if "currency" in self.frame else []
        return found or [self.currency]

    def summary(self) -> str:
        """One sentence: what was collected, what was kept out, what is missing."""
        text = (
            f"{len(self.frame)} instance types from {self.providers} providers"
            f" ({', '.join(self.currencies)}{', ' + self.source if self.source else ''})"
        )
        if not self.quality.empty:
            text += f"; {self.quality['instance_type_uuid'].nunique()} kept out for data quality"
        if not self.complete:
            text += f"; {len(self.missing)} providers missing: {', '.join(self.missing['provider'].tolist())}"
        return text

    def __repr__(self) -> str:
        return f"<Catalogue {self.summary()}>"

    def _repr_html_(self) -> str:
        parts = [f"<p><strong>Catalogue</strong>: {html.escape(self.summary())}</p>"]
        if self.collected_at is not None:
            parts.append(f"<p>collected at {html.escape(self.collected_at.isoformat())}</p>")
        if not self.complete:
            parts.append("<p><strong>Missing providers</strong></p>" + self.missing.to_html(index=False))
        parts.append(self.frame.head(_HTML_ROWS).to_html(index=False, na_rep=""))
        if len(self.frame) > _HTML_ROWS:
            parts.append(f"<p>... {len(self.frame) - _HTML_ROWS} more rows in .frame</p>")
        if self.notices:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notices)
            parts.append(f"<p><strong>Notes</strong></p><ul>{items}</ul>")
        if not self.quality.empty:
            shown = self.quality[["provider", "instance_type", "problem"]].head(_HTML_ROWS)
            parts.append("<p><strong>Kept out for data quality</strong></p>" + shown.to_html(index=False))
        return "\n".join(parts)


def discover(workspaces: Sequence[Workspace]) -> list[tuple[Provider, str]]:
    """(provider, first environment uuid) for each distinct provider, in the API's order."""
    found: dict[str, tuple[Provider, str]] = {}
    for workspace in workspaces:
        for environment in workspace.environments:
            if environment.deleted_at:
                continue
            for provider in environment.providers:
                found.setdefault(provider.uuid, (provider, environment.uuid))
    return list(found.values())


def _skipped(workspaces: Sequence[Workspace], found: Sequence[tuple[Provider, str]]) -> list[str]:
    """Notices for providers seen only in deleted environments: not collected, but not silently."""
    collected = {provider.uuid for provider, _ in found}
    notices = []
    for workspace in workspaces:
        for environment in workspace.environments:
            skipped = [p.platform_name for p in environment.providers if p.uuid not in collected]
            if environment.deleted_at and skipped:
                notices.append(
                    f"environment {environment.name} ({environment.uuid}) is deleted: "
                    f"its providers {', '.join(skipped)} were not collected"
                )
    return notices


def collect_from(
    client: Client,
    *,
    currency: str = DEFAULT_CURRENCY,
    concurrency: int = DEFAULT_CONCURRENCY,
    prices: PriceRules | Mapping[str, Any] | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    now: Callable[[], datetime] | None = None,
    source: str = "",
    provider_currencies: Mapping[str, str] | None = None,
) -> Catalogue:
    """The catalogue of every provider `client` can see, fetched `concurrency` providers at a time.

    Each row's currency: `provider_currencies` (provider name or uuid -> code, the config's
    `[currency] providers`), else the row's own `currency` field, else `currency`.

    A provider whose request fails (after the client's retries) is recorded in `missing`
    and the others are kept; `strict=True` raises `PartialCatalogue` instead (the partial
    catalogue is on the exception as `.catalogue`). When every provider fails, or there is
    none, `CatalogueError` is raised: an empty catalogue plans nothing. The client is not
    closed: the caller owns it.
    """
    if concurrency < 1:
        raise CatalogueError(f"concurrency must be at least 1, got {concurrency}")
    rules = prices if isinstance(prices, PriceRules) else PriceRules.from_config(prices)
    currency_of = provider_currency_rules(provider_currencies)
    progress = progress or NullProgress()
    collected_at = (now or _utcnow)()

    workspaces = client.list_workspaces(include_environments_and_providers=True)
    found = discover(workspaces)
    if not found:
        environments = sum(len(w.environments) for w in workspaces)
        raise CatalogueError(
            f"no provider to collect: the API key sees {len(workspaces)} workspaces and "
            f"{environments} environments, none with a cloud provider attached"
        )
    progress.discovered([provider for provider, _ in found])

    def fetch(provider: Provider) -> list[InstanceType] | str:
        progress.started(provider)
        try:
            types = client.list_instance_types(provider.uuid)
        except ApiError as error:
            reason = f"its instance types could not be fetched: {error}"
            progress.failed(provider, reason)
            return reason
        progress.done(provider, len(types))
        return types

    # An unexpected error propagates as is; the requests not yet started are dropped.
    with ThreadPoolExecutor(max_workers=min(concurrency, len(found)), thread_name_prefix="costplan-collect") as pool:
        futures = [pool.submit(fetch, provider) for provider, _ in found]
        try:
            results = [future.result() for future in futures]
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise

    batches, missing = [], []
    for (provider, environment_uuid), result in zip(found, results, strict=True):
        if isinstance(result, str):
            missing.append({"provider_uuid": provider.uuid, "provider": provider.platform_name, "reason": result})
        else:
            own = currency_of.get(provider.uuid.casefold()) or currency_of.get(provider.platform_name.casefold())
            batches.append(ProviderTypes(provider.uuid, provider.platform_name, environment_uuid, result, own))
    if not batches:
        reasons = "; ".join(f"{m['provider']}: {m['reason']}" for m in missing)
        raise CatalogueError(f"no provider could be collected ({reasons})")

    frame, quality = build_frame(batches, currency=currency, collected_at=collected_at)
    frame, price_notices = apply_prices(frame, rules)
    notices = _skipped(workspaces, found) + [
        f"{b.provider} ({b.provider_uuid}) lists no instance types" for b in batches if not b.types
    ]
    catalogue = Catalogue(
        frame=frame,
        quality=quality,
        missing=pd.DataFrame(missing, columns=list(MISSING_COLUMNS)).astype(MISSING_DTYPES),
        collected_at=collected_at,
        currency=currency,
        source=source,
        notices=tuple(notices + price_notices),
    )
    if strict and not catalogue.complete:
        error = PartialCatalogue(missing_message(catalogue))
        error.catalogue = catalogue  # type: ignore[attr-defined]
        raise error
    return catalogue


def provider_currency_rules(section: Mapping[str, Any] | None) -> dict[str, str]:
    """`[currency] providers` ({"Google Cloud Platform" = "USD"}) checked, keyed by casefolded name or uuid."""
    rules: dict[str, str] = {}
    for key, value in (section or {}).items():
        code = value.upper() if isinstance(value, str) else ""
        if not CURRENCY_CODE.match(code):
            raise ConfigError(f'[currency] providers."{key}" must be a three-letter code such as USD, got {value!r}')
        rules[str(key).casefold()] = code
    return rules


def missing_message(catalogue: Catalogue) -> str:
    """A sentence per missing provider, for errors and the CLI summary."""
    lines = [f"{row.provider} ({row.provider_uuid}): {row.reason}" for row in catalogue.missing.itertuples(index=False)]
    return f"{len(lines)} providers are missing from the catalogue: " + "; ".join(lines)


def collect(
    api: Settings | Client | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    currency: str | None = None,
    concurrency: int | None = None,
    prices: PriceRules | Mapping[str, Any] | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    now: Callable[[], datetime] | None = None,
) -> Catalogue:
    """`collect_from` for `api`: `Settings` (default `Settings()`; without an API key the built-in
    emulator is started for the duration, and `Catalogue.source` says "sandbox"), or a `Client`
    (which stays open: the caller owns it). Currency, concurrency and prices default to the
    settings' (`[prices]` section).
    """
    if api is not None and not isinstance(api, Settings):
        return collect_from(
            api,
            currency=currency or DEFAULT_CURRENCY,
            concurrency=concurrency or DEFAULT_CONCURRENCY,
            prices=prices,
            strict=strict,
            progress=progress,
            now=now,
        )

    from costplan.api import Client

    settings = api or Settings()
    with (
        _api_settings(settings) as (api_settings, label),
        Client.from_settings(api_settings, transport=transport) as client,
    ):
        return collect_from(
            client,
            currency=currency or settings.currency,
            concurrency=concurrency or settings.concurrency,
            prices=prices if prices is not None else settings.sections.get("prices"),
            strict=strict,
            progress=progress,
            now=now,
            source=label,
            provider_currencies=settings.sections.get("currency", {}).get("providers"),
        )


@contextmanager
def _api_settings(settings: Settings) -> Iterator[tuple[Settings, str]]:
    """The settings to talk to: as given, or the sandbox emulator on loopback while it runs."""
    if not settings.sandbox:
        yield settings, public_url(settings.api_url)
        return
    from costplan.sandbox import sandbox_settings

    with sandbox_settings(settings) as sandboxed:
        yield sandboxed, f"sandbox emulator at {sandboxed.api_url}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def load_catalogue(
    path: str | Path | None = None,
    *,
    settings: Settings | None = None,
    prices: PriceRules | Mapping[str, Any] | None = None,
) -> Catalogue:
    """The latest snapshot, a given one, or a hand-made catalogue file: see `costplan.snapshots`."""
    from costplan.snapshots import load_catalogue as load

    return load(path, settings=settings, prices=prices)


# --- browsing ----------------------------------------------------------------------------------


def filter_catalogue(
    frame: pd.DataFrame | Catalogue,
    *,
    provider: str | Sequence[str] | None = None,
    min_vcpus: int | None = None,
    min_memory_gb: float | None = None,
    max_monthly_price: float | None = None,
    name_pattern: str | None = None,
    sort: str | None = None,
    descending: bool = False,
) -> pd.DataFrame:
    """The rows that match every given criterion, optionally sorted, with a fresh index.

    - `provider`: names or uuids, case-insensitive;
    - `name_pattern`: a glob on the instance type name (`"e2-*"`), case-insensitive; text without
      `*?[` matches anywhere in the name; a `re:` prefix makes it a regular expression;
    - `sort`: any column name (an unknown one raises `InputError` listing the valid ones);
      ties keep provider / instance type order, missing values sort last.
    """
    if isinstance(frame, Catalogue):
        frame = frame.frame
    keep = pd.Series(True, index=frame.index)
    if provider is not None:
        wanted = {provider.casefold()} if isinstance(provider, str) else {p.casefold() for p in provider}
        names = frame["provider"].astype("string").str.casefold()
        uuids = frame["provider_uuid"].astype("string").str.casefold()
        keep &= (names.isin(wanted) | uuids.isin(wanted)).fillna(False)
    if min_vcpus is not None:
        keep &= (frame["vcpus"] >= min_vcpus).fillna(False)
    if min_memory_gb is not None:
        keep &= (frame["memory_gb"] >= min_memory_gb).fillna(False)
    if max_monthly_price is not None:
        keep &= (frame["monthly_price"] <= max_monthly_price).fillna(False)
    if name_pattern:
        matcher = _name_matcher(name_pattern)
        keep &= frame["instance_type"].map(lambda n: not pd.isna(n) and matcher(str(n))).astype(bool)
    view = frame[keep.astype(bool)]
    if sort is not None:
        if sort not in frame.columns:
            valid = ", ".join(c for c in frame.columns if c in FRAME_COLUMNS or not c.startswith("_"))
            raise InputError(f"cannot sort by {sort!r}: the catalogue's columns are {valid}")
        ties = [c for c in ("provider", "instance_type") if c in frame.columns and c != sort]
        view = view.sort_values(ties, kind="stable").sort_values(
            sort, ascending=not descending, kind="stable", na_position="last"
        )
    return view.reset_index(drop=True)


def _name_matcher(pattern: str) -> Callable[[str], bool]:
    if pattern.startswith("re:"):
        try:
            regex = re.compile(pattern[3:], re.IGNORECASE)
        except re.error as error:
            raise InputError(f"--name {pattern!r} is not a valid regular expression: {error}") from None
        return lambda name: regex.search(name) is not None
    folded = pattern.casefold()
    if any(c in folded for c in "*?["):
        glob = re.compile(fnmatch.translate(folded))
        return lambda name: glob.match(name.casefold()) is not None
    return lambda name: folded in name.casefold()
