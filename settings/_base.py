"""What every tier module shares: the key declaration, the reader that collects problems, ConfigError.

A tier's settings model is a pydantic v2 model. Each field *is* the config key's declaration: the alias is the
camelCase key, the annotation its type, ``Field`` its default, range (``ge``/``le``) and description; the
key's Pulumi type (string, integer, boolean, array) follows from the annotation. ``Reader`` validates every
field on its own (so one bad key never hides another) and maps pydantic's errors, with their locations, to
``streaming:key: got X; allowed: Y``.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import json
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

import annotated_types
import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError, PydanticUndefined

PROJECT = "streaming"
REQUIRED: Any = PydanticUndefined


class ConfigError(pulumi.RunError):
    """Invalid stack configuration; ``problems`` holds one line per problem. The CLI prints it without a trace."""

    def __init__(self, stack: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"invalid configuration for stack {stack!r} ({len(self.problems)} problem"
            f"{'s' if len(self.problems) != 1 else ''}); nothing was registered:\n{lines}"
        )


class TierModel(BaseModel):
    """Base of the tier settings models: frozen, fields addressed by their config key (alias) or name."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid", use_enum_values=False)


def key(
    default: Any = REQUIRED,
    *,
    alias: str,
    description: str,
    secret: bool = False,
    **constraints: Any,
) -> Any:
    """Declare one config key as a model field (``constraints`` are Field's: ge, le, min_length, ...)."""
    extra: dict[str, Any] = {"secret": True} if secret else {}
    return Field(default, alias=alias, description=description, json_schema_extra=extra or None, **constraints)


def arg_default(args_class: type, name: str) -> Any:
    """The default of a component ``*Args`` dataclass field: the component owns it, the settings read it."""
    for f in dataclasses.fields(args_class):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:
                return f.default_factory()
            raise ValueError(f"{args_class.__name__}.{name} has no default")
    raise ValueError(f"{args_class.__name__} has no field {name}")


def rule(check: Callable[[Any], bool], allowed: str | Callable[[Any], str]) -> AfterValidator:
    """A validator that rejects a value for which ``check`` is false, with ``allowed`` as the message."""

    def run(value: Any) -> Any:
        if not check(value):
            text = allowed(value) if callable(allowed) else allowed
            raise PydanticCustomError("config", "{allowed}", {"allowed": text})
        return value

    return AfterValidator(run)


def each(check: Callable[[Any], bool], allowed: str | Callable[[Any], str]) -> AfterValidator:
    """For array keys: every item must pass ``check``; the first failing item is the value reported."""

    def run(values: Any) -> Any:
        for item in values:
            if not check(item):
                text = allowed(item) if callable(allowed) else allowed
                raise PydanticCustomError("config_item", "{allowed}", {"allowed": text, "item": item})
        return values

    return AfterValidator(run)


def distinct(values: Sequence[Any]) -> bool:
    return len(set(values)) == len(values)


@dataclass(frozen=True)
class ConfigKey:
    """One project config key, as declared in Pulumi.yaml (derived from a settings model's field)."""

    name: str
    type: str  # string | integer | boolean | array (the CLI's config types)
    description: str
    default: Any = REQUIRED
    items: str | None = None
    secret: bool = False
    field: str = ""
    model: builtins.type[TierModel] | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def full_name(self) -> str:
        return f"{PROJECT}:{self.name}"


def _base_type(annotation: Any) -> Any:
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def pulumi_type(annotation: Any) -> tuple[str, str | None]:
    base = _base_type(annotation)
    if base is bool:
        return "boolean", None
    if base is int:
        return "integer", None
    origin = typing.get_origin(base)
    if origin in (tuple, list):
        return "array", "string"
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"config keys are not optional types: {annotation}")
    return "string", None


def _plain_default(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain_default(v) for v in value]
    return value


def declared_keys(models: Iterable[type[TierModel]]) -> tuple[ConfigKey, ...]:
    keys = []
    for model in models:
        for name, info in model.model_fields.items():
            if info.alias is None:
                continue  # derived, not a config key
            type_, items = pulumi_type(info.annotation)
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            default = REQUIRED if info.is_required() else _plain_default(info.get_default(call_default_factory=True))
            keys.append(
                ConfigKey(
                    name=info.alias,
                    type=type_,
                    description=info.description or "",
                    default=default,
                    items=items,
                    secret=bool(extra.get("secret")),
                    field=name,
                    model=model,
                )
            )
    return tuple(keys)


# --- messages -------------------------------------------------------------------------------------------

_SECRET_LOOKING = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----|\bAKIA[0-9A-Z]{16}\b|(?i:password|secret)\s*[=:]")


