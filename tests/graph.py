"""Helpers to follow a recording's dependency graph in assertions."""

from __future__ import annotations

from dataclasses import replace

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


def only_component(recording: Recording, type_: str) -> Recording:
    """A copy of ``recording`` holding only the one component of ``type_`` and its descendants."""
    (component,) = recording.of_type(type_)
    kept = [component]
    for r in recording.resources:
        if r.parent in {k.urn for k in kept} and r is not component:
            kept.append(r)
    return replace(recording, resources=kept)
