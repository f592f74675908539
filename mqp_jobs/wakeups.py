"""Waking schedulers when a job is submitted, instead of having them poll.

The job tables' insert triggers notify a channel in the submitting transaction; the
notification is delivered when that transaction commits. A scheduler listens on a connection
of its own, opened on first use and kept, so notifications that arrive between two waits are
not lost: the next wait returns at once.
"""

from __future__ import annotations

import threading

import psycopg

from mqp_jobs.connection import PoolSettings, unavailable
from mqp_jobs.queries import query

_LISTEN = query("listen_for_submissions")


class SubmissionListener:
    def __init__(self, conninfo: str, settings: PoolSettings) -> None:
        self._conninfo = conninfo
        self._settings = settings
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._lock = threading.Lock()

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        try:
            conn = psycopg.connect(
                self._conninfo,
                autocommit=True,
                connect_timeout=max(1, round(self._settings.connect_timeout)),
            )
        except psycopg.OperationalError as exc:
            raise unavailable(self._conninfo, exc) from None
        conn.execute(_LISTEN)
        return conn

    def wait(self, timeout: float) -> bool:
        """True as soon as a job is submitted (or was, since the last wait); False after
        ``timeout`` seconds without one. A lost connection counts as a wake-up: submissions
        may have been missed while it was down, so the caller should look at the queue."""
        with self._lock:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            try:
                for _ in self._conn.notifies(timeout=timeout, stop_after=1):
                    return True
            except psycopg.OperationalError:
                self._conn.close()
                return True
            return False

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
