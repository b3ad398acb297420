"""The edge's web ACL: CLOUDFRONT scope, in us-east-1, with its KMS-encrypted log group.

``web_acl_rules`` is pure (rules in evaluation order, checked against the WCU budget) so it is tested
and validated without registering anything; ``build_edge_waf`` registers the ACL, its log key, log group
and logging configuration as children of the ``StreamingEdge`` that calls it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.edge.cache import media_patterns
from streaming_platform.iam import account_admin_statement, cloudwatch_logs_statement, policy_document

CLOUDFRONT_REGION = "us-east-1"  # ACM certificates and CLOUDFRONT web ACLs for CloudFront live here only

# WAF web ACL capacity units (WCU) per rule, from the AWS Managed Rules rule-group list and the WAF
# "rule statement" pages. A web ACL's price covers 1,500 WCU; more costs extra, so the budget is checked here.
WCU_BUDGET = 1500
WCU = {
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
    "AWSManagedRulesAmazonIpReputationList": 25,
    "AWSManagedRulesAnonymousIpList": 50,
    # A rate-based statement costs 2 WCU plus its scope-down statement; a regex match statement costs 3 (AWS WAF
    # Developer Guide, "Using rate-based rule statements" and "Regex match rule statement"; NOT adds nothing).
    "rate-limit": 2 + 3,
    "rate-limit-media": 2 + 3,
    "geo-block": 1,
}
RATE_WINDOW_SECONDS = 300


def media_path_regex(patterns: Sequence[str] | None = None) -> str:
    """A regex matching the URI paths the media behaviors serve (``*.m3u8`` ... ``*.mp4``), built from the same
    path patterns, so the WAF's idea of "media" cannot drift from CloudFront's. Case-sensitive, as CloudFront's
    path patterns are."""
    given = list(patterns if patterns is not None else media_patterns())
    extensions = [p.removeprefix("*.") for p in given]
    if not given or any(not p.startswith("*.") or not e.isalnum() for p, e in zip(given, extensions, strict=True)):
        raise ValueError(f"media path patterns: got {given}; allowed: one or more '*.<alphanumeric extension>'")
    return r"\.(" + "|".join(extensions) + r")$"


def _media_paths() -> dict[str, Any]:
    return {
        "regex_match_statement": {
            "regex_string": media_path_regex(),
            "field_to_match": {"uri_path": {}},
            "text_transformations": [{"priority": 0, "type": "NONE"}],
        }
    }


def _rate(limit: int, scope_down: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": {"block": {}},
        # At CloudFront the connecting address is the viewer's own: no forwarded-IP header is trusted.
        "statement": {
            "rate_based_statement": {
                "limit": limit,
                "aggregate_key_type": "IP",
                "evaluation_window_sec": RATE_WINDOW_SECONDS,
                "scope_down_statement": scope_down,
            }
        },
    }


def visibility(metric: str) -> Any:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def web_acl_rules(
    prefix: str,
    rate_limit: int,
    anonymous_ip_list: bool,
    geo_block_countries: Sequence[str],
    media_rate_limit: int,
) -> list[dict[str, Any]]:
    """The web ACL's rules in evaluation order (priority = position): cheap IP verdicts first, then the two rate
    limits, then the request-inspecting groups. Raises ValueError when their WCU exceed ``WCU_BUDGET``.

    ``rate-limit`` counts every request except media (manifests and segments): a player fetches one segment and
    often one playlist every few seconds, so counting media would block a few dozen viewers behind one carrier
    NAT. ``rate-limit-media`` counts media alone, per viewer address, at its own ``media_rate_limit``."""
    entries: list[tuple[str, int, dict[str, Any]]] = []

    def managed(group: str) -> None:
        entries.append(
            (
                group,
                WCU[group],
                {
                    "override_action": {"none": {}},
                    "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
                },
            )
        )

    if geo_block_countries:
        entries.append(
            (
                "geo-block",
                WCU["geo-block"],
                {
                    "action": {"block": {}},
                    "statement": {"geo_match_statement": {"country_codes": list(geo_block_countries)}},
                },
            )
        )
    managed("AWSManagedRulesAmazonIpReputationList")
    if anonymous_ip_list:
        managed("AWSManagedRulesAnonymousIpList")
    not_media = {"not_statement": {"statement": _media_paths()}}
    entries.append(("rate-limit", WCU["rate-limit"], _rate(rate_limit, not_media)))
    entries.append(("rate-limit-media", WCU["rate-limit-media"], _rate(media_rate_limit, _media_paths())))
    managed("AWSManagedRulesCommonRuleSet")
    managed("AWSManagedRulesKnownBadInputsRuleSet")
    total = sum(w for _, w, _ in entries)
    if total > WCU_BUDGET:
        names = ", ".join(f"{n} ({w})" for n, w, _ in entries)
        raise ValueError(f"web ACL capacity: got {total} WCU from {names}; allowed: at most {WCU_BUDGET}")
    return [
        {"name": name, "priority": i, **body, "visibility_config": visibility(f"{prefix}-edge-{name}")}
        for i, (name, _, body) in enumerate(entries, start=1)
    ]


def web_acl_capacity(rules: Sequence[Mapping[str, Any]]) -> int:
    """WCU of rules built by ``web_acl_rules``."""
    return sum(WCU[r["name"]] for r in rules)


@dataclass(frozen=True)
class EdgeWafSettings:
    """What ``build_edge_waf`` needs from ``StreamingEdgeArgs``."""

    resource_prefix: str
    rate_limit: int
    media_rate_limit: int
    anonymous_ip_list: bool
    geo_block_countries: Sequence[str]
    log_retention_days: int
    protect: bool


@dataclass(frozen=True)
class EdgeWaf:
    """The registered web ACL's ARN and the capacity its rules use."""

    web_acl_arn: pulumi.Output[str]
    capacity: int


