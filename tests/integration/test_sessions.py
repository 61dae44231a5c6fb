"""Sessions that end (issue 12 item 3), on both backends: logout and token revocation end the
server-side session, tokens may expire, the session cookie can be forced Secure."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from idgap.cli.main import app as cli_app
from idgap.config import Settings
from idgap.store.tables import api_tokens, web_sessions
from tests.e2e.web_support import Seeded, add_tokens, csrf_of, make_app
from tests.integration.web_store import logged_in

NOW = dt.datetime.now(dt.UTC)


def _app(engine: sa.Engine, **overrides: object):
    settings = Settings(database_url=str(engine.url), **overrides)  # type: ignore[arg-type]
    seeded = Seeded(settings=settings, engine=engine)
    add_tokens(seeded)
    return seeded, make_app(seeded)


def _replay(app, cookie: str) -> str:
    """A fresh client presenting only the old cookie: where does it land?"""
    client = TestClient(app, raise_server_exceptions=False)
    client.cookies.set("idgap_session", cookie)
    r = client.get("/", follow_redirects=False)
    return r.headers.get("location", str(r.status_code))


def test_a_replayed_cookie_after_logout_goes_to_the_login_page(engine):
    seeded, app = _app(engine)
    client = logged_in(app, seeded, "viewer")
    cookie = client.cookies["idgap_session"]
    assert _replay(app, cookie) == "200"
    csrf = csrf_of(client.get("/").text)
    out = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert _replay(app, cookie).startswith("/login")
    with engine.connect() as conn:
        ended = conn.execute(sa.select(web_sessions.c.ended_at)).scalars().all()
    assert len(ended) == 1 and ended[0] is not None


def test_revoking_the_token_ends_its_sessions(engine):
    seeded, app = _app(engine)
    cookie = logged_in(app, seeded, "operator").cookies["idgap_session"]
    with engine.begin() as conn:
        conn.execute(
            api_tokens.update().where(api_tokens.c.name == "web-operator").values(revoked_at=NOW)
        )
    assert _replay(app, cookie).startswith("/login")


def test_an_expired_token_ends_sessions_and_api_access(engine):
    seeded, app = _app(engine)
    cookie = logged_in(app, seeded, "viewer").cookies["idgap_session"]
    api = TestClient(app, raise_server_exceptions=False)
    bearer = {"Authorization": f"Bearer {seeded.tokens['viewer']}"}
    assert api.get("/api/v1/identity/runs", headers=bearer).status_code == 200
    with engine.begin() as conn:
        conn.execute(
            api_tokens.update()
            .where(api_tokens.c.name == "web-viewer")
            .values(expires_at=NOW - dt.timedelta(seconds=1))
        )
    assert _replay(app, cookie).startswith("/login")
    assert api.get("/api/v1/identity/runs", headers=bearer).status_code == 401
    page = api.get("/login")
    again = api.post("/login", data={"token": seeded.tokens["viewer"],
                                      "csrf_token": csrf_of(page.text)})  # fmt: skip
    assert again.status_code == 401 and "caducado" in again.text


def test_the_cookie_is_secure_when_the_setting_says_so(engine):
    for forced in (False, True):
        seeded, app = _app(engine, cookie_secure=forced)
        client = TestClient(app, raise_server_exceptions=False)
        page = client.get("/login")
        r = client.post("/login", data={"token": seeded.tokens["viewer"],
                                         "csrf_token": csrf_of(page.text)},
                        follow_redirects=False)  # fmt: skip
        cookie = r.headers["set-cookie"]
        assert ("secure" in cookie.lower()) is forced, cookie
        assert "httponly" in cookie.lower()


def test_token_create_with_expiry_from_the_cli(db_url):
    runner = CliRunner()
    made = runner.invoke(cli_app, ["--db", db_url, "token", "create", "--role", "viewer",
                                   "--expires-days", "3"])  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "expires in 3 days" in made.output
    listed = runner.invoke(cli_app, ["--db", db_url, "token", "list", "--json"])
    row = json.loads(listed.output)[0]
    expires = dt.datetime.fromisoformat(str(row["expires_at"]).replace("Z", "+00:00"))
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.UTC)
    assert dt.timedelta(days=2.99) < expires - NOW < dt.timedelta(days=3.01)
    bad = runner.invoke(cli_app, ["--db", db_url, "token", "create", "--expires-days", "0"])
    assert bad.exit_code != 0 and "at least 1" in bad.output
