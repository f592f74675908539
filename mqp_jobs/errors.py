"""The errors mqp_jobs raises: every one is an ``MqpJobsError``."""

from __future__ import annotations


class MqpJobsError(Exception):
    """Base class of every error raised by mqp_jobs."""


class DatabaseUnavailable(MqpJobsError):
    """The database could not be reached; the message names the host, port and database."""


class StoreNotOpen(MqpJobsError):
    """A JobStore was used before ``open()`` (or ``with JobStore(...) as store:``) or after
    ``close()``; nothing was sent to the database."""


class CommitOutcomeUnknown(MqpJobsError):
    """The connection was lost while committing: the change may or may not have been stored.
    Read the job back before acting again (a retried completion with the same values is a
    no-op). Not a DatabaseUnavailable, which promises that nothing was changed."""


class ServerError(MqpJobsError):
    """The server answered but could not carry the call out (out of disk, memory or
    connections, an object in use, a system error); nothing was changed."""


class PoolExhausted(MqpJobsError, TimeoutError):
    """Every connection of the pool stayed in use for the whole connect timeout."""


class Conflict(MqpJobsError):
    """The database aborted the call to resolve a conflict with another transaction
    (serialization failure, deadlock); nothing was changed and the call may be retried."""


class SchemaMissing(MqpJobsError):
    """The database has no mqp_jobs schema (or an incomplete one): run ``mqp-jobs migrate``."""


class InternalError(MqpJobsError):
    """The database answered in a way the package does not expect; a defect to report."""


class JobNotFound(MqpJobsError, LookupError):
    """No job has the given id."""


class InvalidTransition(MqpJobsError):
    """The job's status does not allow the requested change; nothing was changed."""


class StaleAttempt(InvalidTransition):
    """The runner's claim is no longer the job's: the job was requeued and claimed again, so
    this runner's result or failure is refused; nothing was changed."""


class InvalidArgument(MqpJobsError, ValueError):
    """An argument has the wrong type or value."""


class InvalidQuery(InvalidArgument):
    """A listing or lookup argument is not one of the accepted values."""


class InvalidJob(InvalidArgument):
    """A job's fields are missing or malformed."""


class ValueTooLarge(InvalidArgument):
    """A value exceeds what the database can store or index (for example, a name of
    thousands of characters)."""


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
