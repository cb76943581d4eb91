"""`index_entries`: the (field, match key) pairs a store indexes for a lead, which every decision writes."""

from __future__ import annotations

from leadcapture.core.records import IndexEntry
from leadcapture.core.schema import Schema
from leadcapture.core.values import match_key


def index_entries(schema: Schema, fields: dict[str, str]) -> tuple[IndexEntry, ...]:
    """The (field, match key) entries a store indexes for a lead with `fields`.

    A blocked value (R-J1) is indexed for look-ups but never unique. Under canonical email matching (R-J2)
    an address is held unique on its canonical key, and also indexed as spelt, so that a look-up by the
    address as stored still finds it.
    """
    entries = []
    if schema.leadsquared_identifiers:
        for spec in schema.indexed_specs:
            value = fields.get(spec.schema_name)
            if value:
                key = match_key(spec.data_type, value)
                entries.append(IndexEntry(field=spec.schema_name, key=key, unique=spec.is_unique))
        return tuple(entries)
    for spec in schema.indexed_specs:
        name = spec.schema_name
        value = fields.get(name)
        if not value:
            continue
        plain = match_key(spec.data_type, value)
        if schema.blocked_because(spec, value) is not None:
            entries.append(IndexEntry(field=name, key=plain, unique=False))
            continue
        key = schema.identifier_key(spec, value)
        entries.append(IndexEntry(field=name, key=key, unique=spec.is_unique))
        if key != plain:
            entries.append(IndexEntry(field=name, key=plain, unique=False))
    return tuple(entries)
