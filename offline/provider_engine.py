"""The engine's side of the component provider protocol, offline: start the provider, ask for its schema, construct.

The Pulumi engine runs a provider plugin as a subprocess with the engine's address as its argument, reads the port
the plugin prints, and speaks ``pulumirpc.ResourceProvider`` to it. For a component, ``Construct`` carries the
address of the engine's resource monitor; the provider's SDK registers the component and its children there, exactly
as a Python program's SDK does. Here the resource monitor is ``offline.engine.recording_monitor`` served over gRPC,
so a ``Construct`` through the provider is recorded just like the in-process Python path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator, Mapping
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc, resource_pb2_grpc

from offline.engine import PROJECT_DIR, Recording, recording_monitor

PLUGIN_DIR = PROJECT_DIR / "components"
DISTRIBUTION = str(tomllib.loads((PLUGIN_DIR / "pyproject.toml").read_text())["project"]["name"])
PROVIDER_COMMAND = (sys.executable, "-m", "pulumi.run.plugin", DISTRIBUTION)
"""What the Pulumi CLI's Python language host runs for the plugin in components/ (a buildable package without a
``__main__.py`` of its own: ``pulumi.run.plugin <distribution name>``), with the engine's address appended."""


_UNKNOWN = object()


def output_value(value: Any = _UNKNOWN, *, dependencies: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """A Construct input as the engine sends another resource's output (``${zone.zoneId}`` in YAML): an output value
    carrying its value (left out while unknown, as in a preview of a new stack) and the URNs it came from
    (``pulumi.runtime.rpc``'s ``_special_output_value_sig``)."""
    from pulumi.runtime import rpc

    found: dict[str, Any] = {rpc._special_sig_key: rpc._special_output_value_sig, "dependencies": list(dependencies)}
    if value is not _UNKNOWN:
        found["value"] = value
    return found


class _Engine(engine_pb2_grpc.EngineServicer):
    """The engine service a plugin logs to."""

    def __init__(self) -> None:
        self.logs: list[tuple[int, str]] = []
        self.root = ""

    def Log(self, request, context):
        self.logs.append((request.severity, request.message))
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):
        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request, context):
        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()


@dataclass
class ConstructResult:
    recording: Recording
    urn: str
    state: dict[str, Any]
    registered_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What each component passed to ``register_outputs``, by URN."""
    logs: list[tuple[int, str]] = field(default_factory=list)


class _Monitor(resource_pb2_grpc.ResourceMonitorServicer):
    """``recording_monitor`` behind the gRPC service the provider's SDK dials; calls are serialised."""

    def __init__(self, recording: Recording, registered_outputs: dict[str, dict[str, Any]]) -> None:
        self._monitor = recording_monitor(recording)
        self._lock = threading.Lock()
        self._outputs = registered_outputs

    def _call(self, method: str, request: Any) -> Any:
        with self._lock:
            return getattr(self._monitor, method)(request)

    def SupportsFeature(self, request, context):
        response = self._call("SupportsFeature", request)
        from pulumi.runtime.proto import resource_pb2

        return resource_pb2.SupportsFeatureResponse(hasSupport=response.hasSupport)

    def GetDeploymentInfo(self, request, context):
        return self._call("GetDeploymentInfo", request)

    def Invoke(self, request, context):
        return self._call("Invoke", request)

    def RegisterResource(self, request, context):
        return self._call("RegisterResource", request)

    def RegisterResourceOutputs(self, request, context):
        self._outputs[request.urn] = json_format.MessageToDict(request.outputs)
        return self._call("RegisterResourceOutputs", request)

    def RegisterPackage(self, request, context):
        return self._call("RegisterPackage", request)

    def SignalAndWaitForShutdown(self, request, context):
        return empty_pb2.Empty()


@contextmanager
def _server(register: Any, servicer: Any) -> Iterator[str]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    register(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None)


class ProviderProcess:
    """A running provider plugin and a client of its ``ResourceProvider`` service."""

    def __init__(self, process: subprocess.Popen[bytes], address: str, engine: _Engine) -> None:
        self.process = process
        self.engine = engine
        self.channel = grpc.insecure_channel(address)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def schema(self) -> dict[str, Any]:
        return dict(json.loads(self.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0)).schema))

    def plugin_version(self) -> str:
        return str(self.stub.GetPluginInfo(empty_pb2.Empty()).version)

    def construct(
        self,
        type_token: str,
        name: str,
        inputs: Mapping[str, Any],
        *,
        project: str = "component",
        stack: str = "test",
        config: Mapping[str, str] | None = None,
        preview: bool = True,
        input_dependencies: Mapping[str, list[str]] | None = None,
    ) -> ConstructResult:
        """``Construct`` as the engine sends it for a program's ``type_token`` resource named ``name`` at the
        top of the stack, with a recording resource monitor; ``inputs`` are the program's (camelCase) values and
        ``input_dependencies`` the URNs of the resources an input's value came from (an output of another resource)."""
        full = {"aws:region": "us-west-2", **(config or {})}
        recording = Recording(project=project, stack=stack, preview=preview, config=full)
        registered: dict[str, dict[str, Any]] = {}
        with _server(resource_pb2_grpc.add_ResourceMonitorServicer_to_server, _Monitor(recording, registered)) as mon:
            self.stub.Configure(provider_pb2.ConfigureRequest(acceptSecrets=True, acceptResources=True))
            request_inputs = struct_pb2.Struct()
            request_inputs.update(dict(inputs))
            response = self.stub.Construct(
                provider_pb2.ConstructRequest(
                    project=project,
                    stack=stack,
                    config=full,
                    dryRun=preview,
                    parallel=4,
                    monitorEndpoint=mon,
                    type=type_token,
                    name=name,
                    parent=recording.stack_urn,
                    inputs=request_inputs,
                    inputDependencies={
                        k: provider_pb2.ConstructRequest.PropertyDependencies(urns=v)
                        for k, v in (input_dependencies or {}).items()
                    },
                    organization="organization",
                )
            )
        return ConstructResult(
            recording=recording,
            urn=response.urn,
            state=json_format.MessageToDict(response.state),
            registered_outputs=registered,
            logs=list(self.engine.logs),
        )

    def close(self) -> None:
        self.channel.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def start_provider(command: tuple[str, ...] = PROVIDER_COMMAND, cwd: Path = PROJECT_DIR) -> Iterator[ProviderProcess]:
    """Start the provider as the engine does: ``command <engine address>``, then read the port it prints."""
    engine = _Engine()
    with _server(engine_pb2_grpc.add_EngineServicer_to_server, engine) as engine_address:
        process = subprocess.Popen(
            [*command, engine_address],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert process.stdout is not None
        line = process.stdout.readline().decode().strip()
        if not line.isdigit():
            process.kill()
            _, err = process.communicate(timeout=10)
            raise RuntimeError(f"provider printed {line!r} instead of its port:\n{err.decode()}")
        provider = ProviderProcess(process, f"127.0.0.1:{line}", engine)
        try:
            yield provider
        finally:
            provider.close()
