"""What the contract checks found: one result per check, gathered in a report for one op."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from micrograd_core.errors import MicrogradError

if TYPE_CHECKING:
    from micrograd_core.op import Op

__all__ = ["CheckFailure", "CheckResult", "ContractError", "ContractReport", "Status"]

Status = Literal["passed", "failed", "skipped"]


class CheckFailure(MicrogradError, AssertionError):
    """One contract check failed; the message says what was expected and what was found.

    ``inputs`` is the input it failed at, when there is one.
    """

    def __init__(self, msg: str, *, inputs: tuple[float, ...] | None = None) -> None:
        super().__init__(msg)
        self.inputs = inputs


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check on one op.

    >>> CheckResult("kinks", "skipped", "the op declares no kinks")
    CheckResult(check='kinks', status='skipped', message='the op declares no kinks', inputs=None)
    """

    check: str
    status: Status
    message: str = ""
    inputs: tuple[float, ...] | None = None

    def __str__(self) -> str:
        where = "" if self.inputs is None else f" at {self.inputs!r}"
        return f"{self.check}{where}: {self.message}" if self.message else self.check


@dataclass(frozen=True, slots=True)
class ContractReport:
    """Every contract check's result for one op; ``ok`` when none failed."""

    op: Op
    results: tuple[CheckResult, ...]
    sampler: str

    @property
    def ok(self) -> bool:
        """Whether every check passed or did not apply."""
        return not self.failures

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        """The failed checks, in the order they ran."""
        return tuple(r for r in self.results if r.status == "failed")

    def result(self, check: str) -> CheckResult:
        """The result of the check named ``check``."""
        for r in self.results:
            if r.check == check:
                return r
        ran = ", ".join(r.check for r in self.results)
        msg = f"no check named {check!r} ran; checks run: {ran}"
        raise KeyError(msg)

    def raise_if_failed(self) -> None:
        """Raise :class:`ContractError` listing every failed check, if any failed."""
        if self.failures:
            raise ContractError(self)

    def __str__(self) -> str:
        provider = f" ({self.op.provenance})" if self.op.provenance is not None else ""
        head = f"op {self.op.name!r}{provider}"
        if self.ok:
            lines = [f"{head} meets the contract ({self.sampler} inputs)"]
        else:
            n = len(self.results) - sum(r.status == "skipped" for r in self.results)
            lines = [f"{head} failed {len(self.failures)} of {n} contract checks:"]
            lines += [f"- {r}" for r in self.failures]
        passed = [r.check for r in self.results if r.status == "passed"]
        skipped = [f"{r.check} ({r.message})" for r in self.results if r.status == "skipped"]
        lines.append(f"passed: {', '.join(passed) or 'none'}")
        if skipped:
            lines.append(f"skipped: {', '.join(skipped)}")
        return "\n".join(lines)


class ContractError(MicrogradError, AssertionError):
    """An op broke its contract; the message lists every failed check with its input.

    An ``AssertionError`` too, so a test runner shows it as a test failure.
    """

    def __init__(self, report: ContractReport) -> None:
        super().__init__(str(report))
        self.report = report
        self.op_name = report.op.name
