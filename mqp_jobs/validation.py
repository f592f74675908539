"""Argument checks run before anything touches the database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from mqp_jobs.errors import InvalidArgument

# PostgreSQL's bigint: an id outside it cannot name any job.
MAX_ID = 2**63 - 1


def _has_nul(value: str) -> bool:
    return "\x00" in value


def text(value: object, name: str, error: type[InvalidArgument] = InvalidArgument) -> str:
    """A non-empty string without NUL characters (PostgreSQL text cannot hold them)."""
    if not isinstance(value, str):
        raise error(f"{name} must be a string, not {type(value).__name__}")
    if not value.strip():
        raise error(f"{name} must not be empty")
    if _has_nul(value):
        raise error(f"{name} must not contain NUL characters")
    return value


def optional_text(value: object, name: str, error: type[InvalidArgument] = InvalidArgument) -> str:
    """A string or None; absent text is stored as '', as the portal stores it."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise error(f"{name} must be a string or None, not {type(value).__name__}")
    if _has_nul(value):
        raise error(f"{name} must not contain NUL characters")
    return value


def flag(value: object, name: str, error: type[InvalidArgument] = InvalidArgument) -> bool:
    """A real bool: 0, 1 and 'yes' are refused rather than guessed at."""
    if not isinstance(value, bool):
        raise error(f"{name} must be True or False, not {value!r}")
    return value


def count(
    value: object,
    name: str,
    *,
    minimum: int,
    maximum: int = 2**31 - 1,
    error: type[InvalidArgument] = InvalidArgument,
) -> int:
    """An int (never a bool) within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(f"{name} must be an integer, not {type(value).__name__}")
    if not minimum <= value <= maximum:
        raise error(f"{name} must be between {minimum} and {maximum}, not {value}")
    return value


def job_id(value: object) -> int | None:
    """The id an argument names: an int or a decimal string; None when it names no job.

    A value of the wrong type raises InvalidArgument; a well-formed id outside bigint
    returns None, as no job can have it.
    """
    if isinstance(value, bool):
        raise InvalidArgument(f"job_id must be an integer, not {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdecimal():
        number = int(value.strip())
    else:
        raise InvalidArgument(f"job_id must be an integer or a decimal string, not {value!r}")
    return number if 1 <= number <= MAX_ID else None


def names(values: object, name: str) -> list[str]:
    """A list, tuple or set of names (a lone string is refused: it is not a list of users)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidArgument(f"{name} must be a list of strings, not {type(values).__name__}")
    result = []
    for value in values:
        if not isinstance(value, str) or _has_nul(value):
            raise InvalidArgument(f"{name} must hold only strings, found {value!r}")
        result.append(value)
    return result


def seconds_text(duration: timedelta) -> str:
    """'90 s' for a duration, as written in notes."""
    return f"{duration.total_seconds():g} s"
