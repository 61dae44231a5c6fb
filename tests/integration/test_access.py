"""API tokens on both backends: shown once, stored hashed, roles, last use, revocation."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from idgap.access import Role, create_token, list_tokens, revoke_token, verify_token
from idgap.cli.main import app as cli
from idgap.errors import InputError, NotFound
from idgap.store.tables import api_tokens

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


def _row(engine: sa.Engine) -> sa.RowMapping:
    with engine.connect() as conn:
        return conn.execute(sa.select(api_tokens)).mappings().one()


def _last_used(engine: sa.Engine) -> dt.datetime | None:
    value = _row(engine)["last_used_at"]
    return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)


def test_only_the_hash_and_a_display_prefix_are_stored(engine):
    with engine.begin() as conn:
        token = create_token(conn, name="ana", role="operator", now=NOW)
    assert token.startswith("idg_") and len(token) > 40
    row = _row(engine)
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert row["prefix"] == token[:12] and row["role"] == "operator"
    assert token not in {str(v) for v in row.values()}
    with engine.begin() as conn:
        listed = list_tokens(conn)
    assert "token_hash" not in listed[0] and listed[0]["prefix"] == token[:12]


def test_two_tokens_are_never_equal(engine):
    with engine.begin() as conn:
        tokens = {create_token(conn, name=f"t{i}", role="viewer", now=NOW) for i in range(20)}
    assert len(tokens) == 20


@pytest.mark.parametrize("presented", ["", None, "idg_wrong", "not-even-prefixed", "idg_"])
def test_unknown_tokens_verify_to_nobody(engine, presented):
    with engine.begin() as conn:
        create_token(conn, name="ana", role="admin", now=NOW)
        assert verify_token(conn, presented, now=NOW) is None


def test_a_token_carries_its_name_and_role(engine):
    with engine.begin() as conn:
        token = create_token(conn, name="night shift", role=Role.operator, now=NOW)
        who = verify_token(conn, token, now=NOW)
    assert who is not None and (who.name, who.role) == ("night shift", Role.operator)
    assert who.can(Role.viewer) and who.can(Role.operator) and not who.can(Role.admin)


def test_last_used_is_written_at_most_once_a_minute(engine):
    with engine.begin() as conn:
        token = create_token(conn, name="ana", role="viewer", now=NOW)
    assert _last_used(engine) is None
    for seconds, expected in ((0, 0), (30, 0), (59, 0), (61, 61), (90, 61), (200, 200)):
        with engine.begin() as conn:
            assert verify_token(conn, token, now=NOW + dt.timedelta(seconds=seconds))
        assert _last_used(engine) == NOW + dt.timedelta(seconds=expected), seconds


def test_a_revoked_token_stops_working_at_once(engine):
    with engine.begin() as conn:
        token = create_token(conn, name="ana", role="admin", now=NOW)
        token_id = list_tokens(conn)[0]["id"]
        revoke_token(conn, token_id, now=NOW)
        assert verify_token(conn, token, now=NOW) is None
        with pytest.raises(NotFound):
            revoke_token(conn, token_id, now=NOW)  # already revoked
        with pytest.raises(NotFound):
            revoke_token(conn, 4242, now=NOW)
    assert _row(engine)["revoked_at"] is not None


def test_roles_are_ordered_and_parsed():
    assert Role.viewer < Role.operator < Role.admin
    assert Role.parse("admin") is Role.admin
    with pytest.raises(InputError, match="viewer, operator or admin"):
        Role.parse("root")


def test_token_commands(engine):
    runner = CliRunner()
    db = engine.url.render_as_string(hide_password=False)

    def run(*args: str):
        return runner.invoke(cli, ["--db", db, "token", *args])

    created = run("create", "--role", "admin", "--name", "lead")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    with engine.begin() as conn:
        who = verify_token(conn, token, now=NOW)
    assert who is not None and (who.name, who.role) == ("lead", Role.admin)
    listed = run("list", "--json")
    assert '"role": "admin"' in listed.stdout and token not in listed.stdout
    assert run("revoke", str(who.token_id)).exit_code == 0
    with engine.begin() as conn:
        assert verify_token(conn, token, now=NOW) is None
    refused = run("create", "--role", "root")
    assert refused.exit_code == 1 and "viewer, operator or admin" in refused.output
