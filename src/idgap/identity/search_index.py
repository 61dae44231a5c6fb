"""The search keys of leads and persons, rewritten by whoever refreshes a lead's status.

A lead's keys are its own name tokens, phone and plate plus those of its person's drivers
(licence included: leads carry none); a person's keys are its own primary fields, its drivers'
and its leads'. All values go through `matching.normalize`, the same functions the matcher
uses, so "Jáuregui", "JAUREGUI" and "jauregui" are one key and "+51 987-654-321" is 987654321.

Only entities whose keys changed are rewritten: each entity's key set has a digest in
`search_sources`, compared before anything is deleted or inserted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from idgap.identity.search_changes import (
    changed_since,
    newest_change,
    read_watermark,
    write_watermark,
)
from idgap.matching import normalize
from idgap.store.bulk import Staged, read_frame, stage_frames
from idgap.store.keys import in_keys
from idgap.store.tables import (
    cabinet_leads,
    drivers,
    identity_links,
    persons,
    search_keys,
    search_sources,
)

LEADS, DRIVERS = "module_ct_cabinet_leads", "drivers"
LEAD, PERSON = "lead", "person"
S = pl.Utf8
FIELDS = {"name": S, "phone": S, "doc": S, "plate": S}
KEY_SCHEMA = {"entity": S, "entity_id": S, "kind": S, "key": S}
KEY_MAX = 100
MakeStmt = Callable[[list[str] | None], sa.Select]


def _read(
    conn: sa.Connection, make: MakeStmt, keys: Sequence[str] | None, schema: dict
) -> pl.DataFrame:
    """`make(keys)` (None = every row) read in bulk (text columns: no per-row processing)."""
    if keys is not None and not keys:
        return pl.DataFrame(schema=schema)
    return read_frame(conn, make(None if keys is None else list(keys)), schema, large=keys is None)


def _lead_fields(conn: sa.Connection, lead_ids: Sequence[str] | None) -> pl.DataFrame:
    cl = cabinet_leads
    cols = (cl.c.lead_id, cl.c.first_name, cl.c.middle_name, cl.c.last_name, cl.c.park_phone,
            cl.c.asset_plate_number)  # fmt: skip
    schema = {"lead_id": S, "first": S, "middle": S, "last": S, "phone": S, "plate": S}
    df = _read(
        conn,
        lambda k: (
            sa.select(*cols) if k is None else sa.select(*cols).where(in_keys(cl.c.lead_id, k))
        ),
        lead_ids,
        schema,
    )
    return df.select(
        "lead_id",
        name=normalize.join_name("first", "middle", "last"),
        phone="phone",
        doc=pl.lit(None, S),
        plate="plate",
    )


def _links(conn: sa.Connection, table: str, col: str, keys: Sequence[str] | None) -> pl.DataFrame:
    """(source_pk, person_key) of `table`'s links, filtered on `col` (source_pk or person_key)."""
    lk = identity_links
    stmt = sa.select(lk.c.source_pk, lk.c.person_key).where(lk.c.source_table == table)
    return _read(
        conn,
        lambda k: stmt if k is None else stmt.where(in_keys(lk.c[col], k)),
        keys,
        {"source_pk": S, "person_key": S},
    )


def _driver_fields(conn: sa.Connection, person_keys: Sequence[str] | None) -> pl.DataFrame:
    """person_key + name, phone, licence and plate of each of the person's drivers."""
    lk, d = identity_links, drivers
    stmt = (
        sa.select(lk.c.person_key, d.c.full_name, d.c.phone,
                  sa.func.coalesce(d.c.license_normalized_number, d.c.license_number),
                  sa.func.coalesce(d.c.car_normalized_number, d.c.car_number))
        .join(d, d.c.driver_id == lk.c.source_pk)
        .where(lk.c.source_table == DRIVERS)
    )  # fmt: skip
    return _read(
        conn,
        lambda k: stmt if k is None else stmt.where(in_keys(lk.c.person_key, k)),
        person_keys,
        {"person_key": S, **FIELDS},
    )


def _person_fields(conn: sa.Connection, person_keys: Sequence[str] | None) -> pl.DataFrame:
    p = persons
    stmt = sa.select(
        p.c.person_key, p.c.primary_name, p.c.primary_phone, p.c.primary_license,
        sa.literal(None, sa.String()),
    ).where(p.c.status == "active")  # fmt: skip
    return _read(
        conn,
        lambda k: stmt if k is None else stmt.where(in_keys(p.c.person_key, k)),
        person_keys,
        {"person_key": S, **FIELDS},
    )


