"""Every Spanish word the web shows for a code, and the plurals of the nouns it counts.

Codes stay data everywhere else (store, API, CLI JSON): `no_identity`, `R1_PHONE_EXACT`,
`module_ct_cabinet_leads`. Only the web layer turns them into words, through `label(kind, code)`,
so a code without a label shows as a readable fallback ("otro código") instead of raw snake_case.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

GAP_REASON = {
    "no_identity": "Sin identidad",
    "no_driver": "Sin conductor",
    "no_origin": "Sin origen",
    "other_origin": "Otro origen",
    "resolved": "Resuelto",
    "unresolved": "Sin resolver",
}
RISK = {"high": "Alto", "medium": "Medio", "low": "Bajo"}
REASON_CODE = {
    "NO_CANDIDATES": "Sin candidatos",
    "WEAK_MATCH_ONLY": "Solo coincidencias débiles",
    "MULTIPLE_CANDIDATES": "Varios candidatos",
    "MISSING_KEYS": "Faltan datos clave",
    "INVALID_DATE_FORMAT": "Fecha inválida",
    "OTHER_PARK_ONLY": "Solo en otro park",
    "NO_PERSON_KEY": "Sin persona",
    "REOPENED": "Vínculo deshecho a mano",
    "MANUAL_RESOLUTION": "Vínculo manual",
}
RULE = {
    "R1_PHONE_EXACT": "Mismo teléfono",
    "R2_LICENSE_EXACT": "Misma licencia",
    "R3_PLATE_EXACT_NAME_SIMILAR": "Misma placa y nombre parecido",
    "R3b": "Placa casi igual y nombre parecido",
    "R4_CAR_FINGERPRINT_NAME_SIMILAR": "Mismo vehículo y nombre parecido",
    "IG_SCORED": "Puntaje combinado",
    "MANUAL_RESOLUTION": "Vínculo manual",
    "MIGRATION_DRIVER_ID": "Migración con su conductor",
    "UNDO": "Deshecho a mano",
    "LEGACY": "Importado del sistema anterior",
}
OUTCOME = {"matched": "Vinculado", "review": "En revisión", "unmatched": "No vinculado"}
CONFIDENCE = {"HIGH": "Alta", "MEDIUM": "Media", "LOW": "Baja"}
RUN_STATUS = {
    "running": "En ejecución",
    "completed": "Completada",
    "failed": "Fallida",
    "interrupted": "Interrumpida",
    "no_runs": "Sin ejecuciones",
}
RUN_KIND = {
    "recover": "Recovery",
    "match": "Matching",
    "import": "Importación",
    "backfill_origins": "Orígenes",
    "import_legacy": "Importación del sistema anterior",
    "claims": "Cobranza (pagos)",
}
QUEUE_STATUS = {"OPEN": "Pendiente", "RESOLVED": "Resuelto", "DISMISSED": "Descartado"}
PERSON_STATUS = {"active": "Activa", "merged": "Fusionada", "retired": "Retirada (deshecha)"}
QUEUE_SORT = {  # identity.queue SORTS
    "-amount": "Más dinero en juego",
    "amount": "Menos dinero en juego",
    "-age": "Más antiguos",
    "age": "Más recientes (días abiertos)",
    "-lead_date": "Fecha de lead más reciente",
    "lead_date": "Fecha de lead más antigua",
    "reason": "Motivo",
    "queue": "Revisión primero",
}
HEALTH_STATUS = {"OK": "Correcto", "WARNING": "Advertencia", "ERROR": "Error"}
JOB_STATE = {  # REF §8.1 recovery states
    "ACTIVO": "Activo",
    "NO_CONFIGURADO": "No configurado",
    "SIN_SENAL": "Sin señal",
    "COMPLETO": "Completo",
}
ALERT = {
    "over_24h_no_identity": "Más de 24 h sin identidad",
    "over_7d_unresolved": "Más de 7 días sin resolver",
    "other_origin": "Otro origen",
    "inconsistent_origin": "Origen inconsistente",
}
SOURCE = {
    "module_ct_cabinet_leads": "Leads (Cabinet)",
    "module_ct_scouting_daily": "Scouting",
    "module_ct_migrations": "Migraciones",
    "module_ct_cabinet_payments": "Pagos de Yango",
    "drivers": "Conductores",
    "summary_daily": "Actividad diaria",
}
ORIGIN_TAG = {
    "cabinet_lead": "Lead de Cabinet",
    "scout_registration": "Registro de scouting",
    "migration": "Migración",
    "legacy_external": "Sistema anterior",
}
RESOLUTION = {"resolved_auto": "automático", "resolved_manual": "manual"}
HISTORY_ACTION = {
    "link": "Vínculo",
    "move": "Traslado",
    "merged": "Fusión",
    "insert": "Alta",
    "update": "Cambio",
    "unlink": "Desvínculo",
    "dismiss": "Sin coincidencia",
    "reopen": "Reabierto",
    "retired": "Retirada",
}
ROLE = {"viewer": "lector", "operator": "operador", "admin": "administrador"}
RECOMMENDATION_LEVEL = {
    "error": "Error",
    "warning": "Advertencia",
    "action": "Acción",
    "info": "Información",
}
STAT = {  # run statistics (recovery, matching, import, backfill)
    "processed": "Leads procesados",
    "matched": "Vinculados",
    "review": "A revisión",
    "unmatched": "No vinculados",
    "origins_created": "Orígenes creados",
    "driver_links_created": "Vínculos de conductor creados",
    "persons_created": "Personas creadas",
    "migrations_linked": "Migraciones vinculadas",
    "driver_links_repaired": "Vínculos de conductor reparados",
    "origins_backfilled": "Orígenes completados",
    "without_identity": "Sin identidad",
    "skipped_unchanged": "Sin cambios (omitidos)",
    "skipped_already_linked": "Ya vinculados (omitidos)",
    "index_changed": "Conductores reindexados",
    "batches": "Lotes",
    "elapsed": "Duración",
    "elapsed_seconds": "Duración",
    "seconds": "Duración",
    "by_reason": "Por motivo",
    "by_rule": "Por regla",
    "loaded": "Cargadas",
    "inserted": "Nuevas",
    "updated": "Actualizadas",
    "unchanged": "Sin cambios",
    "rejected": "Rechazadas",
    "rows": "Filas",
    "read": "Leídas",
    "tables": "Tablas",
    "leads_refreshed": "Leads recalculados",
    "lead_status_refreshed": "Leads recalculados",
    "persons": "Personas",
    "links": "Vínculos",
    "warned": "Con advertencias",
    "table": "Tabla",
    "path": "Ruta",
    "file": "Archivo",
    "limit": "Límite",
    "ruleset": "Reglas de matching",
    "triggered_by": "Origen",
    "changed": "Pagos con decisión nueva",
    "claims_written": "Filas de cobranza recalculadas",
    "timings": "Tiempo por etapa",
    "match_settings": "Ajustes del matching",
}
STAGE = {  # a run's timings: seconds per stage (recovery.job)
    "index": "Índice de conductores",
    "plan": "Planificación de la carga",
    "read": "Lectura",
    "repair": "Reparación de vínculos",
    "match": "Matching",
    "write": "Escritura",
    "gap_status": "Estado de las brechas",
    "search_keys": "Claves de búsqueda",
    "claims": "Cobranza",
    "followups": "Búsqueda y cobranza",
}
MATCH_SETTING = {  # matching.settings.MatchSettings, as a run's parameters show them
    "target_park_id": "Park objetivo",
    "name_threshold": "Umbral de nombre (R3)",
    "name_gap": "Margen entre nombres (R3)",
    "hire_window": "Ventana de alta (días)",
    "max_block_size": "Máx. cuentas por teléfono o placa",
    "max_candidates": "Máx. candidatos por lead",
    "name_levels": "Niveles de nombre",
    "hire_bands": "Bandas de alta",
    "activity_windows": "Ventanas de actividad (días)",
    "priors": "Probabilidades iniciales",
    "min_anchors": "Vínculos seguros antes de estimar",
    "m_prior_weight": "Peso previo de m",
    "u_sample_pairs": "Pares al azar para u",
    "u_prior_weight": "Peso previo de u",
    "name_tf_dependence": "Dependencia entre palabras del nombre",
    "name_tf_floor": "Piso de frecuencia del nombre",
    "plate_tf_floor": "Piso de frecuencia de la placa",
    "phone_tf_floor": "Piso de frecuencia del teléfono",
    "plate_near_accounts": "Cuentas con placa parecida",
    "prior_has_driver": "Prob. previa de que el conductor exista",
    "population_floor": "Población mínima supuesta",
    "target_precision": "Precisión para vincular solo",
    "auto_link_margin_bits": "Margen sobre el segundo (bits)",
    "review_probability": "Prob. mínima para revisión",
    "activity_alone_floor": "Prob. mínima sin actividad",
    "strong_name_level": "Nivel de nombre fuerte",
    "same_person_min_name": "Similitud para misma persona",
    "typo_token_max": "Máx. cuentas con una palabra para leerla como error de tipeo",
    "typo_token_share": "Parte máx. de cuentas con una palabra para leerla como error de tipeo",
    "typo_word_edits": "Ediciones permitidas en una palabra mal escrita",
}
CLAIM_STATUS = {  # issue 14: the claims ledger
    "paid": "Pagado",
    "owed": "Por cobrar",
    "not_reached": "No alcanzado",
    "paid_not_reached": "En disputa",
    "unidentified": "Sin identidad",
    "expired": "Vencido",
}
PAYMENT_OUTCOME = {
    "matched": "Vinculado",
    "review": "En revisión",
    "unmatched": "Sin coincidencia",
    "pending": "Pendiente",
}
PAYMENT_REASON = {
    "NAME_MILESTONE": "Nombre y hito alcanzado",
    "NAME_NOT_REACHED": "Nombre exacto, hito no alcanzado",
    "MULTIPLE_CANDIDATES": "Varios candidatos (homónimos)",
    "WEAK_NAME_ONLY": "Nombre parcial, hito no alcanzado",
    "NO_CANDIDATES": "Ningún lead coincide",
    "LEAD_WITHOUT_IDENTITY": "El lead que coincide aún no tiene conductor",
    "MISSING_NAME": "Nombre insuficiente",
    "NO_MILESTONE": "Sin hito marcado",
    "MANUAL": "Decisión manual",
}
SECONDS_STATS = {"elapsed", "elapsed_seconds", "seconds"}

KINDS: dict[str, Mapping[str, str]] = {
    "gap_reason": GAP_REASON,
    "risk": RISK,
    "reason_code": REASON_CODE,
    "rule": RULE,
    "outcome": OUTCOME,
    "confidence": CONFIDENCE,
    "run_status": RUN_STATUS,
    "run_kind": RUN_KIND,
    "queue_status": QUEUE_STATUS,
    "queue_sort": QUEUE_SORT,
    "person_status": PERSON_STATUS,
    "health_status": HEALTH_STATUS,
    "job_state": JOB_STATE,
    "alert": ALERT,
    "source": SOURCE,
    "origin_tag": ORIGIN_TAG,
    "resolution": RESOLUTION,
    "history_action": HISTORY_ACTION,
    "role": ROLE,
    "level": RECOMMENDATION_LEVEL,
    "stat": STAT,
    "stage": STAGE,
    "match_setting": MATCH_SETTING,
    "claim_status": CLAIM_STATUS,
    "payment_outcome": PAYMENT_OUTCOME,
    "payment_reason": PAYMENT_REASON,
}

# noun -> (singular, plural); `count(n, noun)` picks one
NOUNS = {
    "lead": ("lead", "leads"),
    "trip": ("viaje", "viajes"),
    "day": ("día", "días"),
    "hour": ("hora", "horas"),
    "person": ("persona", "personas"),
    "driver": ("conductor", "conductores"),
    "run": ("ejecución", "ejecuciones"),
    "alert": ("alerta", "alertas"),
    "candidate": ("candidato", "candidatos"),
    "link": ("vínculo", "vínculos"),
    "row": ("fila", "filas"),
    "file": ("archivo", "archivos"),
    "milestone": ("hito", "hitos"),
    "batch": ("lote", "lotes"),
    "second": ("segundo", "segundos"),
    "minute": ("minuto", "minutos"),
    "payment": ("pago", "pagos"),
    "problem": ("problema", "problemas"),
    "active_filter": ("filtro activo", "filtros activos"),
}


ACTOR = {  # who did it: runs.triggered_by, decided_by, linked_by, changed_by ("kind[:name]")
    "system": "sistema",
    "recovery": "recovery",
    "legacy": "sistema anterior",
    "cli": "línea de comandos",
    "demo": "idgap demo",
    "schedule": "programada",
    "web": "web",
    "api": "API",
    "manual": "a mano",
    "test": "prueba",
}


def actor(value: Any) -> str:
    """'web:ana' -> 'web (ana)', 'system' -> 'sistema'; a person's name stays; '—' for none."""
    if not value:
        return "—"
    kind, _, who = str(value).partition(":")
    said = ACTOR.get(kind, kind)
    return f"{said} ({who})" if who else said


