"""Browser-test helpers: the app served by uvicorn in a thread on a free 127.0.0.1 port, and Debian's Chromium
driven by Playwright (``playwright install`` cannot download browsers here; Chromium is launched by its path).

Without ``chromium`` or Playwright the browser tests skip with a reason, unless ``USCM_ARCHIVE_REQUIRE_BROWSER=1``
(CI), where that is a failure. Use in a test module::

    from tests.support import browser
    browser_session = browser.browser_session    # one Chromium per test session
    live = browser.serve(settings)               # a context manager yielding the base URL
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
    "--mute-audio",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(settings) -> Iterator[str]:
    """Serve ``create_app(settings)`` with uvicorn in a thread; yields ``http://127.0.0.1:PORT``."""
    from web.app import create_app

    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def unavailable(reason: str):
    if os.environ.get("USCM_ARCHIVE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required (USCM_ARCHIVE_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


class _SharedBrowser:
    """One Playwright and one Chromium for the whole run, however many test modules take the fixture
    (Playwright's sync API cannot run twice at once in one thread)."""

    def __init__(self):
        self.users = 0
        self.playwright_manager = None
        self.browser = None

    def acquire(self):
        if self.browser is None:
            executable = shutil.which("chromium")
            if not executable:
                unavailable("chromium is not installed (apt-get install chromium)")
            try:
                from playwright.sync_api import sync_playwright
            except ImportError:
                unavailable("playwright is not installed (pip install -e '.[test]')")
            self.playwright_manager = sync_playwright()
            playwright = self.playwright_manager.start()
            self.browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_FLAGS
            )
        self.users += 1
        return self.browser

    def release(self):
        self.users -= 1
        if self.users == 0 and self.browser is not None:
            self.browser.close()
            self.playwright_manager.__exit__(None, None, None)
            self.browser = self.playwright_manager = None


_SHARED = _SharedBrowser()


@pytest.fixture(scope="session")
def browser_session():
    """The headless Chromium shared by every browser test of the session."""
    browser = _SHARED.acquire()
    try:
        yield browser
    finally:
        _SHARED.release()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under ``test-artifacts/`` (git-ignored) for review."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def focus_by_tab(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches ``selector`` (as a keyboard-only user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} was not reached with {limit} presses of Tab")
