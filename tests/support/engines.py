"""Engines and small assertions the unit tests share."""

from __future__ import annotations

from typing import Any

from returns.result import Failure
from tests.support.determinism import CountingIds, SteppingClock

from leadcapture import DEFAULT_SCHEMA, CaptureReceipt, Engine, InMemoryLeadStore, Lead, Problem, Schema, UpdateBehavior


def make_engine(
    store: InMemoryLeadStore,
    schema: Schema = DEFAULT_SCHEMA,
    prefix: int = 0,
    clock: Any = None,
) -> Engine:
    """An engine over `store` with counting ids (distinct per `prefix`) and a stepping clock unless given one."""
    return Engine(store=store, schema=schema, clock=clock or SteppingClock(), ids=CountingIds(prefix=prefix))


def captured(engine: Engine, attributes: object, behavior: UpdateBehavior | None = None) -> CaptureReceipt:
    """The receipt of a capture that must succeed."""
    return engine.capture(attributes, behavior).unwrap()


def problem_of(result: Any) -> Problem:
    """The problem of a Result that must be a Failure."""
    assert isinstance(result, Failure), result
    problem = result.failure()
    assert isinstance(problem, Problem)
    return problem


def lead(store: InMemoryLeadStore, lead_id: str) -> Lead:
    """The stored lead with this id (fails the test when there is none)."""
    found = store.get_lead(lead_id)
    assert found is not None
    return found
