"""Run the Pulumi program for a stack under the SDK's mock monitor, and record everything.

This is the one offline engine: the preview command and the tests both use it.
It reads ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml`` the way the CLI does
(declared project defaults first, then the stack's values), runs ``__main__.py``
with ``runpy`` inside a fresh Pulumi runtime and event loop, and captures every
``RegisterResource`` request exactly as the engine would receive it: type, name,
URN, parent, dependencies, property dependencies, protect, retainOnDelete,
ignoreChanges, provider, aliases (resolved to the URNs they name) and the inputs
under their camelCase engine names.

Preview mode answers every registration with an unknown id and no computed
outputs, as a first ``pulumi preview`` of a new stack does; update mode answers
with deterministic ids and ARNs.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import runpy
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import empty_pb2, json_format
from pulumi import runtime
from pulumi.runtime import mocks
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_in_stack

from offline.fakes import Invokes, computed_outputs

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ResourceRecord:
    """One ``RegisterResource`` request, as the engine saw it."""

    type: str
    name: str
    urn: str
    parent: str | None
    custom: bool
    provider: str | None
    dependencies: tuple[str, ...]
    property_dependencies: Mapping[str, tuple[str, ...]]
    protect: bool
    retain_on_delete: bool
    ignore_changes: tuple[str, ...]
    inputs: Mapping[str, Any]
    id: str | None = None
    aliases: tuple[str, ...] = ()
    """The URNs this resource may have had before (``aliases=[...]``), resolved as the engine resolves them."""

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "name": self.name,
            "urn": self.urn,
            "parent": self.parent,
            "custom": self.custom,
            "provider": self.provider,
            "dependencies": list(self.dependencies),
            "propertyDependencies": {k: list(v) for k, v in self.property_dependencies.items()},
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "ignoreChanges": list(self.ignore_changes),
            "inputs": self.inputs,
            "id": self.id,
            "aliases": list(self.aliases),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResourceRecord:
        return cls(
            type=data["type"],
            name=data["name"],
            urn=data["urn"],
            parent=data.get("parent"),
            custom=data.get("custom", True),
            provider=data.get("provider"),
            dependencies=tuple(data.get("dependencies", ())),
            property_dependencies={k: tuple(v) for k, v in data.get("propertyDependencies", {}).items()},
            protect=data.get("protect", False),
            retain_on_delete=data.get("retainOnDelete", False),
            ignore_changes=tuple(data.get("ignoreChanges", ())),
            inputs=data.get("inputs", {}),
            id=data.get("id"),
            aliases=tuple(data.get("aliases", ())),
        )


@dataclass
class Recording:
    """Everything one run of the program registered."""

    project: str
    stack: str
    preview: bool
    config: Mapping[str, str]
    resources: list[ResourceRecord] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    registered_outputs: dict[str, list[str]] = field(default_factory=dict)
    """The output names each component passed to ``register_outputs`` (``None`` values are not sent), by URN."""

    @property
    def stack_urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::pulumi:pulumi:Stack::{self.project}-{self.stack}"

    def of_type(self, type_: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str) -> ResourceRecord:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources are named {name!r}")
        return matches[0]

    def by_urn(self, urn: str) -> ResourceRecord:
        for r in self.resources:
            if r.urn == urn:
                return r
        raise KeyError(urn)

    def children(self, parent_urn: str) -> list[ResourceRecord]:
        return [r for r in self.resources if r.parent == parent_urn]

    def counts_by_type(self) -> Counter[str]:
        return Counter(r.type for r in self.resources)

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "mode": "preview" if self.preview else "update",
            "config": dict(self.config),
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
            "invokes": [{"token": t, "args": a} for t, a in self.invokes],
            "registeredOutputs": self.registered_outputs,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Recording:
        """The inverse of ``to_json``: a recording saved by one process, read by another."""
        return cls(
            project=data["project"],
            stack=data["stack"],
            preview=data["mode"] == "preview",
            config=dict(data["config"]),
            resources=[ResourceRecord.from_json(r) for r in data["resources"]],
            outputs=dict(data["outputs"]),
            invokes=[(i["token"], dict(i["args"])) for i in data["invokes"]],
            registered_outputs={k: list(v) for k, v in data.get("registeredOutputs", {}).items()},
        )


def _config_value(value: Any) -> str:
    """The string the CLI hands the program for a stack-file value."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def load_stack_config(stack: str, project_dir: Path = PROJECT_DIR) -> tuple[str, dict[str, str]]:
    """Read the project name and the effective config of a stack, as the CLI computes it."""
    project_file = yaml.safe_load((project_dir / "Pulumi.yaml").read_text())
    project = project_file["name"]
    config: dict[str, str] = {}
    for key, decl in (project_file.get("config") or {}).items():
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(decl, dict) and "default" in decl:
            config[full_key] = _config_value(decl["default"])
        elif isinstance(decl, dict) and "value" in decl:
            config[full_key] = _config_value(decl["value"])
        elif not isinstance(decl, dict):
            config[full_key] = _config_value(decl)
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        raise FileNotFoundError(
            f"no stack file {stack_file.name}; known stacks: {', '.join(known_stacks(project_dir))}"
        )
    stack_config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    for key, value in stack_config.items():
        config[key] = _config_value(value)
    return project, config


def known_stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def run_program(
    stack: str,
    *,
    preview: bool = True,
    config_overrides: Mapping[str, str] | None = None,
    project_dir: Path = PROJECT_DIR,
    program: Path | None = None,
) -> Recording:
    """Run ``program`` (default: the project's ``__main__.py``) for ``stack`` and return what it registered.

    Raises whatever the program raises, after every outstanding registration has settled;
    the partial recording is attached to the exception as ``recording``.
    """
    project, config = load_stack_config(stack, project_dir)
    config.update(config_overrides or {})
    recording = Recording(project=project, stack=stack, preview=preview, config=config)
    path = program or project_dir / "__main__.py"
    # A brand-new context: no Pulumi settings, root resource or config leak between runs.
    return contextvars.Context().run(_run, recording, lambda: _run_main(path), path.parent)


