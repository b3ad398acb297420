"""AWS WAF v2: web ACL baseline rules, metrics, logging.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, NamedTuple

from pulumi_policy import Severity

from . import graph as g
from .graph import Node, is_unknown, truthy
from .rule import Ctx, Finding, Option, Rule, Unknown


class AclRule(NamedTuple):
    name: str
    statement: Any
    metrics: Any  # visibilityConfig.cloudwatchMetricsEnabled
    mode: str  # "enforce" | "count" | "allow" | unknown sentinel
    priority: Any


def _mode(action: Any, override: Any) -> str:
    """What the rule does to matching requests: count mode (action or override) does nothing."""
    for block in (action, override):
        if is_unknown(block):
            return g.UNKNOWN
    if isinstance(override, dict) and "count" in override:
        return "count"
    if isinstance(action, dict):
        if "count" in action:
            return "count"
        if "allow" in action:
            return "allow"
    return "enforce"


WEB_ACL_RULE = "aws:wafv2/webAclRule:WebAclRule"


def _acl_rule(r: dict[str, Any]) -> AclRule:
    return AclRule(
        str(r.get("name", "?")),
        g.dig(r, "statement", default={}),
        g.dig(r, "visibilityConfig", "cloudwatchMetricsEnabled"),
        _mode(r.get("action"), r.get("overrideAction")),
        r.get("priority"),
    )


def _rules(node: Node, ctx: Ctx) -> Any:
    """The ACL's rules as :class:`AclRule`: inline `rules`, the `ruleJson` string, and the separate
    ``aws:wafv2/webAclRule`` resources whose `webAclArn` depends on the ACL. UNKNOWN if the inline list
    is unknown; an unknown element of it, or an unknown separate rule, is reported as an unknown rule
    (``statement`` UNKNOWN) so the known rules are still judged."""
    rules = node.get("rules")
    if is_unknown(rules):
        return g.UNKNOWN
    out = []
    for i, r in enumerate(g.as_list(rules)):
        if isinstance(r, dict):
            out.append(_acl_rule(r))
        else:
            out.append(AclRule(f"rules[{i}]", g.UNKNOWN, g.UNKNOWN, g.UNKNOWN, None))
    if ctx.graph is not None:
        for res in ctx.graph.referrers(node, (WEB_ACL_RULE,), "webAclArn"):
            out.append(_acl_rule({**res.props, "name": res.get("name") or res.name}))
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
                stmt["managedRuleGroupStatement"] = {
                    "name": m.get("Name"),
                    "vendorName": m.get("VendorName"),
                    "scopeDownStatement": m.get("ScopeDownStatement"),
                }
            if isinstance(stmt.get("rateBasedStatement"), dict):
                stmt["rateBasedStatement"] = {"limit": stmt["rateBasedStatement"].get("Limit")}
            action = {_camel(k): v for k, v in (r.get("Action") or {}).items()} or None
            override = {_camel(k): v for k, v in (r.get("OverrideAction") or {}).items()} or None
            out.append(
                AclRule(
                    str(r.get("Name", "?")),
                    stmt,
                    g.dig(r, "VisibilityConfig", "CloudWatchMetricsEnabled"),
                    _mode(action, override),
                    r.get("Priority"),
                )
            )
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


MAX_RATE = Option(
    "maxRateLimit",
    {"type": "integer", "minimum": 10, "default": 10000},
    "Highest accepted rateBasedStatement.limit (requests per client per evaluation window). The API accepts "
    "10 to 2,000,000,000 (botocore wafv2 RateLimit), so a huge limit satisfies the letter and never fires.",
)


def _shown(priority: Any) -> str:
    """A priority as written (protobuf carries every number as a float: 2.0 is priority 2)."""
    return str(int(priority)) if isinstance(priority, float) and priority.is_integer() else str(priority)


def _before(a: Any, b: Any) -> bool:
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and a < b


def _check_acl_rules(node: Node, ctx: Ctx) -> Iterator[Finding]:
    rules = _rules(node, ctx)
    if is_unknown(rules):
        yield Unknown("rules")
        return
    if not rules:
        yield "the web ACL has no rules"
        return
    required = list(ctx.opt("requiredManagedRuleGroups", WAF_RULES))
    max_rate = int(ctx.opt("maxRateLimit", WAF_RULES))
    managed: dict[str, AclRule] = {}
    weak: list[str] = []
    rate = False
    rate_rules: list[AclRule] = []
    unknown_rules = [r.name for r in rules if is_unknown(r.statement)]
    for r in rules:
        stmt = r.statement
        if not isinstance(stmt, dict):
            continue
        if is_unknown(r.mode):
            yield Unknown(f"rules[{r.name}].action")
            continue
        mg = stmt.get("managedRuleGroupStatement")
        if isinstance(mg, dict) and mg.get("vendorName") == "AWS":
            group = str(mg.get("name"))
            if r.mode == "count":
                weak.append(f"managed rule group {group} is in count mode (it blocks nothing)")
            elif mg.get("scopeDownStatement"):
                weak.append(f"managed rule group {group} has a scopeDownStatement (it only inspects what matches it)")
            else:
                managed[group] = r
        rb = stmt.get("rateBasedStatement")
        if isinstance(rb, dict):
            limit = rb.get("limit")
            if is_unknown(limit):
                yield Unknown(f"rules[{r.name}].rateBasedStatement.limit")
            elif r.mode != "enforce":
                weak.append(f"rate-based rule {r.name} is in {r.mode} mode")
            elif isinstance(limit, (int, float)) and limit > max_rate:
                weak.append(f"rate-based rule {r.name} has limit {int(limit)} > maxRateLimit {max_rate}")
            else:
                rate = True
                rate_rules.append(r)
    if unknown_rules:
        # An unknown rule may be the missing group, or an allow rule ahead of them: never compliant yet.
        yield Unknown(f"rules {', '.join(unknown_rules)}")
    for group in required:
        if group not in managed and not unknown_rules:
            yield f"missing AWS managed rule group {group} (enforced, unscoped)"
    for r in rules:
        # An allow rule evaluated before the baseline groups exempts what it matches from them: Allow is a
        # terminating action (AWS WAF Developer Guide, "Rule action"), so lower-priority rules never see it.
        # The same holds for the rate-based rule: what an earlier allow matches is never counted or throttled.
        if r.mode != "allow":
            continue
        if any(_before(r.priority, m.priority) for m in managed.values()):
            yield f"rule {r.name} allows requests at priority {_shown(r.priority)}, before the managed rule groups"
        elif any(_before(r.priority, m.priority) for m in rate_rules):
            shadowed = ", ".join(m.name for m in rate_rules if _before(r.priority, m.priority))
            at = _shown(r.priority)
            yield f"rule {r.name} allows requests at priority {at}, before the rate-based rule {shadowed}"
    if ctx.opt("requireRateBasedRule", WAF_RULES) and not rate and not unknown_rules:
        yield "no enforced rate-based rule within maxRateLimit"
    yield from weak


WAF_RULES = Rule(
    name="waf-web-acl-baseline-rules",
    description="Every web ACL enforces (not count mode, not scoped down, not preceded by an allow rule) the AWS "
    "managed common rule set and a rate-based rule within maxRateLimit, inline or as wafv2 WebAclRule resources.",
    pillar="waf",
    types=(g.WEB_ACL,),
    scope="stack",
    check=_check_acl_rules,
    options=(REQUIRED_GROUPS, REQUIRE_RATE, MAX_RATE),
    fsbp=("WAF.10",),
    why="An empty web ACL only applies its default action; the common rule set blocks OWASP-style attacks and "
    "a rate-based rule throttles floods and scrapers.",
    remediation="Add a managedRuleGroupStatement rule (vendorName AWS, name AWSManagedRulesCommonRuleSet) and a "
    "rateBasedStatement rule to `rules`.",
)


def _check_acl_metrics(node: Node, ctx: Ctx) -> Iterator[Finding]:
    acl = node.get("visibilityConfig", "cloudwatchMetricsEnabled")
    if is_unknown(acl):
        yield Unknown("visibilityConfig")
    elif not truthy(acl):
        yield "visibilityConfig.cloudwatchMetricsEnabled is not true on the web ACL"
    rules = _rules(node, ctx)
    if is_unknown(rules):
        yield Unknown("rules")
        return
    for r in rules:
        if is_unknown(r.metrics):
            yield Unknown(f"rules[{r.name}].visibilityConfig")
        elif not truthy(r.metrics):
            yield f"rule {r.name!r} has CloudWatch metrics disabled"


WAF_METRICS = Rule(
    name="waf-web-acl-metrics",
    description="Every web ACL and each of its rules (inline or WebAclRule resources) has CloudWatch metrics enabled.",
    pillar="waf",
    types=(g.WEB_ACL,),
    scope="stack",
    check=_check_acl_metrics,
    fsbp=("WAF.12",),
    severity=Severity.MEDIUM,
    why="Without metrics there is no alarm on blocked-request spikes and no evidence during an incident.",
    remediation="Set visibility_config.cloudwatch_metrics_enabled=True on the ACL and on every rule.",
)


LOG_DESTINATIONS = (
    g.LOG_GROUP,
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
    *g.BUCKETS,
)


def _drops_everything(cfg: Node) -> Any:
    """True when loggingFilter drops every record (default DROP and no KEEP filter); UNKNOWN if unknown."""
    flt = cfg.get("loggingFilter")
    if is_unknown(flt):
        return g.UNKNOWN
    if not isinstance(flt, dict) or g.dig(flt, "defaultBehavior") != "DROP":
        return False
    return not any(isinstance(f, dict) and f.get("behavior") == "KEEP" for f in g.as_list(flt.get("filters")))


def _check_acl_logging(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    problems: list[str] = []
    unknown: list[str] = []
    for cfg in ctx.graph.referrers(node, (g.WEB_ACL_LOGGING,), "resourceArn"):
        dests = cfg.get("logDestinationConfigs")
        drops = _drops_everything(cfg)
        if drops is True:
            problems.append(f"{cfg.name}.loggingFilter drops every record")
            continue
        if is_unknown(drops):
            unknown.append(f"{cfg.name}.loggingFilter")
            continue
        if ctx.graph.deps(cfg, "logDestinationConfigs", LOG_DESTINATIONS):
            return
        known = [d for d in g.as_list(dests) if isinstance(d, str) and d and not is_unknown(d)]
        if known:
            return
        if is_unknown(dests) or any(is_unknown(d) for d in g.as_list(dests)):
            # Unknown and not a log group / stream / bucket of this stack: cannot be called compliant.
            unknown.append(f"{cfg.name}.logDestinationConfigs")
    if unknown and not problems:
        yield from (Unknown(u) for u in unknown)
        return
    yield "no WebAclLoggingConfiguration with a log destination references this web ACL" + (
        ": " + "; ".join(problems) if problems else ""
    )


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
