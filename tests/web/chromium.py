"""Headless Chromium driven by selenium, for the real-browser tests: the browser and its
driver are looked up on PATH (Debian's ``chromium`` / ``chromium-driver``, or another
Chromium or Chrome build), the marks that make the tests slow and skip them locally where
either is missing, and the driver itself. Under CI (``CI=true``) a missing browser is a
failure, not a skip (``support.need``): the only real-browser tests cannot vanish while CI
stays green."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
import support

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    """The first Chromium or Chrome executable on PATH, or None."""
    return next(filter(None, map(shutil.which, BROWSER_NAMES)), None)


def find_driver() -> str | None:
    """chromedriver on PATH, or None."""
    return shutil.which("chromedriver")


CHROMIUM = find_browser()
CHROMEDRIVER = find_driver()
_ABSENT = [name for name, path in (("Chromium or Chrome (" + ", ".join(BROWSER_NAMES) + ")",
                                    CHROMIUM), ("chromedriver", CHROMEDRIVER)) if not path]
MISSING = (f"{' and '.join(_ABSENT)} not on PATH: apt-get install -y chromium chromium-driver"
           if _ABSENT else None)
# Locally a missing browser skips at collection; under CI the tests run and driver() fails.
MARKS = [pytest.mark.slow]
if MISSING and not support.in_ci():
    MARKS.append(pytest.mark.skip(reason=MISSING))


def driver(profile_dir: str) -> Iterator:
    """A headless Chromium (no network chatter, 1200x900 at scale 1), quit afterwards."""
    support.need(MISSING is None, MISSING or "")
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                     f"--user-data-dir={profile_dir}", "--window-size=1200,900",
                     "--force-device-scale-factor=1"):
        options.add_argument(argument)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    browser = webdriver.Chrome(options=options, service=service)
    try:
        yield browser
    finally:
        browser.quit()
