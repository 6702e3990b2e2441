"""Node types: what one instance of a catalogue row can host, after platform overhead and headroom.

A node's usable capacity is `(vcpus x mhz_per_vcpu - overhead_cpu_mhz) x (1 - headroom)` MHz
and `(memory_gb x 1024 - overhead_memory_mb) x (1 - headroom)` MB, rounded down. The
defaults come from the one documented sample (docs/planner.md section 1: an Azure B2s node,
2 vCPU / 4 GB, reports 5586 MHz and 3903 MB, of which ~650 MHz / 728 MB are the platform's):
the memory overhead 921 MB = 193 MB the scheduler never sees (4096 - 3903) + 728 MB reserved.
Every value can be overridden globally and per provider name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from costplan.currency import Rates
from costplan.errors import CatalogueError, ConfigError, InfeasiblePlan
from costplan.models import CATALOGUE_COLUMNS, ServiceSpec
from costplan.plans import MONEY_SCALE
from costplan.plans import matches_provider as matches_provider  # one rule for planner and provisioner
from costplan.usage import MONTH_HOURS

DEFAULT_MHZ_PER_VCPU = 2793.0
DEFAULT_OVERHEAD_CPU_MHZ = 650.0
DEFAULT_OVERHEAD_MEMORY_MB = 921.0
DEFAULT_HEADROOM = 0.0
MB_PER_GB = 1024

_FIELDS = ("mhz_per_vcpu", "overhead_cpu_mhz", "overhead_memory_mb", "headroom")


@dataclass(frozen=True)
class ProviderCapacity:
    """Per-provider overrides of `CapacityModel`; `None` keeps the global value."""

    mhz_per_vcpu: float | None = None
    overhead_cpu_mhz: float | None = None
    overhead_memory_mb: float | None = None
    headroom: float | None = None


@dataclass(frozen=True)
class CapacityModel:
    """How catalogue rows turn into usable node capacity; recorded in every plan's assumptions.

    ```python
    CapacityModel(headroom=0.1, per_provider={"Scaleway": ProviderCapacity(mhz_per_vcpu=2600)})
    ```
    """

    mhz_per_vcpu: float = DEFAULT_MHZ_PER_VCPU
    overhead_cpu_mhz: float = DEFAULT_OVERHEAD_CPU_MHZ
    overhead_memory_mb: float = DEFAULT_OVERHEAD_MEMORY_MB
    headroom: float = DEFAULT_HEADROOM
    per_provider: Mapping[str, ProviderCapacity] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(self.mhz_per_vcpu, self.overhead_cpu_mhz, self.overhead_memory_mb, self.headroom, "")
        for name, override in self.per_provider.items():
            values = self.resolve(name)
            _check(*values, f" for provider {name!r}")
            if not isinstance(override, ProviderCapacity):
                raise ConfigError(f"capacity override for provider {name!r} must be a ProviderCapacity")

    def resolve(self, provider: str) -> tuple[float, float, float, float]:
        """(mhz_per_vcpu, overhead_cpu_mhz, overhead_memory_mb, headroom) for a provider name."""
        override = _lookup(self.per_provider, provider)
        values = [getattr(self, name) for name in _FIELDS]
        if override is not None:
            values = [
                v if getattr(override, n) is None else getattr(override, n)
                for n, v in zip(_FIELDS, values, strict=True)
            ]
        return values[0], values[1], values[2], values[3]

    def node_capacity(self, provider: str, vcpus: float, memory_gb: float) -> tuple[int, int]:
        """Usable (cpu MHz, memory MB) of one node of this shape; may be <= 0 for tiny types."""
        mhz, overhead_cpu, overhead_mem, headroom = self.resolve(provider)
        cpu = math.floor((vcpus * mhz - overhead_cpu) * (1.0 - headroom) + 1e-9)
        mem = math.floor((memory_gb * MB_PER_GB - overhead_mem) * (1.0 - headroom) + 1e-9)
        return cpu, mem

    def to_dict(self) -> dict[str, Any]:
        return {
            "mhz_per_vcpu": self.mhz_per_vcpu,
            "overhead_cpu_mhz": self.overhead_cpu_mhz,
            "overhead_memory_mb": self.overhead_memory_mb,
            "headroom": self.headroom,
            "mb_per_gb": MB_PER_GB,
            "per_provider": {
                name: {n: getattr(o, n) for n in _FIELDS if getattr(o, n) is not None}
                for name, o in sorted(self.per_provider.items())
            },
            "formula": "cpu = floor((vcpus*mhz_per_vcpu - overhead_cpu_mhz)*(1-headroom)); "
            "memory = floor((memory_gb*1024 - overhead_memory_mb)*(1-headroom))",
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CapacityModel:
        """Read back `to_dict` (used to re-derive node capacities when verifying a plan)."""
        per = {
            str(k): ProviderCapacity(**{n: v.get(n) for n in _FIELDS}) for k, v in data.get("per_provider", {}).items()
        }
        return cls(**{n: float(data[n]) for n in _FIELDS if n in data}, per_provider=per)


def eligible_types(types: pd.DataFrame, spec: ServiceSpec) -> npt.NDArray[np.bool_]:
    """[T] the node-type rows `spec` may use: its providers, one replica's CPU and memory (vectorised:
    called once per service, so it must not walk the frame row by row)."""
    ok: npt.NDArray[np.bool_] = (types["cpu_mhz"].to_numpy(dtype=np.int64) >= spec.cpu_mhz) & (
        types["memory_mb"].to_numpy(dtype=np.int64) >= spec.memory_mb
    )
    if spec.providers:
        pairs = zip(types["provider"].astype(str), types["provider_uuid"].astype(str), strict=True)
        ok &= np.asarray([matches_provider(spec.providers, p, u) for p, u in pairs], dtype=bool)
    return ok


def eligible_matrix(types: pd.DataFrame, specs: Sequence[ServiceSpec]) -> npt.NDArray[np.bool_]:
    """[S, T] `eligible_types` of every service, computed once per distinct (CPU, memory,
    providers): 10,000 services share a few dozen."""
    out = np.zeros((len(specs), len(types)), dtype=bool)
    seen: dict[tuple[object, ...], npt.NDArray[np.bool_]] = {}
    for s, spec in enumerate(specs):
        key = (spec.cpu_mhz, spec.memory_mb, spec.providers)
        if key not in seen:
            seen[key] = eligible_types(types, spec)
        out[s] = seen[key]
    return out


def _lookup(per_provider: Mapping[str, ProviderCapacity], provider: str) -> ProviderCapacity | None:
    if provider in per_provider:
        return per_provider[provider]
    folded = provider.casefold()
    for name, value in per_provider.items():
        if name.casefold() == folded:
            return value
    return None


def _check(mhz: float, overhead_cpu: float, overhead_mem: float, headroom: float, where: str) -> None:
    if not mhz > 0:
        raise ConfigError(f"mhz_per_vcpu{where} must be positive, got {mhz!r}")
    if overhead_cpu < 0 or overhead_mem < 0:
        raise ConfigError(f"node overheads{where} must not be negative, got {overhead_cpu!r} MHz / {overhead_mem!r} MB")
    if not 0.0 <= headroom < 1.0:
        raise ConfigError(f"headroom{where} must be a fraction in [0, 1), got {headroom!r}")


def check_provider_options(
    catalogue: pd.DataFrame,
    services: Sequence[ServiceSpec],
    *,
    environment_uuid: str | None = None,
    providers: tuple[str, ...] = (),
    exclude_providers: tuple[str, ...] = (),
) -> None:
    """Raise `InfeasiblePlan` naming the service when the options rule out every provider it may run on.

    `service 'db-proxy' may only run on Azure, which the options exclude`: clearer than "no
    candidate node type", which is kept for providers the catalogue does not have at all.
    """
    if not providers and not exclude_providers:
        return
    rows = catalogue
    if environment_uuid is not None and "environment_uuid" in rows.columns:
        rows = rows[rows["environment_uuid"].astype("string") == environment_uuid]
    listed = set(zip(rows["provider"].astype(str), rows["provider_uuid"].astype(str), strict=True))
    for spec in services:
        if not spec.providers or spec.count_max <= 0:
            continue
        own = [(p, u) for p, u in listed if matches_provider(spec.providers, p, u)]
        if not own:
            continue  # the catalogue has none of them: build_problem says so
        allowed = [(p, u) for p, u in own if not providers or matches_provider(providers, p, u)]
        kept = [(p, u) for p, u in allowed if not exclude_providers or not matches_provider(exclude_providers, p, u)]
        if kept:
            continue
        names = " or ".join(sorted({p for p, _ in own}))
        if allowed:
            raise InfeasiblePlan(f"service {spec.name!r} may only run on {names}, which the options exclude")
        raise InfeasiblePlan(
            f"service {spec.name!r} may only run on {names}, which the options do not allow "
            f"(providers: {', '.join(providers)})"
        )


def single_environment(
    catalogue: pd.DataFrame,
    services: Sequence[ServiceSpec],
    capacity: CapacityModel,
    *,
    providers: tuple[str, ...] = (),
    exclude_providers: tuple[str, ...] = (),
) -> tuple[str | None, str | None]:
    """The one environment a plan without `--environment` is for, and a sentence saying how it was chosen.

    A plan's pools must all be in one environment (provisioning targets one). When the catalogue
    spans several: the only one that can host every service, or among several that can, the one
    with the lowest capacity-price estimate (max of CPU and memory demand x cheapest price per
    unit, prices as listed). No environment able to host every service is `InfeasiblePlan`,
    naming where each service could run.
    """
    if "environment_uuid" not in catalogue.columns:
        return None, None
    rows = catalogue[catalogue["environment_uuid"].notna()]
    names = list(zip(rows["provider"].astype(str), rows["provider_uuid"].astype(str), strict=True))
    keep = [
        (not providers or matches_provider(providers, p, u))
        and not (exclude_providers and matches_provider(exclude_providers, p, u))
        for p, u in names
    ]
    rows = rows[np.asarray(keep, dtype=bool)]
    environments = sorted(set(rows["environment_uuid"].astype(str)) - {""})
    if len(environments) < 2:
        return None, None
    demand = [s for s in services if s.count_max > 0]
    hosts: dict[str, list[str]] = {}
    for env in environments:
        own = rows[rows["environment_uuid"].astype(str) == env]
        pairs = set(zip(own["provider"].astype(str), own["provider_uuid"].astype(str), strict=True))
        hosts[env] = [
            s.name for s in demand if not s.providers or any(matches_provider(s.providers, *p) for p in pairs)
        ]
    able = [env for env in environments if len(hosts[env]) == len(demand)]
    if not able:
        where = "; ".join(
            f"{s.name!r} only in {', '.join(e for e in environments if s.name in hosts[e]) or 'none'}"
            for s in demand
            if not all(s.name in hosts[e] for e in environments)
        )
        raise InfeasiblePlan(
            f"no single environment can host every service ({where}): a plan's pools must all be in one "
            f"environment of {', '.join(environments)}; change the constraints or plan with --environment"
        )
    if len(able) == 1:
        return able[0], f"{able[0]}: the only environment of {len(environments)} that can host every service"
    estimates = {env: _estimate(rows[rows["environment_uuid"].astype(str) == env], demand, capacity) for env in able}
    chosen = min(able, key=lambda env: (estimates[env], env))
    shown = ", ".join(f"{env} {estimates[env]:,.2f}" for env in able)
    return (
        chosen,
        f"{chosen}: the cheapest capacity-price estimate of the environments that can host every "
        f"service ({shown}); plan with --environment to choose another",
    )


def _estimate(rows: pd.DataFrame, demand: Sequence[ServiceSpec], capacity: CapacityModel) -> float:
    """max(CPU demand x cheapest price per MHz, memory demand x cheapest price per MB): a quick comparison figure."""
    cpu = sum(s.count_min * s.cpu_mhz for s in demand)
    memory = sum(s.count_min * s.memory_mb for s in demand)
    per_mhz, per_mb = math.inf, math.inf
    for provider, vcpus, memory_gb, price in zip(
        rows["provider"], rows["vcpus"], rows["memory_gb"], rows["monthly_price"], strict=True
    ):
        if pd.isna(vcpus) or pd.isna(memory_gb) or pd.isna(price):
            continue
        cpu_mhz, memory_mb = capacity.node_capacity(str(provider), float(vcpus), float(memory_gb))
        if cpu_mhz > 0 and memory_mb > 0:
            per_mhz, per_mb = min(per_mhz, float(price) / cpu_mhz), min(per_mb, float(price) / memory_mb)
    return max(cpu * per_mhz, memory * per_mb)


def node_types(
    catalogue: pd.DataFrame,
    capacity: CapacityModel,
    *,
    environment_uuid: str | None = None,
    providers: tuple[str, ...] = (),
    exclude_providers: tuple[str, ...] = (),
    currency: str | None = None,
    rates: Rates | None = None,
    commit: bool = False,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Candidate node types (one row per provider x type) with `cpu_mhz`, `memory_mb`, `price_units`.

    `on_demand_units` is the on-demand monthly price; `price_units`, what the planner optimises and
    the plan pays, is the same unless `commit` (`--commit baseline`): then a type with a committed
    price (`reserved_hourly_price` x 720) is priced at the lower of the two, so the objective and
    the lower bound are both about the prices the baseline actually pays.

    All in one currency (`currency`, else the rows' own when they share one): rows in another are
    converted at `rates` (recorded in the notes as `currency_conversion`), or refused.

    Returns the table and notes for the plan's assumptions: rows that cannot be used are
    counted by reason, never silently dropped.
    """
    missing = [c for c in CATALOGUE_COLUMNS if c not in catalogue.columns]
    if missing:
        raise CatalogueError(f"the catalogue lacks column(s) {', '.join(missing)}")
    notes: dict[str, Any] = {"catalogue_rows": len(catalogue)}
    rows = catalogue.loc[:, list(CATALOGUE_COLUMNS)].copy()
    rows["catalogue_row"] = np.arange(len(rows))
    for column in ("environment_uuid", "provider_uuid", "provider", "instance_type_uuid", "instance_type", "currency"):
        rows[column] = rows[column].astype("string").fillna("")
    if environment_uuid is not None:
        rows = rows[rows["environment_uuid"] == environment_uuid]
        if rows.empty:
            raise InfeasiblePlan(f"the catalogue has no instance type for environment {environment_uuid}")
    if providers:
        keep = [matches_provider(providers, p, u) for p, u in zip(rows["provider"], rows["provider_uuid"], strict=True)]
        rows = rows[np.asarray(keep, dtype=bool)]
        if rows.empty:
            raise InfeasiblePlan(f"no instance type in the catalogue belongs to provider(s) {', '.join(providers)}")
    if exclude_providers:
        drop = [
            matches_provider(exclude_providers, p, u)
            for p, u in zip(rows["provider"], rows["provider_uuid"], strict=True)
        ]
        rows = rows[~np.asarray(drop, dtype=bool)]

    skipped: dict[str, int] = {}
    vcpus = pd.to_numeric(rows["vcpus"], errors="coerce").astype("float64")
    memory = pd.to_numeric(rows["memory_gb"], errors="coerce").astype("float64")
    price = pd.to_numeric(rows["monthly_price"], errors="coerce").astype("float64")
    unknown = vcpus.isna() | memory.isna() | price.isna()
    if unknown.any():
        skipped["missing vcpus, memory or monthly price"] = int(unknown.sum())
    negative = ~unknown & (price < 0)
    if negative.any():
        skipped["negative monthly price"] = int(negative.sum())
    rows = rows[~(unknown | negative)]
    vcpus, memory, price = vcpus[rows.index], memory[rows.index], price[rows.index]

    caps = [capacity.node_capacity(p, v, m) for p, v, m in zip(rows["provider"], vcpus, memory, strict=True)]
    rows["cpu_mhz"] = np.asarray([c for c, _ in caps], dtype=np.int64)
    rows["memory_mb"] = np.asarray([m for _, m in caps], dtype=np.int64)
    rows["price_units"] = np.round(price.to_numpy(dtype=np.float64) * MONEY_SCALE).astype(np.int64)
    reserved = pd.to_numeric(rows["reserved_hourly_price"], errors="coerce").astype("float64")
    rows["reserved_units"] = np.round(reserved.to_numpy(dtype=np.float64) * MONTH_HOURS * MONEY_SCALE)  # nan: none
    too_small = (rows["cpu_mhz"] <= 0) | (rows["memory_mb"] <= 0)
    if too_small.any():
        skipped["no capacity left after overhead and headroom"] = int(too_small.sum())
    rows = rows[~too_small]

    rows, target, used = _in_one_currency(rows, price[rows.index], currency, rates or Rates())
    if used:
        notes["currency_conversion"] = used
    rows["on_demand_units"] = rows["price_units"]
    if commit:
        committed = rows["reserved_units"].notna() & (rows["reserved_units"] > 0)
        lower = np.minimum(rows["reserved_units"].fillna(0).to_numpy(), rows["price_units"].to_numpy())
        rows["price_units"] = np.where(committed, lower, rows["price_units"]).astype(np.int64)
        notes["committed_price_types"] = int(committed.sum())
    # The same provider type listed twice (several environments): keep its cheapest row.
    rows = rows.sort_values(["price_units", "provider", "instance_type", "catalogue_row"], kind="stable")
    duplicated = rows.duplicated(["provider_uuid", "instance_type_uuid"], keep="first")
    if duplicated.any():
        skipped["duplicate provider x instance type"] = int(duplicated.sum())
    rows = rows[~duplicated].reset_index(drop=True)
    if "price_note" in catalogue.columns:  # provenance (illustrative rows, negotiated prices), per candidate
        own = catalogue["price_note"].astype("string").to_numpy()[rows["catalogue_row"].to_numpy()]
        notes["price_notes"] = {
            str(u): str(n) for u, n in zip(rows["instance_type_uuid"], own, strict=True) if not pd.isna(n) and n
        }
    notes["skipped_rows"] = skipped
    notes["candidate_types"] = len(rows)
    notes["currency"] = target
    return rows, notes


