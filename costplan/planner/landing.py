"""The scheduler stage: the cheapest plan the platform's scheduler lands, with the odds stated.

The packing search finds the cheapest *packing*; the platform does not follow it. Its scheduler
(Nomad's, `costplan.planner.scheduler`) shuffles the nodes and scores a few random candidates per
replica, so a tight packing is rarely reproduced. Like Karpenter and the cluster-autoscaler, this
stage simulates the scheduler instead of trusting the packing; unlike them (they simulate a
deterministic first fit and let the next reconcile loop fix what the real scheduler does), it
plans once, so it judges each candidate by seeded Monte Carlo runs of the faithful model and
keeps the cheapest whose landing share meets the target. The levers are costplan's own
(docs/planner.md, "The scheduler stage"):

1. **Pool cuts and pool lists.** The same nodes as pools of one node type each, every service
   allowed on every pool it may use ("shared"); each service only on the node types it is packed
   on ("packed types"); and, for small plans, every node a pool of its own with each service only
   on the nodes it is packed on ("per node": when a service may use fewer nodes than the limit
   max(2, ceil(log2 N)), the scheduler scores all of them: a deterministic best fit).
2. **Submission order**: the provisioner's default (most constrained, then largest first) and
   fewest allowed nodes first.
3. **Pinned pool lists** (pinning.py): each service on at most `limit` nodes, so the placement
   is an exact replay; beyond the pinning search's size (MAX_NODES), the packing's own lists with
   the *wide* services (on more nodes than the limit) submitted last on their nodes.
4. **Extra nodes only where the simulation shows the need**: while the target is missed, overflow
   pools, last in the lists of the services left unplaced, get the nodes those replicas need (each
   of the type cheapest per covered share of what is left); then overflow nodes (and pools) the
   screening shows are not needed go; a candidate the full runs do not confirm grows again.
5. **One pool per service** (always lands: identical replicas on identical nodes) is the fallback
   and, with **uniform extra nodes** (one more node in every pool per round), a baseline to beat.

Candidates are screened with `SCREEN_RUNS` runs, and the one kept is judged with the full
`landing_runs` (the same seeds: run r draws from `default_rng([seed, r])`). The target is met on
the *observed* share of runs (landed / runs >= target): with 200 runs, even 200 of 200 give a 95 %
Clopper-Pearson lower bound of 0.985, so a bound >= 0.99 would need >= 299 runs; the bound is
reported next to it. The proven lower bound stays the packing's: the plan reports the premium.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from costplan.errors import PlanningError
from costplan.models import ServiceSpec
from costplan.planner import scheduler
from costplan.planner.assemble import part_names
from costplan.planner.capacity import eligible_matrix, eligible_types
from costplan.planner.layout import Layout
from costplan.planner.options import PlanOptions
from costplan.planner.pinning import MAX_NODES, Pinned, overflow_nodes, pin
from costplan.planner.problem import IntArray
from costplan.plans import Alternative, PlacementEstimate, Plan, from_units, to_units

FAILED_SHOWN = 10  # services named in an error; the rest are counted
RUN_CELLS_PER_SECOND = 50_000_000  # node visits per second of the compiled model, nominal (2-core machine)

BASE_CANDIDATES = 3  # shared, packed types, per node: screened before any grows
SCREEN_RUNS = 40  # runs that screen a candidate (the kept one is judged with all the runs)
PROGRESS = 0.05  # a landing share gained per node below this doubles what the next node covers
PER_NODE_MAX = 40  # plans with at most this many nodes also try one pool per node
UNIFORM_ROUNDS = 6  # rounds of the uniform-extra-nodes baseline at most
PIN_SHARE = 0.9  # of the stage's time left, for the pinning search (medium-1: when it took all, a
# pinned plan that did not land had no time to grow, and the stage fell back to one pool per service)
CONFIRM_ROUNDS = 3  # second tries (untrimmed, then grown) for a candidate the full runs do not confirm
RESERVE = 1.3  # margin on the measured time of the estimates still to come
TAIL_ESTIMATES = 1  # full estimates after the stage: the plan's own
SPREAD_NOTE = (
    "spread is a preference, not a rule: no known LayerOps service field carries a distinct-hosts "
    "constraint (API-NOTES.md section 6: constraints are instancePoolUuids, providerUuids, tags), and "
    "Nomad's job anti-affinity is a soft score penalty; spread_kept is the measured share of runs in "
    "which each spread service kept one replica per node"
)
BEST_FIT_NOTE = (
    "no seeded run landed with every spread service one replica per node: the plan's nodes are the "
    "deterministic best fit's placement (spread kept apart where it lands so)"
)
NODES_NOTE = (
    "the plan's nodes are the model's placement in run {run} (the first of the seeded runs that lands "
    "with every spread service one replica per node, else the first that lands)"
)


@dataclass(frozen=True)
class _Config:
    """A candidate: pools (node-type row of each), nodes (pool of each), pool lists, order."""

    label: str
    pool_types: tuple[int, ...]
    node_pool: tuple[int, ...]
    allowed: tuple[tuple[int, ...], ...]  # per service, the pools it may use, in list order
    order: tuple[int, ...]  # service indexes in submission order
    added: int = 0  # nodes added by the stage
    pinned: bool = False  # pool lists from pinning.py (fewest random choices: grown first)
    overflow: tuple[int, ...] = ()  # pools the growth rounds added (the ones `_trim` may shrink)

    def with_node(self, pool: int) -> _Config:
        return replace(self, node_pool=(*self.node_pool, pool), added=self.added + 1)


@dataclass(frozen=True)
class _Judged:
    config: _Config
    landing: scheduler.Landing
    cost: int  # money units
    looser: _Judged | None = None  # before trimming: what `_confirm` falls back to


@dataclass(frozen=True)
class Landed:
    """The stage's result: the pools (rows of `pool_rows`, a node-type row each), the nodes as the
    model places them in a landing run, each service's pool list and the submission order."""

    types: pd.DataFrame  # the candidate node types (rows of pool_rows point into it)
    type_names: dict[int, str]  # node-type row -> the name of its first pool
    pool_rows: pd.DataFrame
    layout: Layout  # node n is of pool row layout.types[n]; counts = the model's placement
    names: dict[int, str]  # pool row -> pool name
    allowed: tuple[tuple[int, ...], ...]
    submission: tuple[int, ...]
    packing_cost: int
    landing: scheduler.Landing | None = None
    target: float = 0.0
    deterministic: bool | None = None
    note: str = ""
    trail: tuple[dict[str, Any], ...] = ()  # the candidates judged, for the assumptions
    uniform_cost: int | None = None  # the uniform-extra-nodes baseline, None: did not land
    uniform_tried: bool = True  # False: beyond MAX_NODES the stage starts from pinned lists only
    estimate_seconds: float = 0.0  # what one full estimate of this plan takes (measured): the tail's budget

    def type_of(self, pool_rows: IntArray) -> IntArray:
        of_type: IntArray = self.pool_rows["type_row"].to_numpy(dtype=np.int64)
        return of_type[pool_rows]

    def onto_pools(self, layout: Layout) -> tuple[Landed, Layout]:
        """A node-type layout (the peak plan) on this plan's pools: each node goes to a pool of its
        type that every service on it may use, filling pools up to their baseline counts in pool
        order (nodes beyond go to the first such pool). A node no pool can take gets a new pool of
        its type (no baseline nodes), last in the lists of its services: the baseline's
        scheduling is unchanged, and the autoscaler still grows their own pools first."""
        pool_types = self.pool_rows["type_row"].astype(int).tolist()
        allowed = [list(pools) for pools in self.allowed]
        listed = [set(pools) for pools in self.allowed]  # for the membership tests (10,000s of pools)
        of_type: dict[int, list[int]] = {}
        for p, k in enumerate(pool_types):
            of_type.setdefault(k, []).append(p)
        base = np.bincount(self.layout.types, minlength=len(pool_types)).tolist()
        fill = [0] * len(pool_types)
        rows = np.empty(len(layout.types), dtype=np.int64)
        node_of, service_of = np.nonzero(layout.counts.T)  # the services on each node, by node
        bounds = np.searchsorted(node_of, np.arange(len(layout.types) + 1))
        for n, t in enumerate(layout.types.tolist()):
            hosted = service_of[bounds[n] : bounds[n + 1]].tolist()
            if hosted:
                common = set.intersection(*(listed[s] for s in hosted))
                mine = [p for p in of_type.get(t, []) if p in common]
            else:
                mine = list(of_type.get(t, []))
            if not mine:
                pool_types.append(t)
                base.append(0)
                fill.append(0)
                mine = [len(pool_types) - 1]
                of_type.setdefault(t, []).append(mine[0])
                for s in hosted:
                    allowed[s].append(mine[0])
                    listed[s].add(mine[0])
            room = next((p for p in mine if fill[p] < base[p]), mine[0])
            fill[room] += 1
            rows[n] = room
        me = self
        if len(pool_types) > len(self.pool_rows):
            me = replace(
                self,
                pool_rows=_rows(self.types, pool_types),
                names=part_names(self.type_names, pool_types),
                allowed=tuple(tuple(pools) for pools in allowed),
            )
        return me, Layout(rows, layout.counts)

    def with_spares(self, specs: Sequence[ServiceSpec]) -> tuple[Landed, int]:
        """N+1 on the nodes as the model placed them (as `verify` checks it: best fit with spread kept
        apart, each service on its pools): while losing some node leaves replicas unplaceable, an
        empty twin of that node (same pool) is added; it can always take the lost node's load."""
        layout, added = self.layout, 0
        for _ in range(len(layout.types) + 1):
            order = sorted(range(len(layout.types)), key=lambda n: (self.names[int(layout.types[n])], n))
            layout = Layout(layout.types[order], layout.counts[:, order])
            pools = _pools(self.types, self.pool_rows["type_row"].astype(int).tolist(), 0)
            cluster = scheduler.make_cluster(specs, pools, layout.types, self.allowed, distinct_hosts=True)
            failing = scheduler.lost_node_failures(cluster, layout.counts, scheduler.submission_indexes(specs, cluster))
            if not failing:
                break
            twin = np.zeros((len(specs), 1), dtype=np.int64)
            layout = Layout(np.append(layout.types, layout.types[failing[0]]), np.hstack([layout.counts, twin]))
            added += 1
        return replace(self, layout=layout), added

    def count_max(self, peak: Layout | None) -> dict[int, int]:
        """Each pool's count_max: its count_min plus the nodes the peak needs beyond the baseline's
        on the pool's node type (so every service can scale out in its own pools)."""
        base = np.bincount(self.layout.types, minlength=len(self.pool_rows))
        if peak is None:
            return {p: int(base[p]) for p in range(len(self.pool_rows)) if base[p]}
        at_peak = np.bincount(peak.types, minlength=len(self.pool_rows))
        of_type = self.pool_rows["type_row"].to_numpy(dtype=np.int64)
        out = {}
        for p in range(len(self.pool_rows)):
            if not base[p] and not at_peak[p]:
                continue
            same = of_type == of_type[p]
            grow = max(0, int(at_peak[same].sum()) - int(base[same].sum()))
            out[p] = max(int(base[p]) + grow, int(at_peak[p]))
        return out

    def tags(self, specs: Sequence[ServiceSpec]) -> dict[int, set[str]]:
        """A pool carries the union of the tags of the services that may use it."""
        out: dict[int, set[str]] = {p: set() for p in range(len(self.pool_rows))}
        for s, pools in enumerate(self.allowed):
            for p in pools:
                out[p].update(specs[s].tags)
        return out

    def service_pools(self, specs: Sequence[ServiceSpec]) -> dict[str, tuple[str, ...]]:
        return {spec.name: tuple(self.names[p] for p in self.allowed[s]) for s, spec in enumerate(specs)}

    def order(self, specs: Sequence[ServiceSpec]) -> tuple[str, ...]:
        return tuple(specs[s].name for s in self.submission)

    def estimate(self, plan: Plan) -> PlacementEstimate | None:
        """The plan's `placement` block: the model run on the plan as its JSON states it (pools and
        their count_max, service pool lists, submission order), with autoscaling, the same seeds
        and run count as the stage: what `verify` recomputes."""
        if self.landing is None:
            return None
        view = scheduler.from_plan(plan)
        landing = scheduler.estimate(
            view.cluster, view.count_min, view.order, runs=self.landing.runs, seed=self.landing.seed
        )
        spread = any(s.spread and s.count_min > 1 for s in plan.services)
        return landing.placement(
            target=self.target,
            packing_cost=from_units(self.packing_cost),
            premium=from_units(to_units(plan.monthly_cost) - self.packing_cost),
            deterministic_lands=self.deterministic,
            note="; ".join(x for x in (self.note, SPREAD_NOTE if spread else "") if x),
        )

    def baselines(self, plan_units: int) -> list[Alternative]:
        if self.landing is None:
            return []
        from costplan.planner.explain import alternative

        return [
            alternative(
                "uniform_nodes",
                "uniform extra nodes",
                self.uniform_cost,
                plan_units,
                method="the packing plus one node in every pool per round until the scheduler model lands on "
                f">= {self.target:.0%} of the screening runs",
                note=f"not tried: beyond {MAX_NODES} nodes the stage judges pinned pool lists only"
                if not self.uniform_tried
                else f"did not land within {UNIFORM_ROUNDS} rounds (or the time limit)"
                if self.uniform_cost is None
                else ("the packing lands as it is" if self.uniform_cost == self.packing_cost else ""),
            )
        ]

    def to_dict(self, currency: str) -> dict[str, Any]:
        if self.landing is None:
            return {"method": "off (landing target 0): the plan is the packing, every service on every pool"}
        return {
            "method": __doc__.split("\n\n")[1].replace("\n", " ") if __doc__ else "",
            "model": scheduler.METHOD,
            "target": f"landed runs / runs >= {self.target} ({self.landing.runs} runs from seed {self.landing.seed})",
            "why_not_the_bound": "with 200 runs a 95 % Clopper-Pearson lower bound cannot reach 0.99 "
            "(200 of 200 give 0.985); the bound is reported with the observed share",
            "nodes": self.note,
            "premium": f"{from_units(self.layout.cost(self.pool_rows) - self.packing_cost):,.4f} {currency}/month "
            "over the packing (the lower bound is the packing's)",
            "candidates": list(self.trail),
            "spread": SPREAD_NOTE,
        }


