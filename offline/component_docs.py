"""Generate docs/components.md: every component's inputs and outputs, from its ``*Args`` type and its annotated outputs.

python -m offline.component_docs           rewrite it
python -m offline.component_docs --check   exit 1 if it is stale (the tests run this)

Nothing is listed by hand: the components are the ones ``streaming_platform`` exports, the inputs are the fields
of each ``<Component>Args`` dataclass (nested option dataclasses get their own table), the outputs are the
component's annotated public attributes (what it registers with ``register_outputs``, under the camelCase name),
and descriptions are the docstrings written under each field. The provider column says how a program in another
language reaches the field through the component provider (``streaming_platform.provider``): its schema name, or
why it is Python-only.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import sys
import typing
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.util import camel_case

from offline.engine import PROJECT_DIR

OUTPUT = Path("docs") / "components.md"

_docstrings = Analyzer("docs")


def _doc(cls: type, name: str) -> str:
    text = _docstrings.get_docstring(cls, name) or ""
    return " ".join(text.split()).replace("|", "\\|")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _default(f: dataclasses.Field[Any]) -> str:
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:
        return "*required*"
    if isinstance(value, Enum):
        return f"`{type(value).__name__}.{value.name}`"
    if dataclasses.is_dataclass(value):
        fields = ", ".join(f"{g.name}={getattr(value, g.name)!r}" for g in dataclasses.fields(value))
        return f"`{type(value).__name__}({fields})`" if len(fields) <= 80 else f"`{type(value).__name__}()` defaults"
    if isinstance(value, dict):
        value = {k.value if isinstance(k, Enum) else k: v for k, v in value.items()}
    return f"`{value!r}`"


def _nested_dataclasses(tp: Any) -> Iterator[type]:
    """Dataclasses an Args field's type is built from (option groups, routes...), outermost first."""
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        yield tp
        return
    for arg in typing.get_args(tp):
        yield from _nested_dataclasses(arg)


def _provider_name(name: str, python_only: dict[str, str] | None) -> str:
    if python_only is None:
        return "—"
    return "Python only" if name in python_only else f"`{camel_case(name)}`"


def _inputs_table(cls: type, python_only: dict[str, str] | None) -> list[str]:
    """``python_only`` is None when the provider does not serve the component at all."""
    written = inspect.get_annotations(cls)  # the annotations as written (the modules postpone evaluation)
    rows = ["| input | type | default | description | provider |", "|---|---|---|---|---|"]
    for f in dataclasses.fields(cls):
        rows.append(
            f"| `{f.name}` | `{_cell(str(written[f.name]))}` | {_default(f)} | {_doc(cls, f.name)} "
            f"| {_provider_name(f.name, python_only)} |"
        )
    return rows


def render() -> str:
    from streaming_platform.provider import PACKAGE, SDK_NAMES, Layer, NotExpressible, exported_components, type_token

    layer = Layer()
    lines = [
        "<!-- Generated from the components' *Args types and outputs by `make docs`; edit the docstrings there. -->",
        "# Components: inputs and outputs",
        "",
        "Every component `streaming_platform` exports, with its `<Component>Args` fields (input, type as written,",
        "default, what it does) and its outputs (its typed attributes, registered under their camelCase names;",
        "`tests/test_component_outputs.py` lists where the two differ). From Python, pass the inputs as the Args",
        "dataclass and read the outputs as attributes; from another language, use the provider names (the last",
        f"column) on the `{PACKAGE}:<module>:<Component>` resource of the component provider (the type the component",
        "registers; see the README's *Using the components from TypeScript, Go, C#, Java or YAML*).",
        "",
    ]
    components = exported_components()
    lines += [", ".join(f"[`{c.__name__}`](#{c.__name__.lower()})" for c in components), ""]
    for component in components:
        args = typing.get_type_hints(component.__init__, localns=SDK_NAMES).get("args")
        lines += [f"## {component.__name__}", "", f"`from {component.__module__} import {component.__name__}`", ""]
        doc = inspect.getdoc(component) or ""
        lines += [doc.split("\n\n")[0].replace("\n", " "), ""]
        try:
            hosted = layer.host(component)
            python_only: dict[str, str] | None = hosted.python_only_inputs
            python_only_outputs: dict[str, str] | None = hosted.python_only_outputs
            lines += [f"Provider resource: `{type_token(component)}`.", ""]
        except NotExpressible as exc:
            python_only = python_only_outputs = None
            lines += [f"Python only, not served by the component provider: {exc}.", ""]
        assert args is not None and dataclasses.is_dataclass(args) and isinstance(args, type)
        lines += [f"### Inputs (`{args.__name__}`)", ""]
        lines += _inputs_table(args, python_only)
        lines.append("")
        seen: set[type] = {args}
        hints = typing.get_type_hints(args, localns=SDK_NAMES)
        queue = [t for f in dataclasses.fields(args) for t in _nested_dataclasses(hints[f.name])]
        while queue:
            nested = queue.pop(0)
            if nested in seen:
                continue
            seen.add(nested)
            lines += [f"#### `{nested.__name__}`", ""]
            if nested.__doc__ and not nested.__doc__.startswith(f"{nested.__name__}("):
                lines += [" ".join(nested.__doc__.split()), ""]
            lines += _inputs_table(nested, None if python_only is None else {})
            lines.append("")
            hints = typing.get_type_hints(nested, localns=SDK_NAMES)
            queue += [t for f in dataclasses.fields(nested) for t in _nested_dataclasses(hints[f.name])]
        lines += ["### Outputs", "", "| output | type | description | provider |", "|---|---|---|---|"]
        for name, written in _written_outputs(component).items():
            provider = _provider_name(name, python_only_outputs)
            lines.append(f"| `{name}` | `{_cell(written)}` | {_doc(_owner(component, name), name)} | {provider} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _written_outputs(component: type) -> dict[str, str]:
    found: dict[str, str] = {}
    for cls in reversed(component.__mro__):
        if cls is object or cls.__module__.split(".")[0] == "pulumi":
            continue
        found.update({k: str(v) for k, v in inspect.get_annotations(cls).items() if not k.startswith("_")})
    return found


def _owner(component: type, name: str) -> type:
    for cls in component.__mro__:
        if name in inspect.get_annotations(cls):
            return cls
    return component


def generated_files(project_dir: Path = PROJECT_DIR) -> dict[Path, str]:
    return {project_dir / OUTPUT: render()}


def stale_files(project_dir: Path = PROJECT_DIR) -> list[Path]:
    return [p for p, text in generated_files(project_dir).items() if not p.exists() or p.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m offline.component_docs")
    parser.add_argument("--check", action="store_true", help="fail when docs/components.md is stale")
    options = parser.parse_args(argv)
    if options.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path.relative_to(PROJECT_DIR)} (run `make docs`)", file=sys.stderr)
        return 1 if stale else 0
    for path, text in generated_files().items():
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
