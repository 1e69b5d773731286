"""One exception hierarchy for the whole product.

Each class's docstring is its default message. Driver and library errors are wrapped with the
original kept as ``__cause__``.
"""

from __future__ import annotations


class LeadflowError(Exception):
    """Something went wrong in leadflow."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotFound(LeadflowError):
    """The requested object does not exist."""


class NotAuthenticated(LeadflowError):
    """A valid API key is required: send `Authorization: Bearer <key>`."""


class Forbidden(LeadflowError):
    """This key's role may not do that."""


class InvalidInput(LeadflowError):
    """The input is not valid."""

    def __init__(
        self, message: str | None = None, problems: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        # every problem found, as (field or place, problem): the API lists them all
        self.problems = list(problems or [])


class NoSendWindow(InvalidInput):
    """No moment lies inside every send window that applies to a recipient (e.g. a Guam number,
    a mainland address and office hours): the message can never leave and is suppressed as
    ``no_window`` instead of waiting for ever."""


class WorkflowInvalid(InvalidInput):
    """The workflow definition is not valid."""

    def __init__(self, errors: list[str], source: str = "body") -> None:
        self.errors = errors  # each "<path>: <problem>" (see leadflow.definitions.validation)
        self.source = source  # where the definition came from, for the API: "body", "draft"
        super().__init__("workflow is invalid:\n" + "\n".join(f"  - {e}" for e in errors))


class Conflict(LeadflowError):
    """The request conflicts with what is stored (a key already taken, a state that forbids it)."""


class RateLimited(LeadflowError):
    """Too many requests with this key; try again after the time given."""

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message or f"rate limit exceeded; retry after {retry_after:.0f} s")


class SchemaOutOfDate(LeadflowError):
    """The database schema is older than this version of leadflow expects."""


class StoreError(LeadflowError):
    """The store could not complete the operation."""


class StepError(LeadflowError):
    """A node failed while executing; ``retryable`` says whether trying again may help."""

    retryable = True


class PermanentStepError(StepError):
    """A node failed in a way that trying again cannot fix (bad template, missing data)."""

    retryable = False


class ProviderError(LeadflowError):
    """A provider could not send the message."""

    def __init__(self, message: str | None = None, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable
