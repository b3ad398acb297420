"""The components as a Pulumi component provider, so TypeScript, Go, C#, Java and YAML programs can use them.

``python -m streaming_platform <engine address>`` (what the Pulumi CLI runs, through ``PulumiPlugin.yaml`` and
``pulumi.run.plugin``) serves every hosted component with the Python SDK's component provider host
(``pulumi.provider.experimental.component_provider_host``), whose analyzer infers the package schema from type
annotations: a component's ``__init__(self, name, args: <Component>Args, opts)`` gives its inputs, and the
component's annotated public attributes give its outputs, with the docstrings written under each field.

The analyzer cannot read the ``*Args`` dataclasses as written, for three reasons, and this module is the
inference-friendly layer between the two (derived from the types, nothing listed by hand):

* the component modules use ``from __future__ import annotations``, so ``inspect.get_annotations`` (which the
  analyzer calls without ``eval_str``) sees strings; the layer resolves them with ``typing.get_type_hints``;
* a dataclass field with a default is optional, but the analyzer calls a field optional only when its type
  admits ``None`` (or it is a ``TypedDict``'s ``NotRequired``); the layer marks every defaulted field
  ``NotRequired``;
* some Python types have no schema form: maps keyed by an enum (``Mapping[Tier, int]``), ``tuple[str, ...]``
  and resource objects handed from one Python component to another. Enum keys travel as their string values
  and tuples as lists, and are decoded back; a resource-typed field with a default (a ``depends_on`` hand-off
  or a ``previous_parent`` alias hook) is Python-only and left out of the schema (other languages set the same
  thing with the component's own ``dependsOn`` / ``aliases`` options); a resource in a union with another type
  (``zone: PublicZone | PublicZoneOutputs``) is the Python form of that type, and the schema offers the other
  (the zone's outputs: the SDK's analyzer references resources only in *another* package's schema, and a Construct
  would get the zone as a reference to its registered outputs, values still to come, where AppTier and
  StreamingEdge need the domain and the delegation at construction); a component with a *required*
  resource-typed field and no such alternative is not hosted, and ``hosting().not_hosted`` says why.

``pulumi.Input[...]`` fields need nothing more once resolved: the analyzer reads them as wired (not ``plain``)
inputs; every other field is ``plain``, since the component computes on it at construction.

The host constructs ``cls(name, inputs, opts)`` with the inputs as a dict, and reads outputs as attributes of the
instance. For each component the layer builds a wrapper class with the same name (module, qualified name and
docstring) whose ``__init__`` is annotated with the analyzer-friendly view of the Args and whose own annotations are
the schema outputs; its ``__new__`` decodes the dict into the real ``*Args`` dataclass and constructs the real
component: the same type token (``streaming:<module>:<Component>``, which ``StreamingProvider`` makes the schema's
token too), child names and children as a Python program gets. The wrapper derives from ``ComponentResource`` only,
not from the component, because the analyzer reads the annotations of every class in the MRO: it would see the
component's own (unresolved) annotations of the Python-only outputs (``DataTier.keys``, a sub-component) and fail on
them. Outputs with no schema form are Python-only (``hosting()`` lists them with the reason); a provider's
``TypedDict`` (an ``*ArgsDict``) is mapped like a dataclass. After construction, dataclass- and ``TypedDict``-valued
outputs (``cidr_plan``) are turned into dicts of their declared fields and enum values into their values, as the
host's state mapping expects; this touches only the provider process's instance.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import types
import typing
from collections import abc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NotRequired

import pulumi
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case
from pulumi.provider.provider import ConstructResult

PACKAGE = "streaming"
"""The provider's package name: resource tokens are the registered types, ``streaming:<module>:<Component>``."""

Decode = Callable[[Any], Any]
# ``pulumi.Input[T]`` holds the forward reference "Output[T]"; resolving a field's type needs the SDK's names.
SDK_NAMES = {"Output": pulumi.Output, "Input": pulumi.Input, "T": typing.TypeVar("T")}


def _identity(value: Any) -> Any:
    return value


def _generic(alias: Any, argument: Any) -> Any:
    """``alias[argument]`` for a type built at run time."""
    return alias[argument]


