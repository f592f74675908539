"""Waking schedulers when a job is submitted, instead of having them poll.

The job tables' insert triggers notify a channel in the submitting transaction; the
notification is delivered when that transaction commits. A scheduler listens on a connection
of its own, opened on first use and kept, so notifications that arrive between two waits are
not lost: the next wait returns at once. The connection sends TCP keepalives, so a half-open
connection (a server or network gone silently) is noticed instead of muting wake-ups for good;
closing the listener wakes a waiter at once.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from mqp_jobs.connection import PoolSettings, unavailable
from mqp_jobs.queries import query

_LISTEN = query("listen_for_submissions")

KEEPALIVE = "keepalives=1 keepalives_idle=30 keepalives_interval=10 keepalives_count=3"
"""A silent peer is given up after about a minute (30 s idle, then 3 probes 10 s apart)."""


class SubmissionListener:
    def __init__(self, conninfo: str, settings: PoolSettings) -> None:
        self._conninfo = conninfo
        self._settings = settings
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._reading = threading.Lock()  # held by the one waiter that reads the connection
        self._changed = threading.Condition()
        self._seen = 0  # notifications the readers have received
        self._closing = False
        # Written to by close(): a waiter selects on it beside the connection's socket.
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        try:
            conn = psycopg.connect(
                make_conninfo(self._conninfo, **conninfo_to_dict(KEEPALIVE)),
                autocommit=True,
                connect_timeout=max(1, round(self._settings.connect_timeout)),
            )
        except psycopg.OperationalError as exc:
            raise unavailable(self._conninfo, exc) from None
        conn.execute(_LISTEN)
        return conn

    def wait(self, timeout: float) -> bool:
        """True as soon as a job is submitted (or was, since the last wait); False after
        ``timeout`` seconds without one, or when the listener is closed meanwhile. A lost
        connection counts as a wake-up: submissions may have been missed while it was down,
        so the caller should look at the queue.

        Several threads may wait at once: one reads the connection, and a notification it
        receives wakes them all; each returns by its own timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            start = self._seen
        while not self._closing:
            if self._reading.acquire(blocking=False):
                try:
                    woken = self._read(deadline)
                finally:
                    self._reading.release()
                if woken:
                    with self._changed:
                        self._seen += 1
                        self._changed.notify_all()
                    return True
                if time.monotonic() >= deadline:
                    return False
                continue
            with self._changed:
                if self._seen != start:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                # Woken by the reader's news, or soon, to read in its place once it is done.
                self._changed.wait(min(remaining, 0.05))
                if self._seen != start:
                    return True
        return False

    def _read(self, deadline: float) -> bool:
        """Read the connection until a notification (True), the deadline or close (False)."""
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
            if self._closing:
                self._conn.close()
                return False
        conn = self._conn
        try:
            while True:
                # Notifications already received, or readable now, without blocking.
                for _ in conn.notifies(timeout=0, stop_after=1):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._closing:
                    return False
                wake = self._wake_reader.fileno()
                ready, _, _ = select.select([conn.fileno(), wake], [], [], remaining)
                if wake in ready or self._closing:
                    return False
        except psycopg.OperationalError:
            conn.close()
            return True

    def close(self) -> None:
        """Close the connection, waking every waiter first (they return False). A reader
        still connecting closes the connection itself when it gets one."""
        self._closing = True
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"x")
        with self._changed:
            self._changed.notify_all()
        if self._reading.acquire(timeout=1.0):
            try:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                self._wake_reader.close()
                self._wake_writer.close()
            finally:
                self._reading.release()
