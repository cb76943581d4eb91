"""The public API: `leadcapture.__all__` is pinned, and every name in it imports and is documented."""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import inspect
import itertools
import types

import pytest

import leadcapture

PUBLIC_NAMES = [
    "DEFAULT_SCHEMA",
    "STANDARD_NORMALIZER",
    "Account",
    "Activity",
    "ApiError",
    "ApiRequest",
    "ApiResponse",
    "CallRate",
    "CandidateQuery",
    "Candidates",
    "CaptureActivityData",
    "CaptureDecision",
    "CapturePolicy",
    "CaptureReceipt",
    "CaptureRequest",
    "ClientReceipt",
    "Clock",
    "ConnectionFailed",
    "Convert",
    "ConvertPolicy",
    "Create",
    "CreateOrUpdatePolicy",
    "CreatePolicy",
    "DataType",
    "DryRunReport",
    "DuplicateEntry",
    "EmailMatch",
    "Engine",
    "ExceptionType",
    "Explanation",
    "FieldChange",
    "FieldError",
    "FieldLeftAlone",
    "FieldSpec",
    "HTTPTransport",
    "IdFactory",
    "IdentifierLookup",
    "InMemoryLeadStore",
    "IndexEntry",
    "InvalidAccessDetails",
    "InvalidInput",
    "Lead",
    "LeadCaptureClient",
    "LeadCaptureError",
    "LeadStore",
    "LocalTransport",
    "MandatoryAttributeMissing",
    "MatchPolicy",
    "MockTransport",
    "NewIds",
    "Outcome",
    "Problem",
    "RateLimited",
    "RawAttribute",
    "Reject",
    "Schema",
    "StoreConflict",
    "SubmittedAttribute",
    "SystemClock",
    "Transport",
    "UUID7Factory",
    "UnauthorizedAccess",
    "UnknownAttribute",
    "Update",
    "UpdateBehavior",
    "UpdateByIdPolicy",
    "UpdatePolicy",
    "Visit",
    "Visitor",
    "WebVisitData",
    "__version__",
    "candidate_query",
    "canonical_email",
    "data_quality_rules",
    "decide_capture",
    "decode_body",
    "load_schema",
    "parse_behavior",
    "plan_update",
    "resolve_match",
    "schema_from_toml",
    "summarize",
    "validate_request",
]
"""The names `from leadcapture import *` gives, in the order ruff's RUF022 keeps `__all__`."""

DATA_HOMES = {
    "CaptureDecision": "leadcapture.core.decision",
    "DEFAULT_SCHEMA": "leadcapture.core.schema",
    "MatchPolicy": "leadcapture.core.policies",
    "STANDARD_NORMALIZER": "leadcapture.normalize",
}
"""Public values that are not classes or functions, and the module whose source documents them."""


def test_all_is_pinned() -> None:
    """`leadcapture.__all__` is exactly the pinned list, with no name twice."""
    assert leadcapture.__all__ == PUBLIC_NAMES
    assert len(set(PUBLIC_NAMES)) == len(PUBLIC_NAMES)


def test_every_public_object_of_the_package_is_in_all() -> None:
    """Every non-module, non-underscore name the package namespace holds is listed in `__all__`."""
    public = {
        name
        for name, value in vars(leadcapture).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public <= set(PUBLIC_NAMES)


@pytest.mark.parametrize("name", PUBLIC_NAMES)
def test_every_name_is_importable(name: str) -> None:
    """Each name in `__all__` can be imported from a freshly looked-up `leadcapture` and is not None."""
    module = importlib.import_module("leadcapture")
    namespace: dict[str, object] = {}
    exec(f"from leadcapture import {name}", namespace)  # noqa: S102 - the import statement itself is under test
    assert namespace[name] is getattr(module, name)
    assert namespace[name] is not None


def _documented_assignment(module_name: str, name: str) -> str | None:
    """The string literal right after the module-level assignment to `name`, if any."""
    tree = ast.parse(inspect.getsource(importlib.import_module(module_name)))
    for statement, following in itertools.pairwise(tree.body):
        targets = (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
            if isinstance(statement, ast.AnnAssign)
            else []
        )
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                return str(following.value.value)
            return None
    return None


@pytest.mark.parametrize("name", [name for name in PUBLIC_NAMES if name != "__version__"])
def test_every_name_has_a_docstring(name: str) -> None:
    """Each class and function has its own docstring; each public value is documented where it is assigned."""
    value = getattr(leadcapture, name)
    if name in DATA_HOMES:
        docstring = _documented_assignment(DATA_HOMES[name], name)
    elif isinstance(value, type):
        docstring = vars(value).get("__doc__")
    else:
        assert inspect.isfunction(value), f"{name} is neither a class, a function nor a known value"
        docstring = value.__doc__
    assert isinstance(docstring, str)
    assert docstring.strip()


def test_version_matches_the_installed_metadata() -> None:
    """`__version__` is the version the installed distribution reports."""
    assert leadcapture.__version__ == importlib.metadata.version("leadcapture")