def _to_int(value: Any) -> Any:
    """An integer as it crossed the wire (a protobuf number, a float). The host means to convert integers
    (``ComponentProvider.map_input_properties``) but then stores the raw value over the converted one, and never
    converts one inside a list, a map or an object; so ``ServiceSize(cpu=256)`` would reach the component as 256.0
    and a task definition as ``"256.0"``."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _to_enum(enum: type[Enum]) -> Decode:
    return lambda v: v if isinstance(v, enum) else enum(v)


def _unless_output(decode: Decode) -> Decode:
    return lambda v: v if isinstance(v, pulumi.Output) else decode(v)


def _unless_none(decode: Decode) -> Decode:
    return lambda v: None if v is None else decode(v)


def _each(decode: Decode, build: Callable[[Any], Any]) -> Decode:
    return lambda v: build(decode(x) for x in v)


def _values(decode: Decode, key: type[Enum] | None) -> Decode:
    return lambda v: {(key(k) if key else k): decode(x) for k, x in v.items()}


class NotExpressible(TypeError):
    """A Python type with no Pulumi schema form."""


@dataclass(frozen=True)
class Wire:
    """A Python type as the schema sees it, and how a value that arrived over the wire becomes the Python one."""

    type: Any
    decode: Decode = _identity


@dataclass
class HostedComponent:
    """One component as the provider hosts it."""

    component: type[pulumi.ComponentResource]
    args: type
    wrapper: type[pulumi.ComponentResource]
    python_only_inputs: dict[str, str] = field(default_factory=dict)
    """Args fields left out of the schema, with the reason."""
    python_only_outputs: dict[str, str] = field(default_factory=dict)
    """Output attributes left out of the schema, with the reason."""


def _is_input(tp: Any) -> Any:
    """The ``T`` of ``pulumi.Input[T]`` (a union of T, Awaitable[T] and Output[T]), or None."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    for arg in typing.get_args(tp):
        if typing.get_origin(arg) is abc.Awaitable:
            return typing.get_args(arg)[0]
    return None


def _is_resource(tp: Any) -> bool:
    return inspect.isclass(tp) and issubclass(tp, pulumi.Resource)


def _is_foreign_resource(tp: Any) -> bool:
    """A resource the analyzer can reference in another package's schema (it names its own type token)."""
    return _is_resource(tp) and isinstance(getattr(tp, "pulumi_type", None), str)


