"""The match-resolution decision table: a fixed world of leads, every identifier combination, what must happen.

`TABLE` is the oracle. It is written out by hand from the specification's rules (match resolution R-M,
uniqueness R-U, update behaviours R-B), one line per combination of

- **P** (`ProspectId`): `-` absent, `A` lead A (has an email), `C` lead C (no email), `V` the visitor,
  `X` a GUID nobody has;
- **E** (`EmailAddress`): `-` absent, `a` A's email, `b` B's email, `n` an email nobody has;
- **Ph** (`Phone`): `-` absent, `a` A's phone, `c` C's phone, `n` a phone nobody has;
- **S** (`SearchBy`): `-` absent, `E` EmailAddress, `Ph` Phone;

and one cell per `LeadUpdateBehavior` (absent, DoNotUpdate, UpdateOnlyEmptyFields, DoNotUpdateUniqueFields):

- `Created R-Mx`: a new lead with a new id, by rule R-Mx;
- `Updated L R-Mx`: lead L (A, B or C) is updated, by rule R-Mx;
- `Converted V R-M6`: the visitor becomes a lead with its own id;
- `Rejected F@L R-Mx`: rule R-Mx decided to create, convert or update, but the new value of unique field F
  (`Email` or `Phone`) belongs to lead L: 409 `MXDuplicateEntryException` (R-U2), and the DuplicateRejected
  activity goes on L (R-U3).

`tests/property/test_decision_table.py` checks every cell against `Engine.preview` and `Engine.capture`, and
`docs/decision-table.md` is rendered from the same table (`tests/property/render_decision_table.py`).
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Final

import msgspec

from leadcapture import (
    Activity,
    CaptureActivityData,
    Create,
    Explanation,
    IndexEntry,
    InMemoryLeadStore,
    Lead,
    Outcome,
    UpdateBehavior,
    Visit,
    Visitor,
)

LEAD_A: Final = "a0000000-0000-4000-8000-00000000000a"
LEAD_B: Final = "b0000000-0000-4000-8000-00000000000b"
LEAD_C: Final = "c0000000-0000-4000-8000-00000000000c"
VISITOR: Final = "d0000000-0000-4000-8000-00000000000d"
UNKNOWN: Final = "e0000000-0000-4000-8000-00000000000e"
"""A well-formed GUID that is neither a lead nor a visitor."""

WORLD_IDS: Final = {"A": LEAD_A, "B": LEAD_B, "C": LEAD_C, "V": VISITOR}
PROSPECTS: Final = {"A": LEAD_A, "C": LEAD_C, "V": VISITOR, "X": UNKNOWN}
EMAILS: Final = {"a": "a@example.com", "b": "b@example.com", "n": "new@example.com"}
PHONES: Final = {"a": "+91-9000000001", "c": "+91-9000000003", "n": "+91-9000000009"}
SEARCH_BY: Final = {"E": "EmailAddress", "Ph": "Phone"}
FIELDS: Final = {"Email": "EmailAddress", "Phone": "Phone"}
"""The `F` of a `Rejected F@L` cell, and the schema field it names."""
VISITOR_SOURCE: Final = {"Source": "Google"}
"""The source of the visitor's only visit, which a conversion copies onto the new lead (R-M6)."""
FIRST_NAME: Final = "Row"
"""Every request also sets FirstName, so that even the row without identifiers is a non-empty request."""

BEHAVIORS: Final[tuple[UpdateBehavior | None, ...]] = (
    None,
    UpdateBehavior.DO_NOT_UPDATE,
    UpdateBehavior.UPDATE_ONLY_EMPTY_FIELDS,
    UpdateBehavior.DO_NOT_UPDATE_UNIQUE_FIELDS,
)


def behavior_name(behavior: UpdateBehavior | None) -> str:
    """The behaviour's wire spelling, `None` when absent."""
    return "None" if behavior is None else behavior.value


