"""The queue in the Prometheus text format: scraped over HTTP, parsed with the client's parser."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta

import psycopg
import pytest
from conftest import Portal
from helpers import submit
from psycopg_pool import ConnectionPool

from mqp_jobs import ClaimFilter, JobStore, MqpJobsError, PoolSettings

prometheus_client = pytest.importorskip("prometheus_client")
from prometheus_client import CollectorRegistry  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from mqp_jobs import metrics  # noqa: E402


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample at http://127.0.0.1:port/metrics, parsed by prometheus_client."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("text/plain")
        text = reply.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_the_queue_is_scraped_over_http_by_kind_status_and_resource(
    store: JobStore, portal: Portal
) -> None:
    store.create_resource("qpu-b", maintenance=True)
    store.create_target_spec("target-qpu-b", "qpu-b")
    for _ in range(3):  # PENDING on qpu-a
        submit(store, portal)
    for _ in range(2):  # held: queued for a resource in maintenance
        submit(store, portal, target_spec="target-qpu-b", queued=True)
    alice = (portal.alice, portal.alice_budget, portal.qpu_target)
    store.create_hamiltonian_job("Z0", "[1.0]", *alice)
    claimed = store.claim_jobs(limit=1)
    assert len(claimed) == 1
    time.sleep(0.05)  # so that the oldest pending job has an age

    server, _ = metrics.serve(store, _free_port(), "127.0.0.1")
    try:
        samples = scrape(server.server_port)
    finally:
        server.shutdown()
        server.server_close()

    assert samples[("mqp_jobs_up", ())] == 1
    jobs = {labels: value for (name, labels), value in samples.items() if name == "mqp_jobs_jobs"}
    assert jobs == {
        (("kind", "circuit"), ("resource", "qpu-a"), ("status", "PENDING")): 2,
        (("kind", "circuit"), ("resource", "qpu-a"), ("status", "WAITING")): 1,
        (("kind", "circuit"), ("resource", "qpu-b"), ("status", "PENDING")): 2,
        (("kind", "hamiltonian"), ("resource", "qpu-a"), ("status", "PENDING")): 1,
    }
    by_status = ("mqp_jobs_jobs_by_status", (("kind", "circuit"), ("status", "COMPLETED")))
    assert samples[by_status] == 0  # every status is there, also at 0
    assert samples[("mqp_jobs_held_jobs", ())] == 2
    assert samples[("mqp_jobs_oldest_pending_job_age_seconds", ())] > 0


def test_a_database_that_does_not_answer_is_up_0_not_a_failed_scrape() -> None:
    # A caller's pool opens without waiting for a connection, so the store opens over it and
    # every call then finds no server.
    nowhere = "host=127.0.0.1 port=1 dbname=nowhere connect_timeout=1"
    with (
        ConnectionPool(nowhere, min_size=1, max_size=1, open=True) as pool,
        JobStore(pool=pool, settings=PoolSettings(connect_timeout=1)) as store,
    ):
        registry = CollectorRegistry(auto_describe=False)
        registry.register(metrics.QueueCollector(store))
        assert registry.get_sample_value("mqp_jobs_up") == 0
        assert registry.get_sample_value("mqp_jobs_held_jobs") is None


def test_claims_and_completions_of_this_process_are_counted_and_timed(
    store: JobStore, portal: Portal
) -> None:
    registry = CollectorRegistry()
    counted = metrics.JobMetrics(registry)
    assert metrics.instrument(store, counted) is store
    assert metrics.instrument(store, counted) is store  # counted once however often given
    for owner in (portal.alice, portal.bob):  # four (owner, target) groups, one job each
        submit(store, portal, by=owner)
        submit(store, portal, by=owner, target_spec=portal.sim_target)

    first = store.claim_jobs(limit=3)
    rest = store.claim_jobs(ClaimFilter(users=[portal.bob]))
    assert (len(first), len(rest), store.claim_jobs()) == (3, 1, [])
    store.complete_job_with_result(first[0].id, "{}", portal.qpu, "c")
    store.fail_job(first[1].id, "broken", attempt=first[1].attempt)
    store.complete_jobs_with_results(  # a one-shot iterable still reaches the store
        {"job_id": job.id, "executed_resource": portal.qpu} for job in [first[2], *rest]
    )
    with pytest.raises(MqpJobsError):  # errors pass through, counted
        store.fail_job(first[0].id, "too late: it is COMPLETED")

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert value("mqp_jobs_claims_total", kind="circuit") == 3
    assert value("mqp_jobs_claimed_jobs_total", kind="circuit") == 4
    assert value("mqp_jobs_claim_duration_seconds_count", kind="circuit") == 3
    assert value("mqp_jobs_claims_total", kind="hamiltonian") == 0
    done = {"kind": "circuit", "outcome": "completed"}
    assert value("mqp_jobs_completed_jobs_total", **done) == 3
    assert value("mqp_jobs_completion_duration_seconds_count", **done) == 2
    assert value("mqp_jobs_completed_jobs_total", kind="circuit", outcome="failed") == 1
    assert value("mqp_jobs_call_errors_total", operation="completion") == 1
    assert store.queue_stats().total("COMPLETED") == 3


@pytest.fixture
def metrics_command(conninfo: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "mqp_jobs.cli", "--database-url", conninfo]
    process = subprocess.Popen(
        [*command, "metrics", "--port", str(port), "--address", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/metrics" in line, line + process.stderr.read()
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def test_mqp_jobs_metrics_serves_the_queue_until_sigterm(
    store: JobStore, portal: Portal, metrics_command: tuple[subprocess.Popen[str], int]
) -> None:
    process, port = metrics_command
    submit(store, portal)
    submit(store, portal)
    samples = scrape(port)
    pending = ("mqp_jobs_jobs_by_status", (("kind", "circuit"), ("status", "PENDING")))
    assert samples[pending] == 2
    # This process's claim and completion series are there, at zero: it claims nothing.
    circuit = (("kind", "circuit"),)
    assert samples[("mqp_jobs_claims_total", circuit)] == 0
    assert samples[("mqp_jobs_claim_duration_seconds_count", circuit)] == 0
    done = (("kind", "circuit"), ("outcome", "completed"))
    assert samples[("mqp_jobs_completed_jobs_total", done)] == 0
    assert samples[("mqp_jobs_completion_duration_seconds_count", done)] == 0
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 128 + signal.SIGTERM
    with pytest.raises(OSError):
        scrape(port)


def test_mqp_jobs_metrics_without_a_database_says_so_in_one_line() -> None:
    nowhere = ["--database-url", "host=127.0.0.1 port=1"]
    done = subprocess.run(
        [sys.executable, "-m", "mqp_jobs.cli", *nowhere, "metrics", "--port", str(_free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "port 1" in done.stderr


def test_a_locked_table_is_up_0_within_the_exporters_timeout(
    db: psycopg.Connection, metrics_command: tuple[subprocess.Popen[str], int]
) -> None:
    _process, port = metrics_command
    assert scrape(port)[("mqp_jobs_up", ())] == 1
    with db.transaction():  # as a migration or a long maintenance statement would
        db.execute("LOCK TABLE circuit_job IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        samples = scrape(port)
        took = time.monotonic() - started
    assert samples[("mqp_jobs_up", ())] == 0
    assert ("mqp_jobs_held_jobs", ()) not in samples
    assert metrics.SCRAPE_TIMEOUT - 0.5 < took < metrics.SCRAPE_TIMEOUT + 2  # not 10 s
    assert scrape(port)[("mqp_jobs_up", ())] == 1  # the lock is gone, so is the failure


def test_the_oldest_pending_age_is_never_negative_in_another_time_zone(
    store: JobStore, portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    submit(store, portal)  # stamped in this host's zone
    local = datetime.now().astimezone().utcoffset()
    # An exporter twelve hours behind (or, where this host is that zone, ahead) sees a job
    # submitted in the future.
    behind = "Etc/GMT+12" if local != timedelta(hours=-12) else "Etc/GMT-12"
    monkeypatch.setenv("MQP_TIMEZONE", behind)
    # queue_stats itself (and so `mqp-jobs stats`) counts such a job as just submitted.
    assert store.queue_stats().oldest_pending_age == timedelta(0)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(metrics.QueueCollector(store))
    assert registry.get_sample_value("mqp_jobs_up") == 1
    assert registry.get_sample_value("mqp_jobs_oldest_pending_job_age_seconds") == 0


def test_the_demo_serves_its_schedulers_claims_and_completions(conninfo: str) -> None:
    port = _free_port()
    command = [sys.executable, "-m", "mqp_jobs.cli", "--database-url", conninfo, "demo"]
    process = subprocess.Popen(
        [*command, "--jobs", "400", "--schedulers", "2", "--metrics-port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    circuit = (("kind", "circuit"),)
    done = (("kind", "circuit"), ("outcome", "completed"))
    wanted = [
        ("mqp_jobs_claims_total", circuit),
        ("mqp_jobs_claimed_jobs_total", circuit),
        ("mqp_jobs_claim_duration_seconds_count", circuit),
        ("mqp_jobs_completed_jobs_total", done),
        ("mqp_jobs_completion_duration_seconds_count", done),
    ]
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError):  # not listening yet, or no longer
                seen = scrape(port)
            if all(seen.get(key, 0) > 0 for key in wanted):
                break
            time.sleep(0.2)
    finally:
        _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert {key: seen.get(key, 0) > 0 for key in wanted} == dict.fromkeys(wanted, True)


class _FreezingProxy:
    """A TCP proxy to the test server that, once frozen, stops passing bytes either way while
    keeping every socket open: a database host cut off the network, which no server-side
    timeout can report."""

    def __init__(self, host: str, port: int) -> None:
        self.frozen = threading.Event()
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = [self._listener]
        self._stalled: set[int] = set()  # connections cut off; new ones still pass
        threading.Thread(target=self._accept, daemon=True).start()

    def stall_existing(self) -> None:
        """Cut off the connections open now (a dropped NAT state); new ones pass."""
        self._stalled |= {id(sock) for sock in self._sockets}

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            host, port = self._target
            if host.startswith("/"):  # the embedded server listens on a Unix socket only
                upstream = socket.socket(socket.AF_UNIX)
                upstream.connect(f"{host}/.s.PGSQL.{port}")
            else:
                upstream = socket.create_connection(self._target)
            self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                while self.frozen.is_set() or id(source) in self._stalled:
                    time.sleep(0.05)
                sink.sendall(chunk)

    def close(self) -> None:
        self.frozen.clear()
        self._stalled.clear()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()


def test_a_database_that_stops_answering_is_up_0_within_the_timeout(
    conninfo: str, portal: Portal
) -> None:
    """The store's timeouts are the server's to enforce; a server that no longer answers
    cannot, so the scrape's own deadline answers."""
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    proxy = _FreezingProxy(str(params.get("host", "127.0.0.1")), int(params.get("port", 5432)))
    through = psycopg.conninfo.make_conninfo(conninfo, host="127.0.0.1", port=proxy.port)
    store = JobStore(through, settings=metrics.scrape_settings(2)).open()
    server, _ = metrics.serve(store, _free_port(), "127.0.0.1", timeout=2)
    port = server.server_port
    try:
        assert scrape(port)[("mqp_jobs_up", ())] == 1
        proxy.frozen.set()
        for _ in range(3):  # the first scrape's query is stuck; the later ones are refused too
            started = time.monotonic()
            samples = scrape(port)
            assert samples[("mqp_jobs_up", ())] == 0
            assert time.monotonic() - started < 3.5
    finally:
        server.shutdown()
        proxy.close()
        store.close()