def land(
    types: pd.DataFrame,
    specs: Sequence[ServiceSpec],
    layout: Layout,
    names: dict[int, str],
    *,
    options: PlanOptions,
    deadline: float,
) -> Landed:
    """The cheapest candidate (module docstring) the model lands on >= `options.landing` of the runs."""
    judge = _Judge(types, specs, options, deadline, names, run_cells(layout, options) / RUN_CELLS_PER_SECOND)
    packing_cost = layout.cost(types)
    screened: list[_Judged] = []
    # All at the packing's cost: the first that lands wins.
    candidates = _candidates(types, specs, layout, options.max_pools)
    pinnable = options.max_pools is None
    pinned_only = pinned_lists_only(len(layout.types), options)
    for config in candidates[:BASE_CANDIDATES] if not pinned_only else []:
        screened.append(judge.screen(config))
        if judge.meets(screened[-1]) or not judge.time_left():
            break
    found = [j for j in screened if judge.meets(j)]
    if not found and pinnable and judge.time_left():  # pinned pool lists (pinning.py)
        pinned = pin(types, specs, layout, seed=options.landing_seed, deadline=judge.until(PIN_SHARE))
        if pinned is not None:
            screened.append(judge.screen(_pinned(types, pinned)))
            found += [_trim(judge, screened[-1])] if judge.meets(screened[-1]) else []
    if not screened:  # nothing pinned: the shared pools are the start
        screened.append(judge.screen(candidates[0]))
        found += [screened[-1]] if judge.meets(screened[-1]) else []
    # The most promising grows first: the most landing runs, then pinned lists (fewest random choices).
    ranked = sorted(screened, key=lambda j: (-j.landing.probability, not j.config.pinned, j.cost))
    at_packing = any(j.cost == packing_cost for j in found)  # nothing cheaper to look for
    for start in ranked[:1] if not found else []:  # the most promising grows first
        found += [] if (grown := _grow(judge, start)) is None else [grown]
    for config in candidates[BASE_CANDIDATES:] if not found and not pinned_only else []:  # other orders
        if not judge.time_left():
            break
        screened.append(judge.screen(config))
        found += [screened[-1]] if judge.meets(screened[-1]) else []
    for start in ranked[1:2] if judge.time_left() and not at_packing else []:  # the second grows too
        found += [] if (grown := _grow(judge, start)) is None else [grown]
    best = _confirm(judge, found)
    shared = next((j for j in screened if not j.config.pinned), None)
    uniform = None if shared is None else _uniform(judge, shared)  # the baseline, when time is left
    if uniform is not None and (best is None or uniform.cost < best.cost):
        best = _confirm(judge, [uniform]) or best
    note = ""
    per_service = _per_service(types, specs)
    if best is None and (options.max_pools is None or len(per_service.pool_types) <= options.max_pools):
        note = "no candidate met the target within the time limit: one pool per service (lands on every run)"
        best = judge.run(per_service, options.landing_runs, autoscale=False)
    elif best is None:
        best = max(screened, key=lambda j: (j.landing.probability, -j.cost))
        note = f"target not met in time within max_pools: the candidate that lands most ({best.config.label})"
    elif best.landing.runs < options.landing_runs:
        best = judge.run(best.config, options.landing_runs, autoscale=False)
    landed = _landed(types, names, specs, best, packing_cost, options)
    return replace(
        landed,
        uniform_cost=None if uniform is None else uniform.cost,
        uniform_tried=shared is not None,
        estimate_seconds=judge.timings[-1][1] if judge.timings else 0.0,  # the kept plan's full run
        trail=tuple(judge.trail),
        note="; ".join(x for x in (note, landed.note) if x),
    )