TABLE: Final = """
# P  E  Ph S  | None                  | DoNotUpdate           | UpdateOnlyEmptyFields | DoNotUpdateUniqueFields
  -  -  -  -  | Created R-M1          | Created R-M1          | Created R-M1          | Created R-M1
  -  -  -  E  | Created R-M1          | Created R-M1          | Created R-M1          | Created R-M1
  -  -  -  Ph | Created R-M1          | Created R-M1          | Created R-M1          | Created R-M1
  -  -  a  -  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  -  a  E  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  -  a  Ph | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  -  c  -  | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  -  -  c  E  | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  -  -  c  Ph | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  -  -  n  -  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  -  -  n  E  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  -  -  n  Ph | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9

  -  a  -  -  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  a  -  E  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  a  -  Ph | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  a  a  -  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  a  a  E  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  a  a  Ph | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  a  c  -  | Rejected Phone@C R-M8 | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  a  c  E  | Rejected Phone@C R-M8 | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  a  c  Ph | Rejected Email@A R-M8 | Updated C R-M8        | Rejected Email@A R-M8 | Updated C R-M8
  -  a  n  -  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  a  n  E  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  a  n  Ph | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8

  -  b  -  -  | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8
  -  b  -  E  | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8
  -  b  -  Ph | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8
  -  b  a  -  | Rejected Phone@A R-M8 | Updated B R-M8        | Rejected Phone@A R-M8 | Updated B R-M8
  -  b  a  E  | Rejected Phone@A R-M8 | Updated B R-M8        | Rejected Phone@A R-M8 | Updated B R-M8
  -  b  a  Ph | Rejected Email@B R-M8 | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  b  c  -  | Rejected Phone@C R-M8 | Updated B R-M8        | Rejected Phone@C R-M8 | Updated B R-M8
  -  b  c  E  | Rejected Phone@C R-M8 | Updated B R-M8        | Rejected Phone@C R-M8 | Updated B R-M8
  -  b  c  Ph | Rejected Email@B R-M8 | Updated C R-M8        | Rejected Email@B R-M8 | Updated C R-M8
  -  b  n  -  | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8
  -  b  n  E  | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8
  -  b  n  Ph | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8

  -  n  -  -  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  -  n  -  E  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  -  n  -  Ph | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  -  n  a  -  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  n  a  E  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  n  a  Ph | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  -  n  c  -  | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  -  n  c  E  | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  -  n  c  Ph | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  -  n  n  -  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  -  n  n  E  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  -  n  n  Ph | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9

  A  -  -  -  | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  -  -  E  | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  -  -  Ph | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  -  a  -  | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  -  a  E  | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  -  a  Ph | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  A  -  c  -  | Rejected Phone@C R-M5 | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  -  c  E  | Rejected Phone@C R-M5 | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  -  c  Ph | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  A  -  n  -  | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  -  n  E  | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  -  n  Ph | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5

  A  a  -  -  | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  a  -  E  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  A  a  -  Ph | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  a  a  -  | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  a  a  E  | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  a  a  Ph | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  a  c  -  | Rejected Phone@C R-M5 | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  a  c  E  | Rejected Phone@C R-M5 | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  a  c  Ph | Rejected Phone@C R-M5 | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  a  n  -  | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  a  n  E  | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5
  A  a  n  Ph | Updated A R-M5        | Updated A R-M5        | Updated A R-M5        | Updated A R-M5

  A  b  -  -  | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4
  A  b  -  E  | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8
  A  b  -  Ph | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4
  A  b  a  -  | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4
  A  b  a  E  | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4
  A  b  a  Ph | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4
  A  b  c  -  | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4
  A  b  c  E  | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4
  A  b  c  Ph | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4
  A  b  n  -  | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4
  A  b  n  E  | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4
  A  b  n  Ph | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4 | Rejected Email@B R-M4

  A  n  -  -  | Created R-M4          | Created R-M4          | Created R-M4          | Created R-M4
  A  n  -  E  | Created R-M4          | Created R-M4          | Created R-M4          | Created R-M4
  A  n  -  Ph | Created R-M4          | Created R-M4          | Created R-M4          | Created R-M4
  A  n  a  -  | Rejected Phone@A R-M4 | Rejected Phone@A R-M4 | Rejected Phone@A R-M4 | Rejected Phone@A R-M4
  A  n  a  E  | Rejected Phone@A R-M4 | Rejected Phone@A R-M4 | Rejected Phone@A R-M4 | Rejected Phone@A R-M4
  A  n  a  Ph | Rejected Phone@A R-M4 | Rejected Phone@A R-M4 | Rejected Phone@A R-M4 | Rejected Phone@A R-M4
  A  n  c  -  | Rejected Phone@C R-M4 | Rejected Phone@C R-M4 | Rejected Phone@C R-M4 | Rejected Phone@C R-M4
  A  n  c  E  | Rejected Phone@C R-M4 | Rejected Phone@C R-M4 | Rejected Phone@C R-M4 | Rejected Phone@C R-M4
  A  n  c  Ph | Rejected Phone@C R-M4 | Rejected Phone@C R-M4 | Rejected Phone@C R-M4 | Rejected Phone@C R-M4
  A  n  n  -  | Created R-M4          | Created R-M4          | Created R-M4          | Created R-M4
  A  n  n  E  | Created R-M4          | Created R-M4          | Created R-M4          | Created R-M4
  A  n  n  Ph | Created R-M4          | Created R-M4          | Created R-M4          | Created R-M4

  C  -  -  -  | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  -  -  E  | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  -  -  Ph | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  -  a  -  | Rejected Phone@A R-M5 | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  -  a  E  | Rejected Phone@A R-M5 | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  -  a  Ph | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  C  -  c  -  | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  -  c  E  | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  -  c  Ph | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  C  -  n  -  | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  -  n  E  | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  -  n  Ph | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5

  C  a  -  -  | Rejected Email@A R-M5 | Updated C R-M5        | Rejected Email@A R-M5 | Updated C R-M5
  C  a  -  E  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  C  a  -  Ph | Rejected Email@A R-M5 | Updated C R-M5        | Rejected Email@A R-M5 | Updated C R-M5
  C  a  a  -  | Rejected Email@A R-M5 | Updated C R-M5        | Rejected Email@A R-M5 | Updated C R-M5
  C  a  a  E  | Rejected Email@A R-M5 | Updated C R-M5        | Rejected Email@A R-M5 | Updated C R-M5
  C  a  a  Ph | Rejected Email@A R-M5 | Updated C R-M5        | Rejected Email@A R-M5 | Updated C R-M5
  C  a  c  -  | Rejected Email@A R-M5 | Updated C R-M5        | Rejected Email@A R-M5 | Updated C R-M5
  C  a  c  E  | Rejected Email@A R-M5 | Updated C R-M5        | Rejected Email@A R-M5 | Updated C R-M5
  C  a  c  Ph | Rejected Email@A R-M5 | Updated C R-M5        | Rejected Email@A R-M5 | Updated C R-M5
  C  a  n  -  | Rejected Email@A R-M5 | Updated C R-M5        | Rejected Email@A R-M5 | Updated C R-M5
  C  a  n  E  | Rejected Email@A R-M5 | Updated C R-M5        | Rejected Email@A R-M5 | Updated C R-M5
  C  a  n  Ph | Rejected Email@A R-M5 | Updated C R-M5        | Rejected Email@A R-M5 | Updated C R-M5

  C  b  -  -  | Rejected Email@B R-M5 | Updated C R-M5        | Rejected Email@B R-M5 | Updated C R-M5
  C  b  -  E  | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8
  C  b  -  Ph | Rejected Email@B R-M5 | Updated C R-M5        | Rejected Email@B R-M5 | Updated C R-M5
  C  b  a  -  | Rejected Email@B R-M5 | Updated C R-M5        | Rejected Email@B R-M5 | Updated C R-M5
  C  b  a  E  | Rejected Email@B R-M5 | Updated C R-M5        | Rejected Email@B R-M5 | Updated C R-M5
  C  b  a  Ph | Rejected Email@B R-M5 | Updated C R-M5        | Rejected Email@B R-M5 | Updated C R-M5
  C  b  c  -  | Rejected Email@B R-M5 | Updated C R-M5        | Rejected Email@B R-M5 | Updated C R-M5
  C  b  c  E  | Rejected Email@B R-M5 | Updated C R-M5        | Rejected Email@B R-M5 | Updated C R-M5
  C  b  c  Ph | Rejected Email@B R-M5 | Updated C R-M5        | Rejected Email@B R-M5 | Updated C R-M5
  C  b  n  -  | Rejected Email@B R-M5 | Updated C R-M5        | Rejected Email@B R-M5 | Updated C R-M5
  C  b  n  E  | Rejected Email@B R-M5 | Updated C R-M5        | Rejected Email@B R-M5 | Updated C R-M5
  C  b  n  Ph | Rejected Email@B R-M5 | Updated C R-M5        | Rejected Email@B R-M5 | Updated C R-M5

  C  n  -  -  | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  n  -  E  | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  n  -  Ph | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  n  a  -  | Rejected Phone@A R-M5 | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  n  a  E  | Rejected Phone@A R-M5 | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  n  a  Ph | Rejected Phone@A R-M5 | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  n  c  -  | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  n  c  E  | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  n  c  Ph | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  n  n  -  | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  n  n  E  | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5
  C  n  n  Ph | Updated C R-M5        | Updated C R-M5        | Updated C R-M5        | Updated C R-M5

  V  -  -  -  | Converted V R-M6      | Converted V R-M6      | Converted V R-M6      | Converted V R-M6
  V  -  -  E  | Converted V R-M6      | Converted V R-M6      | Converted V R-M6      | Converted V R-M6
  V  -  -  Ph | Converted V R-M6      | Converted V R-M6      | Converted V R-M6      | Converted V R-M6
  V  -  a  -  | Rejected Phone@A R-M6 | Rejected Phone@A R-M6 | Rejected Phone@A R-M6 | Rejected Phone@A R-M6
  V  -  a  E  | Rejected Phone@A R-M6 | Rejected Phone@A R-M6 | Rejected Phone@A R-M6 | Rejected Phone@A R-M6
  V  -  a  Ph | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  V  -  c  -  | Rejected Phone@C R-M6 | Rejected Phone@C R-M6 | Rejected Phone@C R-M6 | Rejected Phone@C R-M6
  V  -  c  E  | Rejected Phone@C R-M6 | Rejected Phone@C R-M6 | Rejected Phone@C R-M6 | Rejected Phone@C R-M6
  V  -  c  Ph | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  V  -  n  -  | Converted V R-M6      | Converted V R-M6      | Converted V R-M6      | Converted V R-M6
  V  -  n  E  | Converted V R-M6      | Converted V R-M6      | Converted V R-M6      | Converted V R-M6
  V  -  n  Ph | Converted V R-M6      | Converted V R-M6      | Converted V R-M6      | Converted V R-M6

  V  a  -  -  | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6
  V  a  -  E  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  V  a  -  Ph | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6
  V  a  a  -  | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6
  V  a  a  E  | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6
  V  a  a  Ph | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6
  V  a  c  -  | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6
  V  a  c  E  | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6
  V  a  c  Ph | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6
  V  a  n  -  | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6
  V  a  n  E  | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6
  V  a  n  Ph | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6 | Rejected Email@A R-M6

  V  b  -  -  | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6
  V  b  -  E  | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8
  V  b  -  Ph | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6
  V  b  a  -  | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6
  V  b  a  E  | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6
  V  b  a  Ph | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6
  V  b  c  -  | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6
  V  b  c  E  | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6
  V  b  c  Ph | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6
  V  b  n  -  | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6
  V  b  n  E  | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6
  V  b  n  Ph | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6 | Rejected Email@B R-M6

  V  n  -  -  | Converted V R-M6      | Converted V R-M6      | Converted V R-M6      | Converted V R-M6
  V  n  -  E  | Converted V R-M6      | Converted V R-M6      | Converted V R-M6      | Converted V R-M6
  V  n  -  Ph | Converted V R-M6      | Converted V R-M6      | Converted V R-M6      | Converted V R-M6
  V  n  a  -  | Rejected Phone@A R-M6 | Rejected Phone@A R-M6 | Rejected Phone@A R-M6 | Rejected Phone@A R-M6
  V  n  a  E  | Rejected Phone@A R-M6 | Rejected Phone@A R-M6 | Rejected Phone@A R-M6 | Rejected Phone@A R-M6
  V  n  a  Ph | Rejected Phone@A R-M6 | Rejected Phone@A R-M6 | Rejected Phone@A R-M6 | Rejected Phone@A R-M6
  V  n  c  -  | Rejected Phone@C R-M6 | Rejected Phone@C R-M6 | Rejected Phone@C R-M6 | Rejected Phone@C R-M6
  V  n  c  E  | Rejected Phone@C R-M6 | Rejected Phone@C R-M6 | Rejected Phone@C R-M6 | Rejected Phone@C R-M6
  V  n  c  Ph | Rejected Phone@C R-M6 | Rejected Phone@C R-M6 | Rejected Phone@C R-M6 | Rejected Phone@C R-M6
  V  n  n  -  | Converted V R-M6      | Converted V R-M6      | Converted V R-M6      | Converted V R-M6
  V  n  n  E  | Converted V R-M6      | Converted V R-M6      | Converted V R-M6      | Converted V R-M6
  V  n  n  Ph | Converted V R-M6      | Converted V R-M6      | Converted V R-M6      | Converted V R-M6

  X  -  -  -  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  X  -  -  E  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  X  -  -  Ph | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  X  -  a  -  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  -  a  E  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  -  a  Ph | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  -  c  -  | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  X  -  c  E  | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  X  -  c  Ph | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  X  -  n  -  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  X  -  n  E  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  X  -  n  Ph | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9

  X  a  -  -  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  a  -  E  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  a  -  Ph | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  a  a  -  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  a  a  E  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  a  a  Ph | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  a  c  -  | Rejected Phone@C R-M8 | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  a  c  E  | Rejected Phone@C R-M8 | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  a  c  Ph | Rejected Phone@C R-M8 | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  a  n  -  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  a  n  E  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  a  n  Ph | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8

  X  b  -  -  | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8
  X  b  -  E  | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8
  X  b  -  Ph | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8
  X  b  a  -  | Rejected Phone@A R-M8 | Updated B R-M8        | Rejected Phone@A R-M8 | Updated B R-M8
  X  b  a  E  | Rejected Phone@A R-M8 | Updated B R-M8        | Rejected Phone@A R-M8 | Updated B R-M8
  X  b  a  Ph | Rejected Phone@A R-M8 | Updated B R-M8        | Rejected Phone@A R-M8 | Updated B R-M8
  X  b  c  -  | Rejected Phone@C R-M8 | Updated B R-M8        | Rejected Phone@C R-M8 | Updated B R-M8
  X  b  c  E  | Rejected Phone@C R-M8 | Updated B R-M8        | Rejected Phone@C R-M8 | Updated B R-M8
  X  b  c  Ph | Rejected Phone@C R-M8 | Updated B R-M8        | Rejected Phone@C R-M8 | Updated B R-M8
  X  b  n  -  | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8
  X  b  n  E  | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8
  X  b  n  Ph | Updated B R-M8        | Updated B R-M8        | Updated B R-M8        | Updated B R-M8

  X  n  -  -  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  X  n  -  E  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  X  n  -  Ph | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  X  n  a  -  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  n  a  E  | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  n  a  Ph | Updated A R-M8        | Updated A R-M8        | Updated A R-M8        | Updated A R-M8
  X  n  c  -  | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  X  n  c  E  | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  X  n  c  Ph | Updated C R-M8        | Updated C R-M8        | Updated C R-M8        | Updated C R-M8
  X  n  n  -  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  X  n  n  E  | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9
  X  n  n  Ph | Created R-M9          | Created R-M9          | Created R-M9          | Created R-M9

"""
"""One line per row; `#` starts a comment. Columns: P, E, Ph, S, then one cell per behaviour in `BEHAVIORS` order."""

