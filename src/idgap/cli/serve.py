"""`idgap serve`: API + web pages + the recovery job on a schedule, in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from idgap.cli.common import console, one_line_errors, state


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    scheduler: Annotated[
        bool,
        typer.Option(
            "--scheduler/--no-scheduler", help="Run recovery every IDGAP_RECOVERY_INTERVAL_MINUTES."
        ),
    ] = True,
) -> None:
    """Serve the API (/api/v1) and the dashboard (/), with scheduled recovery."""
    import uvicorn

    from idgap.api.app import create_app
    from idgap.recovery.schedule import RecoveryScheduler

    st = state()
    app = create_app(st.settings, st.engine)
    sched = RecoveryScheduler(st.engine, st.settings) if scheduler else None
    if sched:
        sched.start()
        console.print(f"recovery scheduled every {st.settings.recovery_interval_minutes} min")
    console.print(f"dashboard: http://{host}:{port}/   API docs: http://{host}:{port}/api/v1/docs")
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        if sched:
            sched.stop()


def register(app: typer.Typer) -> None:
    app.command("serve")(one_line_errors(serve))
