"""Helpers to follow a recording's dependency graph in assertions."""

from __future__ import annotations

from offline.engine import Recording, ResourceRecord


def dep(recording: Recording, record: ResourceRecord, prop: str) -> ResourceRecord:
    """The single resource that ``record.<prop>`` was computed from."""
    urns = record.property_dependencies.get(prop, ())
    if len(urns) != 1:
        raise AssertionError(f"{record.name}.{prop} depends on {len(urns)} resources: {urns}")
    return recording.by_urn(urns[0])


def deps(recording: Recording, record: ResourceRecord, prop: str) -> list[ResourceRecord]:
    return [recording.by_urn(u) for u in record.property_dependencies.get(prop, ())]


def tag(record: ResourceRecord, key: str) -> str | None:
    return (record.inputs.get("tags") or {}).get(key)
