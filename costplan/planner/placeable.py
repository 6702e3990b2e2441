"""Placeability: make a layout the platform's own scheduler realises, and record what it will do.

The optimiser's layout is *a* packing of the replicas; the platform does not follow it. It runs
its own scheduler (simulated by the scheduler model's deterministic best-fit mode: services in
submission order, best fit, anti-affinity) on the nodes it is given, and that scheduler often
cannot realise a tight packing. `settle` therefore works on the node multiset, with the simulation as the judge:

1. **Repair.** Simulate the scheduler on the layout's nodes, from empty (as after provisioning).
   While replicas land nowhere, add the cheapest nodes that host *those* replicas (the cheapest of
   the greedy packings of the failed replicas alone: first-fit decreasing on the cheapest-per-
   capacity type, least waste, best single type) and simulate again; when a round places no more
   than the one before (other replicas took the new room), room for twice as many is added.
2. **Adopt the scheduler's placement.** Once every replica lands, the layout's counts become the
   simulated placement: the plan's `nodes` are what the scheduler will do. Nodes it leaves empty
   are dropped (then simulated again: the submission order depends on the largest node), except
   with N+1, where they are the spares: then spares are added for that placement as needed and
   the whole is simulated again.
3. **Descend.** Remove a node, or replace one by a cheaper type, whenever the simulation (and
   N+1) still passes; the most expensive nodes first, within a budget of simulations.

Tags do not restrict the simulation: as the planner's tag policy says, a pool carries the tags of
the services placed on it, so the tags follow this placement (`pool_tags` of the result). `verify`
and the provisioner then allow a tagged service only on pools with its tags; every node the
simulation chose for it is among them, so the narrower choice picks the same nodes.

Sound (every accepted layout passes the same simulation as `verify`), deterministic (no
randomness, total tie-breaks; the time limit only cuts the descent short), not optimal: the
proven lower bound is unchanged, so the plan's gap shows what placeability costs.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from costplan.errors import InfeasiblePlan
from costplan.models import ServiceSpec
from costplan.planner.baselines import best_single_type, ffd_baseline, least_waste_baseline
from costplan.planner.layout import Layout, add_spares, cluster_for, from_packing, pool_tags
from costplan.planner.problem import IntArray, Packing, Problem, build_problem
from costplan.planner.scheduler import lost_node_failures, schedule, submission_indexes
from costplan.plans import from_units

DESCENT_SIMULATIONS = 250  # simulations the descent may spend per layout
CANDIDATES = 6  # cheaper node types tried per node in the descent
EXTRA_ROUNDS = 8  # repair rounds allowed beyond one per node and replica

METHOD = (
    "the platform's scheduler is simulated on the planned nodes (services in submission order, best fit, "
    "anti-affinity); while replicas land nowhere, the cheapest greedy packing of those replicas alone is "
    "added as new nodes; the plan's nodes are then the simulated placement (nodes it leaves empty dropped, "
    "N+1 spares chosen for it); then nodes are removed or moved to cheaper types while the simulation still "
    "passes (the descent). The greedy baselines and the best single type are priced after the same repair "
    "(they also compete after the descent, and the cheapest placeable plan is kept); the single-provider "
    "alternatives get repair and descent, as the plan. The lower bound is unchanged."
)


@dataclass(frozen=True)
class Settled:
    """A layout after placeability repair, and what the repair changed."""

    layout: Layout
    succeeds: bool
    failed: dict[str, int] = field(default_factory=dict)
    added: dict[int, int] = field(default_factory=dict)  # node-type row -> nodes more than before
    removed: dict[int, int] = field(default_factory=dict)  # node-type row -> nodes fewer than before
    spares: int = 0  # N+1 spares added for the simulated placement
    cost_before: int = 0  # money units
    cost_after: int = 0
    repaired_cost: int = 0  # after the repair, before the descent
    simulations: int = 0

    def describe(self, types: pd.DataFrame, currency: str) -> str:
        """`placeability: +1 × Azure B1ms, +17.86 EUR/month` (empty when no node changed)."""
        parts = [f"+{k} × {label}" for label, k in _labelled(types, self.added)]
        parts += [f"-{k} × {label}" for label, k in _labelled(types, self.removed)]
        if not parts and self.succeeds:
            return ""
        delta = from_units(self.cost_after - self.cost_before)
        text = f"placeability: {', '.join(parts) or 'no node changed'}, {delta:+,.2f} {currency}/month"
        if not self.succeeds:
            failed = ", ".join(f"{name} ({k})" for name, k in sorted(self.failed.items()))
            text += f"; the repair gave up, still unplaced: {failed}"
        return text

    def to_dict(self, types: pd.DataFrame) -> dict[str, object]:
        return {
            "succeeds": self.succeeds,
            "failed_services": dict(sorted(self.failed.items())),
            "added": dict(_labelled(types, self.added)),
            "removed": dict(_labelled(types, self.removed)),
            "spares": self.spares,
            "monthly_cost_before": from_units(self.cost_before),
            "monthly_cost_repaired": from_units(self.repaired_cost),
            "monthly_cost_after": from_units(self.cost_after),
            "simulations": self.simulations,
        }


@dataclass(frozen=True)
class Placeable:
    """The plan's layouts after repair, and how the competing greedy plans fared the same way."""

    layout: Layout
    peak: Layout | None
    tags: dict[int, set[str]]
    base: Settled
    peak_settled: Settled | None
    adopted: str | None  # the greedy start adopted because it is cheaper once placeable
    priced: dict[str, tuple[int, str]]  # start method -> (its cost once placeable, note)

    def describe(self, types: pd.DataFrame, currency: str) -> str:
        text = self.base.describe(types, currency)
        if self.adopted:
            text = f"{text}; " if text else ""
            text += f"the {self.adopted} plan is cheaper once both are placeable and was adopted"
        return text

    def to_dict(self, types: pd.DataFrame, currency: str) -> dict[str, object]:
        return {
            "method": METHOD,
            "summary": self.describe(types, currency),
            "baseline": self.base.to_dict(types),
            "peak": None if self.peak_settled is None else self.peak_settled.to_dict(types),
            "adopted": self.adopted,
        }


