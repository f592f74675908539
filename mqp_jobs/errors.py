"""The errors mqp_jobs raises: every one is an ``MqpJobsError``."""

from __future__ import annotations


class MqpJobsError(Exception):
    """Base class of every error raised by mqp_jobs."""


class DatabaseUnavailable(MqpJobsError):
    """The database could not be reached; the message names the host, port and database."""


class JobNotFound(MqpJobsError, LookupError):
    """No job has the given id."""


class InvalidTransition(MqpJobsError):
    """The job's status does not allow the requested change; nothing was changed."""


class InvalidArgument(MqpJobsError, ValueError):
    """An argument has the wrong type or value."""


class InvalidQuery(InvalidArgument):
    """A listing or lookup argument is not one of the accepted values."""


class InvalidJob(InvalidArgument):
    """A job's fields are missing or malformed."""


class UnknownOwner(MqpJobsError):
    """The named user does not exist."""


class UnknownBudget(MqpJobsError):
    """The named budget does not exist."""


class BudgetNotAllowed(MqpJobsError):
    """The owner may not charge the named budget."""


class UnknownTargetSpec(MqpJobsError):
    """The named target specification does not exist."""


class UnknownResource(MqpJobsError):
    """The named resource does not exist."""


class MigrationError(MqpJobsError):
    """The schema files are inconsistent or a migration failed."""


class QueryFileError(MqpJobsError):
    """A statement file under sql/ is missing, empty or declared twice."""


class OperationTimedOut(MqpJobsError, TimeoutError):
    """A statement ran past statement_timeout or waited past lock_timeout; nothing was changed."""