PROSPECT_STATES: Final = ("-", "A", "C", "V", "X")
EMAIL_STATES: Final = ("-", "a", "b", "n")
PHONE_STATES: Final = ("-", "a", "c", "n")
SEARCH_BY_STATES: Final = ("-", "E", "Ph")

_CELL: Final = re.compile(
    r"(?P<outcome>Created|Updated|Converted|Rejected)"
    r"(?: (?:(?P<field>Email|Phone)@)?(?P<lead>[ABCV]))?"
    r" (?P<rule>R-M\d+)",
)
_LEADS_FOR: Final = {
    Outcome.CREATED: frozenset({None}),
    Outcome.UPDATED: frozenset({"A", "B", "C"}),
    Outcome.CONVERTED: frozenset({"V"}),
    Outcome.REJECTED: frozenset({"A", "B", "C"}),
}


class Expected(msgspec.Struct, frozen=True, kw_only=True):
    """One cell of the table: the outcome, the lead it acts on, the deciding match rule, the clashing field."""

    outcome: Outcome
    lead: str | None
    """`A`, `B`, `C` or `V`; for a rejection the lead holding the value; `None` for a new lead."""
    rule: str
    field: str | None = None
    """For a rejection, `Email` or `Phone`: the unique value another lead holds (R-U2)."""

    @property
    def text(self) -> str:
        """The cell as the table spells it."""
        match self.outcome:
            case Outcome.CREATED:
                return f"Created {self.rule}"
            case Outcome.REJECTED:
                return f"Rejected {self.field}@{self.lead} {self.rule}"
            case _:
                return f"{self.outcome.value} {self.lead} {self.rule}"


