"""Under the Content-Security-Policy, in a real browser: the API docs render offline, and the
login page raises no CSP violation (no inline script or style).

TODO(ui): extend the page test to the dashboard, lead, person and health pages once their
templates have no style="..." attributes left (CSP style-src 'self' blocks them).
"""

from __future__ import annotations

import pytest

from idgap.config import Settings
from idgap.store.db import make_engine
from tests.e2e.test_browser_web import browser  # noqa: F401 - the shared Chromium fixture
from tests.e2e.web_support import Seeded, add_tokens, make_app
from tests.integration.live_server import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('csp') / 'idgap.db'}"
    settings = Settings(database_url=url)
    seeded = Seeded(settings=settings, engine=make_engine(url))
    add_tokens(seeded)
    with live_server(make_app(seeded)) as base:
        yield base, seeded


def _violations(page) -> list[str]:
    found: list[str] = []
    page.on(
        "console", lambda m: found.append(m.text) if "Content Security Policy" in m.text else None
    )
    return found


def test_swagger_ui_renders_from_installed_assets_under_the_csp(browser, served):  # noqa: F811
    base, _ = served
    page = browser.new_page()
    violations = _violations(page)
    external = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(base) else None)
    page.goto(f"{base}/api/v1/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "idgap" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock").count() >= 10
    assert violations == [] and external == []
    page.close()


def test_the_login_page_raises_no_csp_violation(browser, served):  # noqa: F811
    base, seeded = served
    page = browser.new_page()
    violations = _violations(page)
    page.goto(f"{base}/login")
    page.fill("input[name=token]", "idg_wrong")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "no válido" in page.content()
    assert violations == []
    page.close()
