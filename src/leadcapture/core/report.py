"""The summary of a dry run over many rows (R-D3): totals per outcome, per rule and per data-quality rule
(R-J1, R-J2, R-P1), and the failing rows."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Final

import msgspec
from returns.result import Result, Success

from leadcapture.core.decision import CaptureDecision, Explanation, Reject
from leadcapture.core.names import Outcome
from leadcapture.core.problems import Problem

DATA_QUALITY_RULES: Final = ("R-J1", "R-J2", "R-P1")
"""The rules beyond LeadSquared that a schema config turns on, in the order reports list them."""
_CITED_RULE = re.compile(r"\b(R-J1|R-J2|R-P1)\b")


def data_quality_rules(explanation: Explanation) -> tuple[str, ...]:
    """The data-quality rules that changed what a capture does, as its explanation cites them.

    R-J1 when an identifier was blocked, R-J2 when a Gmail address was matched or kept as another spelling of
    a stored mailbox, R-P1 when an update policy kept a field. Empty with no schema config.
    """
    cited = {rule for note in explanation.notes for rule in _CITED_RULE.findall(note)}
    cited.update(rule for left in explanation.unchanged for rule in _CITED_RULE.findall(left.reason))
    return tuple(rule for rule in DATA_QUALITY_RULES if rule in cited)


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
    by_data_quality: dict[str, int] = {}
    """Rows per data-quality rule that changed them (R-J1, R-J2, R-P1); empty with no schema config."""


def summarize(results: Sequence[Result[CaptureDecision, Problem]]) -> DryRunReport:
    """Count a batch's previewed decisions (R-D3); a rejected or undecidable row is a failure.

    A row counts under the rule that decided it; a refused row under the rule that refused it (R-U2 for a
    duplicate, R-V4 for a bad value, ...). A row also counts under each data-quality rule that changed it.
    """
    outcomes: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    quality: Counter[str] = Counter()
    failures: list[FailedRow] = []
    for number, result in enumerate(results, start=1):
        if isinstance(result, Success):
            decision = result.unwrap()
            outcomes[decision.explanation.outcome.value] += 1
            quality.update(data_quality_rules(decision.explanation))
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
        by_data_quality=dict(sorted(quality.items())),
    )
