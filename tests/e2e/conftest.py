"""Browser fixtures: Debian's Chromium driven by Playwright against the live server.

Never downloads a browser: Chromium is the one of `apt-get install chromium`, launched by path
(CHROMIUM_PATH overrides it). Screenshots go to test-artifacts/e2e/<backend>/ at the
repository root; a failing test also leaves a screenshot of each page it had open.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Dialog,
    Error,
    Page,
    expect,
    sync_playwright,
)

from shop.cli import seed_demo
from shop.extensions import db

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
#: Longest wait for one element or navigation; a whole test stays well under 30 s.
TIMEOUT_MS = 10_000
#: A common Android phone: most shoppers arrive from WhatsApp on their phone.
PHONE_VIEWPORT = {"width": 412, "height": 915}

_REPORTS = pytest.StashKey[dict]()

expect.set_options(timeout=TIMEOUT_MS)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so fixtures can tell whether it failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module, closed even when a test fails."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"No Chromium at {CHROMIUM}: run `apt-get install chromium` "
            "(or set CHROMIUM_PATH). Never download a browser for these tests."
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Shop:
    """The demo store served by the live server."""

    app: Flask
    url: str
    backend: str
    slug: str = "burgerchina"

    @property
    def store_path(self) -> str:
        return f"/store/{self.slug}"


@pytest.fixture
def shop(app, threaded_live_server) -> Iterator[Shop]:
    """The demo store on the live server, with CSRF checked as in production and the
    public links (tracking URL) pointing at the live server."""
    saved = {key: app.config[key] for key in ("PUBLIC_BASE_URL", "WTF_CSRF_ENABLED")}
    # Set after the server started: it serves this very app object (see tests/conftest.py).
    app.config.update(PUBLIC_BASE_URL=threaded_live_server.url, WTF_CSRF_ENABLED=True)
    try:
        with app.app_context():
            seed_demo()
            db.session.commit()
            db.session.remove()
        yield Shop(app=app, url=threaded_live_server.url, backend=app.config["TEST_BACKEND"])
    finally:
        app.config.update(saved)


@dataclass
class Pages:
    """Opens browser pages on the shop; remembers them to close and to photograph."""

    browser: Browser
    shop: Shop
    test_name: str
    contexts: list[BrowserContext] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    #: Uncaught JavaScript errors of any page: a test asserts there are none.
    errors: list[str] = field(default_factory=list)
    #: Messages of alert()/confirm() boxes (dismissed): a shopper should see none.
    dialogs: list[str] = field(default_factory=list)

    def _dismiss(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, *, javascript: bool = True) -> Page:
        context = self.browser.new_context(
            base_url=self.shop.url,
            java_script_enabled=javascript,
            locale="id-ID",
            viewport=PHONE_VIEWPORT,
            timezone_id="Asia/Jakarta",
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", self._dismiss)
        self.pages.append(page)
        return page

    def screenshot(self, page: Page, name: str) -> Path:
        """A full-page PNG in test-artifacts/e2e/<backend>/<test>-<name>.png."""
        path = ARTIFACTS / self.shop.backend / f"{self.test_name}-{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self, *, failed: bool) -> None:
        for index, page in enumerate(self.pages):
            if failed and not page.is_closed():
                try:
                    self.screenshot(page, f"FAILED-{index}")
                except Error:
                    pass
        for context in self.contexts:
            try:
                context.close()
            except Error:
                pass


@pytest.fixture
def pages(browser, shop, request) -> Iterator[Pages]:
    """Browser pages for one test, each in its own context (cookies, JavaScript setting)."""
    # The parameters are part of the name: each case keeps its own screenshots.
    test_name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    opened = Pages(browser=browser, shop=shop, test_name=test_name)
    for stale in (ARTIFACTS / shop.backend).glob(f"{test_name}-*.png"):
        stale.unlink()  # the artifacts show the latest run only
    yield opened
    reports = request.node.stash.get(_REPORTS, {})
    opened.close(failed=any(report.failed for report in reports.values()))


@pytest.fixture
def open_page(pages) -> Callable[..., Page]:
    return pages.open