class Row(msgspec.Struct, frozen=True, kw_only=True):
    """One combination of identifiers and the expected cell under each behaviour (in `BEHAVIORS` order)."""

    prospect: str
    email: str
    phone: str
    search_by: str
    cells: tuple[Expected, ...]

    @property
    def label(self) -> str:
        """A readable name: `P=A,E=b,Ph=-,S=-`."""
        return f"P={self.prospect},E={self.email},Ph={self.phone},S={self.search_by}"

    def expected(self, behavior: UpdateBehavior | None) -> Expected:
        """The cell for `behavior`."""
        return self.cells[BEHAVIORS.index(behavior)]

    def pairs(self) -> list[tuple[str, str]]:
        """The row's request as (attribute, value) pairs: its identifiers, its SearchBy, and FirstName."""
        pairs: list[tuple[str, str]] = []
        if self.prospect != "-":
            pairs.append(("ProspectId", PROSPECTS[self.prospect]))
        if self.email != "-":
            pairs.append(("EmailAddress", EMAILS[self.email]))
        if self.phone != "-":
            pairs.append(("Phone", PHONES[self.phone]))
        if self.search_by != "-":
            pairs.append(("SearchBy", SEARCH_BY[self.search_by]))
        pairs.append(("FirstName", FIRST_NAME))
        return pairs

    def attributes(self) -> list[dict[str, str]]:
        """The row's request as a Lead.Capture body: a list of `{"Attribute", "Value"}` objects."""
        return [{"Attribute": name, "Value": value} for name, value in self.pairs()]


