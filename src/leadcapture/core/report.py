"""The summary of a dry run over many rows (R-D3): totals per outcome and per rule, and the failing rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import msgspec
from returns.result import Result, Success

from leadcapture.core.decision import CaptureDecision, Reject
from leadcapture.core.names import Outcome
from leadcapture.core.problems import Problem


class FailedRow(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A row that would fail, numbered from 1, with the error it would answer."""

    row: int
    problem: Problem


class DryRunReport(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What a batch would do: how many rows per outcome and per deciding rule, and which rows would fail."""

    rows: int
    by_outcome: dict[str, int]
    by_rule: dict[str, int]
    failures: tuple[FailedRow, ...]


def summarize(results: Sequence[Result[CaptureDecision, Problem]]) -> DryRunReport:
    """Count a batch's previewed decisions (R-D3); a rejected or undecidable row is a failure.

    A row counts under the rule that decided it; a refused row under the rule that refused it (R-U2 for a
    duplicate, R-V4 for a bad value, ...).
    """
    outcomes: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    failures: list[FailedRow] = []
    for number, result in enumerate(results, start=1):
        if isinstance(result, Success):
            decision = result.unwrap()
            outcomes[decision.explanation.outcome.value] += 1
            if isinstance(decision, Reject):
                rules[decision.problem.rule] += 1
                failures.append(FailedRow(row=number, problem=decision.problem))
            else:
                rules[decision.explanation.rule] += 1
        else:
            problem = result.failure()
            outcomes[Outcome.REJECTED.value] += 1
            rules[problem.rule] += 1
            failures.append(FailedRow(row=number, problem=problem))
    return DryRunReport(
        rows=len(results),
        by_outcome=dict(sorted(outcomes.items())),
        by_rule=dict(sorted(rules.items())),
        failures=tuple(failures),
    )
