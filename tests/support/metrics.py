"""Reading a server's Prometheus metrics the way Prometheus does: scrape the text, parse it, pick samples."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

Labels = frozenset[tuple[str, str]]
"""A sample's labels, as a set of (name, value) pairs."""


class Scrape:
    """One scrape of a metrics endpoint: every sample, by metric sample name and labels."""

    def __init__(self, text: str) -> None:
        """Parse Prometheus' text format."""
        self.text = text
        self.families = {family.name: family for family in text_string_to_metric_families(text)}
        self.samples: dict[str, dict[Labels, float]] = {}
        for family in self.families.values():
            for sample in family.samples:
                self.samples.setdefault(sample.name, {})[frozenset(sample.labels.items())] = sample.value

    def values(self, name: str, **only: str) -> dict[Labels, float]:
        """The samples named `name` whose labels include `only`, by their labels (the `only` ones left out)."""
        picked = {}
        for labels, value in self.samples.get(name, {}).items():
            given = dict(labels)
            if all(given.get(label) == wanted for label, wanted in only.items()):
                picked[frozenset((k, v) for k, v in labels if k not in only)] = value
        return picked

    def value(self, name: str, **labels: str) -> float:
        """The one sample named `name` with exactly these labels."""
        return self.samples[name][frozenset(labels.items())]


def labels(**pairs: str) -> Labels:
    """Labels written as keyword arguments."""
    return frozenset(pairs.items())


def scrape(url: str) -> Scrape:
    """GET `url` (a metrics endpoint) and parse what it answers."""
    answer = httpx.get(url, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain"), answer.headers
    return Scrape(answer.text)
