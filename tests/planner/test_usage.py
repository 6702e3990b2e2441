"""Usage-aware estimates, committed prices and cost per service (issue 13, items 5-7), by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costplan.errors import InputError
from costplan.planner import PlanOptions, make_plan, verify_plan
from costplan.plans import Node, Plan, Replica, Usage, to_units
from costplan.sharing import cost_shares, node_shares
from costplan.usage import expected_monthly_cost, usage_from_dict
from tests.planner.conftest import catalogue, service

FAST = PlanOptions(time_limit=3)
# 2 vCPU / 4 GB at the documented B2s price: usable 4936 MHz and 3175 MB with the default capacity model.
B2S = [("Alpha", "b2s", 2, 4.0, 33.984)]


def test_expected_cost_to_the_cent_on_a_weekday_profile() -> None:
    """web: 2 replicas of 2000 MHz / 1000 MB at baseline, 6 at peak; 2 fit a node (4936 // 2000).

    baseline 1 node = 33.984; peak 3 nodes = 101.952; burst 67.968.
    Mon-Fri 09-18: 5 x 9 = 45 h a week x 720/168 = 192.8571 h a month.
    expected = 33.984 + 67.968 x 192.8571 / 720 = 33.984 + 18.20571... = 52.1897 (52.19 to the cent).
    """
    usage = usage_from_dict({"peak": {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": "09-18"}}, "s.yaml")
    assert usage.peak_hours_per_month == 192.8571
    plan = make_plan(catalogue(B2S), [service("web", 2, 2000, 1000, count_max=6)], _with(usage=usage))
    assert plan.peak is not None
    assert (plan.monthly_cost, plan.peak.monthly_cost) == (33.984, 101.952)
    assert plan.expected_monthly_cost == 52.1897
    assert round(plan.expected_monthly_cost, 2) == 52.19
    data = plan.to_dict()
    assert data["usage"] == {"peak_hours_per_month": 192.8571, "source": usage.source}
    assert "192.8571 h a month at peak" in data["assumptions"]["usage"]
    verify_plan(data)


def test_no_usage_means_no_expected_cost_and_the_ends_of_the_month() -> None:
    plan = make_plan(catalogue(B2S), [service("web", 2, 2000, 1000, count_max=6)], FAST)
    assert plan.expected_monthly_cost is None and plan.to_dict()["usage"] is None
    assert plan.to_dict()["expected_monthly_cost"] is None
    assert expected_monthly_cost(33.984, 101.952, Usage(0, "x")) == 33.984
    assert expected_monthly_cost(33.984, 101.952, Usage(720, "x")) == 101.952
    assert expected_monthly_cost(10.0, 20.0, Usage(200, "x")) == 12.7778  # 10 + 10 x 200/720, half up
    assert expected_monthly_cost(10.0, None, Usage(200, "x")) == 10.0  # no peak plan: the peak is the baseline


def test_a_tampered_expected_cost_fails_verification() -> None:
    plan = make_plan(catalogue(B2S), [service("web", 2, 2000, 1000, count_max=6)], _with(usage=Usage(200.0, "t")))
    data = {**plan.to_dict(), "expected_monthly_cost": 1.0}
    with pytest.raises(Exception, match="expected_monthly_cost"):
        verify_plan(data)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"peakHoursPerMnth": 3}, "did you mean 'peakHoursPerMonth'"),
        ({"peakHoursPerMonth": 800}, "from 0 to 720"),
        ({"peakHoursPerMonth": 10, "peak": {"days": ["mon"], "hours": "09-10"}}, "exactly one of"),
        ({"peak": {"days": ["mon", "frday"], "hours": "09-18"}}, "unknown day 'frday': did you mean 'friday'"),
        ({"peak": {"days": ["mon"], "hours": "18-09"}}, "start before end"),
        ({"peak": {"days": ["mon"], "hour": "09-18"}}, "did you mean 'hours'"),
    ],
)
def test_bad_usage_blocks_are_errors_with_hints(block: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        usage_from_dict(block, "s.yaml")


def test_cost_per_service_by_the_binding_dimension_by_hand() -> None:
    """One 50.00 node (4936 MHz, 3175 MB): api 2000 MHz / 500 MB, db 500 MHz / 2000 MB.

    CPU used 2500/4936 = 50.6 %, memory 2500/3175 = 78.7 %: memory binds.
    api 50 x 500/3175 = 7.87402, db 50 x 2000/3175 = 31.49606, idle 50 x 675/3175 = 10.62992:
    in 1/10000 units 78740.16 + 314960.63 + 106299.21 -> floors 499999, the last unit to db (.63).
    """
    node = Node("p", 4936, 3175, (Replica("api", 2000, 500), Replica("db", 500, 2000)))
    assert node_shares(node, to_units(50.0)) == {"api": 78740, "db": 314961, "": 106299}
    shares = cost_shares([node], {"p": 50.0})
    assert shares.services == {"api": 7.874, "db": 31.4961} and shares.idle == 10.6299


def test_an_over_full_node_is_split_pro_rata_and_a_node_without_capacity_is_idle() -> None:
    """Over-full (1000 MHz node, 900 + 300 MHz used, CPU binds): no idle share, 7 units split 3:1 ->
    5.25 / 1.75 -> floors 5 + 1, the last unit to b (.75); a node with no capacity is all idle."""
    node = Node("p", 1000, 5000, (Replica("a", 900, 10), Replica("b", 300, 10)))
    assert node_shares(node, 7) == {"a": 5, "b": 2, "": 0}
    assert node_shares(Node("p", 0, 0, (Replica("a", 1, 1),)), 7) == {"": 7}


def test_plan_carries_cost_per_service_summing_to_its_cost() -> None:
    rows = [("Alpha", "g2", 2, 4.0, 50.0), ("Alpha", "g4", 4, 16.0, 130.0)]
    specs = [service("api", 3, 1500, 600), service("db", 1, 800, 2500), service("idle-only", 0, 100, 100)]
    plan = make_plan(catalogue(rows), specs, FAST)
    data = plan.to_dict()
    costs = {s["name"]: s["monthly_cost"] for s in data["services"]}
    assert set(costs) == {"api", "db", "idle-only"} and costs["idle-only"] == 0.0
    total = sum(to_units(v) for v in costs.values()) + to_units(data["idle_monthly_cost"])
    assert total == to_units(plan.monthly_cost)
    assert data["assumptions"]["cost_per_service"].startswith("each node's monthly price split")


_replica = st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 3000), st.integers(0, 3000))


@given(
    st.lists(
        st.tuples(
            st.integers(1, 9000), st.integers(1, 9000), st.lists(_replica, max_size=5), st.integers(1, 5_000_000)
        ),
        min_size=1,
        max_size=6,
    )
)
def test_shares_always_add_up_to_the_nodes_cost_exactly(raw: list[tuple[int, int, list, int]]) -> None:
    nodes, prices = [], {}
    for i, (cpu, mem, replicas, units) in enumerate(raw):
        fitting, used_c, used_m = [], 0, 0
        for name, c, m in replicas:  # keep each node within its capacity, as a valid plan does
            if used_c + c <= cpu and used_m + m <= mem:
                fitting.append(Replica(name, c, m))
                used_c, used_m = used_c + c, used_m + m
        nodes.append(Node(f"p{i}", cpu, mem, tuple(fitting)))
        prices[f"p{i}"] = units / 10_000
    shares = cost_shares(nodes, prices)
    assert sum(shares.units.values()) == sum(to_units(p) for p in prices.values())
    assert all(v >= 0 for v in shares.units.values())
    assert sum(to_units(v) for v in shares.services.values()) + to_units(shares.idle) == sum(
        to_units(p) for p in prices.values()
    )


def _committed_catalogue() -> object:
    """Same capacity: "ondemand" 100.00 a month, no committed price; "committed" 120.00 on demand,
    but 0.10/h committed = 72.00 a month. On demand the first is cheaper, committed the second."""
    frame = catalogue([("Alpha", "ondemand", 2, 4.0, 100.0), ("Alpha", "committed", 2, 4.0, 120.0)])
    frame["reserved_hourly_price"] = frame["reserved_hourly_price"].astype("Float64")
    frame.loc[frame["instance_type"] == "committed", "reserved_hourly_price"] = 0.1
    return frame


def test_committed_pricing_changes_the_chosen_pools() -> None:
    specs = [service("web", 1, 2000, 2000, count_max=2)]  # one replica per node (3175 MB)
    default = make_plan(_committed_catalogue(), specs, FAST)
    committed = make_plan(_committed_catalogue(), specs, _with(commit="baseline", usage=Usage(360, "half")))
    assert [p.instance_type for p in default.pools] == ["ondemand"] and default.commit is None
    assert default.to_dict()["commit"] is None
    assert [p.instance_type for p in committed.pools] == ["committed"]
    assert committed.monthly_cost == 72.0 and committed.status == "optimal" and committed.lower_bound == 72.0
    assert committed.commit is not None
    block = committed.to_dict()["commit"]
    assert {k: block[k] for k in ("mode", "committed_monthly_cost", "on_demand_monthly_cost", "saving")} == {
        "mode": "baseline",
        "committed_monthly_cost": 72.0,
        "on_demand_monthly_cost": 120.0,
        "saving": 48.0,
    }
    # At peak the committed node stays and the second one is on demand: 72 + 120 (on demand: 2 x 100 = 200).
    assert committed.peak is not None and committed.peak.monthly_cost == 192.0
    assert default.peak is not None and default.peak.monthly_cost == 200.0
    assert committed.expected_monthly_cost == 132.0  # 72 + 120 x 360/720
    verify_plan(committed.to_dict())


def test_commit_without_committed_prices_changes_nothing() -> None:
    specs = [service("web", 1, 2000, 2000)]
    plain = make_plan(catalogue(B2S), specs, FAST)
    committed = make_plan(catalogue(B2S), specs, _with(commit="baseline"))
    assert committed.monthly_cost == plain.monthly_cost
    assert committed.commit is not None and committed.commit.saving == 0.0


def test_old_plan_files_without_the_new_fields_still_load() -> None:
    plan = make_plan(_committed_catalogue(), [service("web", 1, 2000, 2000, count_max=2)], _with(commit="baseline"))
    data = plan.to_dict()
    old = {k: v for k, v in data.items() if k not in ("expected_monthly_cost", "usage", "commit", "idle_monthly_cost")}
    old["services"] = [{k: v for k, v in s.items() if k != "monthly_cost"} for s in data["services"]]
    loaded = Plan.from_dict(old)
    assert loaded.commit is None and loaded.usage is None and loaded.expected_monthly_cost is None
    assert loaded.service_costs == {} and loaded.idle_monthly_cost is None
    again = Plan.from_dict(data)
    assert again.to_dict() == data


def _with(**kw: object) -> PlanOptions:
    return PlanOptions(time_limit=3, **kw)  # type: ignore[arg-type]


def test_tampered_saving_or_service_cost_fails_verification() -> None:
    plan = make_plan(_committed_catalogue(), [service("web", 1, 2000, 2000, count_max=2)], _with(commit="baseline"))
    data = plan.to_dict()
    with pytest.raises(Exception, match="saving"):
        verify_plan({**data, "commit": {**data["commit"], "saving": 1.0}})
    services = [{**s, "monthly_cost": s["monthly_cost"] + 1} for s in data["services"]]
    with pytest.raises(Exception, match="binding dimension"):
        verify_plan({**data, "services": services})
