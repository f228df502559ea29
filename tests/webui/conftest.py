"""The browser of the end-to-end tests: one Debian Chromium for the whole run (tests/webui/browser.py), and a fixture
that opens contexts and closes them after each test."""
import os

import pytest

from .browser import CHROMIUM, Browser
from .pages import ARTIFACTS, VIEWPORT


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):  # make test installs it (scripts/ensure_chromium.sh); no silent skip
        raise RuntimeError(f"{CHROMIUM} is missing: run `make chromium` (scripts/ensure_chromium.sh)")
    ARTIFACTS.mkdir(exist_ok=True)
    running = Browser()
    yield running
    running.close()


@pytest.fixture
def open_context(browser, live_server):
    """open_context(**options) -> a new browser context (1366×768, Asia/Ho_Chi_Minh, an English-speaking browser:
    the pages stay Vietnamese until the official switches), closed after the test."""
    contexts = []

    def make(**options):
        settings = {"viewport": VIEWPORT, "locale": "en-US", "timezone_id": "Asia/Ho_Chi_Minh", **options}
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
