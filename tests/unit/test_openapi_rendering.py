"""The OpenAPI document takes one form whatever msgspec or Python release rendered it (adr/0047)."""

from __future__ import annotations

import copy

from leadcapture.entrypoints.openapi import _version_independent

DEDENTED = {"description": "The answer.\n\nIt says which lead.", "anyOf": [{"type": "null"}, {"$ref": "#/a"}]}
"""How a newer msgspec renders a docstring and an optional reference."""
INDENTED = {"description": "The answer.\n\n    It says which lead.\n    ", "anyOf": [{"$ref": "#/a"}, {"type": "null"}]}
"""How an older msgspec renders the same docstring and reference."""


def test_docstrings_and_union_order_of_any_release_render_the_same() -> None:
    """Indented or dedented docstrings, union members in either order: one document."""
    older, newer = copy.deepcopy(INDENTED), copy.deepcopy(DEDENTED)
    _version_independent({"components": {"x": older}})
    _version_independent({"components": {"x": newer}})
    assert (
        older
        == newer
        == {"description": "The answer.\n\nIt says which lead.", "anyOf": [{"$ref": "#/a"}, {"type": "null"}]}
    )


def test_nested_unions_are_sorted_inside_lists() -> None:
    """Members nested in a list of properties are put in order too; `null` always last."""
    document = {"allOf": [{"oneOf": [{"type": "null"}, {"type": "string"}, {"type": "integer"}]}]}
    _version_independent(document)
    assert document == {"allOf": [{"oneOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]}]}