def pinned_lists_only(n_nodes: int, options: PlanOptions) -> bool:
    """Whether the stage judges pinned lists only (beyond MAX_NODES, no pool cap): the shared
    candidates never land there and cost the most to judge (every service on every node)."""
    return n_nodes > MAX_NODES and options.max_pools is None


def run_cells(layout: Layout, options: PlanOptions) -> int:
    """Node visits one seeded run of the stage's candidates makes: every service may walk every
    node (each evaluation shuffles them), except where the stage judges pinned lists only: each
    service walks the nodes it is packed on, each replica about `limit` of them."""
    n_services, n_nodes = layout.counts.shape
    return cells_of(n_services, n_nodes, int((layout.counts > 0).sum()), int(layout.counts.sum()), options)


def cells_of(n_services: int, n_nodes: int, spans: int, replicas: int, options: PlanOptions) -> int:
    """`run_cells` from the counts alone: `spans` (service, node) pairs hold `replicas` replicas."""
    if pinned_lists_only(n_nodes, options):
        return spans + replicas * scheduler.limit(n_nodes)
    return max(1, n_services * n_nodes)


def unstaged(types: pd.DataFrame, specs: Sequence[ServiceSpec], layout: Layout, names: dict[int, str]) -> Landed:
    """No scheduler stage (landing target 0): one pool per node type, every service on every pool
    it may use, the default submission order, the packing as the plan's nodes."""
    config = _shared(types, specs, layout)
    return Landed(
        types=types,
        type_names=names,
        pool_rows=_rows(types, config.pool_types),
        layout=Layout(np.asarray(config.node_pool, dtype=np.int64), layout.counts),
        names=part_names(names, config.pool_types),
        allowed=config.allowed,
        submission=config.order,
        packing_cost=layout.cost(types),
    )


