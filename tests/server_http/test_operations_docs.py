"""docs/operations.md explains every metric the server exports, and the Grafana dashboard asks for no other."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import generate_latest
from tests.support.metrics import Scrape

from leadcapture.adapters.inbox import SQLInbox
from leadcapture.adapters.postgres import PostgresLeadStore
from leadcapture.entrypoints.metrics import ServerMetrics
from leadcapture.runtime import SystemClock

ROOT = Path(__file__).parents[2]
OPERATIONS = ROOT / "docs" / "operations.md"
DASHBOARD = ROOT / "examples" / "grafana" / "leadcapture-dashboard.json"
SAMPLE_SUFFIXES = ("", "_total", "_bucket", "_count", "_sum")
METRIC_NAME = re.compile(r"\bleadcapture_[a-z_]+\b")


def _exported_families(postgres_url: str) -> set[str]:
    """Every metric family a server on PostgreSQL exports (the one store that reports every figure)."""
    store = PostgresLeadStore(postgres_url)
    try:
        metrics = ServerMetrics(inbox=SQLInbox(store), now=SystemClock().now)
        metrics.watch_connections(store)
        scraped = Scrape(generate_latest(metrics.scraped).decode())
    finally:
        store.close()
    return set(scraped.families)


def _family_of(name: str, families: set[str]) -> str | None:
    """The family a sample name (`x_total`, `x_bucket`, ...) belongs to, if one of `families`."""
    for suffix in SAMPLE_SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in families:
            return name.removesuffix(suffix)
    return None


def test_operations_doc_has_a_row_for_every_exported_metric_and_no_other(postgres_url: str) -> None:
    """Each family has its table row in docs/operations.md, and every name the doc uses is exported."""
    families = _exported_families(postgres_url)
    doc = OPERATIONS.read_text()
    rows = [METRIC_NAME.findall(line)[0] for line in doc.splitlines() if line.startswith("| `leadcapture_")]

    assert sorted(_family_of(row, families) or row for row in rows) == sorted(families)
    assert {name for name in METRIC_NAME.findall(doc) if _family_of(name, families) is None} == set()


def test_the_grafana_dashboard_asks_only_for_exported_metrics(postgres_url: str) -> None:
    """Every query of the dashboard names metrics the server exports, and every family has a panel."""
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    asked = {name for expression in expressions for name in METRIC_NAME.findall(expression)}
    families = _exported_families(postgres_url)

    assert {_family_of(name, families) or name for name in asked} == families