def simulate(
    types: pd.DataFrame, services: Sequence[ServiceSpec], layout: Layout, demand: IntArray
) -> tuple[IntArray, dict[str, int]]:
    """The scheduler's placement of `demand` on the layout's (empty) nodes, and what failed.

    Tags are open (every node carries every tag): a pool gets the tags of what lands on it."""
    cluster = cluster_for(types, services, layout.types, _open_tags(types, services), distinct_hosts=True)
    outcome = schedule(cluster, demand, submission_indexes(services, cluster), mode="best-fit")
    return outcome.placed, outcome.failed


def settle(
    types: pd.DataFrame,
    services: Sequence[ServiceSpec],
    layout: Layout,
    demand: Sequence[int] | IntArray,
    names: dict[int, str],
    *,
    n_plus_one: bool = False,
    max_pools: int | None = None,
    others: Sequence[Layout] = (),
    deadline: float | None = None,
    descend: bool = True,
) -> Settled:
    """Repair `layout` until the simulated scheduler lands all of `demand`; see the module docstring.

    `others` are the plan's other layouts (the peak's, for the baseline): their node types count
    towards `max_pools`, and their placement towards the pool tags N+1 is checked with.
    """
    want = np.asarray(demand, dtype=np.int64)
    before = layout.cost(types)
    start_types = Counter(int(t) for t in layout.types)
    other_types = {int(t) for o in others for t in o.types}
    state = _State(types, services, want, names, n_plus_one, max_pools, others)
    spares = 0
    trimmed = False
    failed: dict[str, int] = {}
    ok = False
    last, boost = 0, 1
    for _ in range(len(layout.types) + int(want.sum()) + EXTRA_ROUNDS):
        layout = layout.canonical(names)
        placed, failed = state.simulate(layout)
        if failed:
            # New nodes also attract replicas placed earlier; when that leaves as many replicas
            # unplaced as before, add room for twice as many (the descent takes back the excess).
            missing = sum(failed.values())
            boost = boost * 2 if last and missing >= last else 1
            last = missing
            wanted = {name: k * boost for name, k in failed.items()}
            new = _pack_failed(types, services, wanted, layout, max_pools, other_types)
            if new is None:
                break
            layout = _with_nodes(layout, new, len(services))
            continue
        if not trimmed and not n_plus_one:  # with N+1, empty nodes are the spares
            trimmed = True
            empty = placed.sum(axis=0) == 0
            if empty.any():
                layout = Layout(layout.types[~empty], layout.counts[:, ~empty])
                continue
        layout = Layout(layout.types, placed)
        if n_plus_one:
            more, k = add_spares(types, services, layout, state.tags(layout), names, max_pools=max_pools)
            if k:
                layout, spares = more, spares + k
                continue
        ok = True
        break
    repaired = layout.cost(types)
    if ok and descend:
        layout = _descend(state, layout, other_types, deadline)
    after = Counter(int(t) for t in layout.types)
    return Settled(
        layout=layout.canonical(names),
        succeeds=ok,
        failed={} if ok else dict(failed),
        added=dict(after - start_types),
        removed=dict(start_types - after),
        spares=spares,
        cost_before=before,
        cost_after=layout.cost(types),
        repaired_cost=repaired,
        simulations=state.simulations,
    )


