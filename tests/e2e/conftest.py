"""Browser end-to-end fixtures: Lotse served by a real HTTP server, driven by Debian's Chromium.

The browser is never downloaded: Playwright launches the system Chromium at ``/usr/bin/chromium``
(CI installs it with apt). Without it the tests fail in CI and are skipped elsewhere.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from engine.calendar.business_calendar import BusinessCalendar
from engine.demo.seed import DEMO_PASSWORD, ensure_staff
from engine.kernel.clock import SystemClock
from engine.kernel.context import EngineContext, build_context
from engine.processes.deployment import deploy_process
from engine.store import schema
from engine.store.vault import Vault
from tests.conftest import shipped_models
from web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Route

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
BUNDLE = ROOT / "web" / "static" / "dist"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TIMEOUT_MS = 15_000


def _missing(reason: str) -> NoReturn:
    """A missing prerequisite fails the run in CI and skips the browser tests elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@dataclass
class LiveServer:
    url: str
    ctx: EngineContext  # the server's engine, for a test to set up what a browser then works on
    password: str = DEMO_PASSWORD


@pytest.fixture(scope="module")
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """Lotse on SQLite with the shipped models and the demo staff, on a free port of 127.0.0.1; a test
    module's ``LIVE_SERVER_CONFIG`` (a dict) is added to the app's configuration."""
    for bundle in ("app.js", "diagram.js"):
        if not (BUNDLE / bundle).is_file():
            pytest.fail(
                f"The front-end bundle web/static/dist/{bundle} is missing; run `make frontend` "
                "(make test does it first) before the browser tests.",
                pytrace=False,
            )
    tmp = tmp_path_factory.mktemp("lotse-e2e")
    ctx = build_context(
        f"sqlite:///{tmp / 'lotse.db'}",
        Vault({"test": b"k" * 32}, "test"),
        BusinessCalendar(land="NW"),
        SystemClock(),
    )
    schema.upgrade(ctx.db)
    bpmn, dmn = shipped_models()
    deploy_process(ctx, "test", bpmn, dmn)
    ensure_staff(ctx)
    extra = getattr(request.module, "LIVE_SERVER_CONFIG", {})
    app = create_app({"INSTANCE_PATH": str(tmp), "LOTSE_CONTEXT": ctx, **extra})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="lotse-e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", ctx=ctx)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        ctx.db.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless system Chromium; Playwright's own browser downloads are never used."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _missing(f"{CHROMIUM} is not installed (apt-get install chromium); the browser tests need it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the Python package playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            # Only 127.0.0.1 is ever contacted; no proxy from the environment may reroute it.
            args=["--no-proxy-server", "--disable-extensions", "--no-first-run"],
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@dataclass
class Watch:
    """What a browser context did that the test must not allow: leave localhost, throw in a script, or
    run into Lotse's Content-Security-Policy (Chromium reports each refusal on the console)."""

    outside_requests: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            where = message.location
            self.csp_violations.append(f"{message.text} ({where.get('url')}:{where.get('lineNumber')})")


@pytest.fixture
def new_context(
    browser: Browser, live_server: LiveServer
) -> Iterator[Callable[[], tuple[BrowserContext, Watch]]]:
    """Opens browser contexts (separate cookie jars = separate people) that may only talk to the server."""
    opened: list[tuple[BrowserContext, Watch]] = []
    allowed = urlsplit(live_server.url).netloc

    def open_context() -> tuple[BrowserContext, Watch]:
        context = browser.new_context(
            base_url=live_server.url,
            locale="de-DE",
            timezone_id="Europe/Berlin",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        watch = Watch()

        def guard(route: Route) -> None:
            target = urlsplit(route.request.url)
            if target.scheme in ("http", "https") and target.netloc != allowed:
                watch.outside_requests.append(route.request.url)
                route.abort()
            else:
                route.continue_()

        context.route("**/*", guard)
        context.on(
            "page", lambda page: page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
        )
        context.on("console", watch.console)
        opened.append((context, watch))
        return context, watch

    yield open_context
    for context, _ in opened:
        context.close()
    refused = [text for _, watch in opened for text in watch.csp_violations]
    assert refused == [], f"the Content-Security-Policy refused something the pages need: {refused}"
