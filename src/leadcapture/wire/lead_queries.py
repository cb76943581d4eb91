"""LeadSquared's shapes for the lead queries beyond the single look-ups (R-L5, R-L6)."""

from __future__ import annotations

from typing import Annotated, Final

import msgspec

from leadcapture.core.records import Lead
from leadcapture.wire.leadsquared import flat_lead


class LeadProperty(msgspec.Struct, frozen=True, rename="pascal"):
    """One `{"Attribute": name, "Value": value}` of a lead property list; values are strings."""

    attribute: str
    value: str


class LeadIdsParameters(msgspec.Struct, frozen=True, rename={"lead_ids": "LeadIds"}):
    """`SearchParameters` of Leads/Retrieve/ByIds."""

    lead_ids: list[str]


class LeadsByIdsBody(msgspec.Struct, frozen=True, rename={"search_parameters": "SearchParameters"}):
    """The body of `POST Leads/Retrieve/ByIds`: `{"SearchParameters":{"LeadIds":[...]}}` (R-L6)."""

    search_parameters: LeadIdsParameters


UTCTime = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
        description="A UTC time written `yyyy-mm-dd hh:mm:ss`.",
    ),
]
PAGE_SIZE_LIMIT: Final = 5000
MAX_PAGE_INDEX: Final = 1_000_000_000
"""Far beyond any store's pages, and small enough that the offset fits every database's integers."""


class DateRange(msgspec.Struct, frozen=True, rename="pascal"):
    """`Parameter` of Leads.RecentlyModified: UTC times, both included."""

    from_date: UTCTime
    to_date: UTCTime


class Paging(msgspec.Struct, frozen=True, rename="pascal"):
    """`Paging` of Leads.RecentlyModified: `PageIndex` from 1, `PageSize` from 1 to 5000."""

    page_index: Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE_INDEX)] = 1
    page_size: Annotated[int, msgspec.Meta(ge=1, le=PAGE_SIZE_LIMIT)] = 100


class RecentlyModifiedBody(msgspec.Struct, frozen=True, rename="pascal"):
    """The body of `POST Leads.RecentlyModified` (R-L6)."""

    parameter: DateRange
    paging: Paging = Paging()


class LeadProperties(msgspec.Struct, frozen=True, rename="pascal"):
    """One lead of Leads.RecentlyModified: its flat fields as an attribute list."""

    lead_property_list: list[LeadProperty]


class RecentlyModifiedAnswer(msgspec.Struct, frozen=True, rename="pascal"):
    """`{"RecordCount": n, "Leads": [{"LeadPropertyList": [{"Attribute","Value"}]}]}` (R-L6)."""

    record_count: int
    leads: list[LeadProperties]


def lead_properties(lead: Lead) -> LeadProperties:
    """A lead as Leads.RecentlyModified lists it: the flat look-up fields as `{"Attribute","Value"}` pairs."""
    return LeadProperties(
        lead_property_list=[LeadProperty(attribute=name, value=value) for name, value in flat_lead(lead).items()]
    )
