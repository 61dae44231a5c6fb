"""The recovery job on a timer inside `idgap serve` (cron can call `idgap recover` instead)."""

from __future__ import annotations

import logging
import threading

import sqlalchemy as sa

from idgap.config import Settings
from idgap.errors import JobLocked
from idgap.recovery.job import run_recovery

log = logging.getLogger("idgap.schedule")


class RecoveryScheduler:
    def __init__(self, engine: sa.Engine, settings: Settings):
        self.engine, self.settings = engine, settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="idgap-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        interval = max(self.settings.recovery_interval_minutes, 1) * 60
        while not self._stop.wait(timeout=interval):
            self.run_once()

    def run_once(self) -> None:
        try:
            report = run_recovery(self.engine, settings=self.settings, triggered_by="schedule")
            log.info("scheduled recovery run #%s: %s matched", report.run_id, report.writes.matched)
        except JobLocked:
            log.info("scheduled recovery skipped: another run holds the lock")
        except Exception:  # the run row records the failure; the schedule keeps going
            log.exception("scheduled recovery failed")
