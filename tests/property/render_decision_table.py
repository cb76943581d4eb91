"""Render `docs/decision-table.md` from the decision table the tests check.

Run from the project root: `.venv/bin/python -m tests.property.render_decision_table > docs/decision-table.md`.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Final

from tests.property import data_quality_table as quality
from tests.property.decision_table import (
    BEHAVIORS,
    EMAILS,
    FIRST_NAME,
    LEAD_A,
    LEAD_B,
    LEAD_C,
    PHONES,
    ROWS,
    UNKNOWN,
    VISITOR,
    VISITOR_SOURCE,
    Expected,
    Row,
    behavior_name,
)

RULES: Final = (
    ("R-M1", "No ProspectId, EmailAddress or Phone (and no value for the SearchBy field): Created with a new id."),
    ("R-M2", "Search order P, then E, then Ph, over the identifiers given; the first that finds something decides."),
    (
        "R-M3",
        "SearchBy's field is searched first, unless P, E and Ph are all given; a SearchBy whose field has no value "
        "is ignored.",
    ),
    ("R-M4", "P finds a lead with a non-empty email that differs from E: Created with a new id (R-U applies)."),
    ("R-M5", "P finds a lead and E is absent, equal to its email, or the lead has no email: Updated that lead."),
    ("R-M6", "P finds no lead but an unconverted visitor: Converted, the new lead takes the visitor's id and source."),
    ("R-M7", "P finds neither: P is ignored and not used as the new id (the cell then names R-M8 or R-M9)."),
    ("R-M8", "E or Ph finds a lead: Updated that lead."),
    ("R-M9", "Nothing found: Created with a new id."),
    (
        "R-U2",
        "A created or converted lead, or an updated lead's new value, may not take a unique value (EmailAddress, "
        "then Phone) another lead holds: 409 MXDuplicateEntryException.",
    ),
    ("R-U3", "On that rejection nothing changes; a DuplicateRejected activity is posted on the holder."),
    (
        "R-B1..R-B4",
        "Which fields an update sets: all (absent), none (DoNotUpdate), only empty ones (UpdateOnlyEmptyFields), "
        "all but unique ones (DoNotUpdateUniqueFields). Only a value that is actually set can clash (R-U2).",
    ),
)

_SECTIONS: Final = (
    ("-", "No ProspectId"),
    ("A", "ProspectId = A (a lead with an email)"),
    ("C", "ProspectId = C (a lead without an email)"),
    ("V", "ProspectId = V (an unconverted visitor)"),
    ("X", "ProspectId = X (a GUID that is neither a lead nor a visitor)"),
)
_FIELD_NAMES: Final = {"Email": "EmailAddress", "Phone": "Phone"}
_VALUE_NAMES: Final = {"n": "new", "E": "EmailAddress", "Ph": "Phone"}


def render_cell(cell: Expected) -> str:
    """A cell for the Markdown table."""
    if cell.field is not None:
        return f"Rejected: {_FIELD_NAMES[cell.field]} of {cell.lead} ({cell.rule}, R-U2)"
    who = "" if cell.lead is None else f" {cell.lead}"
    return f"{cell.outcome.value}{who} ({cell.rule})"


def _row_line(row: Row) -> str:
    names = (_VALUE_NAMES.get(part, part) for part in (row.prospect, row.email, row.phone, row.search_by))
    return "| " + " | ".join((*names, *(render_cell(cell) for cell in row.cells))) + " |"


def _header() -> list[str]:
    columns = ("P", "E", "Ph", "S", *(behavior_name(b) for b in BEHAVIORS))
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]


def _totals() -> list[str]:
    counts = Counter(render_cell(cell) for row in ROWS for cell in row.cells)
    lines = ["| Cell | Count |", "|---|---|"]
    lines += [f"| {cell} | {count} |" for cell, count in sorted(counts.items())]
    return lines


_QUALITY_VALUE_NAMES: Final = {"j": "junk", "g": "G's mailbox", "a": "A's", "n": "new"}


def _quality_cell(cell: str) -> str:
    """An identifier cell for Markdown: `Updated G (R-M8; R-J1, R-J2)`."""
    text, _, rules = cell.partition(" +")
    outcome, *rest = text.split()
    rule = rest[-1]
    names = [f"R-{name}" for name in rules.split("+") if name]
    why = "; ".join([rule, ", ".join(names)] if names else [rule])
    if outcome == "Rejected":
        field, holder = rest[0].split("@")
        return f"Rejected: {_FIELD_NAMES[field]} of {holder} ({why}, R-U2)"
    who = f" {rest[0]}" if len(rest) > 1 else ""
    return f"{outcome}{who} ({why})"


def render_data_quality() -> list[str]:
    """The data-quality section: the identifier table (R-J1, R-J2) and the update-policy table (R-P1)."""
    names = {lead_id: name for name, lead_id in quality.WORLD_IDS.items()}
    lines = [
        "",
        "## Data quality: blocked identifiers, canonical emails, update policies",
        "",
        "Rules beyond LeadSquared, each off unless the schema config turns it on (see docs/python-api.md):",
        "",
        "- **R-J1**: a blocked identifier value (`[blocked_identifiers]`, e.g. the `common` preset) is stored as",
        "  given but never searched for nor held unique: the capture proceeds as if it were absent.",
        '- **R-J2**: with `email_match = "canonical"`, dots and `+tag` in a gmail.com or googlemail.com address',
        "  are ignored when matching and for uniqueness; the address is stored as given.",
        "- **R-P1**: a field's `update` policy (`always`, `if_empty`, `never`) applies on Updated outcomes after",
        "  LeadUpdateBehavior: a field is set only if both allow it.",
        "",
        "### Identifiers (R-J1, R-J2)",
        "",
        "Decided against this store (indexed as each config indexes it), with no behaviour:",
        "",
        "| Name | Id | EmailAddress | Phone |",
        "|---|---|---|---|",
        *(
            f"| {names[lead_id]} | `{lead_id}` | `{fields['EmailAddress']}` | "
            + (f"`{fields['Phone']}`" if "Phone" in fields else "(empty)")
            + " |"
            for lead_id, fields in quality.WORLD_FIELDS.items()
        ),
        "",
        "- **E**: `-` absent, `junk` is `" + quality.EMAILS["j"] + "`, `G's mailbox` is `" + quality.EMAILS["g"] + "`,",
        "  `A's` is `" + quality.EMAILS["a"] + "`.",
        "- **Ph**: `-` absent, `junk` is `" + quality.PHONES["j"] + "`, `A's` is `" + quality.PHONES["a"] + "`, `new`",
        "  is `" + quality.PHONES["n"] + "`.",
        '- The data-quality config is `email_match = "canonical"` and `[blocked_identifiers] preset = "common"`.',
        "  A cell names, after the deciding rule, the data-quality rules its explanation notes.",
        "",
        "| E | Ph | " + " | ".join(name for name, _schema in quality.CONFIGS) + " |",
        "|---|---|" + "---|" * len(quality.CONFIGS),
    ]
    for row in quality.IDENTIFIER_ROWS:
        values = (_QUALITY_VALUE_NAMES.get(row.email, row.email), _QUALITY_VALUE_NAMES.get(row.phone, row.phone))
        lines.append("| " + " | ".join((*values, *(_quality_cell(cell) for cell in row.cells))) + " |")
    lines += [
        "",
        "### Update policies (R-P1)",
        "",
        f"Lead A is found by its email; the capture submits `{quality.POLICY_FIELD}`, a Text field with the row's",
        "policy.",
        "**Lead** is the field on A (`-` empty, `old`), **Given** the submitted value (`new`, `-` empty, which",
        "clears under R-B1). A cell reads `set`, or `kept` with the rule that keeps the field.",
        "",
        "| Policy | Lead | Given | " + " | ".join(behavior_name(b) for b in BEHAVIORS) + " |",
        "|---|---|---|" + "---|" * len(BEHAVIORS),
    ]
    lines += [
        f"| {row.policy} | {row.lead} | {row.given} | "
        + " | ".join(cell if cell == "set" else f"kept ({cell.removeprefix('kept ')})" for cell in row.cells)
        + " |"
        for row in quality.POLICY_ROWS
    ]
    return lines


def render() -> str:
    """The whole Markdown document."""
    lines = [
        "# Decision table: which lead a capture acts on",
        "",
        "<!-- Generated by `.venv/bin/python -m tests.property.render_decision_table > docs/decision-table.md`;",
        "     edit the table in tests/property/decision_table.py, never this file. -->",
        "",
        "Every combination of the match identifiers, under every `LeadUpdateBehavior`, with the outcome the",
        "specification gives and the rule that decides it. The table is written out in",
        "`tests/property/decision_table.py`; `tests/property/test_decision_table.py` runs every cell through",
        "`Engine.preview` and `Engine.capture` and fails if this document differs from the table.",
        "",
        "## The world",
        "",
        "Every row is decided against the same store:",
        "",
        "| Name | Id | EmailAddress | Phone |",
        "|---|---|---|---|",
        f"| A | `{LEAD_A}` | `{EMAILS['a']}` | `{PHONES['a']}` |",
        f"| B | `{LEAD_B}` | `{EMAILS['b']}` | (empty) |",
        f"| C | `{LEAD_C}` | (empty) | `{PHONES['c']}` |",
        "",
        f"- V: visitor `{VISITOR}`, not converted, one visit with source "
        + ", ".join(f"`{name}={value}`" for name, value in VISITOR_SOURCE.items())
        + ".",
        f"- X: `{UNKNOWN}`, neither a lead nor a visitor.",
        "- New values: email `new` is `" + EMAILS["n"] + "`, phone `new` is `" + PHONES["n"] + "`.",
        f"- Every request also sets `FirstName={FIRST_NAME}`, so that no request is empty.",
        "",
        "## Columns",
        "",
        "- **P** (`ProspectId`): `-` absent, `A`, `C`, `V` or `X` as above.",
        "- **E** (`EmailAddress`): `-` absent, `a` A's email, `b` B's email, `new` an email nobody has.",
        "- **Ph** (`Phone`): `-` absent, `a` A's phone, `c` C's phone, `new` a phone nobody has.",
        "- **S** (`SearchBy`): `-` absent, `EmailAddress` or `Phone`.",
        "- One column per `LeadUpdateBehavior` (`None` = absent). A cell reads `Created (rule)`,",
        "  `Updated L (rule)`, `Converted V (rule)`, or `Rejected: Field of L (rule, R-U2)`: the rule decided",
        "  to create, convert or update, but the new value of that unique field belongs to lead L, so the",
        "  capture answers 409 `MXDuplicateEntryException` and posts its DuplicateRejected activity on L.",
        "",
        "## Rule ids",
        "",
        *(f"- **{rule}**: {text}" for rule, text in RULES),
        "",
        "## Totals",
        "",
        f"{len(ROWS)} rows, {len(ROWS) * len(BEHAVIORS)} cells.",
        "",
        *_totals(),
        "",
        "## The table",
    ]
    for prospect, title in _SECTIONS:
        lines += ["", f"### {title}", "", *_header()]
        lines += [_row_line(row) for row in ROWS if row.prospect == prospect]
    lines += render_data_quality()
    return "\n".join(lines) + "\n"


def main() -> None:
    """Write the document to standard output."""
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
