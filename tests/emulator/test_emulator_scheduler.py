"""The emulator schedules like Nomad's service scheduler; pools autoscale and scale down.

The pure cases replay Nomad's own tests (nomad/structs/funcs_test.go TestScoreFitBinPack,
scheduler/feasible/rank_test.go TestJobAntiAffinity_PlannedAlloc, select_test.go
TestLimitIterator_ScoreThreshold) and check each rule on hand-built walks; the HTTP cases run
the real server.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_support import DS1_V2, Serve, create_pool, create_service, pool_status, service_status

from costplan.emulator import EmulatorConfig, ManualClock
from costplan.emulator.placement import (
    BEST_FIT,
    Limit,
    Node,
    Pool,
    Service,
    evaluate,
    first_max,
    limit_for,
    place_best_fit,
    place_nomad,
    score,
    simulate,
)

# -- Nomad's own test cases -----------------------------------------------------------------


@pytest.mark.parametrize("used,expected", [((2048, 4096), 18.0), ((0, 0), 0.0), ((1024, 2048), 13.675)])
def test_binpack_replays_nomads_score_fit_cases(used: tuple[int, int], expected: float) -> None:
    node = Node("n", 4096, 8192, reserved_cpu=2048, reserved_memory=4096)  # funcs_test.go TestScoreFitBinPack
    assert node.binpack(*used) * 18 == pytest.approx(expected, abs=0.001)


def test_anti_affinity_penalty_replays_nomads_planned_alloc_case() -> None:
    # rank_test.go: tg.Count 4, two planned allocs of the job on the node -> penalty -(2+1)/4.
    service = Service("foo", 0, 0, count=4)
    crowded, other = Node("a", 1000, 1000), Node("b", 1000, 1000)
    crowded.jobs["foo"] = 2
    other.jobs["bar"] = 1
    assert score(crowded, service) == pytest.approx((crowded.binpack(0, 0) - 0.75) / 2)
    assert score(other, service) == other.binpack(0, 0)  # no collision: no penalty score at all


@pytest.mark.parametrize(
    "scores,expected",
    [  # select_test.go TestLimitIterator_ScoreThreshold (limit 2, threshold 0, maxSkip 2, as it runs them)
        ([-1, 2, 3], [2, 3]),
        ([-1, -2, 3, 4], [3, 4]),
        ([-1, -6, -3, -4], [-3, -4]),
        ([-1, -6], [-1, -6]),
        ([-1, 5], [5, -1]),
        ([-1, 5, -2, 2], [5, 2]),
        ([-1], [-1]),
        ([-2, 1], [1, -2]),
    ],
)
def test_limit_iterator_replays_nomads_threshold_cases(scores: list[float], expected: list[float]) -> None:
    source = iter([(float(s), Node(f"n{i}", 1, 1)) for i, s in enumerate(scores)])
    limit = Limit(lambda: next(source, None), 2, threshold=0.0, max_skip=2)
    out = []
    while (option := limit.next()) is not None:
        out.append(option[0])
    assert out == expected


def test_max_score_keeps_the_first_strict_maximum() -> None:
    a, b, c = Node("a", 1, 1), Node("b", 1, 1), Node("c", 1, 1)
    options = iter([(1.0, a), (3.0, b), (3.0, c)])
    best = first_max(lambda: next(options, None))
    assert best is not None and best[1] is b


# -- the rules on hand-built walks ----------------------------------------------------------


def node(name: str, used: int = 0, pool: str = "p", size: int = 1000) -> Node:
    """A node of ``size`` MHz and MB, no own reservation, ``used`` already reserved."""
    return Node(name, size, size, pool=pool, used_cpu=used, used_memory=used)


def test_limit_is_log2_of_every_ready_node() -> None:
    assert [limit_for(n) for n in (0, 1, 2, 4, 5, 16, 17, 100, 400)] == [2, 2, 2, 2, 3, 4, 5, 7, 9]


def test_only_the_first_limit_fitting_allowed_nodes_are_scored() -> None:
    # 16 ready nodes: limit 4. Nodes that are filtered (other pool) or do not fit are passed over
    # and do not count; the fullest node comes fifth among those that fit: it is never scored.
    walk = [node("other", 0, pool="q"), node("full", 950), node("f1", 100), node("f2", 300), node("f3", 200)]
    walk += [node("f4", 400), node("best", 800)] + [node(f"e{i}", 0) for i in range(9)]
    assert len(walk) == 16
    service = Service("s", 100, 100, count=1, pools=("p",))
    outcome = place_nomad(walk, service, 1)
    assert outcome.placed == ["f4"]
    assert place_best_fit(walk, service, 1).placed == ["best"]


def test_the_walk_offset_persists_between_replicas_of_one_evaluation() -> None:
    # N = 4, limit 2. Replica 1 scores a, b; replica 2 resumes at c (not at a): b, the fuller
    # of the nodes without a replica, is not seen again.
    walk = [node("a", 600), node("b", 500), node("c", 0), node("d", 100)]
    assert place_nomad(walk, Service("s", 100, 100, count=2), 2).placed == ["a", "d"]


def test_options_scoring_at_most_zero_are_skipped_while_the_walk_lasts() -> None:
    # count 2: a node holding a replica scores mean(binpack, -1) <= 0 and is skipped, so the
    # limit of 2 covers y and z; without the skip rule x and y would be the two options.
    x, y, z = node("x", 0), node("y", 100), node("z", 700)
    x.jobs["s"] = 1
    assert place_nomad([x, y, z], Service("s", 100, 100, count=2), 1).placed == ["z"]


def test_skipped_options_are_used_when_the_walk_runs_out() -> None:
    x1, x2 = node("x1", 100), node("x2", 300)
    for n in (x1, x2):
        n.jobs["s"] = 1
    assert score(x1, Service("s", 100, 100, count=3)) <= 0
    assert place_nomad([x1, x2], Service("s", 100, 100, count=3), 1).placed == ["x2"]


def test_ties_go_to_the_first_node_of_the_walk() -> None:
    assert place_nomad([node("n2"), node("n0"), node("n1")], Service("s", 10, 10, count=1), 1).placed == ["n2"]
    assert place_best_fit([node("n2"), node("n0"), node("n1")], Service("s", 10, 10, count=1), 1).placed == ["n2"]


def test_anti_affinity_is_soft_a_nearly_full_node_with_a_replica_beats_an_empty_one() -> None:
    service = Service("s", 50, 50, count=10)
    for place in (place_nomad, place_best_fit):
        busy, empty = node("busy", 850), node("empty", 0)
        busy.jobs["s"] = 1
        assert score(busy, service) > score(empty, service) > 0
        assert place([empty, busy], service, 1).placed == ["busy"]


def test_fullness_is_of_the_capacity_left_after_the_nodes_own_reservation() -> None:
    # `a` reserves half of its 4000 for itself: after the ask 1500 of its 2000 are free (75 %);
    # `b` keeps 500 of 1000 (50 %): `b` is fuller, as in Nomad's computeFreePercentage.
    a = Node("a", 4000, 4000, reserved_cpu=2000, reserved_memory=2000)
    b = Node("b", 1000, 1000)
    assert place_best_fit([a, b], Service("s", 500, 500, count=1), 1).placed == ["b"]


def test_a_failed_replica_stops_the_task_group_and_reports_its_own_walk() -> None:
    walk = [node("a", 0), node("b", 500), node("c", 0, pool="q"), node("d", 900)]
    outcome = place_nomad(walk, Service("s", 600, 100, count=4, pools=("p",)), 4)
    assert (outcome.placed, outcome.unplaced) == (["a"], 3)
    assert (outcome.nodes_evaluated, outcome.nodes_filtered) == (4, 1)
    assert outcome.dimension_exhausted == {"cpu": 3}  # a (now full), b and d: the failed replica's walk
    assert [n.used_cpu for n in walk] == [600, 500, 0, 900]


def test_a_failed_service_does_not_stop_the_next_one() -> None:
    result = simulate([node("a", 0)], [Service("big", 2000, 10, 1), Service("small", 10, 10, 2)], seed=1)
    assert result.unplaced == {"big": 1, "small": 0} and len(result.placed["small"]) == 2
    assert not result.landed


def cluster(size: int = 12) -> list[Node]:
    return [node(f"n{i}", (i * 37) % 400, size=2000) for i in range(size)]


SERVICES = [Service("web", 300, 200, 4), Service("api", 500, 700, 3), Service("db", 900, 900, 2)]


def test_a_seeded_run_is_reproducible_and_seeds_matter() -> None:
    first = simulate(cluster(), SERVICES, seed=7)
    assert simulate(cluster(), SERVICES, seed=7) == first
    assert first.evaluations == 3 and first.landed
    others = {tuple(map(tuple, simulate(cluster(), SERVICES, seed=s).placed.values())) for s in range(8)}
    assert len(others) > 1


def test_best_fit_is_deterministic_and_seed_free() -> None:
    runs = [simulate(cluster(), SERVICES, seed=s, scheduler=BEST_FIT).placed for s in range(3)]
    assert runs[0] == runs[1] == runs[2]


def test_unknown_scheduler_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown scheduler"):
        evaluate(cluster(), SERVICES[0], 1, scheduler="spread", seed=0, evaluation=0)


def test_simulated_autoscaling_grows_the_first_listed_pool_with_room_that_could_host() -> None:
    small = Pool("small", 500, 500, 0, 0, count=0, count_max=5)  # too small for the replica
    full = Pool("full", 2000, 2000, 0, 0, count=1, count_max=1)
    roomy = Pool("roomy", 2000, 2000, 0, 0, count=1, count_max=3)
    service = Service("s", 1500, 100, 5, pools=("small", "full", "roomy"))
    start = [node("f0", 0, pool="full", size=2000), node("r0", 0, pool="roomy", size=2000)]
    result = simulate(start, [service], seed=3, pools=[small, full, roomy])
    assert result.grown == {"roomy": 2} and result.unplaced == {"s": 1}
    assert result.nodes == ["f0", "r0", "roomy+1", "roomy+2"]
    assert sorted(result.placed["s"]) == ["f0", "r0", "roomy+1", "roomy+2"]  # one 1500 MHz replica per node
    assert result.evaluations == 3  # the submission, then one more per node autoscaling added


# -- over HTTP ------------------------------------------------------------------------------


def emulator_run(serve: Serve, **config: Any) -> tuple[dict[str, list[int]], list[str]]:
    """Pools and services created one after another; each service's nodes as creation indexes."""
    emulator, client = serve(provision_seconds=0, **config)
    b2s = create_pool(client, name="b2s", countMin=4, countMax=5)
    ds1 = create_pool(client, name="ds1", type_uuid=DS1_V2, countMin=3, countMax=3)
    specs = [
        ("web", 4, 800, 600, []),
        ("api", 3, 1500, 900, [b2s]),
        ("edge", 5, 300, 300, [ds1]),
        ("db", 2, 2500, 500, []),
    ]
    for name, count, cpu, memory, pools in specs:
        create_service(
            client,
            name=name,
            countMin=count,
            countMax=count,
            cpuLimit=cpu,
            memoryLimitMiB=memory,
            constraints={"instancePoolUuids": pools},
        )
    with emulator.app.state.store.transaction() as (state, _):
        order = list(state["instances"])
        by_name = {s["name"]: s["uuid"] for s in state["services"].values()}
        placed = {name: sorted(order.index(n) for n in state["allocations"][uuid]) for name, uuid in by_name.items()}
        pools_of = [state["instances"][u]["poolUuid"] for u in order]
    names = {b2s: "b2s", ds1: "ds1"}
    return placed, [names[p] for p in pools_of]