def _keys(records: pl.DataFrame) -> pl.DataFrame:
    """(entity, entity_id, name, phone, doc, plate) records -> unique normalised keys."""
    ids = ["entity", "entity_id"]
    names = records.select(*ids, key=normalize.name_tokens(normalize.name(pl.col("name")))).explode(
        "key"
    )
    parts = [
        names.with_columns(kind=pl.lit("name")),
        records.select(*ids, key=normalize.phone(pl.col("phone")), kind=pl.lit("phone")),
        records.select(*ids, key=normalize.alnum(pl.col("doc")), kind=pl.lit("doc")),
        records.select(*ids, key=normalize.alnum(pl.col("plate")), kind=pl.lit("plate")),
    ]
    keys = pl.concat([p.select(*KEY_SCHEMA) for p in parts])
    keys = keys.filter(pl.col("key").is_not_null() & (pl.col("key").str.len_chars() > 0))
    # unordered: the writer stages rows in the primary key's order
    return keys.with_columns(pl.col("key").str.slice(0, KEY_MAX)).unique()


def _records(conn: sa.Connection, lead_ids: Sequence[str] | None, person_keys: list[str] | None):
    """Every (entity, entity_id, fields...) row the keys of these leads and persons come from."""
    leads = _lead_fields(conn, lead_ids)
    lead_person = _links(conn, LEADS, "source_pk", lead_ids)
    if person_keys is not None:
        person_keys = sorted(set(person_keys) | set(lead_person["person_key"].to_list()))
    drv = _driver_fields(conn, person_keys)
    own = _person_fields(conn, person_keys)
    person_leads = _links(conn, LEADS, "person_key", person_keys)
    all_leads = leads if lead_ids is None else _with_leads(conn, leads, person_leads["source_pk"])
    cols = ["entity", "entity_id", *FIELDS]
    as_lead = pl.concat([
        leads.select(entity=pl.lit(LEAD), entity_id="lead_id", **{f: f for f in FIELDS}),
        lead_person.join(drv, on="person_key").select(
            entity=pl.lit(LEAD), entity_id="source_pk", **{f: f for f in FIELDS}),
    ])  # fmt: skip
    of_person = person_leads.join(all_leads, left_on="source_pk", right_on="lead_id")
    as_person = pl.concat([
        own.select(entity=pl.lit(PERSON), entity_id="person_key", **{f: f for f in FIELDS}),
        drv.select(entity=pl.lit(PERSON), entity_id="person_key", **{f: f for f in FIELDS}),
        of_person.select(entity=pl.lit(PERSON), entity_id="person_key", **{f: f for f in FIELDS}),
    ])  # fmt: skip
    targets = pl.concat([
        leads.select(entity=pl.lit(LEAD), entity_id="lead_id"),
        own.select(entity=pl.lit(PERSON), entity_id="person_key"),
    ])  # fmt: skip
    return pl.concat([as_lead.select(cols), as_person.select(cols)]), targets


def _with_leads(conn: sa.Connection, leads: pl.DataFrame, wanted: pl.Series) -> pl.DataFrame:
    """`leads` plus the fields of the `wanted` leads it lacks (a run's persons' leads are
    mostly the run's own leads: read once, not twice)."""
    wanted = wanted.unique()
    missing = wanted.filter(~wanted.is_in(leads["lead_id"].implode()))
    return pl.concat([leads, _lead_fields(conn, missing.to_list())])


