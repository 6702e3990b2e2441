"""Service-level layouts: nodes (rows of the node-type table) and replicas per service and node.

The search works on groups of identical services; a `Layout` is what a plan shows: which
service's replicas sit on which node. It also builds the scheduler model's view of a layout
(`scheduler.Cluster`, one pool per node type) and adds the N+1 spare nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costplan.models import ServiceSpec
from costplan.planner.problem import IntArray, Packing, Problem
from costplan.planner.scheduler import Cluster, Pool, lost_node_failures, make_cluster, submission_indexes

N_PLUS_ONE_METHOD = (
    "simulated: each node is removed in turn and its replicas re-placed by the scheduler model in its "
    "deterministic best-fit mode "
    "on the others' free room; while some loss cannot be absorbed, an empty spare node is added, of "
    "the type that absorbs the most failing losses per unit price (a spare that can hold a whole "
    "lost node always absorbs it). Sound, not optimal; the lower bound stays the one without N+1."
)


@dataclass
class Layout:
    """`types[n]` is a row of the node-type table; `counts[s, n]` replicas of service s on node n."""

    types: IntArray
    counts: IntArray

    def cost(self, types_table: pd.DataFrame) -> int:
        return int(types_table["price_units"].to_numpy()[self.types].sum())

    def canonical(self, names: dict[int, str]) -> Layout:
        """Nodes in plan order (by pool name, stable): the scheduler simulations depend on the
        order of nodes for ties, so the planner and `verify` must see the same order."""
        order = sorted(range(len(self.types)), key=lambda n: (names[int(self.types[n])], n))
        return Layout(self.types[order], self.counts[:, order])


def from_packing(problem: Problem, packing: Packing, n_services: int, wanted: Sequence[int]) -> Layout:
    """Split each group's replicas back over its member services (in spec order)."""
    counts = np.zeros((n_services, packing.n_nodes), dtype=np.int64)
    for g, members in enumerate(problem.members):
        left = {s: int(wanted[s]) for s in members}
        for n in np.flatnonzero(packing.counts[:, g]):
            k = int(packing.counts[n, g])
            for s in members:
                take = min(k, left[s])
                counts[s, n] += take
                left[s] -= take
                k -= take
                if k == 0:
                    break
    return Layout(problem.type_ids[packing.types].astype(np.int64), counts)


def cluster_for(
    types_table: pd.DataFrame,
    services: Sequence[ServiceSpec],
    node_types: IntArray,
    tags: dict[int, set[str]],
    *,
    distinct_hosts: bool = False,
) -> Cluster:
    """The scheduler's view of these nodes: one pool per node type (in type order), which service may
    run where by its providers and tags (`scheduler.may_host`); `distinct_hosts`: spread services
    never share a node (the planner's packing rule, for its deterministic checks)."""
    kinds, node_kind = np.unique(np.asarray(node_types, dtype=np.int64), return_inverse=True)
    column = {name: types_table[name].to_numpy()[kinds] for name in ("cpu_mhz", "memory_mb", "price_units")}
    provider = types_table["provider"].to_numpy()[kinds]
    provider_uuid = types_table["provider_uuid"].to_numpy()[kinds]
    pools = [
        Pool(
            name=str(t),
            cpu_mhz=int(column["cpu_mhz"][i]),
            memory_mb=int(column["memory_mb"][i]),
            price_units=int(column["price_units"][i]),
            provider=str(provider[i]),
            provider_uuid=str(provider_uuid[i]),
            tags=tuple(sorted(tags.get(int(t), set()))),
        )
        for i, t in enumerate(kinds)
    ]
    return make_cluster(services, pools, node_kind.reshape(-1), distinct_hosts=distinct_hosts)


def pool_tags(services: Sequence[ServiceSpec], layouts: Sequence[Layout]) -> dict[int, set[str]]:
    """A pool carries the union of the tags of the services placed on its nodes."""
    tags: dict[int, set[str]] = {}
    for layout in layouts:
        for n, t in enumerate(layout.types):
            bucket = tags.setdefault(int(t), set())
            for s in np.flatnonzero(layout.counts[:, n]):
                bucket.update(services[int(s)].tags)
    return tags


def add_spares(
    types_table: pd.DataFrame,
    services: Sequence[ServiceSpec],
    layout: Layout,
    tags: dict[int, set[str]],
    names: dict[int, str],
    *,
    max_pools: int | None,
    pools: IntArray | None = None,
) -> tuple[Layout, int]:
    """N+1: add empty spare nodes until losing any one node leaves every replica placeable.

    `pools` are the node types the whole plan already uses (its other layouts too): under
    `max_pools` a spare may open a new pool only while the plan's pools stay within the cap."""
    price = types_table["price_units"].to_numpy(dtype=np.int64)
    cap_cpu = types_table["cpu_mhz"].to_numpy(dtype=np.int64)
    cap_mem = types_table["memory_mb"].to_numpy(dtype=np.int64)
    spares = 0
    for _ in range(len(layout.types) + 1):
        layout = layout.canonical(names)
        cluster = cluster_for(types_table, services, layout.types, tags, distinct_hosts=True)
        failing = lost_node_failures(cluster, layout.counts, submission_indexes(services, cluster))
        if not failing:
            return layout, spares
        # Which type, as an empty node, can absorb each failing loss (load and constraints)?
        every = cluster_for(types_table, services, np.arange(len(types_table)), tags)
        hosted = (layout.counts[:, failing] > 0).T.astype(np.int64)  # [F, S]
        load_cpu = cluster.cpu @ layout.counts[:, failing]
        load_mem = cluster.mem @ layout.counts[:, failing]
        absorbs = (load_cpu[:, None] <= cap_cpu[None, :]) & (load_mem[:, None] <= cap_mem[None, :])
        absorbs &= (hosted @ (~every.eligible).astype(np.int64)) == 0
        used = np.union1d(layout.types, pools if pools is not None else [])
        if max_pools is not None and len(used) >= max_pools:
            absorbs &= np.isin(np.arange(len(types_table)), used)[None, :]
        covered = absorbs.sum(axis=0)
        # The spare with the lowest price per absorbed loss (a failing node's own type always works).
        score = np.where(covered > 0, price / np.maximum(covered, 1), np.inf)
        best = (0.0, int(np.argmin(score))) if np.isfinite(score).any() else (0.0, int(layout.types[failing[0]]))
        layout = Layout(
            np.append(layout.types, best[1]), np.hstack([layout.counts, np.zeros((len(services), 1), np.int64)])
        )
        spares += 1
    return layout, spares
