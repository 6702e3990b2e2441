"""Factories for API clients over `httpx.MockTransport`, with an injected sleep that records."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator

import httpx
import pytest

from costplan.api import Client
from costplan.retry import RetryPolicy

BASE_URL = "https://api.layerops.test/v1"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def sleeps() -> list[float]:
    """Every delay the client asked to sleep, in order (the sync and async factories share it)."""
    return []


def _policy(max_retries: int) -> RetryPolicy:
    return RetryPolicy(max_retries=max_retries, backoff_base=0.5, backoff_max=30.0, rng=random.Random(7))


@pytest.fixture
def make_client(example_key: str, sleeps: list[float]) -> Iterator[Callable[..., Client]]:
    """`make_client(handler, max_retries=4, key=EXAMPLE_KEY)`: a Client closed at teardown."""
    with contextlib.ExitStack() as stack:

        def make(handler: Handler, *, max_retries: int = 4, key: str | None = example_key) -> Client:
            headers = {"X-API-KEY": key} if key else {}
            http = httpx.Client(base_url=BASE_URL, headers=headers, transport=httpx.MockTransport(handler))
            client = Client(http, retry=_policy(max_retries), sleep=sleeps.append)
            stack.callback(client.close)
            return client

        yield make
