"""What a policy-pack run reports: the policies (with their effective levels and config), the diagnostics
and not-applicable answers of ``Analyze``/``AnalyzeStack``, engine logs and timings; rendered as the CLI does."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from pulumi.runtime.proto import analyzer_pb2

from offline.engine import ResourceRecord

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


def collect(
    report: PolicyReport,
    resp: analyzer_pb2.AnalyzeResponse,
    r: ResourceRecord | None,
    by_urn: Mapping[str, ResourceRecord],
    remediation: Mapping[str, str],
) -> None:
    """Add the diagnostics and not-applicable answers of one response (``r``: the resource of an ``Analyze``)."""
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