def shown(value: Any, *, secret: bool = False) -> str:
    """repr of a value for an error line; secret keys and secret-looking values are redacted."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, tuple):
        value = list(value)
    text = repr(value)
    if secret and value not in (None, ""):
        return f"<secret, {len(str(value))} characters>"
    if _SECRET_LOOKING.search(text):
        return f"<redacted: looks like a secret, {len(str(value))} characters>"
    return text


def _range_text(info: FieldInfo, noun: str = "an integer") -> str:
    lo = hi = None
    for m in info.metadata:
        if isinstance(m, annotated_types.Ge):
            lo = m.ge
        elif isinstance(m, annotated_types.Gt):
            lo = m.gt + 1  # type: ignore[operator]
        elif isinstance(m, annotated_types.Le):
            hi = m.le
        elif isinstance(m, annotated_types.Lt):
            hi = m.lt - 1  # type: ignore[operator]
    if lo is not None and hi is not None:
        return f"{noun} from {lo} to {hi}"
    if lo is not None:
        return f"{noun} of {lo} or more"
    if hi is not None:
        return f"{noun} of at most {hi}"
    return noun


def allowed_text(info: FieldInfo, error: Mapping[str, Any]) -> str:
    """What a key allows, for one pydantic error on it."""
    ctx = error.get("ctx") or {}
    if "allowed" in ctx:
        return str(ctx["allowed"])
    base = _base_type(info.annotation)
    if base is int:
        return _range_text(info)
    if base is bool:
        return "true or false"
    if isinstance(base, type) and issubclass(base, Enum):
        return " | ".join(str(m.value) for m in base)
    if typing.get_origin(base) in (tuple, list):
        return "a list of strings (JSON array)"
    return str(error.get("msg", "a valid value"))


# --- reading --------------------------------------------------------------------------------------------


class Reader:
    """Validate raw config strings key by key, collecting every problem instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, str], keys: Iterable[ConfigKey]) -> None:
        self.raw = raw
        self.keys = {k.name: k for k in keys}
        self.problems: list[str] = []
        self.bad: set[str] = set()
        self._values: dict[str, Any] = {}
        self._read: set[str] = set()

    def problem(self, name: str, got: Any, allowed: str) -> None:
        known = self.keys.get(name)
        full = known.full_name if known else name
        secret = bool(known and known.secret)
        line = f"{full}: got {shown(got, secret=secret)}; allowed: {allowed}"
        if line not in self.problems:  # one problem, one line
            self.problems.append(line)
        self.bad.add(name)

    def ok(self, *names: str) -> bool:
        """Every one of these keys read and valid (so a check that depends on them may run)."""
        return not any(n in self.bad or self.value(n) is None for n in names)

    def value(self, name: str) -> Any:
        """The validated value of a key (its default when unset), or None when it is invalid."""
        if name in self._read:
            return self._values.get(name)
        self._read.add(name)
        key = self.keys[name]
        assert key.model is not None
        info = key.model.model_fields[key.field]
        text = self.raw.get(key.full_name)
        if text is None:
            if key.required:
                self.problem(name, None, f"a {key.type} (required: {key.description})")
                return None
            value = info.get_default(call_default_factory=True)
            self._values[name] = value
            return value
        parsed = self._parse(key, info, text)
        if parsed is _BAD:
            return None
        adapter = _adapter(key.model, key.field)
        try:
            value = adapter.validate_python(parsed)
        except ValidationError as e:
            for error in e.errors():
                got = (error.get("ctx") or {}).get("item", list(parsed) if isinstance(parsed, tuple) else parsed)
                self.problem(name, got, allowed_text(info, error))
            return None
        self._values[name] = value
        return value

    def _parse(self, key: ConfigKey, info: FieldInfo, text: str) -> Any:
        if key.type == "integer":
            if re.fullmatch(r"[+-]?\d+", text.strip()):
                return int(text)
            self.problem(key.name, text, _range_text(info))
            return _BAD
        if key.type == "boolean":
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            self.problem(key.name, text, "true or false")
            return _BAD
        if key.type == "array":
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if not isinstance(parsed, list) or not all(isinstance(i, str) for i in parsed):
                self.problem(key.name, text, "a list of strings (JSON array)")
                return _BAD
            return tuple(parsed)
        return text

    def check(self, name: str, value: Any, ok: Callable[[Any], bool], allowed: str) -> None:
        if value is not None and name not in self.bad and not ok(value):
            self.problem(name, value, allowed)

    def values_of(self, model: type[TierModel]) -> dict[str, Any]:
        """Every key of ``model`` by field name (read now if not yet); None for invalid ones."""
        return {k.field: self.value(k.name) for k in self.keys.values() if k.model is model}


_BAD = object()


@functools.cache
def _adapter(model: type[TierModel], name: str) -> TypeAdapter[Any]:
    """Validates one field alone: its type with its constraints and validators (pydantic keeps them in metadata)."""
    info = model.model_fields[name]
    form: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
    return TypeAdapter(form)