def one_pool_per_service(types: pd.DataFrame, specs: Sequence[ServiceSpec], *, max_pools: int | None) -> int | None:
    """The monthly cost (units) of each service alone on the cheapest node type for its replicas."""
    config = _per_service(types, specs)
    if max_pools is not None and len(config.pool_types) > max_pools:
        return None
    price = types["price_units"].to_numpy(dtype=np.int64)
    return int(sum(price[config.pool_types[p]] for p in config.node_pool))


# -- candidates ------------------------------------------------------------------------------


def _shared(types: pd.DataFrame, specs: Sequence[ServiceSpec], layout: Layout) -> _Config:
    kinds = sorted({int(t) for t in layout.types})
    index = {t: p for p, t in enumerate(kinds)}
    allowed = tuple(tuple(np.flatnonzero(ok[kinds]).tolist()) for ok in eligible_matrix(types, specs))
    config = _Config("shared", tuple(kinds), tuple(index[int(t)] for t in layout.types), allowed, ())
    return replace(config, order=_default_order(types, specs, config))


def _candidates(
    types: pd.DataFrame, specs: Sequence[ServiceSpec], layout: Layout, max_pools: int | None = None
) -> list[_Config]:
    shared = _shared(types, specs, layout)
    kinds = shared.pool_types
    packed = []
    node_pool = np.asarray(shared.node_pool, dtype=np.int64)
    for s in range(len(specs)):
        per_pool = np.bincount(node_pool, weights=layout.counts[s], minlength=len(kinds))
        mine = sorted((p for p in range(len(kinds)) if per_pool[p] > 0), key=lambda p: (-per_pool[p], p))
        packed.append(tuple(mine) or shared.allowed[s])
    out = [shared, replace(shared, label="packed types", allowed=tuple(packed))]
    n_nodes = len(layout.types)
    if 1 < n_nodes <= PER_NODE_MAX and max_pools is None:  # a pool per node: more pools than types
        nodes = tuple(
            tuple(sorted(np.flatnonzero(layout.counts[s]).tolist(), key=lambda n: (-int(layout.counts[s, n]), n)))
            or tuple(np.flatnonzero(eligible_types(types, spec)[layout.types]).tolist())
            for s, spec in enumerate(specs)
        )
        per_node = _Config("per node", tuple(int(t) for t in layout.types), tuple(range(n_nodes)), nodes, ())
        out.append(replace(per_node, order=_default_order(types, specs, per_node)))
    more = []
    for config in out:
        at = {s: i for i, s in enumerate(config.order)}
        size = np.bincount(np.asarray(config.node_pool, dtype=np.int64), minlength=len(config.pool_types))
        spans = [int(size[list(pools)].sum()) for pools in config.allowed]  # each service's nodes
        fewest = tuple(sorted(config.order, key=lambda s: (spans[s], at[s])))
        if fewest != config.order:
            more.append(replace(config, label=config.label + ", fewest nodes first", order=fewest))
    return out + more


