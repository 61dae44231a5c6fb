"""Lead page: its source data, identity and bonus, trips in the claim window, decisions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from idgap import clock
from idgap.errors import Conflict
from idgap.identity import undo
from idgap.views.lead import lead_view
from idgap.web.deps import (
    Conn,
    Csrf,
    Operator,
    Viewer,
    WebUser,
    flash,
    render_page,
    web_state,
)
from idgap.web.review_view import candidate_view, lead_facts
from idgap.web.routing import WebRoute

router = APIRouter(route_class=WebRoute)


INPUT_LABELS = {  # the engine's normalised lead inputs (evidence.inputs) -> Spanish names
    "phone_norm": "teléfono",
    "license_norm": "licencia",
    "plate_norm": "placa",
    "name_norm": "nombre",
    "model_norm": "modelo",
}


def _as(value: Any, kind: type) -> Any:
    """`value` when it is a `kind` (dict / list), else an empty one: JSON columns may hold any."""
    return value if isinstance(value, kind) else kind()


def decision_rows(
    decisions: list[dict[str, Any]], facts: dict[str, Any], *, target_park: str
) -> list[dict[str, Any]]:
    """Each decision with its inputs and candidates as sentences (no raw JSON on the page)."""
    rows = []
    for d in decisions:
        evidence = _as(d.get("evidence"), dict)
        inputs = _as(evidence.get("inputs"), dict)
        shown = [(INPUT_LABELS.get(k, k), v) for k, v in inputs.items() if v not in (None, "")]
        raw = _as(d.get("candidates"), list)
        candidates = [
            candidate_view(c, facts, n + 1, target_park=target_park)
            for n, c in enumerate(raw[:3])
            if isinstance(c, dict)
        ]
        rows.append({**d, "inputs": shown, "candidates": candidates})
    return rows


@router.get("/leads/{lead_id}", name="web_lead")
def lead_page(request: Request, lead_id: str, user: Viewer, conn: Conn) -> Response:
    settings = web_state(request).settings
    today = clock.park_day(clock.utc_now(), settings.timezone)
    view = lead_view(conn, lead_id, settings=settings, today=today)
    facts = lead_facts(view, {"source_pk": lead_id})
    return render_page(
        request,
        user,
        "lead.html",
        view=view,
        active="dashboard",
        lead=view,
        facts=facts,
        trips=view["trips_by_day"],
        decision_rows=decision_rows(view["decisions"], facts, target_park=settings.park_id),
        history=undo.lead_history(conn, lead_id),
        can_undo=undo.undoable(conn, lead_id, actor(user)),
    )


def actor(user: WebUser) -> undo.Actor:
    return undo.Actor(by=f"web:{user.name}", name=user.name, admin=user.can("admin"))


def _local(path: str, default: str) -> str:
    """Only a path on this site (never //host or a scheme) may be a redirect target."""
    ok = path.startswith("/") and not path.startswith("//") and "\\" not in path
    return path if ok else default


@router.post("/leads/{lead_id}/deshacer", name="web_lead_undo")
def undo_lead(
    request: Request,
    lead_id: str,
    user: Operator,
    _csrf: Csrf,
    note: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Undo the lead's link or dismissal; the lead is back in the review queue."""
    state = web_state(request)
    target = _local(next, f"/leads/{lead_id}")
    try:
        with state.engine.begin() as conn:
            done = undo.undo_last(
                conn, lead_id, who=actor(user), note=note.strip() or None, now=clock.utc_now(),
                settings=state.settings,
            )  # fmt: skip
    except Conflict as exc:
        flash(request, f"No se deshizo: {exc.message}", "warn")
        return RedirectResponse(target, status_code=303)
    what = "el vínculo" if done["undone"] == "link" else "el descarte"
    flash(request, f"Se deshizo {what} del lead {lead_id}: volvió a la cola de revisión.", "ok")
    return RedirectResponse(target, status_code=303)