def label(kind: str, code: Any) -> str:
    """The Spanish word for `code` of `kind`; '—' for none; an unknown code made readable."""
    if code is None or code == "":
        return "—"
    table = KINDS[kind]
    text = str(code)
    if text in table:
        return table[text]
    folded = {k.lower(): v for k, v in table.items()}
    return folded.get(text.lower(), text.replace("_", " ").capitalize())


def plural(n: Any, noun: str) -> str:
    """The form of `noun` that goes with `n`: 1 viaje, 0 viajes, 2 viajes."""
    singular, many = NOUNS[noun]
    return singular if n == 1 else many


def count(n: Any, noun: str) -> str:
    """'1 viaje', '1,234 viajes'; '—' when n is unknown."""
    if n is None:
        return "—"
    return f"{int(n):,} {plural(int(n), noun)}"


# health findings and diagnose recommendations (codes from gaps/health.py and gaps/diagnose.py)
FINDING = {
    "run_failed": "La última ejecución ({kind}) #{run_id} falló.",
    "never_completed": "El recovery nunca completó una ejecución.",
    "stale": "Sin ejecución completa del recovery hace {hours:.0f} h (límite {limit} h).",
    "active_alerts": "{n_alert} sobre leads sin resolver.",
    "lead_links_without_driver_link": "{n_link} de lead sin cuenta de conductor.",
    "persons_with_lead_links_without_origin": "{n_person} con leads vinculados sin origen.",
    "lead_links_to_unknown_leads": "{n_link} a leads que no están en Cabinet.",
}
RECOMMENDATION = {
    "run_failed": "La ejecución #{run_id} ({kind}) falló: corrija la causa y vuelva a "
    "ejecutar el recovery.",
    "never_completed": "El recovery nunca terminó: ejecútelo ahora desde Ejecuciones y "
    "prográmelo (idgap serve lo ejecuta cada {minutes} min).",
    "stale": "El recovery no se completa hace {hours} h: revise la programación "
    "(idgap serve o cron) y ejecútelo.",
    "persons_with_lead_links_without_origin": "{n_person} con leads vinculados sin origen: "
    "ejecute idgap backfill-origins (el recovery también lo hace).",
    "inconsistent_origins": "{n} orígenes apuntan a un registro no vinculado a su persona y "
    "{contradicting} contradicen la regla de origen: ejecute idgap backfill-origins.",
    "lead_links_without_driver_link": "{n_link} de lead sin vínculo de conductor (no se "
    "cuentan sus viajes): ejecute el recovery para repararlos.",
    "lead_links_to_unknown_leads": "{n_link} a leads que no están en Cabinet (p. ej. "
    "{sample}): importe esos leads o separe los vínculos.",
    "nothing_processed": "{n_lead} sin resolver y nada procesado en 24 h: verifique que el "
    "recovery esté programado.",
    "review_queue": "Trabaje la cola de revisión: {n_lead}, {amount_text} en juego.",
    "other_origin": "{n_lead} con otro origen (re-registro u otro canal): confirme cada "
    "origen en la ficha de la persona.",
    "all_good": "Nada que hacer: el recovery está al día y los registros están completos.",
}


