"""AWS WAF v2: web ACL baseline rules, metrics, logging.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from . import graph as g
from .graph import Node, is_unknown, truthy
from .rule import Ctx, Finding, Option, Rule, Unknown


def _rules(node: Node) -> Any:
    """The ACL's rules as [(name, statement dict, metrics flag)], from `rules` or the `ruleJson` string."""
    rules = node.get("rules")
    if is_unknown(rules):
        return g.UNKNOWN
    out = [
        (
            r.get("name", "?"),
            g.dig(r, "statement", default={}),
            g.dig(r, "visibilityConfig", "cloudwatchMetricsEnabled"),
        )
        for r in g.as_list(rules)
        if isinstance(r, dict)
    ]
    raw = node.get("ruleJson")
    if is_unknown(raw):
        return g.UNKNOWN
    if isinstance(raw, str) and raw.strip():
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = []
        for r in g.as_list(parsed):
            if not isinstance(r, dict):
                continue
            stmt = {_camel(k): v for k, v in (r.get("Statement") or {}).items()}
            if isinstance(stmt.get("managedRuleGroupStatement"), dict):
                m = stmt["managedRuleGroupStatement"]
                stmt["managedRuleGroupStatement"] = {"name": m.get("Name"), "vendorName": m.get("VendorName")}
            out.append((r.get("Name", "?"), stmt, g.dig(r, "VisibilityConfig", "CloudWatchMetricsEnabled")))
    return out


def _camel(key: str) -> str:
    return key[:1].lower() + key[1:]


REQUIRED_GROUPS = Option(
    "requiredManagedRuleGroups",
    {"type": "array", "items": {"type": "string"}, "default": ["AWSManagedRulesCommonRuleSet"]},
    "AWS managed rule groups every web ACL must use.",
)


REQUIRE_RATE = Option(
    "requireRateBasedRule", {"type": "boolean", "default": True}, "Require at least one rate-based rule."
)


def _check_acl_rules(node: Node, ctx: Ctx) -> Iterator[Finding]:
    rules = _rules(node)
    if is_unknown(rules):
        yield Unknown("rules")
        return
    if not rules:
        yield "the web ACL has no rules"
        return
    managed = set()
    rate = False
    for _name, stmt, _m in rules:
        if not isinstance(stmt, dict):
            continue
        mg = stmt.get("managedRuleGroupStatement")
        if isinstance(mg, dict) and mg.get("vendorName") == "AWS":
            managed.add(mg.get("name"))
        rate = rate or isinstance(stmt.get("rateBasedStatement"), dict)
    for group in ctx.opt("requiredManagedRuleGroups", WAF_RULES):
        if group not in managed:
            yield f"missing AWS managed rule group {group}"
    if ctx.opt("requireRateBasedRule", WAF_RULES) and not rate:
        yield "no rate-based rule"


WAF_RULES = Rule(
    name="waf-web-acl-baseline-rules",
    description="Every web ACL has rules, including the AWS managed common rule set and a rate-based rule.",
    pillar="waf",
    types=(g.WEB_ACL,),
    check=_check_acl_rules,
    options=(REQUIRED_GROUPS, REQUIRE_RATE),
    fsbp=("WAF.10",),
    why="An empty web ACL only applies its default action; the common rule set blocks OWASP-style attacks and "
    "a rate-based rule throttles floods and scrapers.",
    remediation="Add a managedRuleGroupStatement rule (vendorName AWS, name AWSManagedRulesCommonRuleSet) and a "
    "rateBasedStatement rule to `rules`.",
)


def _check_acl_metrics(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    acl = node.get("visibilityConfig", "cloudwatchMetricsEnabled")
    if is_unknown(acl):
        yield Unknown("visibilityConfig")
    elif not truthy(acl):
        yield "visibilityConfig.cloudwatchMetricsEnabled is not true on the web ACL"
    rules = _rules(node)
    if is_unknown(rules):
        yield Unknown("rules")
        return
    for name, _stmt, metrics in rules:
        if is_unknown(metrics):
            yield Unknown(f"rules[{name}].visibilityConfig")
        elif not truthy(metrics):
            yield f"rule {name!r} has CloudWatch metrics disabled"


WAF_METRICS = Rule(
    name="waf-web-acl-metrics",
    description="Every web ACL and each of its rules has CloudWatch metrics enabled.",
    pillar="waf",
    types=(g.WEB_ACL,),
    check=_check_acl_metrics,
    fsbp=("WAF.12",),
    severity=Severity.MEDIUM,
    why="Without metrics there is no alarm on blocked-request spikes and no evidence during an incident.",
    remediation="Set visibility_config.cloudwatch_metrics_enabled=True on the ACL and on every rule.",
)


def _check_acl_logging(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    for cfg in ctx.graph.referrers(node, (g.WEB_ACL_LOGGING,), "resourceArn"):
        dests = cfg.get("logDestinationConfigs")
        if is_unknown(dests) or dests:
            return
    yield "no WebAclLoggingConfiguration with a log destination references this web ACL"


WAF_LOGGING = Rule(
    name="waf-logging-enabled",
    description="Every web ACL has a WebAclLoggingConfiguration with a log destination.",
    pillar="waf",
    types=(g.WEB_ACL,),
    scope="stack",
    check=_check_acl_logging,
    fsbp=("WAF.11",),
    severity=Severity.MEDIUM,
    why="WAF logs are the only record of what was blocked or allowed and why.",
    remediation="Create aws.wafv2.WebAclLoggingConfiguration(resource_arn=acl.arn, log_destination_configs=[...]) "
    "pointing at a log group named aws-waf-logs-* (or Firehose/S3).",
)


RULES = (
    WAF_RULES,
    WAF_METRICS,
    WAF_LOGGING,
)