def _canonical(config: _Config, names: dict[int, str]) -> _Config:
    """The candidate as its plan will list it: pools in name order, nodes by pool name (stable), so
    that the model's seeded runs here are the runs `verify` recomputes from the plan JSON."""
    pool_names = part_names(names, config.pool_types)
    pools = sorted(range(len(config.pool_types)), key=lambda p: pool_names[p])
    new = {old: i for i, old in enumerate(pools)}
    nodes = sorted(range(len(config.node_pool)), key=lambda n: (pool_names[config.node_pool[n]], n))
    return replace(
        config,
        pool_types=tuple(config.pool_types[p] for p in pools),
        node_pool=tuple(new[config.node_pool[n]] for n in nodes),
        allowed=tuple(tuple(new[p] for p in pools_of) for pools_of in config.allowed),
        overflow=tuple(new[p] for p in config.overflow),
    )


def _default_order(types: pd.DataFrame, specs: Sequence[ServiceSpec], config: _Config) -> tuple[int, ...]:
    return tuple(scheduler.submission_indexes(specs, _cluster(types, specs, config)))


def _pinned(types: pd.DataFrame, pinned: Pinned) -> _Config:
    """A pinned plan as pools: the nodes of one type that the same services list form one pool
    (so each service's nodes are a union of pools: its list), each list in the service's node order."""
    listing: list[set[int]] = [set() for _ in pinned.node_types]
    for s, nodes in enumerate(pinned.allowed):
        if pinned.replay.placed[s] or pinned.replay.missing[s]:  # services with baseline replicas
            for n in nodes:
                listing[n].add(s)
    keys: dict[tuple[int, frozenset[int]], int] = {}
    node_pool = [keys.setdefault((t, frozenset(listing[n])), len(keys)) for n, t in enumerate(pinned.node_types)]
    pool_types = tuple(t for t, _ in keys)
    allowed = tuple(tuple(dict.fromkeys(node_pool[n] for n in nodes)) for nodes in pinned.allowed)
    label = "pinned" + (f" + {pinned.extra} node" if pinned.extra else "")
    planned = len(pinned.node_types) - pinned.extra  # the overflow nodes come after the packing's
    first: dict[int, int] = {}
    for n, p in enumerate(node_pool):
        first.setdefault(p, n)
    overflow = tuple(p for p in range(len(pool_types)) if first[p] >= planned)
    return _Config(
        label, pool_types, tuple(node_pool), allowed, pinned.order, added=pinned.extra, pinned=True, overflow=overflow
    )


