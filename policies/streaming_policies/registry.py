"""The pack's rule list, in a stable order, with duplicate names rejected.

Rules are grouped one module per AWS service (as cdk-nag groups its rules); each rule carries its
pillar as a tag. A new group of rules is one more tuple of modules in ``RULE_GROUPS``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from types import ModuleType

from pulumi_policy import Policy

from . import (
    access_logs,
    apigateway,
    autoscaling,
    aws_api,
    cloudfront,
    cognito,
    datastores,
    dynamodb,
    ec2,
    ecs,
    elasticache,
    elb,
    entrypoints,
    iam,
    kms,
    lambda_,
    logs,
    rds,
    resource_policies,
    s3,
    secretsmanager,
    sns,
    sqs,
    wafv2,
)
from .rule import Rule

PACK_NAME = "streaming-platform-guardrails"
PILLARS = ("multi-az", "waf", "encryption", "data-safety", "hardening", "aws-api")
_NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

# Each module exposes ``RULES``; the order here is the order of the pack (and of POLICIES.md).
SERVICE_MODULES: tuple[ModuleType, ...] = (
    ec2,
    elb,
    autoscaling,
    ecs,
    lambda_,
    datastores,
    rds,
    elasticache,
    dynamodb,
    s3,
    kms,
    secretsmanager,
    cloudfront,
    wafv2,
    apigateway,
    entrypoints,
    cognito,
    sqs,
    sns,
    logs,
    access_logs,
    resource_policies,
    iam,
)
# The aws-api pillar: AWS's own API contracts (botocore models, prose-only rules, principals that must exist).
AWS_API_MODULES: tuple[ModuleType, ...] = (aws_api,)
RULE_GROUPS: tuple[tuple[ModuleType, ...], ...] = (SERVICE_MODULES, AWS_API_MODULES)


class DuplicatePolicyError(ValueError):
    """Two rules share a name: the engine would silently merge their configuration."""


def check_rules(rules: Iterable[Rule]) -> list[Rule]:
    """Validate ``rules`` (unique kebab-case names, known pillar and scope) and return them as a list."""
    seen: dict[str, Rule] = {}
    out = []
    for r in rules:
        if r.name in seen:
            raise DuplicatePolicyError(f"duplicate policy name {r.name!r}")
        if not _NAME_RE.match(r.name):
            raise ValueError(f"policy name {r.name!r} is not kebab-case")
        if r.pillar not in PILLARS:
            raise ValueError(f"{r.name}: unknown pillar {r.pillar!r}")
        if r.scope not in ("resource", "stack"):
            raise ValueError(f"{r.name}: unknown scope {r.scope!r}")
        if "\n" in r.description:
            raise ValueError(f"{r.name}: description must be one line")
        seen[r.name] = r
        out.append(r)
    return out


def all_rules() -> list[Rule]:
    """Every rule of the pack, module by module in ``RULE_GROUPS`` order."""
    rules: list[Rule] = [r for group in RULE_GROUPS for module in group for r in module.RULES]
    return check_rules(rules)


def build_policies(rules: Sequence[Rule] | None = None) -> list[Policy]:
    """The pulumi_policy objects for ``rules`` (default: every rule of the pack)."""
    return [r.to_policy() for r in check_rules(rules if rules is not None else all_rules())]
