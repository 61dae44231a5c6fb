"""An analyst's day in a real browser at 1440 px and 390 px: search, undo, money sort, export.

Runs against a uvicorn server over the small hand-written park of recovery_support, so every
name, phone and amount below is known. Screenshots go to test-results/browser/.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
import time
from collections.abc import Iterator

import openpyxl
import pytest
import sqlalchemy as sa

from idgap import clock
from idgap.access import create_token
from idgap.api.app import create_app
from idgap.config import Settings
from idgap.gaps.status import refresh_lead_status
from idgap.recovery.job import run_recovery
from idgap.store.db import make_engine
from idgap.store.tables import identity_unmatched, summary_daily
from tests.e2e.test_browser_web import _free_port, browser, shot  # noqa: F401 - fixture
from tests.integration.analyst_support import ACCENTED
from tests.integration.recovery_support import LEADS, NOW, SETTINGS, add_drivers, add_leads, seed

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = {"desktop": (1440, 900), "phone": (390, 844)}
D6 = ("d6", SETTINGS.park_id, "51966677788", "NADIA NUNEZ JAMES", "ZZZ001", "Rio", "2026-11-21")


def _seed(engine: sa.Engine) -> dict[str, str]:
    """The tiny park, matched; L3 in review with d6 (30 trips in its window: S/ 160)."""
    seed(engine)
    add_leads(engine, ACCENTED)
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW)
    add_drivers(engine, [D6])
    u = identity_unmatched
    with engine.begin() as conn:
        conn.execute(
            u.update()
            .where(u.c.source_table == LEADS, u.c.source_pk == "L3")
            .values(outcome="review", reason_code="WEAK_MATCH_ONLY",
                    candidates=[{"driver_id": "d6", "park_id": SETTINGS.park_id, "score": 71.0}])
        )  # fmt: skip
        conn.execute(summary_daily.insert().values(
            driver_id="d6", activity_date=dt.date(2026, 11, 22), date_file="22-11-2026",
            count_orders_completed=30, sum_work_time_seconds=0, idgap_row_hash="0" * 32,
            idgap_loaded_at=NOW, idgap_changed_at=NOW,
        ))  # fmt: skip
        refresh_lead_status(
            conn, ["L3"], today=clock.today(SETTINGS.timezone), settings=SETTINGS, now=NOW
        )
        return {r: create_token(conn, name=f"b-{r}", role=r, now=NOW)
                for r in ("viewer", "operator", "admin")}  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, dict[str, str]]]:
    import uvicorn

    work = tmp_path_factory.mktemp("browser-analyst")
    url = f"sqlite:///{work / 'idgap.db'}"
    engine = make_engine(url)
    tokens = _seed(engine)
    app = create_app(Settings(database_url=url, secret_key="browser-secret"), engine)
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(),
                                       log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started, "uvicorn did not start"
    port = uv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", tokens
    uv.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(params=list(WIDTHS))
def page(browser, server, request):  # noqa: F811 - `browser` is the imported fixture
    base, tokens = server
    width, height = WIDTHS[request.param]
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="es-PE", accept_downloads=True
    )
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.goto(f"{base}/login")
    pg.fill("#token", tokens["operator"])
    pg.click("button:has-text('Entrar')")
    pg.wait_for_url(f"{base}/")
    pg.base, pg.width_name = base, request.param  # type: ignore[attr-defined]
    yield pg
    context.close()


def unfold(pg, box: str) -> None:
    """On a phone the filters are folded under their summary: tap it, as an analyst would."""
    if not pg.locator(box).evaluate("d => d.open"):
        pg.click(f"{box} > summary")


def gap_rows(pg) -> list[str]:
    return pg.eval_on_selector_all("#gap-table tbody tr[data-lead]",
                                   "rows => rows.map(r => r.dataset.lead)")  # fmt: skip


def test_search_by_accent_free_name_phone_and_in_the_queue(page):
    unfold(page, "#gap-filters-box")
    page.fill("#f-q", "jauregui jose")
    page.press("#f-q", "Enter")
    page.wait_for_url("**q=jauregui*")
    assert gap_rows(page) == ["L6"]
    shot(page, f"analyst-search-gaps-{page.width_name}")
    page.goto(f"{page.base}/personas")
    page.fill("#q", "+51 987-654-321")
    page.press("#q", "Enter")
    page.wait_for_url("**q=*")
    assert page.locator("table tbody tr").count() == 1
    assert "PEREZ" in page.inner_text("table tbody").upper()
    page.goto(f"{page.base}/revision")
    unfold(page, "#queue-filters-box")
    page.fill("#rq", "ramos soto")
    page.press("#rq", "Enter")
    page.wait_for_url("**q=ramos*")
    assert page.inner_text("#review-lead-id") == "L4"
    shot(page, f"analyst-search-queue-{page.width_name}")


def test_money_first_queue_and_sort_by_age(page):
    page.goto(f"{page.base}/revision")
    assert page.inner_text("#review-lead-id") == "L3"  # S/ 160 at stake: first
    assert "160" in page.inner_text("#review-amount")
    shot(page, f"analyst-queue-money-{page.width_name}")
    unfold(page, "#queue-filters-box")
    page.select_option("#rq-sort", "amount")
    page.click("#queue-filters button[type=submit]")
    page.wait_for_url("**sort=amount*")
    assert page.inner_text("#review-lead-id") != "L3"
    page.check("#rq-linkable")
    page.click("#queue-filters button[type=submit]")
    page.wait_for_url("**linkable_only=1*")
    next_leads = page.inner_text("#queue-pos")
    assert "L4" not in page.content().split('id="review-lead-id">')[1][:10] and next_leads


def test_link_with_the_keyboard_then_undo_with_u(page):
    page.goto(f"{page.base}/revision")
    assert page.inner_text("#review-lead-id") == "L3"
    page.keyboard.press("1")  # pick candidate 1: focuses its "Vincular" button
    page.keyboard.press("Enter")
    page.wait_for_selector("#undo-offer")
    assert "vinculado al conductor d6" in page.inner_text(".flash")
    shot(page, f"analyst-undo-offer-{page.width_name}")
    page.keyboard.press("u")
    page.wait_for_selector(".flash:has-text('volvió a la cola')")
    assert page.inner_text("#review-lead-id") == "L3"  # back in the queue, still first
    page.goto(f"{page.base}/leads/L3")
    history = page.inner_text("#lead-history")
    assert "Vínculo" in history and "Desvínculo" in history
    shot(page, f"analyst-lead-history-{page.width_name}")


def test_export_the_filtered_gap_table_to_xlsx_and_the_queue_to_csv(page, tmp_path):
    page.goto(f"{page.base}/?q=perez")
    with page.expect_download() as info:
        page.click("#export-gaps-xlsx")
    path = tmp_path / "gaps.xlsx"
    info.value.save_as(path)
    sheet = openpyxl.load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "lead_id" and sorted(r[0] for r in rows[1:]) == ["L1", "L5"]
    page.goto(f"{page.base}/revision?linkable_only=1")
    with page.expect_download() as info:
        page.click("#export-review-csv")
    text = tmp_path / "q.csv"
    info.value.save_as(text)
    ids = [r["lead_id"] for r in csv.DictReader(io.StringIO(text.read_text()))]
    assert ids and "L4" not in ids