def test_the_emulator_places_as_the_pure_simulation_does(serve: Serve) -> None:
    placed, pools_of = emulator_run(serve, seed=11)
    sizes = {"b2s": (5586, 3903), "ds1": (2793, 3391)}
    start = [
        Node(f"{p}-{i}", *sizes[p], 650, 728, p, rank=(p, pools_of[:i].count(p))) for i, p in enumerate(pools_of[:7])
    ]
    services = [
        Service("web", 800, 600, 4, ("b2s", "ds1")),
        Service("api", 1500, 900, 3, ("b2s",)),
        Service("edge", 300, 300, 5, ("ds1",)),
        Service("db", 2500, 500, 2, ("b2s", "ds1")),
    ]
    pools = [Pool("b2s", *sizes["b2s"], 650, 728, 4, 5), Pool("ds1", *sizes["ds1"], 650, 728, 3, 3)]
    result = simulate(start, services, seed=11, pools=pools)
    assert len(pools_of) == len(result.nodes)
    assert placed == {s: sorted(result.nodes.index(n) for n in result.placed[s]) for s in placed}
    assert placed == emulator_run(serve, seed=11)[0]  # a second fresh emulator, same seed: same run


def test_best_fit_mode_over_http_fills_nodes_in_creation_order(serve: Serve) -> None:
    emulator, client = serve(scheduler="best-fit", seed=99)
    pool = create_pool(client, countMin=4, countMax=4)
    services = [create_service(client, name=f"s{i}", memoryLimitMiB=700) for i in range(6)]
    nodes = [i["uuid"] for i in pool_status(client, pool, instances=True)["instances"]]
    with emulator.app.state.store.transaction() as (state, _):
        first = list(state["instances"])[0]
    hosts = [service_status(client, s)["instances"][0]["uuid"] for s in services]
    assert hosts[:4] == [first] * 4 and len(set(hosts)) == 2 and set(hosts) <= set(nodes)


