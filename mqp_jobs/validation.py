"""Argument checks run before anything touches the database.

Each check raises one error class, whatever the caller: a job's fields (``job_text``,
``shots``, ``epochs``, ...) raise ``InvalidJob``, a listing's arguments ``InvalidQuery``, any
other argument ``InvalidArgument`` (of which both are subclasses). The rules the database also
enforces on job rows (a known status, positive shots, non-blank text, epochs not negative) are
those of migration 0009, which a test holds to these.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from mqp_jobs.errors import InvalidArgument, InvalidJob, InvalidQuery

# PostgreSQL's bigint: an id outside it cannot name any job.
MAX_ID = 2**63 - 1
_MAX_ID_DIGITS = len(str(MAX_ID))

# What PostgreSQL text cannot hold: NUL, and the surrogate code points U+D800..U+DFFF, which a
# Python str may contain (a lone "\ud800", or half of a pair) but UTF-8 cannot encode.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

_SHOWN_LENGTH = 80


def shown(value: object) -> str:
    """``repr(value)`` for an error message, shortened, and never raising: Python refuses to
    write an int of more than 4,300 digits, and a caller's object may have a broken repr."""
    try:
        text = repr(value)
    except Exception:
        if isinstance(value, int):
            return f"an integer of {value.bit_length()} bits"
        return f"a {type(value).__name__}"
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 3] + "..."


def unstorable(value: str) -> str | None:
    """Why PostgreSQL text cannot hold the string (NUL characters, or code points that UTF-8
    cannot encode), or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "NUL characters"
    return "unpaired surrogates (text that cannot be encoded as UTF-8)"


def storable(value: str) -> bool:
    """Whether PostgreSQL text can hold the string; a value it cannot hold is in no row."""
    return _UNSTORABLE.search(value) is None


def _refuse_unstorable(value: str, name: str, error: type[InvalidArgument], what: str = "") -> None:
    reason = unstorable(value)
    if reason is not None:
        raise error(f"{name} must not contain {reason}{what}")


def blank(value: str) -> bool:
    """Whether a string is empty or only whitespace (``str.isspace``'s characters), which no
    text a job needs may be. Migration 0009's ``job_text_blank`` is the database's twin."""
    return not value.strip()


def _text(value: object, name: str, error: type[InvalidArgument]) -> str:
    if not isinstance(value, str):
        raise error(f"{name} must be a string, not {type(value).__name__}")
    if blank(value):
        raise error(f"{name} must not be empty")
    _refuse_unstorable(value, name, error)
    return value


def _optional_text(value: object, name: str, error: type[InvalidArgument]) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise error(f"{name} must be a string or None, not {type(value).__name__}")
    _refuse_unstorable(value, name, error)
    return value


def _flag(value: object, name: str, error: type[InvalidArgument]) -> bool:
    if not isinstance(value, bool):
        raise error(f"{name} must be True or False, not {shown(value)}")
    return value


def _count(
    value: object, name: str, minimum: int, maximum: int, error: type[InvalidArgument]
) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(f"{name} must be an integer, not {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise error(f"{name} must be between {minimum} and {maximum}, not {shown(value)}")
    return value


_MAX_INTEGER = 2**31 - 1  # PostgreSQL's integer


def text(value: object, name: str) -> str:
    """A non-blank string that PostgreSQL text can hold; InvalidArgument otherwise."""
    return _text(value, name, InvalidArgument)


def optional_text(value: object, name: str) -> str:
    """A string or None; absent text is stored as '', as the portal stores it. InvalidArgument
    otherwise."""
    return _optional_text(value, name, InvalidArgument)


def flag(value: object, name: str) -> bool:
    """A real bool: 0, 1 and 'yes' are refused (InvalidArgument) rather than guessed at."""
    return _flag(value, name, InvalidArgument)


def count(value: object, name: str, *, minimum: int, maximum: int = _MAX_INTEGER) -> int:
    """An int (never a bool) within [minimum, maximum]; InvalidArgument otherwise."""
    return _count(value, name, minimum, maximum, InvalidArgument)


def page_count(value: object, name: str, *, maximum: int) -> int:
    """A listing's page number or size: an int from 0 to maximum; InvalidQuery otherwise."""
    return _count(value, name, 0, maximum, InvalidQuery)


def job_text(value: object, name: str) -> str:
    """A job's text that must be given (circuit, circuit_format, interaction_str,
    coefficients_str, the names it refers to): non-blank; InvalidJob otherwise."""
    return _text(value, name, InvalidJob)


def job_optional_text(value: object, name: str) -> str:
    """A job's text that may be absent (note, result, executed_circuit, params, ...): a
    string or None, absent stored as ''; InvalidJob otherwise."""
    return _optional_text(value, name, InvalidJob)


def job_flag(value: object, name: str) -> bool:
    """A job's flag (no_modify, queued): a real bool; InvalidJob otherwise."""
    return _flag(value, name, InvalidJob)


def shots(value: object) -> int:
    """A job's shots: a positive int (never a bool); InvalidJob otherwise."""
    return _count(value, "shots", 1, _MAX_INTEGER, InvalidJob)


def epochs(value: object) -> int:
    """A hybrid job's epochs: an int, 0 or more; InvalidJob otherwise."""
    return _count(value, "epochs", 0, _MAX_INTEGER, InvalidJob)


def attempt(value: object) -> int | None:
    """The claim a runner names (the ``attempt`` of the job it was handed), or None;
    InvalidJob otherwise."""
    return None if value is None else _count(value, "attempt", 0, _MAX_INTEGER, InvalidJob)


def job_id(value: object) -> int | None:
    """The id an argument names: an int or a decimal string; None when it names no job.

    A value of the wrong type raises InvalidArgument; a well-formed id outside bigint
    returns None, as no job can have it, however many digits it has (Python's int() refuses
    strings of more than 4,300 digits, so the digits are counted first; leading zeros are
    read as int() reads them).
    """
    if isinstance(value, bool):
        raise InvalidArgument(f"job_id must be an integer, not {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdecimal():
        digits = value.strip().lstrip("0")
        if len(digits) > _MAX_ID_DIGITS:
            return None
        number = int(digits or "0")
    else:
        raise InvalidArgument(f"job_id must be an integer or a decimal string, not {shown(value)}")
    return number if 1 <= number <= MAX_ID else None


def names(values: object, name: str) -> list[str]:
    """A list, tuple or set of names (a lone string is refused: it is not a list of users)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidArgument(f"{name} must be a list of strings, not {type(values).__name__}")
    result = []
    for value in values:
        if not isinstance(value, str):
            raise InvalidArgument(f"{name} must hold only strings, found {shown(value)}")
        _refuse_unstorable(value, name, InvalidArgument, f", found {shown(value)}")
        result.append(value)
    return result


def seconds_text(duration: timedelta) -> str:
    """'90 s' for a duration, as written in notes."""
    return f"{duration.total_seconds():g} s"
