from mqp_jobs import JobStore


def test_create_and_read(store: JobStore, portal) -> None:
    job = store.create_job(100, "OPENQASM 2.0;", portal.alice, portal.alice_budget, portal.qpu_target, "qasm")
    assert store.fetch_by_identity(portal.alice) == [job]