def settle_packing(
    types: pd.DataFrame,
    services: Sequence[ServiceSpec],
    problem: Problem,
    packing: Packing,
    demand: Sequence[int],
    names: dict[int, str],
    *,
    rows: IntArray | None = None,
    others: Sequence[Layout] = (),
    n_plus_one: bool = False,
    max_pools: int | None = None,
    deadline: float | None = None,
) -> Settled:
    """`settle` a solver packing of `problem` (whose node types are `rows` of `types` when it was
    built on a subset of them)."""
    layout = from_packing(problem, packing, len(services), demand)
    if rows is not None:
        layout = Layout(np.asarray(rows, dtype=np.int64)[layout.types], layout.counts)
    return settle(
        types,
        services,
        layout,
        demand,
        names,
        n_plus_one=n_plus_one,
        max_pools=max_pools,
        others=others,
        deadline=deadline,
    )


def make_placeable(
    types: pd.DataFrame,
    services: Sequence[ServiceSpec],
    problem: Problem,
    layout: Layout,
    peak: Layout | None,
    names: dict[int, str],
    starts: Sequence[tuple[Packing | None, str]],
    *,
    n_plus_one: bool,
    max_pools: int | None,
    deadline: float | None,
) -> Placeable:
    """Settle the plan's baseline layout and the greedy `starts` (packings of `problem`, the
    baseline problem) the same way, keep the cheapest placeable one, then settle the peak."""
    counts_min = [s.count_min for s in services]
    counts_max = [s.count_max for s in services]
    peaks = [] if peak is None else [peak]
    chosen = settle(
        types,
        services,
        layout,
        counts_min,
        names,
        n_plus_one=n_plus_one,
        max_pools=max_pools,
        others=peaks,
        deadline=deadline,
    )
    adopted: str | None = None
    priced: dict[str, tuple[int, str]] = {}
    for packing, method in starts:
        if packing is None or not packing.is_valid(problem):
            continue
        theirs = settle_packing(
            types,
            services,
            problem,
            packing,
            counts_min,
            names,
            others=peaks,
            n_plus_one=n_plus_one,
            max_pools=max_pools,
            deadline=deadline,
        )
        # Priced as repaired (what the heuristic costs once the scheduler can place it); it competes
        # with the plan after the same descent, which is never dearer.
        note = "made placeable (nodes added where the scheduler fails)"
        note += ", with its own N+1 spare nodes" if n_plus_one else ""
        priced[method] = (theirs.repaired_cost, note if theirs.succeeds else "could not be made placeable")
        if theirs.succeeds and _within(theirs.layout, peaks, max_pools):
            if theirs.cost_after < chosen.cost_after or not chosen.succeeds:
                chosen, adopted = theirs, method
    peak_settled = None
    if peak is not None:
        peak_settled = settle(
            types,
            services,
            peak,
            counts_max,
            names,
            n_plus_one=n_plus_one,
            max_pools=max_pools,
            others=[chosen.layout],
            deadline=deadline,
        )
    base, final_peak = chosen.layout, None if peak_settled is None else peak_settled.layout
    tags = pool_tags(services, [base, *([] if final_peak is None else [final_peak])])
    if n_plus_one:
        # N+1 was checked with each layout's own tags plus the other's *before* it settled; the
        # final tags can differ, so check again and top up with spares where a loss now fails.
        base = _spares_for(types, services, base, tags, names, max_pools)
        if final_peak is not None:
            final_peak = _spares_for(types, services, final_peak, tags, names, max_pools)
    return Placeable(
        layout=base,
        peak=final_peak,
        tags=tags,
        base=chosen,
        peak_settled=peak_settled,
        adopted=adopted,
        priced=priced,
    )