def parse_cell(text: str) -> Expected:
    """Read one cell (`Created R-M9`, `Updated A R-M5`, `Converted V R-M6`, `Rejected Email@B R-M4`)."""
    found = _CELL.fullmatch(text)
    if found is None:
        msg = f"not a cell: {text!r}"
        raise ValueError(msg)
    outcome = Outcome(found["outcome"])
    expected = Expected(outcome=outcome, lead=found["lead"], rule=found["rule"], field=found["field"])
    if expected.lead not in _LEADS_FOR[outcome] or (outcome is Outcome.REJECTED) != (expected.field is not None):
        msg = f"not a cell: {text!r}"
        raise ValueError(msg)
    return expected


def parse_row(line: str) -> Row:
    """Read one line of the table."""
    identifiers, *cells = (part.strip() for part in line.split("|"))
    prospect, email, phone, search_by = identifiers.split()
    allowed = (PROSPECT_STATES, EMAIL_STATES, PHONE_STATES, SEARCH_BY_STATES)
    if len(cells) != len(BEHAVIORS) or any(
        state not in states for state, states in zip((prospect, email, phone, search_by), allowed, strict=True)
    ):
        msg = f"not a row: {line!r}"
        raise ValueError(msg)
    return Row(
        prospect=prospect,
        email=email,
        phone=phone,
        search_by=search_by,
        cells=tuple(parse_cell(cell) for cell in cells),
    )


