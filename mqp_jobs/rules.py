"""The portal's scheduling rules, as constants and one predicate.

The constants are the one home of the numbers: every statement that applies the hold rule or
the active-job limit receives them as parameters and passes them to the rules' SQL functions
(``job_held``, ``within_active_job_limit``; migration 0008), where the rules are defined.
"""

from __future__ import annotations

import re

MAX_QUEUING_TIME = 86400
"""Seconds a queued job may wait for its resource to come back before it is treated as usual."""

MAX_ACTIVE_JOBS_PER_USER_PER_RESOURCE = 2
"""Most circuit jobs of one (owner, target specification) that may be WAITING at once."""

_RESOURCE_DOWN = re.compile(r"\b(?:offline|maintenance|down)\b", re.IGNORECASE)


def reports_resource_down(note: str | None) -> bool:
    """Whether a cancel note says the resource is unavailable: a whole word, in any case.

    'Resource OFFLINE' and 'down for maintenance' match; 'result download failed' does not.
    """
    return note is not None and _RESOURCE_DOWN.search(note) is not None
