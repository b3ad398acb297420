"""Access logs of every entry point: application load balancers, CloudFront distributions and API stages.

One rule for the job (who called the platform, request by request) across the services that front it; WAF logs
are not a substitute: they record what a rule matched or sampled.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from . import graph as g
from .graph import Node, is_unknown, truthy
from .rule import Ctx, Finding, Rule, Unknown

API_STAGES = (g.API_STAGE, "aws:apigatewayv2/stage:Stage")
LOG_DELIVERY_SOURCE = "aws:cloudwatch/logDeliverySource:LogDeliverySource"
LOG_DELIVERY = "aws:cloudwatch/logDelivery:LogDelivery"


def _not_alb(node: Node, _ctx: Ctx) -> str | None:
    if node.type not in g.LOAD_BALANCERS:
        return None
    kind = node.get("loadBalancerType", default="application")
    # Network load balancer access logs cover TLS listeners only (ELB User Guide for Network Load Balancers,
    # "Access logs"); gateway load balancers have none.
    return None if kind in ("application", g.UNKNOWN) else f"{kind} load balancer"


def _check_lb(node: Node) -> Iterator[Finding]:
    enabled, bucket = node.get("accessLogs", "enabled"), node.get("accessLogs", "bucket")
    if is_unknown(enabled):
        yield Unknown("accessLogs.enabled")
    elif not truthy(enabled) or not bucket:
        # accessLogs.enabled defaults to false even when a bucket is given (pulumi-aws lb.LoadBalancer).
        yield "accessLogs is not enabled with a bucket: requests to the load balancer are not recorded"


def _check_distribution(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    if node.get("loggingConfig", "bucket"):
        return  # standard logging (legacy) to an S3 bucket
    # Standard logging v2: a delivery source for the distribution's ACCESS_LOGS with a delivery from it
    # (CloudFront Developer Guide, "Standard logging (v2)"; CloudWatch Logs API, PutDeliverySource).
    for source in ctx.graph.referrers(node, (LOG_DELIVERY_SOURCE,), "resourceArn"):
        kind = source.get("logType")
        if is_unknown(kind):
            yield Unknown(f"{source.name}.logType")
            return
        if kind == "ACCESS_LOGS" and ctx.graph.referrers(source, (LOG_DELIVERY,), "deliverySourceName"):
            return
    yield (
        "no loggingConfig bucket and no ACCESS_LOGS log delivery source with a delivery: viewer requests are not "
        "recorded"
    )


def _check_stage(node: Node) -> Iterator[Finding]:
    settings = node.get("accessLogSettings")
    if is_unknown(settings):
        yield Unknown("accessLogSettings")
    elif not g.dig(settings, "destinationArn") or not g.dig(settings, "format"):
        yield "accessLogSettings has no destinationArn and format: API calls are not recorded"


def _check_access_logs(node: Node, ctx: Ctx) -> Iterator[Finding]:
    if node.type in g.LOAD_BALANCERS:
        yield from _check_lb(node)
    elif node.type == g.DISTRIBUTION:
        yield from _check_distribution(node, ctx)
    else:
        yield from _check_stage(node)


ACCESS_LOGS = Rule(
    name="entry-point-access-logs",
    description="Every application load balancer, CloudFront distribution and API Gateway stage writes access logs.",
    pillar="hardening",
    types=(*g.LOAD_BALANCERS, g.DISTRIBUTION, *API_STAGES),
    scope="stack",
    check=_check_access_logs,
    exempt=_not_alb,
    fsbp=("ELB.5", "CloudFront.5"),
    severity=Severity.MEDIUM,
    why="Access logs are the only per-request record of who called the platform's entry points; WAF logs cover "
    "only the requests its rules matched or sampled.",
    remediation="ALB: access_logs={bucket: logs.id, enabled: True}. CloudFront: logging_config={bucket: "
    "'<logs>.s3.amazonaws.com'} or a v2 LogDeliverySource(log_type='ACCESS_LOGS') with a LogDelivery. API "
    "stage: access_log_settings={destination_arn: group.arn, format: ...}.",
)


RULES = (ACCESS_LOGS,)