class _State:
    """The simulation with its inputs fixed, counting how often it runs."""

    def __init__(
        self,
        types: pd.DataFrame,
        services: Sequence[ServiceSpec],
        demand: IntArray,
        names: dict[int, str],
        n_plus_one: bool,
        max_pools: int | None,
        others: Sequence[Layout],
    ) -> None:
        self.types, self.services, self.demand, self.names = types, services, demand, names
        self.n_plus_one, self.max_pools, self.others = n_plus_one, max_pools, others
        self.simulations = 0

    def simulate(self, layout: Layout) -> tuple[IntArray, dict[str, int]]:
        self.simulations += 1
        return simulate(self.types, self.services, layout, self.demand)

    def tags(self, layout: Layout) -> dict[int, set[str]]:
        return pool_tags(self.services, [layout, *self.others])

    def accept(self, layout: Layout) -> Layout | None:
        """The layout with the scheduler's placement if it lands everything (and keeps N+1)."""
        layout = layout.canonical(self.names)
        placed, failed = self.simulate(layout)
        if failed:
            return None
        placed_layout = Layout(layout.types, placed)
        if self.n_plus_one:
            cluster = cluster_for(
                self.types, self.services, layout.types, self.tags(placed_layout), distinct_hosts=True
            )
            if lost_node_failures(cluster, placed, submission_indexes(self.services, cluster)):
                return None
        return placed_layout


def _descend(state: _State, layout: Layout, other_types: set[int], deadline: float | None) -> Layout:
    """Remove nodes, or move them to cheaper types, while the simulation still passes."""
    budget = state.simulations + DESCENT_SIMULATIONS

    def spent() -> bool:
        return state.simulations >= budget or (deadline is not None and time.monotonic() > deadline)

    while not spent():
        better = _improve(state, layout, other_types, spent)
        if better is None or better.cost(state.types) >= layout.cost(state.types):
            break
        layout = better
    return layout