def _digest(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _digests(keys: pl.DataFrame, targets: pl.DataFrame) -> pl.DataFrame:
    """entity, entity_id, digest of the sorted key set ('' keys for an entity without any)."""
    joined = keys.group_by("entity", "entity_id").agg(
        (pl.col("kind") + ":" + pl.col("key")).sort().str.join("|").alias("text")
    )
    out = targets.unique().join(joined, on=["entity", "entity_id"], how="left")
    return out.select(
        "entity", "entity_id",
        digest=pl.col("text").fill_null("").map_elements(_digest, return_dtype=S),
    )  # fmt: skip


def _stored(conn: sa.Connection, entity: str, ids: list[str] | None) -> pl.DataFrame:
    s = search_sources
    stmt = sa.select(s.c.entity, s.c.entity_id, s.c.digest).where(s.c.entity == entity)
    return _read(
        conn,
        lambda k: stmt if k is None else stmt.where(in_keys(s.c.entity_id, k)),
        ids,
        {"entity": S, "entity_id": S, "digest": S},
    )


def sync_search_keys(
    conn: sa.Connection,
    lead_ids: Sequence[str] | None,
    *,
    person_keys: Sequence[str] | None = (),
    full: bool = False,
) -> int:
    """Rewrite the keys of these leads and of their persons; -> entities rewritten.

    `person_keys` adds persons to re-key (e.g. one that just lost its last lead).
    `lead_ids=None` means every lead: the first time (or with `full=True`) every lead and
    active person is compared; afterwards only what changed since (identity.search_changes).
    """
    if lead_ids is not None:
        return _sync(conn, lead_ids, person_keys)
    since, newest = read_watermark(conn), newest_change(conn)
    if since is None or full:
        done = _sync(conn, None, None)
    else:
        leads, people = changed_since(conn, since)
        done = _sync(conn, leads, [*people, *(person_keys or ())]) if leads or people else 0
    write_watermark(conn, newest)
    return done


@dataclass(frozen=True)
class KeyChanges:
    """What a re-key writes: the entities whose key set moved (`digest` null: the entity is
    gone), and of their key rows only the difference: rows to add, rows to remove (a lead
    that gets a person keeps its own name, phone and plate rows: at 100,000 leads, 433,474
    rows not deleted and inserted again). Computed by reads only."""

    changed: pl.DataFrame  # entity, entity_id, digest
    added: pl.DataFrame  # KEY_SCHEMA
    removed: pl.DataFrame  # KEY_SCHEMA

    def frames(self) -> dict[str, tuple[pl.DataFrame, sa.Table]]:
        """The frames to stage (`store.bulk.stage_frames`) for `write_search_keys`."""
        sources = self.changed.filter(pl.col("digest").is_not_null())
        return {
            "search_keys": (self.added, search_keys),
            "search_keys_removed": (self.removed, search_keys),
            "search_sources": (sources, search_sources),
        }


def _sync(
    conn: sa.Connection, lead_ids: Sequence[str] | None, person_keys: Sequence[str] | None
) -> int:
    """Recompute, compare and rewrite (None = every lead and active person)."""
    changes = search_key_changes(conn, lead_ids, person_keys)
    with stage_frames(conn, changes.frames()) as staged:
        write_search_keys(staged, changes)
    return changes.changed.height


def search_key_changes(
    conn: sa.Connection, lead_ids: Sequence[str] | None, person_keys: Sequence[str] | None
) -> KeyChanges:
    """Recompute the keys of these leads and their persons (None = every lead and active
    person) and keep the entities whose digest moved (reads only)."""
    persons_arg = None if lead_ids is None else list(person_keys or ())
    records, targets = _records(conn, lead_ids, persons_arg)
    keys = _keys(records)
    fresh = _digests(keys, targets)
    ids = {e: None if lead_ids is None else fresh.filter(pl.col("entity") == e)["entity_id"]
           .to_list() for e in (LEAD, PERSON)}  # fmt: skip
    old = pl.concat([_stored(conn, e, ids[e]) for e in (LEAD, PERSON)])
    changed = fresh.join(old, on=["entity", "entity_id", "digest"], how="anti")
    if lead_ids is None:  # entities gone from the store (a merged person) lose their keys too
        gone = old.join(fresh, on=["entity", "entity_id"], how="anti")
        changed = pl.concat([changed, gone.with_columns(digest=pl.lit(None, S))])
    entities = changed.select("entity", "entity_id")
    new_keys = keys.join(entities, on=["entity", "entity_id"]).select(list(KEY_SCHEMA))
    stored = _stored_keys(conn, entities, every=lead_ids is None)
    return KeyChanges(
        changed,
        added=new_keys.join(stored, on=list(KEY_SCHEMA), how="anti"),
        removed=stored.join(new_keys, on=list(KEY_SCHEMA), how="anti"),
    )


def _stored_keys(conn: sa.Connection, entities: pl.DataFrame, *, every: bool) -> pl.DataFrame:
    """The key rows stored now for these (entity, entity_id); `every`: read the whole table."""
    sk = search_keys
    stmt = sa.select(*[sk.c[c] for c in KEY_SCHEMA])
    if every:
        stored = read_frame(conn, stmt, KEY_SCHEMA, large=True)
        return stored.join(entities, on=["entity", "entity_id"], how="semi")

    def of(entity: str) -> MakeStmt:
        return lambda k: stmt.where(sk.c.entity == entity, in_keys(sk.c.entity_id, k or []))

    parts = [
        _read(
            conn,
            of(entity),
            entities.filter(pl.col("entity") == entity)["entity_id"].to_list(),
            KEY_SCHEMA,
        )
        for entity in (LEAD, PERSON)
    ]
    return pl.concat(parts)


def write_search_keys(staged: Staged, changes: KeyChanges) -> None:
    """Remove and add key rows, replace the changed entities' digests: set-based from the
    frames staged with `changes.frames()`, in the staging connection's transaction."""
    conn, sk, ss = staged.conn, search_keys, search_sources
    if staged.height("search_keys_removed"):
        gone = staged.table("search_keys_removed")
        row = sa.tuple_(*[sk.c[c] for c in KEY_SCHEMA])
        conn.execute(sk.delete().where(row.in_(sa.select(*[gone.c[c] for c in KEY_SCHEMA]))))
    for entity in (LEAD, PERSON):
        ids = changes.changed.filter(pl.col("entity") == entity)["entity_id"].unique().to_list()
        if ids:
            conn.execute(ss.delete().where(ss.c.entity == entity, in_keys(ss.c.entity_id, ids)))
    staged.insert(sk, "search_keys")
    staged.insert(ss, "search_sources")
