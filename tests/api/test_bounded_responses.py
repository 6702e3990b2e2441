"""Issue 11, findings 5 and 6 (API side): an overall deadline per request, a cap on the decompressed
body, and numbers or nesting no LayerOps answer has are clear response errors."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from costplan.api import Client
from costplan.errors import ApiResponseError, ApiTransportError
from costplan.retry import RetryPolicy


@pytest.fixture
def raw_server() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback HTTP server answering each request with `answers[0]`, trickled one byte per 50 ms
    when the answer starts with b"TRICKLE " (the rest is the response)."""
    answers: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                answer = answers[0]
                try:
                    if answer.startswith(b"TRICKLE "):
                        for byte in answer[len(b"TRICKLE ") :]:
                            if stop.is_set():
                                break
                            conn.sendall(bytes([byte]))
                            time.sleep(0.05)
                    else:
                        conn.sendall(answer)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1", answers
    stop.set()
    thread.join(5)
    listener.close()


def client_for(url: str, **kwargs: object) -> Client:
    http = httpx.Client(base_url=url, timeout=httpx.Timeout(2.0))
    return Client(http, retry=RetryPolicy(max_retries=0), sleep=lambda s: None, **kwargs)  # type: ignore[arg-type]


def test_a_body_trickled_byte_by_byte_stops_at_the_overall_deadline(raw_server: tuple[str, list[bytes]]) -> None:
    url, answers = raw_server
    body = b'{"workspaces": []}' + b" " * 400
    answers.append(b"TRICKLE HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body)
    started = time.monotonic()
    with client_for(url, deadline=1.0) as client, pytest.raises(ApiTransportError) as caught:
        client.list_workspaces()
    assert time.monotonic() - started < 4.0  # per-read timeout (2 s) never fired: each byte came in time
    assert "GET /workspaces" in str(caught.value) and "request deadline" in str(caught.value)


def test_a_gzip_bomb_stops_at_the_size_cap_naming_the_endpoint(raw_server: tuple[str, list[bytes]]) -> None:
    url, answers = raw_server
    bomb = gzip.compress(b"[" + b" " * (48 * 1024 * 1024) + b"]", compresslevel=6)
    assert len(bomb) < 1024 * 1024
    answers.append(
        b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % len(bomb) + bomb
    )
    with client_for(url, max_response_bytes=4 * 1024 * 1024) as client, pytest.raises(ApiResponseError) as caught:
        client.list_instance_types("p1")
    message = str(caught.value)
    assert "GET /providers/p1/instancesTypes" in message and "larger than 4 MB" in message
    assert "max_response_mb" in message


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b'[{"uuid": "p", "name": "x", "countMin": 1e400}]', "out of range"),
        (b'[{"uuid": "p", "name": "x", "countMin": 1' + b"0" * 30 + b"}]", "out of range"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b'[{"uuid": "p", "name": "x", "countMin": NaN}]', "NaN is not a JSON number"),
    ],
)
def test_numbers_out_of_range_and_deep_nesting_are_response_errors(
    raw_server: tuple[str, list[bytes]], body: bytes, fragment: str
) -> None:
    url, answers = raw_server
    answers.append(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body)
    with client_for(url) as client, pytest.raises(ApiResponseError) as caught:
        client.list_instance_pools("e1")
    assert "GET /environments/e1/instancePools" in str(caught.value) and fragment in str(caught.value)


@pytest.mark.parametrize("body", [b"", b'{"uuid": ', b'{"name": "x"}', b'{"uuid": ""}'])
def test_a_create_answered_2xx_without_a_uuid_is_an_unknown_outcome(
    raw_server: tuple[str, list[bytes]], body: bytes
) -> None:
    url, answers = raw_server
    answers.append(b"HTTP/1.1 201 Created\r\ncontent-length: %d\r\n\r\n" % len(body) + body)
    with client_for(url) as client, pytest.raises(ApiResponseError) as caught:
        client.create_instance_pool("p1", {"name": "x"})
    assert getattr(caught.value, "outcome_unknown", False) is True
    assert "check what exists" in str(caught.value)
