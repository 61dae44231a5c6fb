"""The reference's identity tables (REF §2.1/§2.2/§2.4) imported on both backends."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from idgap.store.tables import (
    identity_links,
    identity_origin,
    identity_origin_history,
    import_rejects,
    lead_status,
    link_history,
    persons,
)
from tests.integration.import_support import (
    DRIVERS,
    LATER,
    LEADS,
    NOW,
    count_rows,
    counts,
    load,
    write_dir,
)

P1, P2, P3 = (f"{n}0000000-0000-4000-8000-000000000000" for n in (1, 2, 3))
REGISTRY = (
    "person_key,created_at,updated_at,confidence_level,primary_phone,primary_license,"
    "primary_full_name,flags\n"
    f"{P1},2026-01-10 08:00:00+00,2026-01-11 08:00:00+00,HIGH,51999888777,,ANA QUISPE,\n"
    f"{P2},2026-01-12 08:00:00+00,,MEDIUM,,Q1,LUIS ROJAS,\n"
    f"{P3},,,LOW,,,,\n"
)
LINKS = (
    "id,person_key,source_table,source_pk,snapshot_date,match_rule,match_score,"
    "confidence_level,evidence,linked_at,run_id\n"
    f"1,{P1},module_ct_cabinet_leads,ext-1,2026-11-01 00:00:00+00,R3_PLATE_EXACT_NAME_SIMILAR,85,"
    f'MEDIUM,"{{""plate_norm"": ""ABC123""}}",2026-11-02 10:00:00+00,7\n'
    f"2,{P1},drivers,D2,2026-11-02,DRIVER_MATCH,100,HIGH,,2026-11-02 10:00:00+00,7\n"
    f"3,{P2},module_ct_cabinet_leads,ghost-9,2026-10-01,RETRY_JOB,75,LOW,not json,,\n"
    "4,99999999-0000-4000-8000-000000000000,drivers,D1,,DRIVER_MATCH,100,HIGH,,,\n"
    f"5,{P3},payments,X1,,S1_S2,50,LOW,,,\n"
)
ORIGINS = (
    "person_key,origin_tag,origin_source_id,origin_confidence,origin_created_at,"
    "ruleset_version,evidence,decided_by,resolution_status\n"
    f"{P1},cabinet_lead,ext-1,95.0,2026-11-01 09:30:00,origin_rules_v1,,system,resolved_auto\n"
    f"{P2},legacy_external,D1,50.0,,,,system,marked_legacy\n"
    f"{P3},fleet_migration,M1,95,,,,system,resolved_auto\n"
)
LEGACY_FILES = {
    "module_ct_cabinet_leads.csv": LEADS,
    "drivers.csv": DRIVERS,
    "identity_registry.csv": REGISTRY,
    "identity_links.csv": LINKS,
    "identity_origin.csv": ORIGINS,
}


def test_legacy_identity_import(engine, tmp_path):
    report = load(engine, write_dir(tmp_path, LEGACY_FILES))
    assert counts(report)["identity_registry"] == (3, 0, 0, 0)
    links = report.table("identity_links")
    assert (links.loaded, links.rejected, links.warned) == (3, 2, 1)
    assert links.rejects == [
        {"line": 5, "reason": "unknown person_key 99999999-0000-4000-8000-000000000000 "
                              "(not in identity_registry)"},
        {"line": 6, "reason": "unknown source_table 'payments'"},
    ]  # fmt: skip
    assert links.warnings == ["line 4: link to unknown lead ghost-9"]
    origins = report.table("identity_origin")
    assert (origins.loaded, origins.rejects) == (
        2, [{"line": 4, "reason": "unknown origin_tag 'fleet_migration'"}]
    )  # fmt: skip
    with engine.connect() as conn:
        p1 = conn.execute(sa.select(persons).where(persons.c.person_key == P1)).one()
        lead_link = conn.execute(
            sa.select(identity_links).where(identity_links.c.source_pk == "ext-1")
        ).one()
        ghost = conn.execute(
            sa.select(identity_links).where(identity_links.c.source_pk == "ghost-9")
        ).one()
        origin = conn.execute(
            sa.select(identity_origin).where(identity_origin.c.person_key == P2)
        ).one()
        history = conn.execute(sa.select(identity_origin_history)).all()
        status = conn.execute(
            sa.select(
                lead_status.c.lead_id, lead_status.c.has_identity, lead_status.c.has_driver
            ).where(lead_status.c.lead_id == "ext-1")
        ).one()
    assert (p1.status, p1.created_by, p1.confidence, p1.primary_name) == (
        "active", "legacy", "HIGH", "ANA QUISPE"
    )  # fmt: skip
    assert p1.created_at == dt.datetime(2026, 1, 10, 8, tzinfo=dt.UTC)
    assert (lead_link.person_key, lead_link.linked_by, lead_link.match_rule) == (
        P1, "legacy", "R3_PLATE_EXACT_NAME_SIMILAR"
    )  # fmt: skip
    assert (lead_link.match_score, lead_link.confidence) == (85.0, "MEDIUM")
    assert lead_link.evidence == {"plate_norm": "ABC123"}
    assert lead_link.snapshot_date == dt.date(2026, 11, 1)
    assert lead_link.linked_at == dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    assert ghost.evidence == {"raw": "not json"} and ghost.linked_at == NOW
    assert (origin.origin_tag, origin.origin_source_table, origin.origin_source_id) == (
        "legacy_external", "drivers", "D1"
    )  # fmt: skip
    assert (origin.origin_confidence, origin.resolution_status) == (50.0, "marked_legacy")
    assert sorted((h.person_key, h.action, h.changed_by) for h in history) == [
        (P1, "insert", "legacy-import"), (P2, "insert", "legacy-import")
    ]  # fmt: skip
    assert status == ("ext-1", True, True)  # the lead's gap status follows the legacy link
    assert count_rows(engine, link_history) == 3
    assert count_rows(engine, import_rejects) == 3


def test_legacy_import_is_idempotent_and_never_overwrites(engine, tmp_path):
    load(engine, write_dir(tmp_path / "a", LEGACY_FILES))
    again = load(engine, write_dir(tmp_path / "a", LEGACY_FILES), now=LATER)
    assert [(c[0], c[1]) for c in counts(again).values()] == [(0, 0)] * 5
    assert counts(again)["identity_links"] == (0, 0, 3, 2)
    moved = LINKS.splitlines()[0] + f"\n9,{P2},module_ct_cabinet_leads,ext-1,,MANUAL,100,HIGH,,,\n"
    other_origin = ORIGINS.splitlines()[0] + f"\n{P1},migration,M1,95,,,,system,resolved_auto\n"
    report = load(
        engine,
        write_dir(
            tmp_path / "b", {"identity_links.csv": moved, "identity_origin.csv": other_origin}
        ),
        now=LATER,
    )
    assert report.table("identity_links").rejects == [
        {"line": 2, "reason": f"already linked to another person ({P1})"}
    ]
    assert report.table("identity_origin").rejects == [
        {"line": 2, "reason": "person already has origin cabinet_lead ext-1 (kept)"}
    ]
    assert count_rows(engine, identity_links) == 3 and count_rows(engine, identity_origin) == 2
    assert count_rows(engine, identity_origin_history) == 2