def build_edge_waf(
    edge: StreamingComponent,
    name: str,
    site_domain_name: str,
    settings: EdgeWafSettings,
    in_us_east_1: pulumi.ResourceOptions,
) -> EdgeWaf:
    """Register the CLOUDFRONT web ACL, its us-east-1 log key and log group, and the logging configuration, as
    children of ``edge`` (``in_us_east_1``: ``parent=edge`` with the us-east-1 provider)."""
    prefix = settings.resource_prefix
    stateful = pulumi.ResourceOptions.merge(
        in_us_east_1, pulumi.ResourceOptions(protect=settings.protect, retain_on_delete=settings.protect)
    )
    allow: Any = {"allow": {}}
    rules: Any = web_acl_rules(
        prefix, settings.rate_limit, settings.anonymous_ip_list, settings.geo_block_countries, settings.media_rate_limit
    )
    acl = aws.wafv2.WebAcl(
        f"{name}-waf",
        scope="CLOUDFRONT",
        description=f"{name}: CloudFront distribution of {site_domain_name}",
        default_action=allow,
        rules=rules,
        visibility_config=visibility(f"{prefix}-edge-waf"),
        tags=edge.tags(f"{name}-waf"),
        opts=in_us_east_1,
    )
    key_statements = pulumi.Output.all(edge.partition, edge.account).apply(
        lambda a: policy_document(
            [account_admin_statement(*a), cloudwatch_logs_statement(a[0], a[1], CLOUDFRONT_REGION)]
        )
    )
    key = aws.kms.Key(
        f"{name}-logs-key",
        description=f"{name}: CloudWatch Logs of the CloudFront web ACL (us-east-1)",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=key_statements,
        tags=edge.tags(f"{name}-logs-key"),
        opts=stateful,
    )
    # WAF only logs to groups named aws-waf-logs-*, in the web ACL's region.
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-waf-logs",
        name=f"aws-waf-logs-{prefix}-cloudfront",
        retention_in_days=settings.log_retention_days,
        kms_key_id=key.arn,
        tags=edge.tags(f"{name}-waf-logs"),
        opts=stateful,
    )
    aws.wafv2.WebAclLoggingConfiguration(
        f"{name}-waf-logging",
        resource_arn=acl.arn,
        log_destination_configs=[log_group.arn],
        redacted_fields=[{"single_header": {"name": "authorization"}}, {"single_header": {"name": "cookie"}}],
        opts=in_us_east_1,
    )
    return EdgeWaf(web_acl_arn=acl.arn, capacity=web_acl_capacity(rules))