def test_connections_that_died_silently_are_replaced_after_a_scrape_gives_up(
    conninfo: str, portal: Portal
) -> None:
    """A dropped NAT or firewall state: the connections open then never answer again, new ones
    work. A scrape caught on such a connection gives up at its deadline and the next scrape
    answers on a new one, rather than wait for TCP keepalive (hours)."""
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    proxy = _FreezingProxy(str(params.get("host", "127.0.0.1")), int(params.get("port", 5432)))
    through = psycopg.conninfo.make_conninfo(conninfo, host="127.0.0.1", port=proxy.port)
    store = JobStore(through, settings=metrics.scrape_settings(2)).open()
    server, _ = metrics.serve(store, _free_port(), "127.0.0.1", timeout=2)
    port = server.server_port
    try:
        assert scrape(port)[("mqp_jobs_up", ())] == 1
        for _ in range(3):
            proxy.frozen.set()  # the network goes; a scrape is caught in it
            assert scrape(port)[("mqp_jobs_up", ())] == 0
            proxy.stall_existing()  # it comes back, but not for the connections open then
            proxy.frozen.clear()
            started = time.monotonic()
            assert scrape(port)[("mqp_jobs_up", ())] == 1
            assert time.monotonic() - started < 2
    finally:
        server.shutdown()
        proxy.close()
        store.close()