def parse_table(text: str) -> tuple[Row, ...]:
    """Every row of `text`, skipping blank lines and `#` comments."""
    lines = (line.strip() for line in text.splitlines())
    return tuple(parse_row(line) for line in lines if line and not line.startswith("#"))


ROWS: Final = parse_table(TABLE)
COMBINATIONS: Final = tuple(itertools.product(PROSPECT_STATES, EMAIL_STATES, PHONE_STATES, SEARCH_BY_STATES))
"""Every combination the table must hold, once each: 5 x 4 x 4 x 3 = 240."""

# The world every row is decided against.

WORLD_TIME: Final = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


def _lead(lead_id: str, fields: dict[str, str], day: int) -> Lead:
    moment = WORLD_TIME.replace(day=day)
    return Lead(id=lead_id, fields=fields, created_on=moment, modified_on=moment, last_activity_on=moment)


WORLD_LEADS: Final = (
    _lead(LEAD_A, {"EmailAddress": EMAILS["a"], "Phone": PHONES["a"]}, 1),
    _lead(LEAD_B, {"EmailAddress": EMAILS["b"]}, 2),
    _lead(LEAD_C, {"Phone": PHONES["c"]}, 3),
)
"""A has an email and a phone, B only an email, C only a phone."""
WORLD_INDEX: Final = {
    LEAD_A: (
        IndexEntry(field="EmailAddress", key="a@example.com", unique=True),
        IndexEntry(field="Phone", key="+919000000001", unique=True),
    ),
    LEAD_B: (IndexEntry(field="EmailAddress", key="b@example.com", unique=True),),
    LEAD_C: (IndexEntry(field="Phone", key="+919000000003", unique=True),),
}
WORLD_VISITOR: Final = Visitor(
    id=VISITOR,
    visits=(
        Visit(
            id="d0000000-0000-4000-8000-0000000000d1",
            visited_on=WORLD_TIME.replace(day=4),
            page_url="https://example.com/pricing?utm_source=Google",
            source=VISITOR_SOURCE,
        ),
    ),
)
"""An anonymous visitor, not converted, with one visit from Google."""


def _seed(lead: Lead) -> Create:
    """A Create decision that puts `lead` in a store as it is, with a Lead Capture activity."""
    activity = Activity(
        id=lead.id[:-2] + "ff",
        lead_id=lead.id,
        event_code=23,
        event_name="Lead Capture",
        created_on=lead.created_on,
        data=CaptureActivityData(
            outcome=Outcome.CREATED.value,
            rule="R-M9",
            matched_by=None,
            behavior=None,
            submitted=(),
            changes=(),
            source={},
        ),
    )
    explanation = Explanation(
        outcome=Outcome.CREATED,
        rule="R-M9",
        search_order=(),
        lookups=(),
        matched_by=None,
        lead_id=lead.id,
        behavior=None,
    )
    return Create(lead=lead, index=WORLD_INDEX[lead.id], activity=activity, explanation=explanation)


def build_world() -> InMemoryLeadStore:
    """A new store holding leads A, B, C and visitor V, exactly as described above."""
    store = InMemoryLeadStore()
    for lead in WORLD_LEADS:
        store.apply(_seed(lead)).unwrap()
    store.save_visitor(WORLD_VISITOR)
    return store
