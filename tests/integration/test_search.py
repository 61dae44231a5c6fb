"""Search by name, phone, licence, plate and id on persons, gap table and queue (both backends)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from idgap.config import YEGO_PARK_ID
from idgap.gaps.read import gap_items, gap_summary
from idgap.identity import manual
from idgap.identity.read import list_persons, list_unmatched
from idgap.identity.search import SearchTerms
from idgap.identity.search_changes import write_watermark
from idgap.identity.search_index import sync_search_keys
from idgap.recovery.job import run_recovery
from idgap.store.tables import drivers, identity_links, persons, search_keys, search_sources
from tests.integration.recovery_support import (
    LEADS,
    NOW,
    SETTINGS,
    TODAY,
    add_drivers,
    add_leads,
    seed,
)

ACCENTED = [("L6", "2026-11-22", "+51 944-111-222", "José", None, "Jáuregui Peña", "JKL-987",
             "Yaris")]  # fmt: skip
MARTA = [("d7", YEGO_PARK_ID, "51977788899", "MARTA JAUREGUI PEÑA", "JKL987", "Yaris",
          "2026-11-20")]  # fmt: skip


@pytest.fixture
def searched(engine):
    seed(engine)
    add_leads(engine, ACCENTED)
    with engine.begin() as conn:
        conn.execute(drivers.update().where(drivers.c.driver_id == "d1")
                     .values(license_number="q-1234 5678"))  # fmt: skip
    run_recovery(engine, settings=SETTINGS, now_fn=lambda: NOW)
    return engine


def lead_ids(conn, q):
    return sorted(r["lead_id"] for r in gap_items(conn, filters={"q": q}, page_size=50)["items"])


def test_search_terms_read_a_text_as_every_kind_at_once():
    t = SearchTerms.parse("  Jáuregui  josé ")
    assert t is not None and t.tokens == ("JAUREGUI", "JOSE") and t.phone is None
    assert SearchTerms.parse("+51 944-111-222").phone == "944111222"
    assert SearchTerms.parse("abc-123").code == "ABC123"
    assert SearchTerms.parse("abc-123").tokens == ()  # digits: never a name
    assert SearchTerms.parse("   ") is None


@pytest.mark.parametrize(
    "q",
    ["jauregui", "Jáuregui", "JAUREGUI", "jose jauregui", "Jauregui José", "jaure pen"],
)
def test_names_are_accent_case_order_and_prefix_insensitive(searched, q):
    with searched.connect() as conn:
        assert lead_ids(conn, q) == ["L6"]


@pytest.mark.parametrize("q", ["944111222", "+51 944 111 222", "51-944-111-222", "(944)111222"])
def test_phone_in_any_format_finds_the_lead(searched, q):
    with searched.connect() as conn:
        assert lead_ids(conn, q) == ["L6"]


def test_plate_licence_and_lead_id_find_the_lead(searched):
    with searched.connect() as conn:
        assert lead_ids(conn, "jkl 987") == ["L6"]
        assert lead_ids(conn, "JKL9") == ["L6"]  # a plate's prefix
        # leads carry no licence: the licence of the lead's driver finds both of d1's leads
        assert lead_ids(conn, "Q12345678") == ["L1", "L5"]
        assert lead_ids(conn, "L3") == ["L3"]
        assert lead_ids(conn, "nobody at all") == []


def test_all_tokens_must_match(searched):
    with searched.connect() as conn:
        assert lead_ids(conn, "juan perez") == ["L1", "L5"]
        assert lead_ids(conn, "juan jauregui") == []


def test_the_summary_follows_the_search(searched):
    with searched.connect() as conn:
        assert gap_summary(conn, filters={"q": "perez"}, today=TODAY)["totals"]["total_leads"] == 2


def test_persons_found_by_name_phone_licence_and_plate(searched):
    with searched.connect() as conn:
        juan = {p["person_key"] for p in list_persons(conn, q="perez gomez juan")["items"]}
        assert len(juan) == 1
        for q in ("987 654 321", "q12345678", "abc123"):
            assert {p["person_key"] for p in list_persons(conn, q=q)["items"]} == juan, q
        key = next(iter(juan))
        assert [p["person_key"] for p in list_persons(conn, q=key[:8])["items"]] == [key]
        assert list_persons(conn, phone="+51 987-654-321")["total"] == 1
        assert list_persons(conn, license="Q 1234-5678")["total"] == 1


def test_review_queue_search(searched):
    with searched.connect() as conn:
        assert [i["source_pk"] for i in list_unmatched(conn, q="ramos pedro")["items"]] == ["L4"]
        assert [i["source_pk"] for i in list_unmatched(conn, q="955566677")["items"]] == ["L4"]
        assert list_unmatched(conn, q="perez")["total"] == 0


def test_manual_link_fills_the_person_from_its_driver_and_makes_it_searchable(searched):
    add_drivers(searched, MARTA)
    with searched.begin() as conn:
        u = sa.text("select id from identity_unmatched where source_pk = 'L6'")
        done = manual.resolve_unmatched(
            conn, conn.execute(u).scalar_one(), driver_id="d7", by="web:ana", note=None,
            now=NOW, settings=SETTINGS,
        )  # fmt: skip
    with searched.connect() as conn:
        person = conn.execute(
            sa.select(persons).where(persons.c.person_key == done["person_key"])
        ).one()
        assert (person.primary_name, person.primary_phone) == ("MARTA JAUREGUI PEÑA", "51977788899")
        got = {p["person_key"] for p in list_persons(conn, q="marta jáuregui")["items"]}
        assert got == {done["person_key"]}
        # the lead is now found by its driver's name too
        assert lead_ids(conn, "marta") == ["L6"]


def test_only_changed_entities_are_rewritten(searched):
    with searched.begin() as conn:
        assert sync_search_keys(conn, None) == 0
        lk = identity_links
        conn.execute(
            drivers.update().where(drivers.c.driver_id == "d2").values(phone="51900011122")
        )
        person = conn.execute(
            sa.select(lk.c.person_key).where(lk.c.source_table == LEADS, lk.c.source_pk == "L2")
        ).scalar_one()
        # the lead and its person
        assert sync_search_keys(conn, ["L2"], person_keys=[person]) == 2
        assert sync_search_keys(conn, ["L2"], person_keys=[person]) == 0
        phones = conn.execute(
            sa.select(search_keys.c.key).where(
                search_keys.c.entity_id == "L2", search_keys.c.kind == "phone"
            )
        ).scalars()
        assert list(phones) == ["900011122"]
    with searched.connect() as conn:
        assert lead_ids(conn, "900011122") == ["L2"]
        assert lead_ids(conn, "911122233") == []


def test_hostile_search_text_is_harmless(searched):
    with searched.connect() as conn:
        for q in ("%", "_", "' or 1=1 --", "\\", "x" * 5000, "ÑÑÑ", "0"):
            assert isinstance(lead_ids(conn, q), list)
            list_persons(conn, q=q)
            list_unmatched(conn, q=q)


def test_dates_still_filter_with_search(searched):
    with searched.connect() as conn:
        found = gap_items(
            conn, filters={"q": "perez", "date_from": dt.date(2026, 11, 10)}, page_size=50
        )
        assert [r["lead_id"] for r in found["items"]] == ["L5"]


def test_a_whole_store_refresh_rekeys_only_what_changed_since_the_last_one(searched):
    later = NOW + dt.timedelta(hours=3)
    with searched.begin() as conn:
        assert sync_search_keys(conn, None) == 0  # nothing changed since the recovery run
        conn.execute(
            drivers.update()
            .where(drivers.c.driver_id == "d2")
            .values(phone="51900011122", idgap_changed_at=later)
        )
        # d2's person and its lead L2: re-keyed without naming them
        assert sync_search_keys(conn, None) == 2
        assert sync_search_keys(conn, None) == 0
    with searched.connect() as conn:
        assert lead_ids(conn, "900011122") == ["L2"]


def test_a_full_sync_catches_back_dated_changes(searched):
    with searched.begin() as conn:
        sync_search_keys(conn, None)
        write_watermark(conn, NOW + dt.timedelta(days=1))  # as after a later whole-store sync
        conn.execute(
            drivers.update()
            .where(drivers.c.driver_id == "d2")
            .values(phone="51900011122", idgap_changed_at=NOW - dt.timedelta(days=9))
        )
        assert sync_search_keys(conn, None) == 0  # stamped before the watermark: not seen
        assert sync_search_keys(conn, None, full=True) == 2


def test_keys_written_as_a_difference_are_those_of_a_rebuild(searched):
    """Only added and removed key rows are written: the result must be the full key set."""
    sk = search_keys
    rows = sa.select(sk.c.entity, sk.c.entity_id, sk.c.kind, sk.c.key)
    with searched.begin() as conn:
        conn.execute(
            drivers.update().where(drivers.c.driver_id == "d2").values(phone="51900011122")
        )
        person = conn.execute(
            sa.select(identity_links.c.person_key).where(
                identity_links.c.source_table == LEADS, identity_links.c.source_pk == "L2"
            )
        ).scalar_one()
        sync_search_keys(conn, ["L2"], person_keys=[person])
        kept = set(conn.execute(rows).all())
        conn.execute(sk.delete())
        conn.execute(search_sources.delete())
        sync_search_keys(conn, None, full=True)
        assert set(conn.execute(rows).all()) == kept
