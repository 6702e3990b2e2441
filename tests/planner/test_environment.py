"""One environment per plan: without one given, pools never mix environments (provisioning targets one)."""

from __future__ import annotations

import pandas as pd
import pytest

from costplan.errors import InfeasiblePlan
from costplan.planner import PlanOptions, make_plan
from tests.planner.conftest import catalogue, service

FAST = PlanOptions(time_limit=3)


def two_environments() -> pd.DataFrame:
    staging = catalogue([("AWS", "a4", 4, 16, 100.0), ("AWS", "a2", 2, 8, 55.0)], environment="env-staging")
    prod = catalogue([("Azure", "z4", 4, 16, 80.0), ("Azure", "z2", 2, 8, 45.0)], environment="env-prod")
    return pd.concat([staging, prod], ignore_index=True)


def test_services_pinned_to_providers_of_different_environments_are_an_error_naming_them() -> None:
    services = [service("api", 2, 500, 512, providers=("AWS",)), service("db", 1, 500, 512, providers=("Azure",))]
    with pytest.raises(InfeasiblePlan) as caught:
        make_plan(two_environments(), services, FAST)
    message = str(caught.value)
    assert "no single environment can host every service" in message
    assert "'api' only in env-staging" in message and "'db' only in env-prod" in message
    assert "--environment" in message


def test_the_only_environment_that_can_host_everything_is_chosen_and_said() -> None:
    services = [service("api", 2, 500, 512), service("db", 1, 500, 512, providers=("AWS",))]
    plan = make_plan(two_environments(), services, FAST)
    assert {p.provider for p in plan.pools} == {"AWS"} and plan.environment_uuid == "env-staging"
    assert plan.assumptions["catalogue"]["candidate_types"] == 2
    assert "the only environment of 2" in plan.assumptions["catalogue"]["environment"]


def test_among_several_able_environments_one_is_chosen_never_a_mix() -> None:
    # The cheapest single types are spread over both environments; the plan still uses one.
    frame = two_environments()
    frame.loc[frame["instance_type"] == "a2", "monthly_price"] = 10.0
    services = [service("api", 4, 3000, 2000), service("db", 1, 500, 12000)]
    plan = make_plan(frame, services, FAST)
    environments = set(
        frame.set_index("instance_type_uuid").loc[[p.instance_type_uuid for p in plan.pools], "environment_uuid"]
    )
    assert len(environments) == 1 and plan.environment_uuid in environments
    assert "cheapest capacity-price estimate" in plan.assumptions["catalogue"]["environment"]
    given = make_plan(frame, services, PlanOptions(time_limit=3, environment_uuid="env-prod"))
    assert {p.provider for p in given.pools} == {"Azure"} and "environment" not in given.assumptions["catalogue"]