def _in_one_currency(
    rows: pd.DataFrame, price: pd.Series, currency: str | None, rates: Rates
) -> tuple[pd.DataFrame, str, dict[str, str]]:
    """Candidates priced in one currency: `currency` (else the rows' only one), others converted at `rates`.

    Prices in different currencies are never added: without a rate for every one, this is an error
    naming the currencies, their providers and the setting that fixes it.
    """
    found = sorted(set(rows["currency"]) - {""})
    target = (currency or (found[0] if len(found) == 1 else "EUR" if not found else "")).upper()
    if not target:
        raise CatalogueError(
            f"the candidate instance types are priced in several currencies ({', '.join(found)}): "
            "choose the plan's currency (--currency) and give the rates under [currency] rates in the config file"
        )
    used: dict[str, str] = {}
    missing: list[str] = []
    factor = pd.Series(1.0, index=rows.index)
    for code in (c for c in found if c.upper() != target):
        mask = rows["currency"] == code
        rate = rates.rate(code.upper(), target)
        if rate is None:
            providers = ", ".join(sorted(set(rows.loc[mask, "provider"])))
            missing.append(f"{code} ({int(mask.sum())} types of {providers})")
            continue
        factor[mask] = rate
        used[code] = rates.describe(code.upper(), target)
    if missing:
        pairs = ", ".join(f'"{m.split()[0]}/{target}" = ...' for m in missing)
        raise CatalogueError(
            f"the plan is in {target} but candidate instance types are priced in {'; '.join(missing)}: "
            f"prices in different currencies are never added; give the rates under [currency] rates in the "
            f"config file ({pairs}), choose another plan currency with --currency, or leave those providers out"
        )
    if used:
        converted = price.to_numpy(dtype=np.float64) * factor.to_numpy(dtype=np.float64)
        reserved = rows["reserved_units"].to_numpy(dtype=np.float64) * factor.to_numpy(dtype=np.float64)
        rows = rows.assign(
            price_units=np.round(converted * MONEY_SCALE).astype(np.int64),
            reserved_units=np.round(reserved),
            currency=target,
        )
    rows.loc[:, "currency"] = target
    return rows, target, used
