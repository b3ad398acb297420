"""AWS's own input contracts, read from botocore's service models (the JSON that ships with boto3).

Each service model is loaded at most once per process, and only when a rule first asks for one of
its shapes (EC2's model alone takes ~0.4 s to parse), so a stack without e.g. Cognito never pays for
Cognito. Only the parts the pack uses are kept: the constraints of one member of one shape.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Constraint:
    """The validation traits botocore carries for one API member (all optional)."""

    service: str
    shape: str
    member: str
    type: str
    enum: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    pattern: str | None = None

    @property
    def constrained(self) -> bool:
        return bool(self.enum) or self.min is not None or self.max is not None or self.pattern is not None

    @property
    def where(self) -> str:
        return f"{self.service} {self.shape}.{self.member}"

    def violations(self, value: Any) -> list[str]:
        """What is wrong with ``value`` for this member ('' list when it is valid or not checkable)."""
        out: list[str] = []
        if isinstance(value, bool):
            return out
        if self.type == "string" and isinstance(value, (int, float)):
            value = str(int(value)) if float(value).is_integer() else str(value)
        if isinstance(value, str):
            if self.enum and value not in self.enum:
                allowed = ", ".join(self.enum) if len(self.enum) <= 12 else ", ".join(self.enum[:12]) + ", ..."
                out.append(f"{value!r} is not one of {allowed}")
            if self.type == "string":
                if self.min is not None and len(value) < self.min:
                    out.append(f"{value!r} is {len(value)} characters; at least {int(self.min)}")
                if self.max is not None and len(value) > self.max:
                    out.append(f"{value!r} is {len(value)} characters; at most {int(self.max)}")
                if self.pattern is not None and not _compiled(self.pattern).fullmatch(value):
                    out.append(f"{value!r} does not match {self.pattern}")
        elif isinstance(value, (int, float)) and self.type in ("integer", "long", "double", "float"):
            if self.min is not None and value < self.min:
                out.append(f"{_num(value)} is below the minimum {_num(self.min)}")
            if self.max is not None and value > self.max:
                out.append(f"{_num(value)} is above the maximum {_num(self.max)}")
        elif isinstance(value, list) and self.type == "list":
            if self.min is not None and len(value) < self.min:
                out.append(f"{len(value)} item(s); at least {int(self.min)}")
            if self.max is not None and len(value) > self.max:
                out.append(f"{len(value)} item(s); at most {int(self.max)}")
        return out


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """botocore patterns are Java regexes; Python reads them once a UTF-16 surrogate-pair range
    (Java's way to say "any supplementary character") is spelt as a code-point range.
    Tests compile every mapped pattern."""
    return re.compile(pattern.replace(_SURROGATE_RANGE, "\\U00010000-\\U0010FFFF"))


_SURROGATE_RANGE = "\\uD800\\uDC00-\\uDBFF\\uDFFF"


@functools.cache
def _loader() -> Any:
    """One botocore ``Loader`` for every service: it caches the list of available services (a directory scan
    of every service botocore ships), which a new ``Loader`` per service repeated for each of them."""
    from botocore.loaders import Loader

    return Loader()


@functools.cache
def service_model(service: str) -> dict[str, Any]:
    """The latest ``service-2`` model of ``service`` (loaded once, on first use)."""
    return _loader().load_service_model(service, "service-2")  # type: ignore[no-any-return]


class ModelError(KeyError):
    """A mapping names a shape or member the botocore model does not have."""


@functools.cache
def constraint(service: str, shape: str, member: str) -> Constraint:
    """The constraint of ``shape.member`` (``member`` may be a dotted path through nested shapes).

    A list member's path step ``X[]`` means "an element of list X"; the last step names the member
    whose target shape carries the constraint.
    """
    shapes = service_model(service)["shapes"]
    if shape not in shapes:
        raise ModelError(f"{service}: no shape {shape}")
    cur = shapes[shape]
    target_name = shape
    for step in member.split("."):
        each = step.endswith("[]")
        name = step[:-2] if each else step
        members = cur.get("members", {})
        if name not in members:
            raise ModelError(f"{service}: shape {target_name} has no member {name}")
        target_name = members[name]["shape"]
        cur = shapes[target_name]
        if each:
            if cur.get("type") != "list":
                raise ModelError(f"{service}: {target_name} is not a list")
            target_name = cur["member"]["shape"]
            cur = shapes[target_name]
    return Constraint(
        service=service,
        shape=shape,
        member=member,
        type=cur.get("type", ""),
        enum=tuple(cur.get("enum", ())),
        min=cur.get("min"),
        max=cur.get("max"),
        pattern=cur.get("pattern"),
    )


def member_doc(service: str, shape: str, member: str) -> str:
    """The documentation string of ``shape.member`` (AWS writes prose-only rules there)."""
    return str(service_model(service)["shapes"][shape]["members"][member].get("documentation", ""))