def _per_service(types: pd.DataFrame, specs: Sequence[ServiceSpec]) -> _Config:
    """Each service alone on the cheapest node type for its replicas (its own pool)."""
    price = types["price_units"].to_numpy(dtype=np.int64)
    cpu = types["cpu_mhz"].to_numpy(dtype=np.int64)
    mem = types["memory_mb"].to_numpy(dtype=np.int64)
    pool_types: list[int] = []
    node_pool: list[int] = []
    allowed: list[tuple[int, ...]] = []
    for spec, eligible in zip(specs, eligible_matrix(types, specs), strict=True):
        per = np.minimum(cpu // max(spec.cpu_mhz, 1), mem // max(spec.memory_mb, 1))
        per = np.minimum(per, 1) if spec.spread else per
        ok = eligible & (per > 0)
        if spec.count_min <= 0 or not ok.any():
            allowed.append(())
            continue
        need = np.where(ok, -(-spec.count_min // np.maximum(per, 1)), 0)
        t = int(np.argmin(np.where(ok, need * price, np.iinfo(np.int64).max)))
        allowed.append((len(pool_types),))
        node_pool += [len(pool_types)] * int(need[t])
        pool_types.append(t)
    config = _Config("one pool per service", tuple(pool_types), tuple(node_pool), tuple(allowed), ())
    return replace(config, order=_default_order(types, specs, config))


# -- judging -----------------------------------------------------------------------------------


def _pools(types: pd.DataFrame, pool_types: Sequence[int], room: int) -> list[scheduler.Pool]:
    cpu, mem, price = (types[c].to_numpy(dtype=np.int64) for c in ("cpu_mhz", "memory_mb", "price_units"))
    provider, provider_uuid = types["provider"].astype(str).tolist(), types["provider_uuid"].astype(str).tolist()
    return [
        scheduler.Pool(
            name=str(p),
            cpu_mhz=int(cpu[t]),
            memory_mb=int(mem[t]),
            price_units=int(price[t]),
            room=room,
            provider=provider[t],
            provider_uuid=provider_uuid[t],
        )
        for p, t in enumerate(pool_types)
    ]


def _cluster(types: pd.DataFrame, specs: Sequence[ServiceSpec], config: _Config, room: int = 0) -> scheduler.Cluster:
    return scheduler.make_cluster(specs, _pools(types, config.pool_types, room), config.node_pool, config.allowed)


class _Judge:
    """Runs the model on candidates within the stage's deadline, and remembers what it judged."""

    def __init__(
        self,
        types: pd.DataFrame,
        specs: Sequence[ServiceSpec],
        options: PlanOptions,
        deadline: float,
        names: dict[int, str],
        per_run: float = 0.0,
    ) -> None:
        """`per_run`: the seconds one run's node visits take, nominally (`run_cells`)."""
        self.types, self.specs, self.options, self.deadline, self.names = types, specs, options, deadline, names
        self.per_run = per_run
        self.demand = np.asarray([s.count_min for s in specs], dtype=np.int64)
        self.room = int(self.demand.sum())  # autoscaling may grow a pool by this much in the estimate
        self.price = types["price_units"].to_numpy(dtype=np.int64)
        self.timings: list[tuple[int, float]] = []  # (runs, seconds) of each estimate
        self.trail: list[dict[str, Any]] = []

    def cost(self, config: _Config) -> int:
        return int(sum(self.price[config.pool_types[p]] for p in config.node_pool))

    def run(self, config: _Config, runs: int, *, autoscale: bool = True) -> _Judged:
        began = time.monotonic()
        config = _canonical(config, self.names)
        cluster = _cluster(self.types, self.specs, config, self.room)
        landing = scheduler.estimate(
            cluster, self.demand, config.order, runs=runs, seed=self.options.landing_seed, autoscale=autoscale
        )
        self.timings.append((runs, time.monotonic() - began))
        judged = _Judged(config, landing, self.cost(config))
        self.trail.append(
            {
                "candidate": config.label,
                "nodes_added": config.added,
                "monthly_cost": from_units(judged.cost),
                "runs": runs,
                "landing_probability": round(landing.probability, 4),
            }
        )
        return judged

    def screen(self, config: _Config) -> _Judged:
        """A quick judgement: fewer runs (the kept candidate is judged on all of them), no
        autoscaling (only whether runs land matters here)."""
        return self.run(config, min(SCREEN_RUNS, self.options.landing_runs), autoscale=False)

    def failures(self, judged: _Judged, s: int) -> int:
        return judged.landing.failures.get(self.specs[s].name, 0)

    def meets(self, judged: _Judged) -> bool:
        return judged.landing.probability >= self.options.landing

    def seconds(self, runs: int) -> float:
        """What an estimate of `runs` runs takes: a least-squares line through the ones measured
        (each has a fixed part, building the cluster, and a part per run)."""
        if not self.timings:
            return 0.0
        x = np.asarray([r for r, _ in self.timings], dtype=np.float64)
        y = np.asarray([t for _, t in self.timings], dtype=np.float64)
        if np.ptp(x) == 0:  # one run count only: the runs' nominal share of it, the rest fixed
            per_run = min(self.per_run, float(y.mean()) / float(x[0]))
            return float(y.mean()) + per_run * (runs - float(x[0]))
        slope, fixed = np.polyfit(x, y, 1)
        return float(max(fixed, 0.0) + max(slope, 0.0) * runs)

    def until(self, share: float = 1.0) -> float:
        """The time by which a search must end to leave the final estimates their reserve (the final
        check of the kept candidate here, then the plan's own estimate), or `share` of the time
        until then (what is left goes to the growth rounds)."""
        now, end = time.monotonic(), self._end()
        return now + share * max(0.0, end - now) if share < 1.0 else end

    def _end(self) -> float:
        runs = self.options.landing_runs
        return self.deadline - RESERVE * (self.seconds(runs + SCREEN_RUNS) + TAIL_ESTIMATES * self.seconds(runs))

    def time_left(self) -> bool:
        """Whether another screening fits before the final estimate's reserve."""
        return time.monotonic() < self._end()


def _grow(judge: _Judge, start: _Judged, *, trim: bool = True) -> _Judged | None:
    """Add nodes where the simulation fails until the target is met: each round, new nodes for the
    replicas left unplaced (per service, the most one run of `start`'s judgement left; twice as many
    after a round of little progress), packed first fit onto nodes of the type cheapest per covered
    share (`pinning.overflow_nodes`), as overflow pools, one per node type, last in the lists of the
    services they are for (the autoscaler grows their own pools first). Then (`trim`) the overflow
    nodes not needed go."""
    current, boost, last = start, 1.0, -1.0
    for _ in range(int(judge.demand.sum())):
        if judge.meets(current):
            return _trim(judge, current) if trim else current
        if not judge.time_left():
            return None
        # Little progress from the last node: cover twice as much with the next (fewer rounds).
        boost = boost * 2 if current.landing.probability < last + PROGRESS else 1.0
        last = current.landing.probability
        config = current.config
        # What the worst run left unplaced, per service: rounds sized by the mean of a few failing
        # runs added a node or two each and ran out of time on large-0.
        missing = np.asarray([current.landing.unplaced.get(spec.name, 0) for spec in judge.specs], dtype=np.float64)
        failing = [s for s in range(len(judge.specs)) if missing[s] > 0]
        if not failing:  # nothing recorded as unplaced (a guard): grow the worst service's pool
            failing = [max(range(len(judge.specs)), key=lambda s: judge.failures(current, s))]
            missing[failing[0]] = 1
        cap = judge.options.max_pools
        if cap is not None and len(config.pool_types) >= cap:  # no new pool: the worst service's own grows
            worst = max(failing, key=lambda s: (missing[s], -s))
            spec = judge.specs[worst]
            fits = [p for p in config.allowed[worst] if _fits(judge.types, config.pool_types[p], spec)]
            if not fits:
                return None
            grown = config.with_node(fits[0])
        else:
            wanted = np.ceil(boost * missing).astype(np.int64).tolist()
            nodes = overflow_nodes(judge.types, judge.specs, wanted)
            if not nodes:
                return None
            grown = _with_overflow(config, nodes)
        label = start.config.label.removesuffix(" + overflow nodes") + " + overflow nodes"
        current = judge.screen(replace(grown, label=label))
    return None


def _with_overflow(config: _Config, nodes: Sequence[tuple[int, set[int]]]) -> _Config:
    """`config` with new nodes (type, services they are for) as overflow pools, one per node type,
    last in the lists of the services they are for (the autoscaler grows their own pools first)."""
    kinds = sorted({t for t, _ in nodes})
    first = len(config.pool_types)
    pool_of = {t: first + i for i, t in enumerate(kinds)}
    users: dict[int, set[int]] = {t: set() for t in kinds}
    for t, hosted in nodes:
        users[t].update(hosted)
    allowed = tuple((*pools, *(pool_of[t] for t in kinds if s in users[t])) for s, pools in enumerate(config.allowed))
    return replace(
        config,
        pool_types=(*config.pool_types, *kinds),
        node_pool=(*config.node_pool, *(pool_of[t] for t, _ in nodes)),
        allowed=allowed,
        added=config.added + len(nodes),
        overflow=(*config.overflow, *pool_of.values()),
    )


def _trim(judge: _Judge, grown: _Judged) -> _Judged:
    """Fewer overflow nodes while the screening still meets the target (growth rounds add what the
    unplaced replicas need, which can be more than landing takes): per overflow pool, half of its
    nodes out, then a quarter, and so on, and a pool's last node with the pool, while time is left.
    (Screening lists pools in name order, so the overflow pools are the config's record, which keeps
    its order: taken last to first, dropping one leaves the positions still to come.)"""
    current = grown
    for i in reversed(range(len(grown.config.overflow))):
        pool = current.config.overflow[i]
        count = current.config.node_pool.count(pool)
        k = count // 2 or count
        while k >= 1 and judge.time_left():
            config, emptied = current.config, k == count
            if emptied and any(pools == (pool,) for pools in config.allowed):
                break  # some service lists this pool alone
            out = set([n for n, p in enumerate(config.node_pool) if p == pool][-k:])
            trial = replace(
                config,
                node_pool=tuple(p for n, p in enumerate(config.node_pool) if n not in out),
                added=config.added - k,
            )
            judged = judge.screen(_without_pool(trial, pool) if emptied else trial)
            if not judge.meets(judged):
                k //= 2
                continue
            current = judged
            if emptied:
                break
            pool = current.config.overflow[i]
            count = current.config.node_pool.count(pool)
            k = min(k, count // 2 or count)
    return current if current is grown else replace(current, looser=grown)


def _without_pool(config: _Config, pool: int) -> _Config:
    """`config` without an (empty) pool: the pools after it move down one."""

    def moved(p: int) -> int:
        return p - (p > pool)

    return replace(
        config,
        pool_types=tuple(t for p, t in enumerate(config.pool_types) if p != pool),
        node_pool=tuple(moved(p) for p in config.node_pool),
        allowed=tuple(tuple(moved(p) for p in pools if p != pool) for pools in config.allowed),
        overflow=tuple(moved(p) for p in config.overflow if p != pool),
    )


def _fits(types: pd.DataFrame, t: int, spec: ServiceSpec) -> bool:
    return bool(types.at[t, "cpu_mhz"] >= spec.cpu_mhz and types.at[t, "memory_mb"] >= spec.memory_mb)


def _uniform(judge: _Judge, start: _Judged) -> _Judged | None:
    """The baseline: one more node in every pool per round, until it lands (None: it did not in time)."""
    if judge.meets(start):
        return start
    config = start.config
    for _ in range(UNIFORM_ROUNDS):
        if not judge.time_left():
            return None
        for p in range(len(config.pool_types)):
            config = config.with_node(p)
        judged = judge.screen(replace(config, label="uniform extra nodes"))
        if judge.meets(judged):
            return judged
    return None


def _confirm(judge: _Judge, found: Sequence[_Judged]) -> _Judged | None:
    """The cheapest screened candidate that also meets the target on all the runs; one that does
    not is tried untrimmed (even when time is out: 3,000 services fell back to one pool per service
    for want of it), else grows where those runs fail (large-0: 40 screening runs land, 93 of 100
    do), and is judged again, up to CONFIRM_ROUNDS times, while time is left."""
    for candidate in sorted(found, key=lambda j: (j.cost, j.config.added)):  # stable: first found first
        for _ in range(CONFIRM_ROUNDS):
            if candidate.landing.runs >= judge.options.landing_runs:
                return candidate
            full = judge.run(candidate.config, judge.options.landing_runs, autoscale=False)
            if judge.meets(full):
                return full
            if candidate.looser is not None:  # trimmed too far for all the runs: less trimmed (even
                candidate = candidate.looser  # out of time: its full run costs what the fallback's does)
                continue
            if not judge.time_left():
                return None
            grown = _grow(judge, full, trim=False)  # the growth is judged by screening: no trimming it back
            if grown is None:
                break
            candidate = grown
    return None


# -- the result -------------------------------------------------------------------------------


def _rows(types: pd.DataFrame, pool_types: Sequence[int]) -> pd.DataFrame:
    rows = types.iloc[list(pool_types)].reset_index(drop=True)
    rows["type_row"] = np.asarray(pool_types, dtype=np.int64)
    return rows


def _landed(
    types: pd.DataFrame,
    names: dict[int, str],
    specs: Sequence[ServiceSpec],
    judged: _Judged,
    packing_cost: int,
    options: PlanOptions,
) -> Landed:
    """The kept candidate with the model's placement in a landing run as the plan's nodes (the
    estimate's first landing run, keeping spread where a run does: `Landing.first_run`)."""
    config = judged.config
    cluster = _cluster(types, specs, config)
    demand = np.asarray([s.count_min for s in specs], dtype=np.int64)
    best_fit = scheduler.schedule(cluster, demand, config.order, mode="best-fit")
    spread = np.asarray([s.spread for s in specs], dtype=bool)
    placed, note = None, ""
    r = judged.landing.first_run() if judged.landing.mode == "nomad" else None
    if r is not None:  # run r alone draws what it drew among the estimate's runs (`scheduler.Shuffles`)
        outcome = scheduler.schedule(cluster, demand, config.order, rng=np.random.default_rng([judged.landing.seed, r]))
        placed, note = (outcome.placed, NODES_NOTE.format(run=r)) if outcome.lands else (None, "")
    if placed is None or placed[spread].max(initial=0) > 1:
        # No seeded run (kept spread and) landed: the deterministic best fit with spread kept apart.
        strict = scheduler.make_cluster(specs, cluster.pools, cluster.node_pool, config.allowed, distinct_hosts=True)
        apart = scheduler.schedule(strict, demand, config.order, mode="best-fit")
        if apart.lands:
            placed, note = apart.placed, BEST_FIT_NOTE
        elif placed is None and best_fit.lands:
            placed, note = best_fit.placed, BEST_FIT_NOTE
        elif placed is None:
            items = sorted(best_fit.failed.items())
            failed = ", ".join(f"{k} ({v})" for k, v in items[:FAILED_SHOWN])
            more = f" and {len(items) - FAILED_SHOWN} more services" if len(items) > FAILED_SHOWN else ""
            raise PlanningError(
                f"the scheduler model lands no candidate plan, even by best fit: {failed}{more} unplaced"
            )
    return Landed(
        types=types,
        type_names=names,
        pool_rows=_rows(types, config.pool_types),
        layout=Layout(np.asarray(config.node_pool, dtype=np.int64), placed),
        names=part_names(names, config.pool_types),
        allowed=config.allowed,
        submission=config.order,
        packing_cost=packing_cost,
        landing=judged.landing,
        target=options.landing,
        deterministic=best_fit.lands,
        note=note,
    )
