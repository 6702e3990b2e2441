"""The one exception tree of costplan.

Every error a user can meet derives from `CostplanError`; the CLI turns them into a
message and an exit code in one place (`costplan.cli`). No httpx exception escapes
`costplan.api`.

* CostplanError                 exit 1
  * ConfigError                 bad settings, unreadable key file, unknown profile
  * InputError                  a malformed services spec, plan or catalogue file
  * ApiError                    anything that went wrong talking to LayerOps
    * ApiTransportError         connect error, timeout: no HTTP answer at all
    * ApiStatusError            an HTTP answer with a 4xx/5xx status
      * AuthenticationError     401/403: the key is missing, wrong or lacks rights
      * NotFoundError           404
      * RateLimitedError        429 after all retries
    * ApiResponseError          a 2xx answer whose body is not what the API documents
  * CatalogueError              the catalogue cannot be built or read
    * PartialCatalogue          exit 3 (collect --strict only): some providers are missing
  * PlanningError               the planner cannot produce a plan
    * InfeasiblePlan            some demand fits no allowed node type
    * PlanVerificationError     a plan breaks its own constraints (a bug, never user input)
  * ProvisioningError           applying a plan failed
    * ResourceFailed            a pool or service reached a failed state
    * WaitTimeout               a resource did not settle in time
    * ProvisioningInterrupted   the user pressed Ctrl-C; the journal allows a resume (exit 130)
  * GateFailed                  exit 3: a budget or change gate (--max-monthly-cost,
                                --fail-on-increase, [gates]) failed; the data was printed first

Messages never contain the API key: errors carry method, path, status and the server's
message, which is all a person needs to act.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar


class CostplanError(Exception):
    """Root of every costplan error; `exit_code` is what the CLI exits with."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(CostplanError):
    """Settings that cannot be used as given."""


class InputError(CostplanError):
    """A file given by the user that cannot be read as what it should be."""


class ApiError(CostplanError):
    """Talking to the LayerOps API failed."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        attempts: int = 1,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.attempts = attempts
        # True when a write may have been applied although no success was seen:
        # the caller must look (list) before sending it again.
        self.outcome_unknown = outcome_unknown


class ApiTransportError(ApiError):
    """No HTTP answer at all: connection refused, reset, or timed out."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        timeout: bool = False,
        attempts: int = 1,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message, method=method, path=path, attempts=attempts, outcome_unknown=outcome_unknown)
        self.timeout = timeout


class ApiStatusError(ApiError):
    """The API answered with an error status.

    ```
    try:
        client.get_instance_pool(uuid)
    except NotFoundError as exc:
        print(exc.status_code, exc.server_message)
    ```
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status_code: int,
        server_message: str = "",
        body: Any = None,
        request_id: str | None = None,
        attempts: int = 1,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message, method=method, path=path, attempts=attempts, outcome_unknown=outcome_unknown)
        self.status_code = status_code
        self.server_message = server_message
        self.body = body
        self.request_id = request_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.method} {self.path} -> {self.status_code})"


class AuthenticationError(ApiStatusError):
    """401/403: the key is missing, wrong, or its groups lack the rights."""


class NotFoundError(ApiStatusError):
    """404: the resource does not exist (or is not visible to this key)."""


class RateLimitedError(ApiStatusError):
    """429 that outlasted every retry."""


class ApiResponseError(ApiError):
    """A successful status whose body is not the documented shape."""


class CatalogueError(CostplanError):
    """The catalogue cannot be built or read."""


class PartialCatalogue(CatalogueError):
    """Some providers could not be collected (raised only when asked to be strict)."""

    exit_code: ClassVar[int] = 3


class PlanningError(CostplanError):
    """No plan can be produced."""


class InfeasiblePlan(PlanningError):
    """Some demand fits no allowed node type; the message names the service."""


class PlanVerificationError(PlanningError):
    """A plan breaks capacity, spread or constraints: always a bug, never user input."""


class ProvisioningError(CostplanError):
    """Applying a plan to the API failed."""


class ResourceFailed(ProvisioningError):
    """A pool or service reached a failed state; carries its id and last status."""

    def __init__(self, message: str, *, resource_id: str = "", last_status: Any = None) -> None:
        super().__init__(message)
        self.resource_id = resource_id
        self.last_status = last_status


class WaitTimeout(ProvisioningError):
    """A resource did not settle in time; carries its id, last status and attempts."""

    def __init__(self, message: str, *, resource_id: str = "", last_status: Any = None, attempts: int = 0) -> None:
        super().__init__(message)
        self.resource_id = resource_id
        self.last_status = last_status
        self.attempts = attempts


class ProvisioningInterrupted(ProvisioningError):
    """Stopped by the user after the call in flight; re-running resumes from the journal."""

    exit_code: ClassVar[int] = 130


def unknown_key(key: str, valid: Iterable[str], where: str) -> str:
    """`unknown key 'countmax' in service 'api' (entry 2): did you mean 'countMax'?`: for strict input schemas.

    A typo in an input file must never be dropped silently (the plan would then run without it),
    so every reader of user files names the key it does not know and the nearest one it does.
    """
    choices = sorted(set(valid))
    folded = {c.casefold(): c for c in choices}
    near = difflib.get_close_matches(key.casefold(), list(folded), n=1, cutoff=0.6)
    hint = f"did you mean {folded[near[0]]!r}?" if near else f"valid keys: {', '.join(choices)}"
    return f"unknown key {key!r} in {where}: {hint}"


def problems_message(source: str, problems: Sequence[str]) -> str:
    """All the problems of one file in one error: the first on the first line, one per line after it."""
    if len(problems) == 1:
        return f"{source}: {problems[0]}"
    return f"{source}: {len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in problems)


class GateFailed(CostplanError):
    """A budget or change gate failed (CI's "do not merge"): distinct from errors (1) and usage (2).

    Raised after the data was printed, so a CI job gets both the report and the verdict; the
    message names each failing gate and by how much it was exceeded.
    """

    exit_code: ClassVar[int] = 3
