"""Review queue: one lead at a time with its candidates side by side; link or dismiss."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from idgap import clock
from idgap.errors import Conflict, InputError
from idgap.identity import manual, undo
from idgap.identity.queue import DEFAULT_SORT, SORTS, STATUSES, QueueFilters
from idgap.matching.model import Reason
from idgap.views.review import review_view
from idgap.web.deps import (
    MAX_ID,
    MAX_POS,
    Conn,
    Csrf,
    Operator,
    Viewer,
    WebUser,
    flash,
    render_page,
    web_state,
)
from idgap.web.pages.dashboard import parse_day
from idgap.web.pages.lead import actor
from idgap.web.render import days_between, url_with
from idgap.web.review_view import candidate_view, lead_facts
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)

SIDE_LIST = 8
REASON_CODES = tuple(r.value for r in Reason)


QUEUE_PARAMS = (
    "q", "sort", "reason_code", "min_amount", "min_age_days", "max_age_days", "date_from",
    "date_to", "linkable_only", "status",
)  # fmt: skip
SORT_CHOICES = ("-amount", "amount", "-age", "age", "-lead_date", "lead_date", "reason")
# the filters an analyst sets (sort and status have defaults and are not "active filters")
FILTER_KEYS = ("q", "reason_code", "min_amount", "min_age_days", "max_age_days", "date_from",
               "date_to", "linkable_only")  # fmt: skip


def _number(raw: str, what: str, example: str, cast: type = float) -> Any:
    try:
        value = cast(raw) if raw else None
    except ValueError:
        raise InputError(f"«{what}» debe ser un número, p. ej. {example}.") from None
    if value is not None and value < 0:
        raise InputError(f"«{what}» no puede ser negativo.")
    return value


def _typed(raw: dict[str, str]) -> dict[str, Any]:
    """The query string's text as the filter's values, with Spanish one-line errors."""
    if raw["sort"] not in SORTS:
        raise InputError(f"Orden desconocido: {raw['sort']}")
    if raw["status"] not in STATUSES:
        raise InputError(f"Estado desconocido: {raw['status']}")
    start, end = parse_day(raw["date_from"], "desde"), parse_day(raw["date_to"], "hasta")
    if start and end and start > end:
        raise InputError("La fecha «desde» es posterior a «hasta».")
    low = _number(raw["min_age_days"], "Días abierto, desde", "7", int)
    high = _number(raw["max_age_days"], "Días abierto, hasta", "30", int)
    if low is not None and high is not None and low > high:
        raise InputError("«Días abierto, desde» es mayor que «hasta».")
    return {
        "q": raw["q"], "sort": raw["sort"], "reason_code": raw["reason_code"],
        "min_amount": _number(raw["min_amount"], "Monto mínimo", "60"),
        "min_age_days": low, "max_age_days": high, "date_from": start, "date_to": end,
        "linkable_only": raw["linkable_only"] == "1", "status": raw["status"],
    }  # fmt: skip


def queue_params(values: Mapping[str, Any]) -> tuple[QueueFilters, dict[str, str]]:
    """The queue's filters from a query string (or a form), and the same as link parameters."""
    raw = {k: str(values.get(k) or "").strip()[:200] for k in QUEUE_PARAMS}
    raw["sort"] = raw["sort"] or DEFAULT_SORT
    raw["status"] = raw["status"] or "OPEN"
    filters = QueueFilters.of(_typed(raw))
    defaults = {"sort": DEFAULT_SORT, "status": "OPEN"}  # left out of links: shorter URLs
    link = {k: v for k, v in raw.items() if v and defaults.get(k) != v}
    return filters, link


def active_filters(link: Mapping[str, str]) -> int:
    """How many of the analyst's filters are set (the folded form says so, and opens)."""
    return sum(1 for k in FILTER_KEYS if link.get(k))


@router.get("/revision", name="web_review")
@router.get("/revision.json")
def review(
    request: Request, user: Viewer, conn: Conn, pos: int = Query(0, ge=0, le=MAX_POS)
) -> Response:
    filters, link = queue_params(request.query_params)
    today = clock.park_day(clock.utc_now(), web_state(request).settings.timezone)
    view = review_view(conn, pos=pos, count=SIDE_LIST, filters=filters, today=today)
    total = view["total"]
    if pos and pos >= total and total:
        return RedirectResponse(url_with("/revision", link, pos=total - 1), status_code=303)
    current = view["current"]
    facts = lead_facts({"lead": (current or {}).get("lead") or {}}, current)
    raw_candidates = (current or {}).get("candidates") or []
    settings = web_state(request).settings
    window = (-settings.hire_window_before_days, settings.hire_window_after_days)
    candidates = [
        candidate_view(c, facts, n + 1, target_park=settings.park_id, window=window)
        for n, c in enumerate(raw_candidates[:5])
    ]
    return render_page(
        request,
        user,
        "review.html",
        view=view,
        active="review",
        pos=pos,
        total=total,
        current=current,
        lead=facts,
        candidates=candidates,
        upcoming=view["upcoming"],
        days_between=days_between,
        qp=link,
        queue_filters=filters,
        active_filters=active_filters(link),
        sort_choices=SORT_CHOICES,
        reason_codes=REASON_CODES,
        undo_offer=undo_offer(conn, request, user),
        here=url_with("/revision", link, pos=pos),
    )


def _after_action(pos: int, back: str = "", done: str | None = None) -> Response:
    # the handled lead leaves the OPEN queue, so the same position now shows the next one;
    # `deshacer` offers to undo what was just done there
    _, link = queue_params(dict(parse_qsl(back)))
    return RedirectResponse(url_with("/revision", link, pos=pos, deshacer=done), status_code=303)


def undo_offer(conn: Any, request: Request, user: WebUser) -> dict[str, str] | None:
    """The lead just linked or dismissed, if this user may still undo it."""
    lead_id = request.query_params.get("deshacer", "")[:64]
    if not lead_id:
        return None
    kind = undo.undoable(conn, lead_id, actor(user))
    return {"lead_id": lead_id, "kind": kind} if kind else None


@router.post("/revision/{unmatched_id}/vincular")
def link_candidate(
    request: Request,
    unmatched_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    user: Operator,
    _csrf: Csrf,
    driver_id: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    pos: Annotated[int, Form(ge=0, le=MAX_POS)] = 0,
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if not driver_id.strip():
        raise InputError("Elija un candidato para vincular.")
    state = web_state(request)
    try:
        with state.engine.begin() as conn:
            done = manual.resolve_unmatched(
                conn,
                unmatched_id,
                driver_id=driver_id.strip(),
                by=f"web:{user.name}",
                note=note.strip() or None,
                now=clock.utc_now(),
                settings=state.settings,
            )
    except Conflict as exc:  # someone (or the job) linked it meanwhile: say so, show the next
        flash(request, f"No se vinculó: {exc.message}", "warn")
        return _after_action(pos, back)
    flash(request, f"Lead {done['source_pk']} vinculado al conductor {driver_id.strip()}.", "ok")
    return _after_action(pos, back, done["source_pk"])


@router.post("/revision/{unmatched_id}/descartar")
def dismiss(
    request: Request,
    unmatched_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    user: Operator,
    _csrf: Csrf,
    note: Annotated[str, Form()] = "",
    pos: Annotated[int, Form(ge=0, le=MAX_POS)] = 0,
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if not note.strip():
        raise InputError("Escriba una nota que explique por qué ningún candidato coincide.")
    try:
        with web_state(request).engine.begin() as conn:
            lead_id = undo.dismiss(
                conn, unmatched_id, who=actor(user), note=note.strip(), now=clock.utc_now()
            )
    except Conflict as exc:
        flash(request, f"No se descartó: {exc.message}", "warn")
        return _after_action(pos, back)
    flash(request, f"Lead {lead_id} marcado «sin coincidencia».", "ok")
    return _after_action(pos, back, lead_id)
