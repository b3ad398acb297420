"""One running policy pack, started as the CLI starts it, and the tiny engine it reports to.

The pack is started as ``python -m pulumi.policy <engine-address> .`` with cwd ``policies/`` and
``PULUMI_PROJECT``/``PULUMI_STACK``/``PULUMI_DRY_RUN``/``PULUMI_CONFIG`` in the environment. It prints its
gRPC port on stdout; :class:`PolicyPackProcess` then speaks the Analyzer protocol to it: ``GetAnalyzerInfo``,
``ConfigureStack``, ``Configure`` (the ``--policy-pack-config`` file, reconciled with the pack's defaults as
the CLI does), ``Analyze`` for every custom resource and ``AnalyzeStack`` once. ``<engine-address>`` is a real,
tiny Engine gRPC server on 127.0.0.1 that records ``Log`` calls.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2_grpc

from offline.analyzer_requests import build_requests, struct
from offline.engine import ResourceRecord
from offline.policy_config import POLICIES_DIR, load_policy_config, pack_version, reconcile_config
from offline.policy_report import LEVEL_CODES, LEVELS, SEVERITIES, PolicyInfo, PolicyReport, collect


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


def _cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of process ``pid`` (Linux ``/proc``; 0.0 where unavailable).

    On a shared machine wall time includes waiting for a core; CPU time is what the pack itself costs.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
                    analyzer_pb2.PolicyConfig(enforcementLevel=LEVEL_CODES[level], properties=struct(props))
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
        """Every custom resource through ``Analyze``, then the stack through ``AnalyzeStack``, as the CLI does.

        The requests are built first: ``report.timings`` holds the wall seconds of the gRPC calls alone
        (``analyze``, ``analyze_stack``), the pack process's CPU seconds in them (``*_cpu``) and the seconds the
        driver spent building the requests (``requests``)."""
        with self._lock:
            reconciled = self.configure(policy_config)
            info = self.info()
            policies = self._policy_infos(info, reconciled)
            remediation = {p.name: p.remediation for p in policies}
            by_urn = {r.urn: r for r in resources}
            report = PolicyReport(
                pack=info.name,
                version=pack_version(self.pack_dir) or info.version,
                project=self.project,
                stack=self.stack,
                preview=self.preview,
                policies=policies,
            )
            t0 = time.perf_counter()
            reqs = build_requests(
                resources, project=self.project, stack=self.stack, preview=self.preview, region=region, by_urn=by_urn
            )
            report.timings["requests"] = time.perf_counter() - t0
            pid = self._proc.pid if self._proc is not None else None

            # Analyze: every custom resource, pipelined a window at a time (the engine runs them concurrently too).
            responses: list[analyzer_pb2.AnalyzeResponse] = []
            c0 = _cpu_seconds(pid)
            t0 = time.perf_counter()
            for start in range(0, len(reqs.analyze), window):
                calls = [
                    self.stub.Analyze.future(req, timeout=self.rpc_timeout)
                    for req in reqs.analyze[start : start + window]
                ]
                responses.extend(call.result() for call in calls)
            report.timings["analyze"] = time.perf_counter() - t0
            report.timings["analyze_cpu"] = _cpu_seconds(pid) - c0

            c0 = _cpu_seconds(pid)
            t0 = time.perf_counter()
            stack_response = self.stub.AnalyzeStack(reqs.stack, timeout=self.rpc_timeout)
            report.timings["analyze_stack"] = time.perf_counter() - t0
            report.timings["analyze_stack_cpu"] = _cpu_seconds(pid) - c0

            for r, resp in zip(reqs.customs, responses, strict=True):
                collect(report, resp, r, by_urn, remediation)
            collect(report, stack_response, None, by_urn, remediation)
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