def scale_events(client: httpx.Client, pool: str) -> list[str]:
    return [e["message"] for e in client.get(f"/instancePools/{pool}/events").json() if "SCALED" in e["type"]]


def test_a_service_that_does_not_fit_grows_its_pool_up_to_count_max(serve: Serve) -> None:
    clock = ManualClock()
    _, client = serve(clock=clock, provision_seconds=2)
    pool = create_pool(client, name="web-pool", countMin=1, countMax=3)
    clock.advance(2)
    service = create_service(client, name="web", countMin=3, countMax=3, cpuLimit=3000)  # one per B2s node
    status = service_status(client, service)
    assert (status["status"], status["placementFailure"], status["countRunning"]) == ("PENDING", False, 1)
    growing = pool_status(client, pool)
    assert (growing["status"], growing["count"], growing["countRunning"]) == ("PROVISIONING", 2, 1)
    events = scale_events(client, pool)
    assert len(events) == 1 and events[0].startswith("scale-out: service web replica did not fit")
    assert "grows from 1 to 2" in events[0] and "cpu exhausted on 1 node(s)" in events[0]
    clock.advance(2)  # the new node is up: web is evaluated again, lands one more, grows again
    assert (service_status(client, service)["countRunning"], pool_status(client, pool)["count"]) == (2, 3)
    clock.advance(2)
    done = service_status(client, service)
    assert (done["status"], done["countRunning"], done["placementFailure"], done["dimensionExhausted"]) == (
        "DONE",
        3,
        False,
        None,
    )
    assert len({n["uuid"] for n in done["instances"]}) == 3
    final = pool_status(client, pool)
    assert (final["status"], final["count"], final["countRunning"], final["totalCpuMhz"]) == ("DONE", 3, 3, 3 * 5586)
    assert len(scale_events(client, pool)) == 2
    service_events = [e["type"] for e in client.get(f"/services/{service}/events").json()]
    assert service_events == [
        "SERVICE_CREATED",
        "INSTANCE_POOL_SCALED_OUT",
        "INSTANCE_POOL_SCALED_OUT",
        "SERVICE_PLACED",
    ]


