"""The engine benchmark: captures and previews per second, the baseline, the fast paths, and a profile.

Every figure is the best of several timed repeats over bodies made before timing. Captures run against a
fresh `InMemoryLeadStore` per repeat, filled with the workload's existing leads before the clock starts,
through the real `Engine.capture` (decode, validate, normalise, look up, decide, apply) with the default
clock and UUIDv7 ids. Cyclic garbage collection stays on, as in a server; its share is measured.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import email_validator
import msgspec
import phonenumbers

from bench.workload import Kind, Workload
from leadcapture import Engine, InMemoryLeadStore
from leadcapture.core.decision import CaptureDecision
from leadcapture.core.records import CaptureActivityData
from leadcapture.core.request import RawAttribute
from leadcapture.normalize import STANDARD_NORMALIZER, _phone_fast_path, email_fast_path

EMAIL = "EmailAddress"


@dataclass(frozen=True)
class Figure:
    """One measured rate: `count` operations per `seconds` (the best repeat); `note` says what was timed."""

    name: str
    count: int
    seconds: float
    cpu_seconds: float
    """Process CPU time of the same repeat; well below `seconds` means other work had the core."""
    note: str = ""

    @property
    def rate(self) -> float:
        """Operations per second."""
        return self.count / self.seconds

    @property
    def cpu_rate(self) -> float:
        """Operations per second of CPU time."""
        return self.count / self.cpu_seconds

    @property
    def micros(self) -> float:
        """Microseconds per operation."""
        return self.seconds / self.count * 1e6


@dataclass(frozen=True)
class EngineResults:
    """Everything one run measured."""

    capture: Figure
    preview: Figure
    baseline: Figure
    micro: tuple[Figure, ...]
    gc_share: float
    """Share of the best capture repeat spent in cyclic garbage collection."""
    email_fast_hits: float
    phone_fast_hits: float
    profile: pstats.Stats
    profile_captures: int


class _GcTimer:
    """Adds up the time the cyclic collector runs while installed (`gc.callbacks`)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0

    def __call__(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start


def seed_decisions(workload: Workload) -> tuple[CaptureDecision, ...]:
    """Capture the existing leads once and keep the decisions, to replay them into fresh stores quickly."""
    engine = Engine(store=InMemoryLeadStore())
    return tuple(engine.capture(body).unwrap().decision for body in workload.seed_bodies)


def seeded_store(decisions: Sequence[CaptureDecision]) -> InMemoryLeadStore:
    """A new store holding the existing leads (the decisions are immutable and safe to share)."""
    store = InMemoryLeadStore()
    for decision in decisions:
        store.apply(decision).unwrap()
    return store


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call of `run`, after a full collection."""
    gc.collect()
    cpu = time.process_time()
    start = time.perf_counter()
    run()
    return time.perf_counter() - start, time.process_time() - cpu


def _best(run: Callable[[], object], repeats: int) -> tuple[float, float]:
    return min(_timed(run) for _ in range(repeats))


def measure_capture(workload: Workload, decisions: Sequence[CaptureDecision], repeats: int) -> tuple[Figure, float]:
    """Captures per second on the mix, and the share of the best repeat spent in garbage collection."""
    bodies = workload.bodies
    best = (float("inf"), 0.0, 0.0)
    for repeat in range(repeats):
        store = seeded_store(decisions)
        capture = Engine(store=store).capture

        def run(capture: Callable[[bytes], object] = capture) -> None:
            for body in bodies:
                capture(body)

        timer = _GcTimer()
        gc.callbacks.append(timer)
        try:
            seconds, cpu = _timed(run)
        finally:
            gc.callbacks.remove(timer)
        if repeat == 0:
            check_captured(workload, store)
        best = min(best, (seconds, cpu, timer.total / seconds))
    figure = Figure("Engine.capture", len(bodies), best[0], best[1], "decode + validate + normalise + decide + apply")
    return figure, best[2]


def check_captured(workload: Workload, store: InMemoryLeadStore) -> None:
    """The store shows exactly the mix: one Created per new lead, one Updated per email or phone match."""
    seen: Counter[tuple[str, str | None]] = Counter()
    for lead in store.leads():
        for activity in store.activities(lead.id):
            if isinstance(activity.data, CaptureActivityData):
                seen[(activity.data.outcome, activity.data.matched_by)] += 1
    expected = Counter(
        {
            ("Created", None): len(workload.seed_bodies) + workload.count(Kind.NEW),
            ("Updated", EMAIL): workload.count(Kind.EMAIL),
            ("Updated", "Phone"): workload.count(Kind.PHONE),
        },
    )
    if seen != expected:
        msg = f"the captures did not follow the mix: expected {dict(expected)}, got {dict(seen)}"
        raise AssertionError(msg)


def measure_preview(workload: Workload, decisions: Sequence[CaptureDecision], repeats: int) -> Figure:
    """Dry runs per second on the same mix against the existing leads; nothing is written."""
    bodies = workload.bodies
    engine = Engine(store=seeded_store(decisions))
    check_previewed(workload, engine)
    preview = engine.preview

    def run() -> None:
        for body in bodies:
            preview(body)

    note = "the same steps, stopping before apply (dry run)"
    return Figure("Engine.preview", len(bodies), *_best(run, repeats), note)


def check_previewed(workload: Workload, engine: Engine, sample: int = 2_000) -> None:
    """A sample of previews decides what the mix says."""
    wanted: dict[Kind, tuple[str, str | None]] = {
        Kind.NEW: ("Create", None),
        Kind.EMAIL: ("Update", EMAIL),
        Kind.PHONE: ("Update", "Phone"),
    }
    for body, kind in zip(workload.bodies[:sample], workload.kinds[:sample], strict=True):
        decision = engine.preview(body).unwrap()
        got = (type(decision).__name__, decision.explanation.matched_by)
        if got != wanted[kind]:
            msg = f"preview of a {kind.value} body decided {got}, not {wanted[kind]}"
            raise AssertionError(msg)


def measure_baseline(workload: Workload, repeats: int) -> Figure:
    """The cheapest thing that reads the same input: msgspec decode plus a dict look-up of the email."""
    bodies = workload.bodies
    decode = msgspec.json.Decoder(list[RawAttribute]).decode
    index = {person.email.lower(): person.phone for person in workload.seed_people}
    lookup = index.get

    def run() -> None:
        for body in bodies:
            for attribute in decode(body):
                if attribute.attribute == EMAIL:
                    lookup(str(attribute.value).lower())
                    break

    note = "msgspec decode into list[RawAttribute] + email dict look-up"
    return Figure("baseline", len(bodies), *_best(run, repeats), note)


def _rate(name: str, values: Sequence[str], func: Callable[[str], object], repeats: int, note: str) -> Figure:
    def run() -> None:
        for value in values:
            func(value)

    return Figure(name, len(values), *_best(run, repeats), note)


def _library_email(value: str) -> object:
    try:
        return email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return None


def _library_phone(value: str) -> object:
    try:
        return phonenumbers.parse(value, "IN")
    except phonenumbers.NumberParseException:
        return None


def measure_micro(workload: Workload, repeats: int, library_values: int) -> tuple[tuple[Figure, ...], float, float]:
    """Values per second for the libraries, the fast paths and the normaliser, on the workload's values."""
    emails = workload.emails
    phones = workload.phones
    phone_fast = _phone_fast_path(91).normalize
    figures = (
        _rate(
            "email_validator.validate_email",
            emails[:library_values],
            _library_email,
            repeats,
            "check_deliverability=False",
        ),
        _rate("email fast path", emails, email_fast_path, repeats, "normalize.email_fast_path"),
        _rate("StandardNormalizer.email", emails, STANDARD_NORMALIZER.email, repeats, "fast path, else library"),
        _rate("phonenumbers.parse", phones[:library_values], _library_phone, repeats, 'region "IN"'),
        _rate("phone fast path", phones, phone_fast, repeats, "normalize._phone_fast_path(91).normalize"),
        _rate(
            "StandardNormalizer.phone",
            phones,
            lambda value: STANDARD_NORMALIZER.phone(value, 91),
            repeats,
            "fast path, else parse + is_possible_number",
        ),
    )
    email_hits = sum(1 for value in emails if email_fast_path(value)) / len(emails)
    phone_hits = sum(1 for value in phones if phone_fast(value) is not None) / len(phones)
    return figures, email_hits, phone_hits


def profile_capture(workload: Workload, decisions: Sequence[CaptureDecision], captures: int) -> pstats.Stats:
    """cProfile of `Engine.capture` over the first `captures` bodies of the mix, on a fresh store.

    The collector is off meanwhile: its pauses would land on whichever function happened to allocate, and
    its share is measured on its own by `measure_capture`.
    """
    capture = Engine(store=seeded_store(decisions)).capture
    bodies = workload.bodies[:captures]
    gc.collect()
    gc.disable()
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        for body in bodies:
            capture(body)
        profiler.disable()
    finally:
        gc.enable()
    return pstats.Stats(profiler, stream=io.StringIO())


def run_engine_bench(workload: Workload, *, repeats: int, profile_captures: int, library_values: int) -> EngineResults:
    """Measure everything, in one process, one figure after the other."""
    decisions = seed_decisions(workload)
    capture, gc_share = measure_capture(workload, decisions, repeats)
    preview = measure_preview(workload, decisions, repeats)
    baseline = measure_baseline(workload, repeats)
    micro, email_hits, phone_hits = measure_micro(workload, repeats, library_values)
    profile = profile_capture(workload, decisions, profile_captures)
    return EngineResults(
        capture=capture,
        preview=preview,
        baseline=baseline,
        micro=micro,
        gc_share=gc_share,
        email_fast_hits=email_hits,
        phone_fast_hits=phone_hits,
        profile=profile,
        profile_captures=min(profile_captures, len(workload.bodies)),
    )
