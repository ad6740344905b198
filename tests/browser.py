"""Shared Playwright helpers: headless Debian Chromium with every non-local request blocked.

The ``browser`` fixture is made available to every module by conftest.py. Usage::

    from browser import open_page, requires_chromium

    @requires_chromium
    @pytest.mark.browser
    def test_x(browser):
        with open_page(browser, url) as (page, log):
            ...
            log.assert_clean()
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).parent / "artifacts"

# `make test` installs Chromium, and CI sets CI=true: there a missing browser is a failure, not a skip
BROWSER_REQUIRED = os.environ.get("CI", "").lower() in ("1", "true")
requires_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and not BROWSER_REQUIRED,
    reason="headless Chromium not installed: apt-get install -y chromium chromium-driver (make test does it)")


@dataclass
class PageLog:
    """What a page did that a safe, offline page must not do."""

    blocked: list[str] = field(default_factory=list)  # requests that tried to leave the machine
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert not self.blocked, f"requests left the page: {self.blocked}"
        assert not self.page_errors, f"uncaught errors: {self.page_errors}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.dialogs, f"dialogs opened (injected script ran?): {self.dialogs}"


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (Playwright allows one sync loop per process)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} missing: apt-get install -y chromium chromium-driver"
        if BROWSER_REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextlib.contextmanager
def open_page(browser, url: str, allowed_prefixes: tuple[str, ...] = ()) -> Iterator[tuple[object, PageLog]]:
    """Open ``url`` in a fresh context; only file:, data:, blob: and ``allowed_prefixes`` URLs may load."""
    log = PageLog()
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    local = ("file:", "data:", "blob:", "about:") + tuple(allowed_prefixes)

    def route(route_, request):
        if request.url.startswith(local):
            route_.continue_()
        else:
            log.blocked.append(request.url)
            route_.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda msg: log.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: log.page_errors.append(str(err)))

    def on_dialog(dialog):
        log.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda req: None if req.url.startswith(local) or req.url in log.blocked
            else log.blocked.append(req.url))
    try:
        page.goto(url)
        yield page, log
    finally:
        context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
