"""Person list and person page (with merge / split forms for admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from idgap.clock import utc_now
from idgap.errors import InputError
from idgap.identity import manual
from idgap.identity import read as identity
from idgap.web.deps import MAX_PAGE, Admin, Conn, Csrf, Viewer, flash, page_context, web_state
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)
PERSONS_PAGE = 50


@router.get("/personas", name="web_persons")
def persons(
    request: Request, user: Viewer, conn: Conn, q: str = "", page: int = Query(1, ge=1, le=MAX_PAGE)
) -> Response:
    offset = (page - 1) * PERSONS_PAGE
    result = identity.list_persons(conn, q=q.strip() or None, limit=PERSONS_PAGE, offset=offset)
    context = page_context(
        request,
        user,
        active="persons",
        q=q,
        page=page,
        items=result["items"],
        total=result["total"],
        has_next=offset + PERSONS_PAGE < result["total"],
    )
    return web_state(request).templates.TemplateResponse(request, "persons.html", context)


@router.get("/personas/{person_key}", name="web_person")
def person_page(request: Request, person_key: str, user: Viewer, conn: Conn) -> Response:
    person = identity.get_person(conn, person_key)
    context = page_context(request, user, active="persons", person=person, person_key=person_key)
    return web_state(request).templates.TemplateResponse(request, "person.html", context)


@router.post("/personas/{person_key}/fusionar")
def merge(
    request: Request,
    person_key: str,
    user: Admin,
    _csrf: Csrf,
    absorb: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    absorb, reason = absorb.strip(), reason.strip()
    if not absorb or not reason:
        raise InputError("Indique la persona a absorber y el motivo de la fusión.")
    state = web_state(request)
    with state.engine.begin() as conn:
        manual.merge_persons(
            conn,
            person_key,
            absorb,
            by=f"web:{user.name}",
            reason=reason,
            now=utc_now(),
            settings=state.settings,
        )
    flash(request, f"Persona {absorb} fusionada en esta persona.", "ok")
    return RedirectResponse(f"/personas/{person_key}", status_code=303)


@router.post("/personas/{person_key}/separar")
def split(
    request: Request,
    person_key: str,
    user: Admin,
    _csrf: Csrf,
    source_table: Annotated[str, Form()] = "",
    source_pk: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    if not source_table or not source_pk or not reason.strip():
        raise InputError("Indique el vínculo a separar y el motivo.")
    state = web_state(request)
    with state.engine.begin() as conn:
        new_key = manual.split_link(
            conn,
            source_table,
            source_pk,
            by=f"web:{user.name}",
            reason=reason.strip(),
            now=utc_now(),
            settings=state.settings,
        )
    flash(request, f"Vínculo {source_table}/{source_pk} separado en una persona nueva.", "ok")
    return RedirectResponse(f"/personas/{new_key}", status_code=303)
