"""The rule model: one small, declarative record per policy, turned into a pulumi_policy ``Policy``.

A rule's ``check(node, ctx)`` yields, for one in-scope resource, either violation messages
(``str``) or :class:`Unknown` markers for facts that cannot be known yet. The adapter reports
every violation (at the policy's configured level) and, only if something stayed unknown,
raises one ``UnknownValueError`` at the end so the SDK adds a single advisory
"can't run during preview" diagnostic *in addition to* the definite violations.

``scope="resource"`` rules run in ``Analyze`` (per resource, inputs and options only);
``scope="stack"`` rules run in ``AnalyzeStack`` and may join over the dependency graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from . import request
from .graph import Node

if TYPE_CHECKING:
    from .graph import StackGraph

FSBP_NAME = "AWS Foundational Security Best Practices"
FSBP_VERSION = "1.0.0"


@dataclass(frozen=True)
class Unknown:
    """A fact a rule needs that is not known yet (``what`` names the input, e.g. ``policy``)."""

    what: str


Finding = str | Unknown


@dataclass(frozen=True)
class Option:
    """One configuration property: JSON-schema fragment (with ``default``) and what it means."""

    name: str
    schema: Mapping[str, Any]
    doc: str

    @property
    def default(self) -> Any:
        return self.schema["default"]


@dataclass
class Ctx:
    """What a check may look at besides the resource itself."""

    config: Mapping[str, Any]
    graph: StackGraph | None = None  # one per AnalyzeStack request, shared by every stack policy

    def opt(self, name: str, rule: Rule) -> Any:
        if name in self.config:
            return self.config[name]
        for o in rule.options:
            if o.name == name:
                return o.default
        raise KeyError(f"{rule.name} has no option {name!r}")


Check = Callable[[Node, Ctx], Iterable[Finding]]
Exempt = Callable[[Node, Ctx], str | None]


@dataclass(frozen=True)
class Rule:
    name: str
    description: str  # one line: the compliant state
    pillar: str  # multi-az | waf | encryption | data-safety | hardening (the module says the service)
    types: tuple[str, ...]
    check: Check
    why: str
    remediation: str
    severity: Severity = Severity.HIGH
    scope: str = "resource"  # resource | stack
    fsbp: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    exempt: Exempt | None = None  # returns a reason when an in-type resource is out of scope
    default_level: EnforcementLevel = EnforcementLevel.MANDATORY
    notes: str = ""  # preview-time limitations etc., shown in POLICIES.md
    tags: tuple[str, ...] = field(default=())

    @property
    def url(self) -> str | None:
        if not self.fsbp:
            return None
        service, number = self.fsbp[0].split(".")
        return f"https://docs.aws.amazon.com/securityhub/latest/userguide/{service.lower()}-controls.html#{service.lower()}-{number}"

    def config_schema(self) -> PolicyConfigSchema | None:
        if not self.options:
            return None
        return PolicyConfigSchema(properties={o.name: dict(o.schema) for o in self.options})

    def framework(self) -> PolicyComplianceFramework | None:
        if not self.fsbp:
            return None
        return PolicyComplianceFramework(name=FSBP_NAME, version=FSBP_VERSION, reference=", ".join(self.fsbp))

    def policy_tags(self) -> list[str]:
        return [f"pillar:{self.pillar}", *(f"fsbp:{c}" for c in self.fsbp), *self.tags]

    def to_policy(self) -> Policy:
        common: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "enforcement_level": self.default_level,
            "config_schema": self.config_schema(),
            "severity": self.severity,
            "framework": self.framework(),
            "tags": self.policy_tags(),
            "remediation_steps": self.remediation,
            "url": self.url,
        }
        if self.scope == "stack":
            return StackValidationPolicy(validate=self._validate_stack, **common)
        if self.scope == "resource":
            return ResourceValidationPolicy(validate=self._validate_resource, **common)
        raise ValueError(f"{self.name}: unknown scope {self.scope!r}")

    # --- adapters -------------------------------------------------------------------------

    def _run(self, node: Node, ctx: Ctx, report: Callable[..., None], unknowns: list[str], urn: str | None) -> None:
        for finding in self.check(node, ctx):
            if isinstance(finding, Unknown):
                unknowns.append(f"{node.name}.{finding.what}")
            else:
                if urn is None:
                    report(finding)
                else:
                    report(finding, urn)

    def _finish(self, unknowns: list[str]) -> None:
        if unknowns:
            err = UnknownValueError(UNKNOWN_STRING_VALUE, [unknowns[0]])
            err.message = "unknown until the update runs: " + ", ".join(sorted(set(unknowns)))
            raise err

    def _validate_resource(self, args: ResourceValidationArgs, report: Callable[..., None]) -> None:
        if args.resource_type not in self.types:
            return
        node = request.node_for(args)
        ctx = Ctx(config=args.get_config())
        if self.exempt is not None:
            reason = self.exempt(node, ctx)
            if reason:
                args.not_applicable(f"{node.name}: {reason}")
        unknowns: list[str] = []
        self._run(node, ctx, report, unknowns, None)
        self._finish(unknowns)

    def _validate_stack(self, args: StackValidationArgs, report: Callable[..., None]) -> None:
        graph = request.graph_for(args.resources)
        ctx = Ctx(config=args.get_config(), graph=graph)
        candidates = graph.of_types(*self.types)
        in_scope = [n for n in candidates if self.exempt is None or not self.exempt(n, ctx)]
        if not in_scope:
            what = "exempt" if candidates else "present"
            args.not_applicable(f"no {' / '.join(t.split(':')[-1] for t in self.types)} in scope ({what})")
        unknowns: list[str] = []
        for node in in_scope:
            self._run(node, ctx, report, unknowns, node.urn)
        self._finish(unknowns)
