"""Reports opened in headless Chromium: they render offline, and the page shows the plan's numbers.

Chromium's traffic goes to a trap proxy on 127.0.0.1 that answers every request with 502 and
records it, so nothing leaves the machine and any request the page makes is seen. Chromium itself
calls a few Google services in the background (updates, sign-in, time); those are listed below
and told apart from requests a report could make. Without Chromium these tests fail, never skip:
CI installs it (`.ci/run`).
"""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from costplan.report import render_catalogue_report, render_plan_report, render_status_report, write_report
from tests.report import samples
from tests.report.htmlcheck import Page, numbers_in
from tests.report.test_plan_report import shown_figures

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WINDOW = (1280, 2000)
# The browser's own background calls (not the page's): seen with Debian's chromium wrapper.
BROWSER_SERVICE_HOSTS = {
    "accounts.google.com",
    "clients1.google.com",
    "clients2.google.com",
    "update.googleapis.com",
    "optimizationguide-pa.googleapis.com",
    "safebrowsingohttpgateway.googleapis.com",
    "content-autofill.googleapis.com",
    "redirector.gvt1.com",
    "edgedl.me.gvt1.com",
}


def find_chromium() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(
        "Chromium is required for the HTML report browser checks and was not found on PATH "
        f"(looked for {', '.join(BROWSERS)}). Install it, e.g. `apt-get install chromium` "
        "(.ci/run does this on CI).",
        pytrace=False,
    )


class TrapProxy:
    """A loopback 'proxy' that records each request line and refuses it with 502."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    line = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                    conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    line = "(unreadable)"
                self.requests.append(line)

    def page_requests(self) -> list[str]:
        """Requests not made by Chromium's own background services."""
        return [line for line in self.requests if _host(line) not in BROWSER_SERVICE_HOSTS]

    def close(self) -> None:
        self._server.close()


def _host(request_line: str) -> str:
    parts = request_line.split()
    target = parts[1] if len(parts) > 1 else ""
    target = target.split("://", 1)[-1]
    return target.split("/", 1)[0].split(":", 1)[0].lower()


@pytest.fixture
def trap() -> Iterator[TrapProxy]:
    proxy = TrapProxy()
    yield proxy
    proxy.close()


def open_in_chromium(html_file: Path, trap: TrapProxy, tmp_path: Path, window: tuple[int, int] = WINDOW):
    """Screenshot and DOM of `html_file` in one headless run; returns (png path, DOM text)."""
    png = tmp_path / f"{html_file.stem}-{window[0]}.png"
    command = [
        find_chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--proxy-server=http://127.0.0.1:{trap.port}",
        "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        f"--screenshot={png}",
        f"--window-size={window[0]},{window[1]}",
        "--dump-dom",
        html_file.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return png, result.stdout


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def reports(tmp_path: Path) -> dict[str, Path]:
    kw = {"generated_at": samples.GENERATED_AT, "source": "sandbox"}
    catalogue = samples.catalogue_frame()
    pages = {
        "plan": render_plan_report(samples.plan(), catalogue=catalogue, current=samples.CURRENT_POOLS, **kw),
        "catalogue": render_catalogue_report(
            catalogue, quality=samples.quality_frame(), missing=samples.missing_frame(), **kw
        ),
        "status": render_status_report(samples.STATUS_POOLS, samples.STATUS_SERVICES, catalogue=catalogue, **kw),
    }
    return {name: write_report(html, tmp_path / f"{name}.html") for name, html in pages.items()}


def test_chromium_is_installed() -> None:
    assert Path(find_chromium()).exists()


@pytest.mark.parametrize("kind", ["plan", "catalogue", "status"])
def test_report_renders_offline_in_chromium(kind: str, trap: TrapProxy, tmp_path: Path) -> None:
    html_file = reports(tmp_path)[kind]
    png, dom = open_in_chromium(html_file, trap, tmp_path)
    assert png.exists() and png.stat().st_size > 30_000, "screenshot missing or blank"
    assert png_size(png) == WINDOW
    page = Page(dom)
    assert "SANDBOX" in page.text_of("source")
    assert page.text_of("headline")
    assert samples.HOSTILE_TYPE in page.text  # shown as text after the browser parsed it
    assert page.elements("script") == []  # ...and not turned into an element
    assert trap.page_requests() == [], "the report made network requests"


def test_plan_headline_in_the_browser_equals_the_plan(trap: TrapProxy, tmp_path: Path) -> None:
    plan = samples.plan()
    html_file = write_report(
        render_plan_report(plan, source="live API", generated_at=samples.GENERATED_AT), tmp_path / "plan.html"
    )
    _, dom = open_in_chromium(html_file, trap, tmp_path)
    expected = shown_figures(plan)
    headline = Page(dom).text_of("headline")
    assert numbers_in(headline) == [
        expected["monthly_cost"],
        expected["lower_bound"],
        expected["gap"],
        expected["gap_amount"],
    ]
    assert "LIVE" in Page(dom).text_of("source")


def test_plan_report_renders_on_a_phone_width(trap: TrapProxy, tmp_path: Path) -> None:
    png, dom = open_in_chromium(reports(tmp_path)["plan"], trap, tmp_path, window=(390, 1600))
    assert png_size(png) == (390, 1600) and png.stat().st_size > 20_000
    assert "203.99" in Page(dom).text_of("headline")


def test_the_trap_sees_a_page_that_does_fetch(trap: TrapProxy, tmp_path: Path) -> None:
    """The check above is only worth something if a leaky page would fail it."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!doctype html><img src="http://canary.invalid/pixel.png"><p>leaky</p>')
    open_in_chromium(leaky, trap, tmp_path)
    assert any("canary.invalid" in line for line in trap.page_requests()), trap.requests
