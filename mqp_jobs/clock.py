"""The portal's time zone: job times are naive local times in it, as the portal's ORM writes.

The portal's services stamp jobs with Python's ``datetime.now()``, a naive time in the local
zone of the host they run on. The package writes the database's clock (the moment of each
statement) shifted by the same UTC offset that ``datetime.now()`` has at that moment, so that
``datetime.now() - job.timestamp_submitted`` is a job's age whichever of the two wrote it. The
offset is the local one, as Python computes it from ``$TZ`` or the host's zone files (any form
Python accepts, an IANA name or a POSIX string such as ``JST-9``), unless ``$MQP_TIMEZONE``
names an IANA zone to use instead.
"""

from __future__ import annotations

import os
import zoneinfo
from datetime import datetime, timedelta

from mqp_jobs.errors import InvalidArgument

ENV_TIMEZONE = "MQP_TIMEZONE"


def portal_zone() -> str:
    """The UTC offset job times are written in now (the local one, or $MQP_TIMEZONE's), as an
    interval literal such as '-03:00:00' for the statements' ``AT TIME ZONE %(zone)s::interval``
    (ISO sign: east of Greenwich is positive)."""
    chosen = os.environ.get(ENV_TIMEZONE)
    if chosen:
        try:
            zone = zoneinfo.ZoneInfo(chosen)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InvalidArgument(f"${ENV_TIMEZONE} is not a known time zone: {chosen!r}") from None
        offset = datetime.now(zone).utcoffset()
    else:
        offset = datetime.now().astimezone().utcoffset()
    seconds = round((offset or timedelta(0)).total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