def say(table: Mapping[str, str], item: Mapping[str, Any], currency: str = "S/") -> str:
    """A finding or recommendation {code, params, text} in Spanish; its own text if unknown."""
    template = table.get(str(item.get("code")))
    if template is None:
        return str(item.get("text") or "")
    params = dict(item.get("params") or {})
    n = params.get("n")
    for noun in ("lead", "person", "link", "alert"):
        params[f"n_{noun}"] = count(n, noun)
    if "amount" in params:
        params["amount_text"] = f"{currency} {float(params['amount'] or 0):,.2f}"
    params["kind"] = label("run_kind", params.get("kind"))
    try:
        return template.format(**params)
    except (KeyError, ValueError, TypeError):
        return str(item.get("text") or "")


# intake's reject reasons and file errors (English data from idgap.intake) -> Spanish, by pattern;
# a message without a pattern is shown as it is
INTAKE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), template)
    for pattern, template in (
        (r"^missing key: external_id and id are both empty$",
         "falta la clave: external_id e id están vacíos"),
        (r"^missing key (\S+)$", r"falta la clave \1"),
        (r"^missing required column\(s\) (.+) for (\S+)$", r"faltan columnas obligatorias: \1"),
        (r"^missing (\S+)$", r"falta el valor de \1"),
        (r"^unparsable date in (\S+): (.*)$", r"fecha no válida en \1: \2"),
        (r"^(\S+) is not a whole number: (.*)$", r"\1 no es un número entero: \2"),
        (r"^(\S+) is longer than (\d+) characters$", r"\1 tiene más de \2 caracteres"),
        (r"^duplicate key (.+) \(first at line (\d+)\)$",
         r"clave repetida \1 (aparece antes en la línea \2)"),
        (r"^the file is empty$", "el archivo está vacío"),
        (r"^cannot be read as CSV \((.*)\)$", r"no se puede leer como CSV (\1)"),
        (r"^not UTF-8 text \(undecodable byte (\S+) on line (\d+)\).*$",
         r"no es texto UTF-8 (byte \1 en la línea \2): guárdelo como UTF-8"),
        (r"^cannot tell which table this file is.*$",
         "no se reconoce la tabla del archivo: use el nombre module_ct_cabinet_leads.csv"),
    )
)  # fmt: skip


