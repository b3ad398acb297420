"""Run the policy pack exactly as ``pulumi preview --policy-pack policies`` does, without the CLI.

The pack is started as the CLI starts it: ``python -m pulumi.policy <engine-address> .`` with
cwd ``policies/`` and ``PULUMI_PROJECT``/``PULUMI_STACK``/``PULUMI_DRY_RUN``/``PULUMI_CONFIG``
in the environment. It prints its gRPC port on stdout; we then speak the Analyzer protocol to
it: ``GetAnalyzerInfo``, ``ConfigureStack``, ``Configure`` (the ``--policy-pack-config`` file,
reconciled with the pack's defaults as the CLI does), ``Analyze`` for every custom resource (its
inputs) and ``AnalyzeStack`` once (every resource's outputs, as :mod:`offline.stack_outputs` models
them). ``<engine-address>`` is a real, tiny Engine gRPC server on 127.0.0.1 that records ``Log`` calls.

``PULUMI_DRY_RUN`` is fixed for the life of a pack process, so processes are keyed by
(project, stack, preview, config) and reused across :func:`analyze` calls; they are killed at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent import futures
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

from offline.engine import PROJECT_DIR, ResourceRecord
from offline.stack_outputs import stack_properties

POLICIES_DIR = PROJECT_DIR / "policies"
CONFIG_DIR = POLICIES_DIR / "config"
STACK_TYPE = "pulumi:pulumi:Stack"

LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
LEVEL_CODES = {v: k for k, v in LEVELS.items()}
SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "",
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
_UNKNOWN_PREFIX = "can't run policy"
_SCHEMA_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


class PolicyConfigError(ValueError):
    """The policy config names an unknown policy, level or property, or a value of the wrong type."""


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyInfo:
    name: str
    description: str
    default_level: str
    level: str  # effective level after the policy config
    severity: str
    kind: str  # resource | stack
    framework: str
    tags: tuple[str, ...]
    remediation: str
    url: str
    config: Mapping[str, Any]  # effective properties (schema defaults + config)


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    severity: str
    message: str
    urn: str
    resource_name: str
    resource_type: str
    remediation: str
    unknown: bool = False  # the SDK's "can't run during preview" advisory

    @property
    def detail(self) -> str:
        """The message without the policy description the SDK prefixes it with."""
        return self.message.split("\n", 1)[1] if "\n" in self.message else self.message


@dataclass(frozen=True)
class NotApplicable:
    policy: str
    reason: str
    urn: str = ""


@dataclass
class PolicyReport:
    pack: str
    version: str
    project: str
    stack: str
    preview: bool
    policies: list[PolicyInfo]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    not_applicable: list[NotApplicable] = field(default_factory=list)
    engine_logs: list[str] = field(default_factory=list)
    # Wall seconds spent in the Analyze calls (all resources) and in the one AnalyzeStack call, and the pack
    # process's CPU seconds for each (``analyze_cpu``, ``analyze_stack_cpu``).
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def mandatory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "mandatory"]

    @property
    def advisory(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "advisory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory

    def for_policy(self, name: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.policy == name]

    def not_applicable_policies(self) -> set[str]:
        return {n.policy for n in self.not_applicable}

    def policy(self, name: str) -> PolicyInfo:
        for p in self.policies:
            if p.name == name:
                return p
        raise KeyError(name)

    def summary(self) -> dict[str, int]:
        violated = {d.policy for d in self.diagnostics if not d.unknown}
        return {
            "mandatory": len(self.mandatory),
            "advisory": len([d for d in self.advisory if not d.unknown]),
            "unverifiable": len([d for d in self.diagnostics if d.unknown]),
            "policies_violated": len(violated),
            "policies_not_applicable": len(self.not_applicable_policies() - violated),
            "policies": len(self.policies),
        }

    def render(self) -> str:
        mode = "preview" if self.preview else "update"
        lines = [f"Policy pack {self.pack}@v{self.version} on {self.project}/{self.stack} ({mode})"]
        by_policy: dict[str, list[Diagnostic]] = {}
        for d in self.diagnostics:
            by_policy.setdefault(d.policy, []).append(d)
        order = {"mandatory": 0, "remediate": 0, "advisory": 1}
        infos = {p.name: p for p in self.policies}
        for name in sorted(by_policy, key=lambda n: (min(order.get(d.level, 2) for d in by_policy[n]), n)):
            diags = by_policy[name]
            info = infos.get(name)
            level = diags[0].level.upper()
            extra = f" [{info.framework}]" if info and info.framework else ""
            sev = f" ({info.severity})" if info and info.severity else ""
            lines.append("")
            lines.append(f"{level} {name}{sev}{extra}")
            if info:
                lines.append(f"  {info.description}")
                if info.remediation:
                    lines.append(f"  fix: {info.remediation}")
            for d in diags:
                who = d.resource_name or "(stack)"
                lines.append(f"  - {who}: {d.detail}")
        s = self.summary()
        lines.append("")
        lines.append(
            f"Summary: {s['mandatory']} mandatory, {s['advisory']} advisory violation(s), "
            f"{s['unverifiable']} check(s) unverifiable until update; {s['policies_violated']} of "
            f"{s['policies']} policies violated, {s['policies_not_applicable']} not applicable."
        )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "pack": {"name": self.pack, "version": self.version},
            "project": self.project,
            "stack": self.stack,
            "mode": "preview" if self.preview else "update",
            "policies": [{**asdict(p), "tags": list(p.tags), "config": dict(p.config)} for p in self.policies],
            "diagnostics": [{**asdict(d), "detail": d.detail} for d in self.diagnostics],
            "notApplicable": [asdict(n) for n in self.not_applicable],
            "summary": self.summary(),
            "engineLogs": list(self.engine_logs),
        }


# --- the engine side -------------------------------------------------------------------------


class _Engine(engine_pb2_grpc.EngineServicer):
    """Just enough of the engine for a plugin to log to."""

    def __init__(self) -> None:
        self.logs: list[str] = []
        self._lock = threading.Lock()
        self.root = ""

    def Log(self, request: Any, context: Any) -> empty_pb2.Empty:
        with self._lock:
            self.logs.append(f"{request.severity}:{request.urn}:{request.message}")
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        from pulumi.runtime.proto import engine_pb2

        return engine_pb2.GetRootResourceResponse(urn=self.root)

    def SetRootResource(self, request: Any, context: Any) -> Any:
        from pulumi.runtime.proto import engine_pb2

        self.root = request.urn
        return engine_pb2.SetRootResourceResponse()

    def take_logs(self) -> list[str]:
        with self._lock:
            logs, self.logs = self.logs, []
        return logs


def load_policy_config(stack: str, config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """The ``--policy-pack-config`` file of ``stack`` (``{}`` if there is none)."""
    path = config_dir / f"{stack}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def reconcile_config(info: analyzer_pb2.AnalyzerInfo, policy_config: Mapping[str, Any]) -> dict[str, tuple[str, dict]]:
    """Per policy: (level, properties) as the CLI sends them to ``Configure``.

    Every policy gets an entry: the configured level or the pack's default, and the schema defaults
    overlaid with the configured properties. Unknown policy names, levels or properties and values of
    the wrong JSON type are rejected (a typo must not silently disable a guardrail).
    """
    policies = {p.name: p for p in info.policies}
    unknown = sorted(set(policy_config) - set(policies) - {"all"})
    if unknown:
        raise PolicyConfigError(f"policy config names unknown policies: {', '.join(unknown)}")
    out: dict[str, tuple[str, dict]] = {}
    for name, p in policies.items():
        schema = json_format.MessageToDict(p.configSchema.properties) if p.HasField("configSchema") else {}
        props = {k: v["default"] for k, v in schema.items() if isinstance(v, dict) and "default" in v}
        level = LEVELS[p.enforcementLevel]
        for entry in (policy_config.get("all"), policy_config.get(name)):
            if entry is None:
                continue
            if isinstance(entry, str):
                level = entry
                continue
            if not isinstance(entry, Mapping):
                raise PolicyConfigError(f"{name}: config must be a level or an object")
            for k, v in entry.items():
                if k == "enforcementLevel":
                    level = v
                elif k not in schema:
                    raise PolicyConfigError(f"{name}: unknown config property {k!r}")
                else:
                    want = _SCHEMA_TYPES.get(schema[k].get("type", ""), (object,))
                    if not isinstance(v, want) or (isinstance(v, bool) and bool not in want):
                        raise PolicyConfigError(f"{name}.{k}: expected {schema[k].get('type')}, got {v!r}")
                    props[k] = v
        if level not in LEVEL_CODES:
            raise PolicyConfigError(f"{name}: unknown enforcement level {level!r}")
        out[name] = (level, props)
    return out


def pack_version(pack_dir: Path = POLICIES_DIR) -> str | None:
    """The version in ``PulumiPolicy.yaml``: the CLI uses it, Python packs always report 0.0.1."""
    import yaml

    path = pack_dir / "PulumiPolicy.yaml"
    if not path.exists():
        return None
    version = (yaml.safe_load(path.read_text()) or {}).get("version")
    return str(version) if version is not None else None


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(value)
    return s


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` (Linux ``/proc``; 0.0 where unavailable).

    On a shared machine wall time includes waiting for a core; CPU time is what the pack itself costs.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _provider_urn(ref: str) -> str:
    return ref.rsplit("::", 1)[0]


class PolicyPackProcess:
    """One running policy pack (``python -m pulumi.policy``) and the engine it reports to."""

    def __init__(
        self,
        *,
        project: str,
        stack: str,
        preview: bool,
        config: Mapping[str, str] | None = None,
        pack_dir: Path = POLICIES_DIR,
        python: str = sys.executable,
        startup_timeout: float = 60.0,
        rpc_timeout: float = 120.0,
    ) -> None:
        self.project, self.stack, self.preview = project, stack, preview
        self.config = dict(config or {})
        self.pack_dir = pack_dir
        self.python = python
        self.startup_timeout = startup_timeout
        self.rpc_timeout = rpc_timeout
        self._lock = threading.RLock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._engine = _Engine()
        self._engine_server: grpc.Server | None = None
        self._channel: grpc.Channel | None = None
        self._stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._stderr: list[bytes] = []
        self._info: analyzer_pb2.AnalyzerInfo | None = None
        self._configured: dict[str, tuple[str, dict]] | None = None

    # lifecycle

    def __enter__(self) -> PolicyPackProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def engine_address(self) -> str:
        assert self._engine_server is not None
        return self._engine_address

    def start(self) -> None:
        with self._lock:
            if self._proc is not None:
                return
            server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
            engine_pb2_grpc.add_EngineServicer_to_server(self._engine, server)
            port = server.add_insecure_port("127.0.0.1:0")
            server.start()
            self._engine_server = server
            self._engine_address = f"127.0.0.1:{port}"
            env = dict(os.environ)
            env.update(
                {
                    "PULUMI_PROJECT": self.project,
                    "PULUMI_STACK": self.stack,
                    "PULUMI_DRY_RUN": "true" if self.preview else "false",
                    "PULUMI_CONFIG": json.dumps(self.config),
                    "PYTHONUNBUFFERED": "1",
                }
            )
            self._proc = subprocess.Popen(
                [self.python, "-m", "pulumi.policy", self._engine_address, "."],
                cwd=self.pack_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            threading.Thread(target=self._drain_stderr, daemon=True).start()
            try:
                port_line = self._read_port()
                self._channel = grpc.insecure_channel(
                    f"127.0.0.1:{port_line}", options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)]
                )
                grpc.channel_ready_future(self._channel).result(timeout=self.startup_timeout)
                self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
            except BaseException:
                self.close()
                raise

    def _drain_stderr(self) -> None:
        proc = self._proc
        assert proc is not None and proc.stderr is not None
        for line in proc.stderr:
            self._stderr.append(line)

    def _read_port(self) -> int:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(self.startup_timeout)
        line = result[0].strip() if result else b""
        if not line.isdigit():
            time.sleep(0.2)
            raise RuntimeError(f"policy pack did not print its port (exit code {proc.poll()}):\n{self.stderr}")
        return int(line)

    @property
    def stderr(self) -> str:
        return b"".join(self._stderr).decode(errors="replace")

    def close(self) -> None:
        with self._lock:
            if self._channel is not None:
                self._channel.close()
                self._channel = None
            if self._proc is not None:
                if self._proc.poll() is None:
                    self._proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=10)
                for pipe in (self._proc.stdout, self._proc.stderr):
                    if pipe is not None:
                        pipe.close()
                self._proc = None
            if self._engine_server is not None:
                self._engine_server.stop(0)
                self._engine_server = None

    @property
    def stub(self) -> analyzer_pb2_grpc.AnalyzerStub:
        if self._stub is None:
            self.start()
        assert self._stub is not None
        return self._stub

    # protocol

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        if self._info is None:
            self._info = self.stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=self.rpc_timeout)
        return self._info

    def plugin_version(self) -> str:
        return self.stub.GetPluginInfo(empty_pb2.Empty(), timeout=self.rpc_timeout).version

    def configure(self, policy_config: Mapping[str, Any] | None = None) -> dict[str, tuple[str, dict]]:
        """Send ``Configure`` (and ``ConfigureStack``) with ``policy_config`` (default: the stack's file)."""
        with self._lock:
            cfg = load_policy_config(self.stack) if policy_config is None else policy_config
            reconciled = reconcile_config(self.info(), cfg)
            if reconciled == self._configured:
                return reconciled
            req = analyzer_pb2.ConfigureAnalyzerRequest()
            for name, (level, props) in reconciled.items():
                req.policyConfig[name].CopyFrom(
                    analyzer_pb2.PolicyConfig(enforcementLevel=LEVEL_CODES[level], properties=_struct(props))
                )
            try:
                self.stub.ConfigureStack(
                    analyzer_pb2.AnalyzerStackConfigureRequest(
                        stack=self.stack,
                        project=self.project,
                        organization="organization",
                        dry_run=self.preview,
                        config=self.config,
                    ),
                    timeout=self.rpc_timeout,
                )
            except grpc.RpcError as e:  # older packs do not implement it; the CLI tolerates that too
                if e.code() != grpc.StatusCode.UNIMPLEMENTED:  # pragma: no cover
                    raise
            self.stub.Configure(req, timeout=self.rpc_timeout)
            self._configured = reconciled
            return reconciled

    def analyze(
        self,
        resources: Sequence[ResourceRecord],
        *,
        region: str,
        policy_config: Mapping[str, Any] | None = None,
        window: int = 64,
    ) -> PolicyReport:
        with self._lock:
            reconciled = self.configure(policy_config)
            info = self.info()
            policies = self._policy_infos(info, reconciled)
            remediation = {p.name: p.remediation for p in policies}
            by_urn = {r.urn: r for r in resources}
            stack_urn = f"urn:pulumi:{self.stack}::{self.project}::{STACK_TYPE}::{self.project}-{self.stack}"
            default_providers: dict[str, analyzer_pb2.AnalyzerProviderResource] = {}

            def provider_for(r: ResourceRecord) -> analyzer_pb2.AnalyzerProviderResource | None:
                if r.type.startswith("pulumi:providers:") or not r.custom:
                    return None
                if r.provider:
                    p = by_urn.get(_provider_urn(r.provider))
                    if p is not None and p.type.startswith("pulumi:providers:"):
                        return analyzer_pb2.AnalyzerProviderResource(
                            type=p.type, properties=_struct(p.inputs), urn=p.urn, name=p.name
                        )
                pkg = r.type.split(":", 1)[0]
                if pkg not in default_providers:
                    props = {"region": region} if pkg == "aws" else {}
                    name = "default"
                    default_providers[pkg] = analyzer_pb2.AnalyzerProviderResource(
                        type=f"pulumi:providers:{pkg}",
                        properties=_struct(props),
                        urn=f"urn:pulumi:{self.stack}::{self.project}::pulumi:providers:{pkg}::{name}",
                        name=name,
                    )
                return default_providers[pkg]

            def options(r: ResourceRecord) -> analyzer_pb2.AnalyzerResourceOptions:
                return analyzer_pb2.AnalyzerResourceOptions(
                    protect=r.protect, ignoreChanges=list(r.ignore_changes), parent=r.parent or ""
                )

            report = PolicyReport(
                pack=info.name,
                version=pack_version(self.pack_dir) or info.version,
                project=self.project,
                stack=self.stack,
                preview=self.preview,
                policies=policies,
            )

            def collect(resp: analyzer_pb2.AnalyzeResponse, r: ResourceRecord | None) -> None:
                for d in resp.diagnostics:
                    urn = d.urn or (r.urn if r is not None else "")
                    target = by_urn.get(urn)
                    report.diagnostics.append(
                        Diagnostic(
                            policy=d.policyName,
                            level=LEVELS[d.enforcementLevel],
                            severity=SEVERITIES.get(d.severity, ""),
                            message=d.message,
                            urn=urn,
                            resource_name=target.name if target else "",
                            resource_type=target.type if target else "",
                            remediation=remediation.get(d.policyName, ""),
                            unknown=d.message.startswith(_UNKNOWN_PREFIX),
                        )
                    )
                for n in resp.not_applicable:
                    report.not_applicable.append(
                        NotApplicable(policy=n.policy_name, reason=n.reason, urn=r.urn if r is not None else "")
                    )

            # Analyze: every custom resource, pipelined a window at a time (the engine runs them concurrently too).
            customs = [r for r in resources if r.custom]
            pid = self._proc.pid if self._proc is not None else None
            c0 = _cpu_seconds(pid)
            t0 = time.perf_counter()
            for start in range(0, len(customs), window):
                batch = customs[start : start + window]
                calls = []
                for r in batch:
                    req = analyzer_pb2.AnalyzeRequest(
                        type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name, options=options(r)
                    )
                    prov = provider_for(r)
                    if prov is not None:
                        req.provider.CopyFrom(prov)
                    calls.append(self.stub.Analyze.future(req, timeout=self.rpc_timeout))
                for r, call in zip(batch, calls, strict=True):
                    collect(call.result(), r)

            report.timings["analyze"] = time.perf_counter() - t0
            report.timings["analyze_cpu"] = _cpu_seconds(pid) - c0

            # AnalyzeStack: every resource, the root stack resource included, with parents and dependencies.
            t0 = time.perf_counter()
            c0 = _cpu_seconds(pid)
            stack_req = analyzer_pb2.AnalyzeStackRequest()
            if stack_urn not in by_urn:
                stack_req.resources.append(
                    analyzer_pb2.AnalyzerResource(
                        type=STACK_TYPE, urn=stack_urn, name=f"{self.project}-{self.stack}", properties=_struct({})
                    )
                )
            # AnalyzeStack gets outputs, not inputs (step_generator.go): see offline.stack_outputs.
            for r in resources:
                res = analyzer_pb2.AnalyzerResource(
                    type=r.type,
                    properties=_struct(stack_properties(r, preview=self.preview, region=region, by_urn=by_urn)),
                    urn=r.urn,
                    name=r.name,
                    options=options(r),
                    parent=r.parent or (stack_urn if r.type != STACK_TYPE else ""),
                    dependencies=list(r.dependencies),
                )
                for k, urns in r.property_dependencies.items():
                    res.propertyDependencies[k].urns.extend(urns)
                prov = provider_for(r)
                if prov is not None:
                    res.provider.CopyFrom(prov)
                stack_req.resources.append(res)
            collect(self.stub.AnalyzeStack(stack_req, timeout=self.rpc_timeout), None)
            report.timings["analyze_stack"] = time.perf_counter() - t0
            report.timings["analyze_stack_cpu"] = _cpu_seconds(pid) - c0
            report.engine_logs = self._engine.take_logs()
            return report

    def _policy_infos(
        self, info: analyzer_pb2.AnalyzerInfo, reconciled: Mapping[str, tuple[str, dict]]
    ) -> list[PolicyInfo]:
        out = []
        for p in info.policies:
            fw = p.framework
            framework = " ".join(x for x in (fw.name, fw.reference) if x) if p.HasField("framework") else ""
            out.append(
                PolicyInfo(
                    name=p.name,
                    description=p.description,
                    default_level=LEVELS[p.enforcementLevel],
                    level=reconciled[p.name][0],
                    severity=SEVERITIES.get(p.severity, ""),
                    kind="stack" if p.policy_type == analyzer_pb2.POLICY_TYPE_STACK else "resource",
                    framework=framework,
                    tags=tuple(p.tags),
                    remediation=p.remediation_steps,
                    url=p.url,
                    config=reconciled[p.name][1],
                )
            )
        return out


# --- the public entry point ------------------------------------------------------------------

_PROCESSES: dict[tuple[Any, ...], PolicyPackProcess] = {}
_PROCESSES_LOCK = threading.Lock()


def pack_process(project: str, stack: str, preview: bool, config: Mapping[str, str]) -> PolicyPackProcess:
    """A started, shared pack process for (project, stack, preview, config)."""
    key = (project, stack, preview, tuple(sorted(config.items())))
    with _PROCESSES_LOCK:
        proc = _PROCESSES.get(key)
        if proc is None:
            proc = PolicyPackProcess(project=project, stack=stack, preview=preview, config=config)
            proc.start()
            _PROCESSES[key] = proc
        return proc


@atexit.register
def close_all() -> None:
    """Kill every shared pack process (they serve forever otherwise)."""
    with _PROCESSES_LOCK:
        for proc in _PROCESSES.values():
            proc.close()
        _PROCESSES.clear()


def analyze(
    resources: Sequence[ResourceRecord],
    *,
    project: str,
    stack: str,
    preview: bool,
    config: Mapping[str, str],
    policy_config: Mapping[str, Any] | None = None,
    region: str | None = None,
) -> PolicyReport:
    """Run the pack over ``resources`` as ``pulumi preview``/``up`` with ``--policy-pack`` would.

    ``policy_config`` defaults to ``policies/config/<stack>.json``; ``region`` to ``aws:region``.
    """
    region = region or config.get("aws:region", "us-east-1")
    proc = pack_process(project, stack, preview, config)
    return proc.analyze(resources, region=region, policy_config=policy_config)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m offline.policy_driver records.json --stack dev [--update]``: analyze recorded resources."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("records", help="JSON file: a list of ResourceRecord.to_json() or a Recording.to_json()")
    ap.add_argument("--stack", default="dev")
    ap.add_argument("--project", default="streaming")
    ap.add_argument("--update", action="store_true", help="PULUMI_DRY_RUN=false")
    ap.add_argument("--region", default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    data = json.loads(Path(args.records).read_text())
    items = data["resources"] if isinstance(data, dict) else data
    config = data.get("config", {}) if isinstance(data, dict) else {}
    records = [ResourceRecord.from_json(x) for x in items]
    report = analyze(
        records, project=args.project, stack=args.stack, preview=not args.update, config=config, region=args.region
    )
    print(json.dumps(report.to_json(), indent=2) if args.json else report.render())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