def _improve(state: _State, layout: Layout, other_types: set[int], spent: Callable[[], bool]) -> Layout | None:
    """The first cheaper layout that passes: without one node, else with one node on a cheaper type
    (one that can hold what the node holds now); the most expensive nodes first."""
    types, services = state.types, state.services
    price = types["price_units"].to_numpy(dtype=np.int64)
    cap_cpu = types["cpu_mhz"].to_numpy(dtype=np.int64)
    cap_mem = types["memory_mb"].to_numpy(dtype=np.int64)
    cpu = np.asarray([s.cpu_mhz for s in services], dtype=np.int64)
    mem = np.asarray([s.memory_mb for s in services], dtype=np.int64)
    order = sorted(range(len(layout.types)), key=lambda n: (-int(price[layout.types[n]]), n))
    for n in order:
        if spent():
            return None
        keep = np.arange(len(layout.types)) != n
        found = state.accept(Layout(layout.types[keep], layout.counts[:, keep]))
        if found is not None:
            return found
    eligible = cluster_for(types, services, np.arange(len(types)), _open_tags(types, services)).eligible
    used = {int(t) for t in layout.types} | other_types
    for n in order:
        here = layout.counts[:, n]
        cheaper = (price < price[layout.types[n]]) & (cap_cpu >= int(cpu @ here)) & (cap_mem >= int(mem @ here))
        cheaper &= eligible[here > 0].all(axis=0)
        if state.max_pools is not None and len(used) >= state.max_pools:
            cheaper &= np.isin(np.arange(len(types)), sorted(used))
        tried = sorted((int(t) for t in np.flatnonzero(cheaper)), key=lambda t: (int(price[t]), state.names[t]))
        for t in tried[:CANDIDATES]:
            if spent():
                return None
            moved = layout.types.copy()
            moved[n] = t
            found = state.accept(Layout(moved, layout.counts))
            if found is not None:
                return found
    return None


def _pack_failed(
    types: pd.DataFrame,
    services: Sequence[ServiceSpec],
    failed: dict[str, int],
    layout: Layout,
    max_pools: int | None,
    other_types: set[int],
) -> list[int] | None:
    """Node types of the cheapest greedy packing of the failed replicas alone (None: none fits)."""
    counts = [failed.get(s.name, 0) for s in services]
    try:
        problem = build_problem(types, services, counts)
    except InfeasiblePlan:
        return None
    used = {int(t) for t in layout.types} | other_types
    if max_pools is not None and len(used) >= max_pools:
        keep = np.isin(np.arange(len(types)), sorted(used))
        if not (problem.kmax[:, keep] > 0).any(axis=1).all():
            return None
        problem = problem.restrict(keep)
    options = [ffd_baseline(problem), least_waste_baseline(problem)]
    single = best_single_type(problem)
    options.append(None if single is None else single[1])
    found = [p for p in options if p is not None and p.n_nodes]
    if max_pools is not None:
        found = [p for p in found if len(used | {int(problem.type_ids[t]) for t in p.types}) <= max_pools]
    if not found:
        return None
    best = min(found, key=lambda p: (p.cost(problem), p.n_nodes))
    return sorted(int(problem.type_ids[t]) for t in best.types)


def _spares_for(
    types: pd.DataFrame,
    services: Sequence[ServiceSpec],
    layout: Layout,
    tags: dict[int, set[str]],
    names: dict[int, str],
    max_pools: int | None,
) -> Layout:
    layout, _ = add_spares(types, services, layout, tags, names, max_pools=max_pools)
    return layout.canonical(names)


def _with_nodes(layout: Layout, new: Sequence[int], n_services: int) -> Layout:
    return Layout(
        np.concatenate([layout.types, np.asarray(new, dtype=np.int64)]),
        np.hstack([layout.counts, np.zeros((n_services, len(new)), dtype=np.int64)]),
    )


def _within(layout: Layout, others: Sequence[Layout], max_pools: int | None) -> bool:
    if max_pools is None:
        return True
    return len({int(t) for t in layout.types} | {int(t) for o in others for t in o.types}) <= max_pools


def _open_tags(types: pd.DataFrame, services: Sequence[ServiceSpec]) -> dict[int, set[str]]:
    every = {tag for s in services for tag in s.tags}
    return {t: every for t in range(len(types))}


def _labelled(types: pd.DataFrame, counts: dict[int, int]) -> list[tuple[str, int]]:
    return sorted((f"{types.at[int(t), 'provider']} {types.at[int(t), 'instance_type']}", k) for t, k in counts.items())
