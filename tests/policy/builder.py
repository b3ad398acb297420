"""Build ``ResourceRecord`` fixtures the way the engine would record them.

``b.ref(res, "arn")`` stands for an output of ``res``: it becomes the engine's unknown sentinel in
preview mode (a brand-new stack) and a deterministic value in update mode, and it records the
property dependency on ``res`` under the top-level input key it appears in — exactly what the
SDK sends for ``Output`` inputs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from offline.engine import UNKNOWN, ResourceRecord

PROJECT = "streaming"


@dataclass
class Res:
    type: str
    name: str
    inputs: dict[str, Any]
    parent: Res | None = None
    protect: bool = False
    custom: bool = True
    provider: Res | None = None
    qualified_type: str = ""
    urn: str = ""


@dataclass(frozen=True)
class Ref:
    res: Res
    attr: str = "id"


@dataclass(frozen=True)
class Computed:
    """A value computed from outputs (e.g. ``Output.json_dumps``): unknown in preview, ``fn(*values)`` on update."""

    fn: Callable[..., Any]
    refs: tuple[Ref, ...]


@dataclass
class StackBuilder:
    stack: str = "dev"
    preview: bool = True
    project: str = PROJECT
    region: str = "us-west-2"
    resources: dict[str, Res] = field(default_factory=dict)

    def add(
        self,
        type_: str,
        name: str,
        /,
        *,
        parent: Res | None = None,
        protect: bool = False,
        custom: bool = True,
        provider: Res | None = None,
        **inputs: Any,
    ) -> Res:
        if name in self.resources:
            raise ValueError(f"duplicate fixture name {name}")
        qualified = f"{parent.qualified_type}${type_}" if parent is not None else type_
        res = Res(type_, name, dict(inputs), parent, protect, custom, provider, qualified)
        res.urn = f"urn:pulumi:{self.stack}::{self.project}::{qualified}::{name}"
        self.resources[name] = res
        return res

    def ref(self, res: Res, attr: str = "id") -> Ref:
        return Ref(res, attr)

    def computed(self, fn: Callable[..., Any], *refs: Ref) -> Computed:
        return Computed(fn, refs)

    def __getitem__(self, name: str) -> Res:
        return self.resources[name]

    def set(self, name: str, **inputs: Any) -> StackBuilder:
        """Replace top-level inputs of ``name`` (``None`` removes the input)."""
        res = self.resources[name]
        for k, v in inputs.items():
            if v is None:
                res.inputs.pop(k, None)
            else:
                res.inputs[k] = v
        return self

    def patch(self, name: str, fn: Callable[[dict[str, Any]], None]) -> StackBuilder:
        fn(self.resources[name].inputs)
        return self

    def remove(self, *names: str) -> StackBuilder:
        for n in names:
            del self.resources[n]
        return self

    def protect(self, name: str, value: bool) -> StackBuilder:
        self.resources[name].protect = value
        return self

    def config(self) -> dict[str, str]:
        return {"aws:region": self.region}

    # --- resolution -------------------------------------------------------------------------

    def _value(self, ref: Ref) -> Any:
        if self.preview:
            return UNKNOWN
        n = ref.res.name
        if ref.attr == "arn":
            service = ref.res.type.split(":")[1].split("/")[0]
            if service == "s3":  # bucket ARNs carry neither region nor account (the IAM reference checks the shape)
                return f"arn:aws:s3:::{n}"
            return f"arn:aws:{service}:{self.region}:123456789012:{n}"
        return f"{n}-{ref.attr}"

    def _resolve(self, value: Any, deps: list[str]) -> Any:
        if isinstance(value, Ref):
            if value.res.name not in self.resources:
                raise KeyError(f"reference to removed resource {value.res.name}")
            deps.append(value.res.urn)
            return self._value(value)
        if isinstance(value, Computed):
            vals = [self._resolve(r, deps) for r in value.refs]
            return UNKNOWN if self.preview else value.fn(*vals)
        if isinstance(value, dict):
            return {k: self._resolve(v, deps) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._resolve(v, deps) for v in value]
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)  # protobuf Struct numbers come back as floats
        return value

    def records(self) -> list[ResourceRecord]:
        out = []
        for res in self.resources.values():
            prop_deps: dict[str, tuple[str, ...]] = {}
            inputs = {}
            for k, v in res.inputs.items():
                deps: list[str] = []
                inputs[k] = self._resolve(v, deps)
                if deps:
                    prop_deps[k] = tuple(dict.fromkeys(deps))
            all_deps = tuple(dict.fromkeys(u for us in prop_deps.values() for u in us))
            provider = None
            if res.provider is not None:
                provider = f"{res.provider.urn}::{UNKNOWN if self.preview else res.provider.name + '-id'}"
            out.append(
                ResourceRecord(
                    type=res.type,
                    name=res.name,
                    urn=res.urn,
                    parent=res.parent.urn if res.parent is not None else None,
                    custom=res.custom,
                    provider=provider,
                    dependencies=all_deps,
                    property_dependencies=prop_deps,
                    protect=res.protect,
                    retain_on_delete=res.protect,
                    ignore_changes=(),
                    inputs=json.loads(json.dumps(inputs)),
                    id=None if self.preview else f"{res.name}-id",
                )
            )
        return out
