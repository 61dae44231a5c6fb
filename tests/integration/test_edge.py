"""Hostile input at the edge, security headers and the upload cap, on both backends (issue 12)."""

from __future__ import annotations

import asyncio
import re

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from idgap.store.tables import identity_unmatched
from tests.integration.web_store import BACKENDS, logged_in, seeded_store

HUGE = [str(2**63), str(2**64), str(-(2**63) - 1)]
WEB_PAGES = ["/", "/personas", "/ejecuciones", "/revision", "/salud", "/carga"]


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, tmp_path_factory):
    yield from seeded_store(request, tmp_path_factory, max_upload_mb=1)


@pytest.fixture(scope="module")
def web(store):
    seeded, app = store
    return logged_in(app, seeded, "admin")


@pytest.fixture(scope="module")
def api(store):
    seeded, app = store
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {seeded.tokens['admin']}"
    return client


NUL_URLS = [
    "/api/v1/identity/persons?name=%00x",
    "/api/v1/identity/persons/%00",
    "/api/v1/identity/unmatched?reason_code=a%00",
    "/api/v1/ops/identity-gaps?date_from=%002026-01-01",
    "/?q=%00",
    "/personas?q=x%00",
    "/personas/%00",
    "/leads/%00",
    "/revision?q=%00",
]


@pytest.mark.parametrize("url", NUL_URLS)
def test_nul_in_path_or_query_is_400(web, api, url):
    client = api if url.startswith("/api/") else web
    r = client.get(url, follow_redirects=False)
    assert r.status_code == 400, r.text
    assert "NUL" in r.text


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize(
    "template",
    [
        "/?page={}",
        "/personas?page={}",
        "/ejecuciones?page={}",
        "/ejecuciones/{}",
        "/revision?pos={}",
        "/api/v1/identity/runs/{}",
        "/api/v1/identity/runs?offset={}",
        "/api/v1/identity/persons?skip={}&limit={}",
        "/api/v1/ops/identity-gaps?page={}",
    ],
)
def test_out_of_range_integers_are_4xx(web, api, template, value):
    url = template.replace("{}", value)
    client = api if url.startswith("/api/") else web
    r = client.get(url, follow_redirects=False)
    assert 400 <= r.status_code < 500, (url, r.status_code)


def _open_item(engine: sa.Engine) -> int:
    u = identity_unmatched
    with engine.connect() as conn:
        return int(
            conn.execute(sa.select(sa.func.min(u.c.id)).where(u.c.status == "OPEN")).scalar_one()
        )


def test_nul_in_a_web_form_field_is_400_and_changes_nothing(store, web):
    seeded, _ = store
    item = _open_item(seeded.engine)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/revision").text).group(1)  # type: ignore[union-attr]
    r = web.post(f"/revision/{item}/descartar", data={"csrf_token": csrf, "note": "no\x00pe"},
                 follow_redirects=False)  # fmt: skip
    assert r.status_code == 400 and "NUL" in r.text
    huge = web.post(f"/revision/{item}/descartar",
                    data={"csrf_token": csrf, "note": "x", "pos": str(2**64)},
                    follow_redirects=False)  # fmt: skip
    assert huge.status_code == 422
    big_id = web.post(f"/revision/{2**64}/descartar", data={"csrf_token": csrf, "note": "x"},
                      follow_redirects=False)  # fmt: skip
    assert big_id.status_code == 422
    u = identity_unmatched
    with seeded.engine.connect() as conn:
        assert conn.execute(sa.select(u.c.status).where(u.c.id == item)).scalar_one() == "OPEN"


def test_nul_in_a_json_body_is_422(store, api):
    seeded, _ = store
    item = _open_item(seeded.engine)
    r = api.post(f"/api/v1/identity/unmatched/{item}/resolve", json={"driver_id": "d\x00"})
    assert r.status_code == 422 and "NUL" in r.json()["error"]["message"]
    r = api.post(
        "/api/v1/identity/persons/p1/merge", json={"absorb_person_key": "x", "reason": "\x00"}
    )
    assert r.status_code == 422


HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


@pytest.mark.parametrize(
    "url",
    ["/api/v1/health", "/api/v1/identity/runs", "/api/v1/nowhere", "/login", "/", "/salud",
     "/static/idgap.css", "/api/v1/docs", "/api/v1/openapi.json"],
)  # fmt: skip
def test_every_response_carries_the_security_headers(web, api, url):
    client = api if url.startswith("/api/") else web
    r = client.get(url, follow_redirects=False)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert {k: r.headers.get(k) for k in HEADERS} == HEADERS


def test_api_docs_are_served_offline_without_inline_script(api):
    page = api.get("/api/v1/docs")
    assert page.status_code == 200
    sources = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert sources and all("src=" in attrs and not body.strip() for attrs, body in sources)
    assert "http" not in page.text and "style=" not in page.text  # nothing from a CDN
    for src in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        asset = api.get(src)
        assert asset.status_code == 200 and len(asset.content) > 100, src


def test_web_templates_carry_no_inline_script(web):
    for path in WEB_PAGES:
        html = web.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\son[a-z]+=", html), path


CSV_HEAD = b"id,external_id,lead_created_at,first_name\n"


def _big_csv(mb: float) -> bytes:
    row = b"1,x,2026-11-01,Ana\n"
    return CSV_HEAD + row * int(mb * 1024 * 1024 / len(row))


def test_one_upload_cap_for_api_and_web(store, web, api):
    big = _big_csv(1.5)
    r = api.post("/api/v1/cabinet-leads/upload-csv", files={"file": ("l.csv", big)})
    assert r.status_code == 413
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/carga").text).group(1)  # type: ignore[union-attr]
    page = web.post("/carga", data={"csrf_token": csrf}, files={"file": ("l.csv", big)})
    assert page.status_code == 413
    small = api.post("/api/v1/cabinet-leads/upload-csv", files={"file": ("l.csv", _big_csv(0.01))})
    assert small.status_code == 200, small.text


def test_a_streamed_upload_is_stopped_at_the_cap(api):
    boundary = "xyzzy"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"l.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()  # fmt: skip

    def chunks():
        yield head
        for _ in range(40):  # 2.5 MB in 64 KB chunks, no Content-Length
            yield b"1,x,2026-11-01,Ana\n" * 3400
        yield f"\r\n--{boundary}--\r\n".encode()

    r = api.post(
        "/api/v1/cabinet-leads/upload-csv",
        content=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 413


def test_an_anonymous_upload_is_refused_before_its_body_is_read(store):
    _, app = store
    consumed = {"bytes": 0}
    body = b"--b\r\n" + b"x" * 200_000

    async def receive():
        consumed["bytes"] += len(body)
        return {"type": "http.request", "body": body, "more_body": False}

    sent = []

    async def send(message):
        sent.append(message)

    for path in ("/api/v1/cabinet-leads/upload-csv", "/carga"):
        consumed["bytes"], sent[:] = 0, []
        scope = {
            "type": "http", "method": "POST", "path": path, "raw_path": path.encode(),
            "query_string": b"", "headers": [(b"content-type", b"multipart/form-data; boundary=b")],
            "client": ("10.9.9.9", 1), "server": ("t", 80), "scheme": "http",
            "http_version": "1.1", "root_path": "",
        }  # fmt: skip
        asyncio.run(app(scope, receive, send))
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
        assert status in (401, 303) and consumed["bytes"] == 0, (path, status)
