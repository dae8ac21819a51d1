"""Browser tests: Playwright for Python driving Debian's Chromium headless (never a downloaded browser).

They need ``apt-get install -y chromium`` (``/usr/bin/chromium``) and ``pip install playwright``
(no ``playwright install``); without either they are skipped, saying which is missing. The live
server and the real worker come from `tests.e2e.site` and the integration fixtures.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.site import site  # noqa: F401  (fixture)
from tests.integration.conftest import Workers, workers  # noqa: F401  (fixtures)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
#: A fake microphone that plays a WAV file, for the MediaRecorder test.
FAKE_MIC = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def _playwright() -> Any:
    if not CHROMIUM.exists():
        pytest.skip("Debian's Chromium is not installed (/usr/bin/chromium): apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed: pip install playwright (no 'playwright install')")
    return sync_playwright


@pytest.fixture(scope="session")
def playwright() -> Iterator[Any]:
    with _playwright()() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Any) -> Iterator[Any]:
    b = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
    yield b
    b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()
