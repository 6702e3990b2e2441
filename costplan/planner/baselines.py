"""What a person or an autoscaler would do without an optimiser: the plans to beat.

1. `ffd_baseline`: first-fit decreasing onto the cheapest-per-capacity type (the type whose
   price x max(total CPU / node CPU, total memory / node memory) is least).
2. `least_waste_baseline`: the Kubernetes cluster-autoscaler "least-waste" expander: pick the
   node type whose new nodes would be left with the least idle CPU + memory fraction once the
   pending replicas are packed on them (ties: cheaper), repeat for replicas it could not host.
3. `best_single_type`: the cheapest first-fit-decreasing plan over every type that can host
   everything (exact pruning: a type whose fractional cost already exceeds the best is skipped).

With provider constraints no single type may host every service: then each class of services
(same allowed types) gets its own cheapest type, which is what (1) and (2) reduce to.
"""

from __future__ import annotations

import numpy as np

from costplan.planner.greedy import class_types, ffd, fractional_cost, place
from costplan.planner.problem import Packing, Problem

WASTE_SLACK = 1e-9  # float noise allowed when a waste floor is compared with a waste found
LEAST_WASTE_WORK = 10_000_000  # group x node cells of the node types tried per least-waste round
LEAST_WASTE_MIN_TRIES = 4


def ffd_baseline(problem: Problem) -> Packing | None:
    """First-fit decreasing onto the cheapest-per-capacity type (per constraint class)."""
    return ffd(problem, class_types(problem))


def least_waste_baseline(problem: Problem) -> Packing | None:
    """The cluster-autoscaler least-waste choice, round by round until every replica is placed."""
    pending = problem.demand.copy()
    packing = Packing.empty(problem.n_groups)
    while pending.any():
        best: tuple[float, int, int] | None = None
        best_packing: Packing | None = None
        # Exact pruning: a type's waste is at least its waste on the fewest nodes that could hold
        # the replicas it hosts (waste grows with the node count), so types are tried by that
        # floor and the search stops once the floor exceeds the best waste found.
        floor = _waste_floor(problem, pending)
        # On very large inputs only the lowest floors are tried (a work limit: each try is a
        # first-fit decreasing over ~groups x nodes cells, nodes estimated on the median type).
        nodes = max(1.0, float(problem.cpu @ pending) / max(1.0, float(np.median(problem.cap_cpu))))
        tries = max(LEAST_WASTE_MIN_TRIES, int(LEAST_WASTE_WORK // (problem.n_groups * nodes)))
        for t in np.argsort(floor, kind="stable")[:tries]:
            t = int(t)
            if not np.isfinite(floor[t]) or (best is not None and floor[t] > best[0] + WASTE_SLACK):
                break
            hosts = (problem.kmax[:, t] > 0) & (pending > 0)
            new_type = np.where(hosts, t, -1)
            trial, _ = place(problem, Packing.empty(problem.n_groups), np.where(hosts, pending, 0), new_type)
            used_cpu, used_mem = trial.used(problem)
            n = trial.n_nodes
            waste = (1.0 - used_cpu.sum() / (n * problem.cap_cpu[t])) + (
                1.0 - used_mem.sum() / (n * problem.cap_mem[t])
            )
            key = (round(float(waste), 12), int(n * problem.price[t]), t)
            if best is None or key < best:
                best, best_packing = key, trial
        if best_packing is None:
            return None
        pending = pending - best_packing.placed()
        packing = packing.append(best_packing.types, best_packing.counts)
    return packing


def _waste_floor(problem: Problem, pending: np.ndarray) -> np.ndarray:
    """[T] a lower bound on the least-waste score of packing what each type can host of `pending`
    onto new nodes of that type alone (inf: it hosts none): the score on the fractional node count
    (at least the spread demand), which no packing goes below."""
    hosts = (problem.kmax > 0) & (pending > 0)[:, None]  # [G, T]
    d = np.where(hosts, pending[:, None], 0)
    cpu, mem = problem.cpu @ d, problem.mem @ d  # [T] what each type would host
    cap_cpu, cap_mem = problem.cap_cpu.astype(np.float64), problem.cap_mem.astype(np.float64)
    spread = np.where(problem.spread[:, None], d, 0).max(axis=0, initial=0)
    n = np.maximum(np.maximum(cpu / cap_cpu, mem / cap_mem), spread)
    with np.errstate(divide="ignore", invalid="ignore"):
        waste = (1.0 - cpu / (n * cap_cpu)) + (1.0 - mem / (n * cap_mem))
    out: np.ndarray = np.where(hosts.any(axis=0), np.nan_to_num(waste, nan=0.0), np.inf)
    return out


def best_single_type(problem: Problem) -> tuple[int, Packing] | None:
    """The cheapest plan that uses one node type only (first-fit decreasing on each type)."""
    hosts_all = (problem.kmax > 0).all(axis=0)
    if not hosts_all.any():
        return None
    score = np.where(hosts_all, fractional_cost(problem), np.inf)
    best: tuple[int, Packing] | None = None
    best_cost = np.inf
    for t in np.argsort(score, kind="stable"):
        if not np.isfinite(score[t]) or score[t] >= best_cost:
            break
        packing = ffd(problem, int(t))
        if packing is not None and packing.cost(problem) < best_cost:
            best, best_cost = (int(t), packing), packing.cost(problem)
    return best
