"""How much of the stacks' constrained input surface the declared mapping covers.

Definition (also in POLICIES.md). Over the recorded inputs of the stacks, each distinct
(resource type, input path) with a known value is one *input* (list indices collapse to ``[]``).
An input *feeds a constrained API member* when

* it is mapped (``MAPPING``: the test proves the member exists and is constrained), or
* its last key, with the first letter upper-cased, names (case-insensitively) a constrained member
  of one of the API shapes the type's mapping already uses (a name match is how an unmapped input
  that plainly feeds such a member is found; inputs of types in ``NO_CONSTRAINED_INPUTS`` are
  excluded, each with its reason).

Coverage = mapped inputs / inputs that feed a constrained member.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .botocore_model import constraint, service_model
from .mapping import MAPPING

_INDEX = re.compile(r"\[\d+\]")


def leaf_paths(value: Any, path: str = "") -> Iterator[str]:
    """Input paths of ``value``'s leaves (lists of scalars count as one leaf and as ``x[]``)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaf_paths(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        yield path
        for v in value:
            yield from leaf_paths(v, path + "[]")
    elif value is not None:
        yield path


@dataclass
class Coverage:
    mapped: set[tuple[str, str]] = field(default_factory=set)
    unmapped: set[tuple[str, str]] = field(default_factory=set)

    @property
    def ratio(self) -> float:
        total = len(self.mapped) + len(self.unmapped)
        return len(self.mapped) / total if total else 1.0

    def summary(self) -> str:
        total = len(self.mapped) + len(self.unmapped)
        return f"{len(self.mapped)} of {total} constrained inputs mapped ({self.ratio:.0%})"


def _constrained_members(type_: str) -> dict[str, str]:
    """lower-case member name -> member, over the shapes the type's mapping uses."""
    out: dict[str, str] = {}
    for m in MAPPING.get(type_, ()):
        shape = service_model(m.service)["shapes"][m.shape]
        for name in shape.get("members", {}):
            try:
                c = constraint(m.service, m.shape, name)
            except KeyError:
                continue
            if c.constrained:
                out[name.lower()] = name
    return out


def compute(resources: Iterable[tuple[str, Mapping[str, Any]]]) -> Coverage:
    """Coverage of ``(type, inputs)`` pairs (e.g. every custom resource of dev and prod)."""
    cov = Coverage()
    seen: set[tuple[str, str]] = set()
    for type_, inputs in resources:
        for p in leaf_paths(dict(inputs)):
            seen.add((type_, _INDEX.sub("[]", p)))
    members_of: dict[str, dict[str, str]] = {}
    for type_, path in sorted(seen):
        if type_ not in MAPPING or path.startswith(("tags", "__")):
            continue
        mapped_paths = {m.path for m in MAPPING[type_]}
        if path in mapped_paths:
            cov.mapped.add((type_, path))
            continue
        members = members_of.setdefault(type_, _constrained_members(type_))
        last = path.rsplit(".", 1)[-1].removesuffix("[]")
        if last.lower() in members:
            cov.unmapped.add((type_, path))
    return cov
