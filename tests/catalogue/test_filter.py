"""Browsing: filters, name patterns and validated sorting."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from costplan.catalogue import filter_catalogue
from costplan.errors import InputError
from tests.catalogue.conftest import GCP, api_handler


@pytest.fixture
def frame(run_collect: Any) -> pd.DataFrame:
    return run_collect(api_handler()).frame


def names(view: pd.DataFrame) -> list[str]:
    return view["instance_type"].tolist()


def test_no_criteria_returns_everything(frame: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(filter_catalogue(frame), frame)


def test_numeric_filters_combine(frame: pd.DataFrame) -> None:
    view = filter_catalogue(frame, min_vcpus=2, min_memory_gb=8, max_monthly_price=100)
    assert names(view) == ["e2-standard-2", "e2-standard-4", "GP1-XS"]
    assert list(view.index) == [0, 1, 2]


def test_provider_by_name_or_uuid_case_insensitive(frame: pd.DataFrame) -> None:
    assert names(filter_catalogue(frame, provider="azure")) == ["B2s", "DS1 v2"]
    assert len(filter_catalogue(frame, provider=[GCP.upper(), "Scaleway"])) == 5


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("e2-*", ["e2-standard-2", "e2-standard-4"]),
        ("*STANDARD-?", ["e2-standard-2", "e2-standard-4"]),
        ("highmem", ["n2-highmem-8"]),
        ("re:^(b2s|dev1)", ["B2s", "DEV1-S"]),
    ],
)
def test_name_patterns(frame: pd.DataFrame, pattern: str, expected: list[str]) -> None:
    assert sorted(names(filter_catalogue(frame, name_pattern=pattern))) == sorted(expected)


def test_bad_regex_is_an_input_error(frame: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="not a valid regular expression"):
        filter_catalogue(frame, name_pattern="re:(")


def test_sort_ascending_and_descending_with_stable_ties(frame: pd.DataFrame) -> None:
    view = filter_catalogue(frame, sort="price_per_vcpu_month")
    assert view["price_per_vcpu_month"].is_monotonic_increasing
    assert names(view)[0] == "DEV1-S"
    down = filter_catalogue(frame, sort="vcpus", descending=True)
    assert down["vcpus"].tolist() == [8, 4, 4, 2, 2, 2, 1]
    # Ties keep provider then name order.
    assert names(down)[1:3] == ["e2-standard-4", "GP1-XS"]


def test_unknown_sort_column_lists_the_valid_ones(frame: pd.DataFrame) -> None:
    with pytest.raises(InputError) as caught:
        filter_catalogue(frame, sort="price")
    assert "cannot sort by 'price'" in str(caught.value) and "price_per_vcpu_month" in str(caught.value)