class Layer:
    """Builds the analyzer-friendly view of the components, caching one shadow class per dataclass."""

    def __init__(self) -> None:
        self._shadows: dict[type, tuple[type, Decode]] = {}

    def wire(self, tp: Any, where: str, *, output: bool = False) -> Wire:
        """The schema view of ``tp`` (the type of ``where``, for error messages)."""
        if tp is int:
            return Wire(int, _to_int)
        if tp in (str, float, bool, Any):
            return Wire(tp)
        if output and _is_foreign_resource(tp):
            return Wire(tp)
        if _is_resource(tp):
            raise NotExpressible(
                f"{where}: {tp.__name__} is a resource object handed from one Python component to another"
            )
        if inspect.isclass(tp) and issubclass(tp, Enum):
            if output:  # the host maps a nested enum output as an object (to {}): send the member's value
                return Wire(type(next(iter(tp)).value))
            return Wire(tp, _to_enum(tp))
        inner = _is_input(tp)
        if inner is not None:
            w = self.wire(inner, where, output=output)
            return Wire(_generic(pulumi.Input, w.type), _unless_output(w.decode))
        origin, targs = typing.get_origin(tp), typing.get_args(tp)
        if origin is pulumi.Output:
            return Wire(_generic(pulumi.Output, self.wire(targs[0], where, output=output).type))
        if origin in (typing.Union, types.UnionType):
            # A resource object in a union with another type is the Python form of that type (``PublicZone |
            # PublicZoneOutputs``): the schema offers the other one.
            members = [a for a in targs if a is not type(None)]
            plain = [a for a in members if not _is_resource(a)]
            if plain and len(plain) < len(members):
                members = plain
            if len(members) == 1:
                w = self.wire(members[0], where, output=output)
                if type(None) not in targs:
                    return w
                return Wire(_generic(typing.Optional, w.type), _unless_none(w.decode))
            raise NotExpressible(f"{where}: the union {tp} has no schema form")
        if origin in (list, tuple, abc.Sequence) and targs:
            if origin is tuple and not (len(targs) == 2 and targs[1] is Ellipsis):
                raise NotExpressible(f"{where}: fixed-length tuple {tp} has no schema form")
            w = self.wire(targs[0], where, output=output)
            build = tuple if origin is tuple else list
            return Wire(types.GenericAlias(list, (w.type,)), _unless_output(_each(w.decode, build)))
        if origin in (dict, abc.Mapping) and len(targs) == 2:
            key, value = targs
            w = self.wire(value, where, output=output)
            if key is str:
                return Wire(types.GenericAlias(dict, (str, w.type)), _values(w.decode, None))
            if inspect.isclass(key) and issubclass(key, Enum) and all(isinstance(m.value, str) for m in key):
                return Wire(types.GenericAlias(dict, (str, w.type)), _values(w.decode, key))
            raise NotExpressible(f"{where}: map keys of {tp} must be strings or string enums")
        if (dataclasses.is_dataclass(tp) and isinstance(tp, type)) or typing.is_typeddict(tp):
            shadow, decode = self.shadow(tp, output=output)
            return Wire(shadow, decode)
        raise NotExpressible(f"{where}: {tp} has no schema form")

    def shadow(self, cls: type, *, output: bool = False) -> tuple[type, Decode]:
        """A class the analyzer reads as ``cls`` (a dataclass, or a ``TypedDict`` such as a provider's ``*ArgsDict``):
        same name, module and qualified name (so it finds the field docstrings in ``cls``'s source), resolved
        annotations, defaulted (``NotRequired``) fields ``NotRequired``."""
        if cls in self._shadows:
            return self._shadows[cls]
        hints = typing.get_type_hints(cls, localns=SDK_NAMES)
        annotations: dict[str, Any] = {}
        decoders: dict[str, Decode] = {}
        shadow = type(cls.__name__, (), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
        # A dataclass without a docstring gets its signature as one; that is not documentation.
        auto_doc = (cls.__doc__ or "").startswith(f"{cls.__name__}(")
        shadow.__doc__ = None if auto_doc else cls.__doc__
        self._shadows[cls] = (shadow, lambda v: v)  # a placeholder while the fields are analysed (recursion)
        python_only: dict[str, str] = {}
        for name, has_default in _fields(cls):
            where = f"{cls.__name__}.{name}"
            try:
                w = self.wire(hints[name], where, output=output)
            except NotExpressible as exc:
                if not has_default:
                    raise
                python_only[name] = str(exc)
                continue
            annotations[name] = _generic(NotRequired, w.type) if has_default else w.type
            decoders[name] = w.decode
        shadow.__annotations__ = annotations
        shadow.python_only = python_only  # type: ignore[attr-defined]
        build: Callable[..., Any] = dict if typing.is_typeddict(cls) else cls

        def decode(value: Any, cls: type = cls) -> Any:
            if isinstance(value, pulumi.Output) or (build is cls and isinstance(value, cls)):
                return value
            return build(**{k: decoders[k](v) for k, v in value.items() if k in decoders})

        self._shadows[cls] = (shadow, decode)
        return shadow, decode

    def host(self, component: type[pulumi.ComponentResource]) -> HostedComponent:
        """The wrapper the provider constructs for ``component``; raises NotExpressible if it cannot be hosted."""
        args_type = typing.get_type_hints(component.__init__, localns=SDK_NAMES).get("args")
        if not (dataclasses.is_dataclass(args_type) and isinstance(args_type, type)):
            raise NotExpressible(f"{component.__name__}.__init__: args is not a *Args dataclass")
        args_shadow, decode = self.shadow(args_type)
        outputs: dict[str, Any] = {}
        declared: dict[str, Any] = {}
        python_only_outputs: dict[str, str] = {}
        for name, tp in _own_annotations(component).items():
            if name.startswith("_"):
                continue
            try:
                outputs[name] = self.wire(tp, f"{component.__name__}.{name}", output=True).type
                declared[name] = tp
            except NotExpressible as exc:
                python_only_outputs[name] = str(exc)

        def __new__(cls: Any, name: str, args: Any, opts: pulumi.ResourceOptions | None = None) -> Any:
            instance = typing.cast(Any, component)(name, decode(args), opts)
            for attr in outputs:
                setattr(instance, attr, _encode(getattr(instance, attr, None), declared[attr]))
            return instance  # not an instance of the wrapper, so Python does not call the wrapper's __init__

        def __init__(self: Any, name: str, args: Any, opts: pulumi.ResourceOptions | None = None) -> None:
            raise AssertionError("never called: __new__ returns the component itself")  # pragma: no cover

        __init__.__annotations__ = {"name": str, "args": args_shadow, "opts": pulumi.ResourceOptions | None}
        # The analyzer reads the outputs from the annotations of every class in the wrapper's MRO. Subclassing the
        # component would show it the component's own (string) annotations of python-only outputs, which it cannot
        # analyze (issubclass() on a string); so the wrapper derives from ComponentResource only, carries the
        # analyzer-friendly annotations, and builds the real component in __new__.
        wrapper = type(
            component.__name__,
            (pulumi.ComponentResource,),
            {
                "__new__": __new__,
                "__init__": __init__,
                "__module__": component.__module__,
                "__qualname__": component.__qualname__,
                "__doc__": component.__doc__,
                "__annotations__": outputs,
            },
        )
        return HostedComponent(
            component=component,
            args=args_type,
            wrapper=wrapper,
            python_only_inputs=dict(args_shadow.python_only),  # type: ignore[attr-defined]
            python_only_outputs=python_only_outputs,
        )


def _fields(cls: type) -> list[tuple[str, bool]]:
    """The fields of a dataclass or ``TypedDict``, each with whether it may be left out."""
    if typing.is_typeddict(cls):
        optional: frozenset[str] = getattr(cls, "__optional_keys__", frozenset())
        return [(name, name in optional) for name in typing.get_type_hints(cls, localns=SDK_NAMES)]
    return [
        (f.name, f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING)
        for f in dataclasses.fields(cls)
    ]


def _own_annotations(component: type) -> dict[str, Any]:
    """The resolved annotations of ``component`` and its bases, up to (not including) the SDK's resource classes."""
    found: dict[str, Any] = {}
    for cls in reversed(component.__mro__):
        if cls is object or cls.__module__.split(".")[0] == "pulumi":
            continue
        found.update(inspect.get_annotations(cls, eval_str=True))
    return found


def _bare(tp: Any) -> Any:
    """``tp`` without ``Optional[...]`` and ``pulumi.Input[...]`` around it."""
    while True:
        inner = _is_input(tp)
        if inner is None and typing.get_origin(tp) in (typing.Union, types.UnionType):
            rest = [a for a in typing.get_args(tp) if a is not type(None)]
            inner = rest[0] if len(rest) == 1 else None
        if inner is None:
            return tp
        tp = inner


def _encode(value: Any, tp: Any = Any, *, camel: bool = False) -> Any:
    """An output value (declared as ``tp``) as the host's state mapping reads it. The host renames the fields of a
    dataclass or ``TypedDict`` it reaches through ``$ref`` (snake_case in, schema names out) but passes list and map
    elements through as they are, so one inside a list or map is sent with its schema (camelCase) names already. A
    ``TypedDict`` value is a plain dict: the declared type tells it from a map, whose keys are never renamed."""
    tp = _bare(tp)
    origin, targs = typing.get_origin(tp), typing.get_args(tp)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        hints = typing.get_type_hints(type(value), localns=SDK_NAMES)
        return {
            (camel_case(f.name) if camel else f.name): _encode(getattr(value, f.name), hints[f.name], camel=camel)
            for f in dataclasses.fields(value)
        }
    if isinstance(value, dict) and typing.is_typeddict(tp):
        hints = typing.get_type_hints(tp, localns=SDK_NAMES)
        return {(camel_case(k) if camel else k): _encode(v, hints.get(k, Any), camel=camel) for k, v in value.items()}
    if isinstance(value, tuple | list):
        item = targs[0] if origin in (list, tuple, abc.Sequence) and targs else Any
        return [_encode(v, item, camel=True) for v in value]
    if isinstance(value, dict):
        item = targs[1] if origin in (dict, abc.Mapping) and len(targs) == 2 else Any
        return {k: _encode(v, item, camel=True) for k, v in value.items()}
    if isinstance(value, Enum):
        return value.value
    return value


def exported_components() -> list[type[pulumi.ComponentResource]]:
    """Every component ``streaming_platform`` exports, in its ``__all__`` order."""
    package = importlib.import_module("streaming_platform")
    found = []
    for name in package.__all__:
        value = getattr(package, name)
        if inspect.isclass(value) and issubclass(value, pulumi.ComponentResource):
            found.append(value)
    return found


@dataclass
class Hosting:
    hosted: list[HostedComponent]
    not_hosted: dict[str, str]
    """Exported components the provider cannot host, with the reason."""


def hosting() -> Hosting:
    """Which exported components the provider hosts (wrapped) and which it cannot, and why."""
    layer = Layer()
    hosted, not_hosted = [], {}
    for component in exported_components():
        try:
            hosted.append(layer.host(component))
        except NotExpressible as exc:
            not_hosted[component.__name__] = str(exc)
    return Hosting(hosted, not_hosted)


def type_token(component: type[pulumi.ComponentResource]) -> str:
    """The type ``component`` registers, ``streaming:<subpackage>:<Component>`` (``streaming:network:MultiAzNetwork``
    for ``streaming_platform.network.multi_az.MultiAzNetwork``): the package's convention for its public type
    tokens, which tests/test_provider.py checks against what each component registers."""
    return f"{PACKAGE}:{component.__module__.split('.')[1]}:{component.__name__}"


class StreamingProvider(ComponentProvider):
    """The SDK's component provider, with each component's schema token its registered type.

    The SDK's host names every resource ``<package>:index:<Component>`` (``schema.generate_schema``) and its
    ``construct`` accepts only the ``index`` module (``validate_resource_type``), while it constructs the class,
    which registers its own type: a program in another language would hold a ``streaming:index:MultiAzNetwork``
    resource whose URN says ``streaming:network:MultiAzNetwork``, and a policy, an alias or a ``get`` keyed on one
    misses the other. So the schema's resources are renamed to the registered types, and ``construct`` maps a
    registered type back to the host's name; the old ``index`` tokens are refused, one type per component. The
    schema's *types* (Args objects, enums) stay in ``index``: nothing registers them."""

    def __init__(self, hosted: Sequence[HostedComponent], version: str) -> None:
        super().__init__([h.wrapper for h in hosted], PACKAGE, version=version)
        self.index_names = {type_token(h.component): f"{PACKAGE}:index:{h.component.__name__}" for h in hosted}
        """Registered type -> the name the SDK's host gave the component."""
        spec = json.loads(self.schema or "{}")
        resources = spec["resources"]
        if sorted(resources) != sorted(self.index_names.values()):  # pragma: no cover - the SDK changed its naming
            raise AssertionError(f"schema resources {sorted(resources)}; expected {sorted(self.index_names.values())}")
        spec["resources"] = {token: resources[index] for token, index in self.index_names.items()}
        self.schema = json.dumps(spec)
        if f'"#/resources/{PACKAGE}:index:' in self.schema:  # pragma: no cover - no input references a component
            raise AssertionError("the schema references a component by the SDK's index name")

    def construct(
        self, name: str, resource_type: str, inputs: pulumi.Inputs, options: pulumi.ResourceOptions | None = None
    ) -> ConstructResult:
        index = self.index_names.get(resource_type)
        if index is None:
            raise ValueError(
                f"Construct: got resource type {resource_type!r}; allowed: one of {sorted(self.index_names)} "
                "(the type the component registers)"
            )
        return super().construct(name, index, inputs, options)


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("streaming-platform")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree that was never installed
        return "0.0.0"


def provider() -> StreamingProvider:
    return StreamingProvider(hosting().hosted, version())


def schema() -> dict[str, Any]:
    """The package schema the provider's ``GetSchema`` returns, computed in-process (for the docs)."""
    return typing.cast(dict[str, Any], json.loads(provider().schema or "{}"))


def main() -> None:
    """Serve the hosted components (``python -m streaming_platform <engine address>``), as the SDK's
    ``component_provider_host`` does, with the registered types as tokens."""
    import sys

    from pulumi.provider import main as serve

    serve(provider(), sys.argv[1:])