def test_a_pool_at_count_max_leaves_the_placement_failure(client: httpx.Client) -> None:
    pool = create_pool(client, countMin=1, countMax=2)
    service = create_service(client, countMin=3, countMax=3, cpuLimit=3000)
    status = service_status(client, service)
    assert (status["status"], status["placementFailure"], status["countRunning"]) == ("ERROR", True, 2)
    assert status["dimensionExhausted"] == {"cpu": 2}
    assert "no instance pool it may use can grow" in status["errorMessage"]
    assert (pool_status(client, pool)["count"], pool_status(client, pool)["countRunning"]) == (2, 2)


def test_a_pool_the_service_may_not_use_does_not_grow(client: httpx.Client) -> None:
    allowed = create_pool(client, name="allowed", countMin=1, countMax=1)
    other = create_pool(client, name="other", countMin=1, countMax=5)
    service = create_service(
        client, countMin=2, countMax=2, cpuLimit=3000, constraints={"instancePoolUuids": [allowed]}
    )
    assert service_status(client, service)["placementFailure"] is True
    assert pool_status(client, other)["count"] == 1 and scale_events(client, other) == []


def test_idle_instances_above_count_min_are_removed_after_instance_unused_minutes(serve: Serve) -> None:
    clock = ManualClock()
    _, client = serve(clock=clock, provision_seconds=0)
    pool = create_pool(client, countMin=1, countMax=3, instanceUnusedMinutes=5)
    service = create_service(client, countMin=3, countMax=3, cpuLimit=3000)
    assert pool_status(client, pool)["count"] == 3
    assert client.put(f"/services/{service}", json={"countMin": 1}).status_code == 200
    clock.advance(299)
    assert pool_status(client, pool)["count"] == 3
    clock.advance(1)
    status = pool_status(client, pool, instances=True)
    assert (status["count"], status["countRunning"], status["status"]) == (1, 1, "DONE")
    assert status["instances"][0]["serviceCount"] == 1  # the instance that still hosts a replica stays
    shrink = [m for m in scale_events(client, pool) if m.startswith("scale-down")]
    assert len(shrink) == 2 and "hosted nothing for 5 minute(s)" in shrink[0]
    client.delete(f"/services/{service}")
    clock.advance(3600)
    assert pool_status(client, pool)["count"] == 1  # never below countMin


def test_scheduler_settings_come_from_the_environment() -> None:
    config = EmulatorConfig.from_env({"COSTPLAN_EMULATOR_SCHEDULER": "best-fit", "COSTPLAN_EMULATOR_SEED": "42"})
    assert (config.scheduler, config.seed) == ("best-fit", 42)
    assert (EmulatorConfig().scheduler, EmulatorConfig().seed) == ("nomad", 0)
    with pytest.raises(ValueError, match="scheduler must be one of nomad, best-fit"):
        EmulatorConfig.from_env({"COSTPLAN_EMULATOR_SCHEDULER": "random"})


def test_serve_help_documents_the_scheduler_settings() -> None:
    from click.testing import CliRunner

    from costplan.cli import cli

    text = CliRunner().invoke(cli, ["emulator", "serve", "--help"]).output
    assert "--scheduler [nomad|best-fit]" in text
    assert "COSTPLAN_EMULATOR_SCHEDULER" in text and "COSTPLAN_EMULATOR_SEED" in text
