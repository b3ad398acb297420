"""The REGIONAL web ACLs: one per entry point (the ALB, the REST API stage), each with its own log group.

Why the per-client rate rule keys on the connecting address, and only counts what did not come through the edge:

- AWS WAF evaluates only the *first* address of a forwarded-IP header, and when the header is absent it does not
  apply the rule at all (AWS WAF Developer Guide, "Using forwarded IP addresses"; AWS WAF API Reference,
  ``ForwardedIPConfig``). Behind CloudFront the first ``X-Forwarded-For`` address is whatever the viewer sent, and
  a client calling the API stage directly sends no such header: a ``FORWARDED_IP`` rule limits nobody.
- So each ACL aggregates on ``IP``, the address that opened the connection, and is scoped down to requests that do
  *not* carry the edge's ``X-Origin-Verify`` secret: a client reaching the entry point directly (the API at
  ``api.<domain>``) is limited by its own address. Requests that came through CloudFront were already counted per
  viewer address by the edge's CLOUDFRONT web ACL (where the connecting address is the viewer's); counting them
  here by the address of a CloudFront edge server would block every viewer that server carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.app.common import ORIGIN_VERIFY_HEADER, LogSettings, log_group

RATE_WINDOW_SECONDS = 300
MANAGED_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
RATE_RULE = "rate-limit-per-client-ip"
# AWS WAF API Reference, RateBasedStatement.Limit: 10 to 2,000,000,000 (botocore wafv2 RateLimit); the component
# keeps the floor of 100 it has always had, so a typo cannot throttle every client to a handful of requests.
RATE_LIMIT_MIN = 100
RATE_LIMIT_MAX = 2_000_000_000


def visibility(metric: str) -> Any:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def not_from_edge(origin_verify_secret: pulumi.Input[str]) -> dict[str, Any]:
    """Matches requests that do not carry the edge's ``X-Origin-Verify`` value exactly."""
    return {
        "not_statement": {
            "statement": {
                "byte_match_statement": {
                    "field_to_match": {"single_header": {"name": ORIGIN_VERIFY_HEADER.lower()}},
                    "positional_constraint": "EXACTLY",
                    "search_string": origin_verify_secret,
                    "text_transformations": [{"priority": 0, "type": "NONE"}],
                }
            }
        }
    }


def regional_rules(
    metric_prefix: str, rate_limit: int, origin_verify_secret: pulumi.Input[str]
) -> list[dict[str, Any]]:
    """The managed common and known-bad-inputs groups, then the per-connecting-IP rate rule for requests that did
    not come through the edge. ``metric_prefix`` names each rule's metric ``<prefix>-<group>`` /
    ``<prefix>-rate-limit``."""
    rules: list[dict[str, Any]] = [
        {
            "name": group,
            "priority": priority,
            "override_action": {"none": {}},
            "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
            "visibility_config": visibility(f"{metric_prefix}-{group}"),
        }
        for priority, group in enumerate(MANAGED_GROUPS, start=1)
    ]
    rules.append(
        {
            "name": RATE_RULE,
            "priority": len(rules) + 1,
            "action": {"block": {}},
            "statement": {
                "rate_based_statement": {
                    "limit": rate_limit,
                    "aggregate_key_type": "IP",
                    "evaluation_window_sec": RATE_WINDOW_SECONDS,
                    "scope_down_statement": not_from_edge(origin_verify_secret),
                }
            },
            "visibility_config": visibility(f"{metric_prefix}-rate-limit"),
        }
    )
    return rules


def rate_limit_problems(field: str, rate_limit: int) -> list[str]:
    if not RATE_LIMIT_MIN <= rate_limit <= RATE_LIMIT_MAX:
        return [f"{field}: got {rate_limit}; allowed: {RATE_LIMIT_MIN} to {RATE_LIMIT_MAX}"]
    return []


@dataclass(frozen=True)
class RegionalAclNames:
    """Logical and physical names of one entry point's ACL and its logging."""

    acl: str
    """Logical name of the ``WebAcl``; its log group is ``<acl>-logs`` and logging ``<acl>-logging``."""
    description: str
    metric_prefix: str
    """Prefix of the rules' metric names; the ACL's own metric is ``acl_metric``."""
    acl_metric: str
    log_group_name: str
    """Must start with ``aws-waf-logs-`` (AWS WAF Developer Guide, "Sending web ACL traffic logs to an Amazon
    CloudWatch Logs log group")."""


def regional_web_acl(
    part: StreamingComponent,
    names: RegionalAclNames,
    rate_limit: int,
    origin_verify_secret: pulumi.Input[str],
    logs: LogSettings,
    redacted_headers: Sequence[str],
    *,
    new: bool = False,
) -> aws.wafv2.WebAcl:
    """Register one entry point's REGIONAL web ACL, its log group and logging configuration under ``part``.
    ``new``: the ACL was added after 0.1 (see ``StreamingComponent.child``), so none of the three is aliased."""
    allow: Any = {"allow": {}}
    rules: Any = regional_rules(names.metric_prefix, rate_limit, origin_verify_secret)
    acl = aws.wafv2.WebAcl(
        names.acl,
        scope="REGIONAL",
        description=names.description,
        default_action=allow,
        rules=rules,
        visibility_config=visibility(names.acl_metric),
        tags=part.tags(names.acl),
        opts=part.child(new=new),
    )
    group = log_group(part, f"{names.acl}-logs", names.log_group_name, logs, new=new)
    aws.wafv2.WebAclLoggingConfiguration(
        f"{names.acl}-logging",
        resource_arn=acl.arn,
        log_destination_configs=[group.arn],
        # The origin secret and the users' tokens never reach the logs.
        redacted_fields=[{"single_header": {"name": h}} for h in redacted_headers],
        opts=part.child(new=new),
    )
    return acl
