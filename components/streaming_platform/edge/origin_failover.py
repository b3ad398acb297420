"""OriginFailover: the Route 53 failover records of ``origin.<domain>``, the name CloudFront's app origin uses.

It takes the ALB's outputs as arguments, so the program composes it after the app tier like any other
component: ``StreamingEdge`` no longer grows children after it registered its outputs, and the health
check id is a registered output Observability can take.

* PRIMARY: an alias to this region's ALB (evaluating target health), guarded by a Route 53 health check
  that follows a CloudWatch alarm on the ALB's own 5xx (503 when no target is healthy).
* SECONDARY, when a standby is given: an alias to it (e.g. a standby ALB in the DR region).

Without a standby there is no SECONDARY record: when the ALB fails, CloudFront's own origin group serves
the maintenance page from the renditions bucket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent, reject_invalid

TYPE = "streaming:edge:OriginFailover"
ORIGIN_5XX_ALARM_THRESHOLD = 25  # ALB-generated 5xx per minute (503: no healthy target) before failing over
ORIGIN_ALARM_PERIODS = 3
# Route 53 health check reference names are at most 64 characters (Route 53 API Reference, CreateHealthCheck,
# HealthCheckConfig... CallerReference/ReferenceName; botocore route53 model: HealthCheckNonce / ReferenceName).
REFERENCE_NAME_MAX = 64


@dataclass
class OriginFailoverArgs:
    """Inputs of OriginFailover: the zone, the origin name, and the ALB's outputs."""

    zone_id: pulumi.Input[str]
    """Hosted zone that holds ``origin_domain_name`` (PublicZone ``zone_id``)."""
    origin_domain_name: str
    """The name CloudFront's app origin resolves, ``origin.<domain>`` (StreamingEdge ``origin_domain_name``)."""
    alb_dns_name: pulumi.Input[str]
    """The PRIMARY alias target (AppTier ``alb_dns_name``)."""
    alb_zone_id: pulumi.Input[str]
    """The ALB's canonical hosted zone (AppTier ``alb_zone_id``)."""
    alb_arn_suffix: pulumi.Input[str]
    """The ALB's CloudWatch dimension (AppTier ``alb_arn_suffix``), for the alarm that drives the health check."""
    standby_dns_name: str | None = None
    standby_zone_id: str | None = None
    """Alias target of the SECONDARY record (DNS name and its hosted zone id). Default: None, no SECONDARY
    record; CloudFront's origin group serves the maintenance page while the ALB is down."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """SNS topic the origin alarm notifies when it fires and clears (a notification means failover).
    Default: None, the alarm only drives the health check."""
    resource_prefix: str = "streaming"
    """Prefix of fixed physical names (the alarm, the health check's reference name)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable child, with ``Name`` added. Default: none."""
    previous_parent: pulumi.Resource | None = None
    """For stacks deployed before 0.2.0, where these records were children of ``StreamingEdge``: that edge, so
    each child carries an ``Alias`` to its old URN and is not replaced. Default: None (a new stack)."""


def validate_args(args: OriginFailoverArgs) -> list[str]:
    """Every problem with the plain settings, each as: what, the value given, what is allowed."""
    problems = []
    if (args.standby_dns_name is None) != (args.standby_zone_id is None):
        problems.append(
            f"OriginFailoverArgs.standby_dns_name/standby_zone_id: got {args.standby_dns_name!r}/"
            f"{args.standby_zone_id!r}; allowed: both or neither"
        )
    if len(f"{args.resource_prefix}-origin") > REFERENCE_NAME_MAX:
        problems.append(
            f"OriginFailoverArgs.resource_prefix: got {args.resource_prefix!r}; allowed: at most "
            f"{REFERENCE_NAME_MAX - len('-origin')} characters (the health check reference name)"
        )
    return problems


class OriginFailover(StreamingComponent):
    """PRIMARY/SECONDARY failover records of ``origin.<domain>`` and the health check that drives them."""

    health_check_id: pulumi.Output[str]
    origin_alarm_name: pulumi.Output[str]
    primary_record_fqdn: pulumi.Output[str]
    secondary_record_fqdn: pulumi.Output[str] | None
    """None without a standby: no SECONDARY record is created."""

    def __init__(self, name: str, args: OriginFailoverArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_args(args)
        reject_invalid("OriginFailoverArgs", problems)
        super().__init__(TYPE, name, tags=args.tags, opts=opts)
        aliases = [pulumi.Alias(parent=args.previous_parent)] if args.previous_parent is not None else None
        child = self.child(aliases=aliases)
        prefix = args.resource_prefix
        notify = [args.alarm_topic_arn] if args.alarm_topic_arn else None
        alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-origin-5xx",
            name=f"{prefix}-origin-5xx",
            alarm_description=f"The ALB behind {args.origin_domain_name} answers with its own 5xx (no healthy target)",
            namespace="AWS/ApplicationELB",
            metric_name="HTTPCode_ELB_5XX_Count",
            dimensions={"LoadBalancer": args.alb_arn_suffix},
            statistic="Sum",
            period=60,
            evaluation_periods=ORIGIN_ALARM_PERIODS,
            threshold=ORIGIN_5XX_ALARM_THRESHOLD,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=notify,
            ok_actions=notify,
            tags=self.tags(f"{name}-origin-5xx"),
            opts=child,
        )
        check = aws.route53.HealthCheck(
            f"{name}-origin-health",
            type="CLOUDWATCH_METRIC",
            cloudwatch_alarm_name=alarm.name,
            cloudwatch_alarm_region=self.region,
            insufficient_data_health_status="LastKnownStatus",
            reference_name=f"{prefix}-origin",
            tags=self.tags(f"{name}-origin-health"),
            opts=child,
        )
        # Alerting on the check itself (HealthCheckStatus, in us-east-1) belongs to Observability.
        primary = aws.route53.Record(
            f"{name}-origin-primary",
            zone_id=args.zone_id,
            name=args.origin_domain_name,
            type="A",
            set_identifier="primary",
            failover_routing_policies=[{"type": "PRIMARY"}],
            health_check_id=check.id,
            aliases=[{"name": args.alb_dns_name, "zone_id": args.alb_zone_id, "evaluate_target_health": True}],
            opts=child,
        )
        secondary = None
        if args.standby_dns_name and args.standby_zone_id:
            secondary = aws.route53.Record(
                f"{name}-origin-secondary",
                zone_id=args.zone_id,
                name=args.origin_domain_name,
                type="A",
                set_identifier="secondary",
                failover_routing_policies=[{"type": "SECONDARY"}],
                aliases=[
                    {"name": args.standby_dns_name, "zone_id": args.standby_zone_id, "evaluate_target_health": True}
                ],
                opts=child,
            )
        self.health_check_id = check.id
        self.origin_alarm_name = alarm.name
        self.primary_record_fqdn = primary.fqdn
        self.secondary_record_fqdn = secondary.fqdn if secondary is not None else None
        self.register_outputs(
            {
                "healthCheckId": self.health_check_id,
                "originAlarmName": self.origin_alarm_name,
                "primaryRecordFqdn": self.primary_record_fqdn,
                "secondaryRecordFqdn": self.secondary_record_fqdn,
            }
        )