def intake_message(text: Any) -> str:
    """An intake reject reason or file error in Spanish ('x.csv: ' prefixes are kept)."""
    message = str(text or "")
    prefix, sep, rest = message.partition(": ")
    candidates = [(prefix + sep, rest)] if sep and "." in prefix else []
    candidates.append(("", message))
    for head, body in candidates:
        for pattern, template in INTAKE_MESSAGES:
            if pattern.match(body):
                return head + pattern.sub(template, body)
    return message


HISTORY_REASON = {  # free-text reasons the writers record in link / origin history
    "origin for existing links": "origen de vínculos existentes",
    "link created by matching": "vínculo creado por el matching",
    "manual resolution": "resolución manual",
    "DRIVER_MATCH": "cuenta de conductor encontrada",
    "undo": "deshecho",
    "reopened": "reabierto",
    "dismissed": "descartado",
    "person left without leads": "persona sin leads",
    "backfill by the origin rule (missing or inconsistent origin)": "origen completado por la regla de origen (faltaba o no cuadraba)",  # noqa: E501
}
HISTORY_PREFIX = {  # "<prefix>: <free text>" and "<prefix> <id>" reasons (undo, merge, split)
    "undo link of ": "al deshacer el vínculo del lead ",
    "undo: ": "deshecho: ",
    "merge: ": "fusión: ",
    "split: ": "separación: ",
    "merged into ": "fusionada en ",
}


def history_reason(text: Any) -> str:
    """A history row's reason: a rule or reason code in words, a known phrase in Spanish."""
    if text is None or text == "":
        return ""
    value = str(text)
    for table in (HISTORY_REASON, RULE, REASON_CODE):
        if value in table:
            return table[value]
    for prefix, said in HISTORY_PREFIX.items():
        if value.startswith(prefix):
            return said + history_reason(value[len(prefix) :])
    return value
