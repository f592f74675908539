"""The portal's time zone: job times are naive local times in it, as the portal's ORM writes.

The portal's services stamp jobs with Python's ``datetime.now()``, a naive time in the zone of
the host they run on. The package writes the database's clock (the moment of each statement)
converted to the same zone, so that ``datetime.now() - job.timestamp_submitted`` is a job's age
whichever of the two wrote it. The zone is, in this order: ``$MQP_TIMEZONE``; ``$TZ``, as
Python reads it; the zone the host's ``/etc/localtime`` names; ``UTC``.
"""

from __future__ import annotations

import os
import zoneinfo
from functools import lru_cache
from pathlib import Path

from mqp_jobs.errors import InvalidArgument

ENV_TIMEZONE = "MQP_TIMEZONE"


def _known(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _host_zone() -> str | None:
    """The IANA name of the zone the host's /etc/localtime links to, or /etc/timezone names."""
    localtime = Path("/etc/localtime")
    try:
        target = str(localtime.resolve()) if localtime.is_symlink() else ""
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        return target.rsplit("zoneinfo/", 1)[1]
    try:
        return Path("/etc/timezone").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def portal_zone() -> str:
    """The time zone job times are written and read in (see the module's docstring)."""
    return _zone(os.environ.get(ENV_TIMEZONE), os.environ.get("TZ"))


@lru_cache(maxsize=8)
def _zone(chosen: str | None, tz: str | None) -> str:
    if chosen:
        if not _known(chosen):
            raise InvalidArgument(f"${ENV_TIMEZONE} is not a known time zone: {chosen!r}")
        return chosen
    for candidate in ((tz or "").lstrip(":"), _host_zone()):
        if candidate and _known(candidate):
            return candidate
    return "UTC"