def run_component(
    build: Callable[[], None],
    *,
    preview: bool = True,
    config: Mapping[str, str] | None = None,
    project: str = "component",
    stack: str = "test",
) -> Recording:
    """Run ``build`` (a function that constructs one component from fakes of its inputs) as a whole program
    under the same recording monitor, with its own runtime, event loop and ``config`` (``aws:region`` defaults
    to us-west-2). Components are tested alone with this, in a fraction of a whole-stack run."""
    full = {"aws:region": "us-west-2", **(config or {})}
    recording = Recording(project=project, stack=stack, preview=preview, config=full)
    return contextvars.Context().run(_run, recording, build, PROJECT_DIR)


def recording_monitor(recording: Recording) -> mocks.MockMonitor:
    """The monitor that answers and records every registration and invoke of ``recording``'s program.

    ``_run`` hands it to the SDK in-process; ``offline.provider_engine`` serves it over gRPC to a provider
    process, as the engine serves its resource monitor to a provider's ``Construct``."""
    region = recording.config.get("aws:region", "us-east-1")
    invokes = Invokes(region)

    class Mocks(mocks.Mocks):
        def call(self, args):
            recording.invokes.append((args.token, dict(args.args)))
            return invokes(args.token, dict(args.args)), []

        def new_resource(self, args):
            raise AssertionError("RecordingMonitor answers registrations itself")

    class RecordingMonitor(mocks.MockMonitor):
        def make_urn(self, parent: str, type_: str, name: str) -> str:
            """As the engine makes it: the parent's type chain, then this stack and project (the recording's)."""
            if parent:
                type_ = parent.split("::")[2].split("$").pop() + "$" + type_
            return "urn:pulumi:" + "::".join([recording.stack, recording.project, type_, name])

        def RegisterResource(self, request):
            urn = self.make_urn(request.parent, request.type, request.name)
            if request.type == "pulumi:pulumi:Stack":
                return resource_pb2.RegisterResourceResponse(urn=urn)
            inputs = json_format.MessageToDict(request.object)
            if recording.preview or not request.custom:
                id_, state = ("", inputs) if request.custom else ("", {})
            else:
                id_, state = computed_outputs(request.type, request.name, urn, _strip_secrets(inputs), region)
            recording.resources.append(
                ResourceRecord(
                    type=request.type,
                    name=request.name,
                    urn=urn,
                    parent=request.parent or None,
                    custom=request.custom,
                    provider=request.provider or None,
                    dependencies=tuple(request.dependencies),
                    property_dependencies={k: tuple(v.urns) for k, v in request.propertyDependencies.items()},
                    protect=request.protect,
                    retain_on_delete=request.retainOnDelete,
                    ignore_changes=tuple(request.ignoreChanges),
                    inputs=inputs,
                    id=id_ or None,
                    aliases=tuple(self._alias_urn(request, alias) for alias in request.aliases),
                )
            )
            obj = resource_pb2.RegisterResourceResponse(urn=urn, id=id_)
            obj.object.update(_strip_unknowns(state) if not recording.preview else state)
            self.resources[urn] = mocks.MockMonitor.ResourceRegistration(urn, id_, state)
            return obj

        def _alias_urn(self, request, alias) -> str:
            """An alias given as a URN, or as a spec (name/type/parent relative to this resource)."""
            if alias.HasField("urn") or not alias.HasField("spec"):
                return alias.urn
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or request.parent)
            return self.make_urn(parent, spec.type or request.type, spec.name or request.name)

        def RegisterResourceOutputs(self, request):
            if request.urn == recording.stack_urn:
                recording.outputs = json_format.MessageToDict(request.outputs)
            else:
                recording.registered_outputs[request.urn] = sorted(json_format.MessageToDict(request.outputs))
            return empty_pb2.Empty()

    return RecordingMonitor(Mocks())


def _run(recording: Recording, main: Callable[[], None], root: Path) -> Recording:
    monitor = recording_monitor(recording)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        runtime.settings.ROOT.set(None)
        runtime.set_all_config(dict(recording.config))
        runtime.configure(
            mocks.MockSettings(
                monitor=monitor,
                monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
                engine=mocks.MockEngine(None),
                project=recording.project,
                stack=recording.stack,
                dry_run=recording.preview,
                organization="organization",
                callbacks=None,
                root_directory=str(root),
            )
        )
        try:
            loop.run_until_complete(run_in_stack(main))
        except BaseException as exc:
            exc.recording = recording  # type: ignore[attr-defined]
            raise
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    return recording


def _run_main(program: Path) -> None:
    runpy.run_path(str(program), run_name="__main__")


def _strip_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SECRET_SIG_KEY) == SECRET_SIG:
            return _strip_secrets(value.get("value"))
        return {k: _strip_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_secrets(v) for v in value]
    return value


def _strip_unknowns(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_unknowns(v) for k, v in value.items() if v != UNKNOWN}
    if isinstance(value, list):
        return [_strip_unknowns(v) for v in value]
    return value


def is_unknown(value: Any) -> bool:
    return value == UNKNOWN


def iter_unknown_paths(value: Any, path: str = "") -> Iterator[str]:
    """Paths inside ``value`` that hold unknowns; used by tests of preview mode."""
    if value == UNKNOWN:
        yield path or "."
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from iter_unknown_paths(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from iter_unknown_paths(v, f"{path}[{i}]")
