"""Observability's arguments: what to watch (identifiers as the other components expose them), where alarms
go, and the checks that reject contradictions before anything is registered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi

from streaming_platform.data.buckets import ReplicationRule
from streaming_platform.observability.thresholds import DEFAULT_THRESHOLDS, AlarmThresholds

__all__ = ["DataTargets", "EdgeTargets", "ObservabilityArgs", "validate_args"]


@dataclass
class DataTargets:
    """The data tier as the alarms watch it (``DataTier``'s outputs)."""

    db_instance_id: pulumi.Input[str]
    """Identifier of the RDS primary (``DataTier.db_instance_id``)."""

    cache_member_cluster_ids: Sequence[pulumi.Input[str]]
    """ElastiCache node (member cluster) ids of the replication group (``DataTier.redis_member_cluster_ids``)."""

    dynamodb_table_names: Mapping[str, pulumi.Input[str]]
    """DynamoDB tables by role (``videos``, ``sessions``): read and write throttle alarms for each."""

    db_replica_instance_ids: Sequence[pulumi.Input[str]] = ()
    """Read replicas: the same alarms as the primary, plus ``ReplicaLag``. Default: none."""

    s3_replication_rules: Sequence[ReplicationRule] = ()
    """DR replication rules (``DataTier.replication_rules``; their metrics must be on): a failed-operations and a
    latency alarm each. Default: none, so a replica falling behind or failing goes unnoticed."""


@dataclass
class EdgeTargets:
    """The edge as the alarms watch it. Its alarms are created in us-east-1, because CloudFront's and Route 53
    health checks' metrics exist only there."""

    cloudfront_distribution_id: pulumi.Input[str] | None = None
    """Default: none, so no CloudFront alarm or widgets. Needs ``alarm_topic_arn``."""

    health_check_id: pulumi.Input[str] | None = None
    """Route 53 health check of the origin. Default: none, so no health-check alarm or widget. Needs
    ``alarm_topic_arn``."""

    alarm_topic_arn: pulumi.Input[str] | None = None
    """SNS topic in us-east-1 (``AlarmTopics.edge_topic_arn``), the edge alarms' alarm and OK action. Default: none;
    required with either identifier."""


@dataclass
class ObservabilityArgs:
    """What to watch (identifiers as the other components expose them) and where alarms go."""

    alarm_topic_arn: pulumi.Input[str]
    """SNS topic in the stack's region (``AlarmTopics.topic_arn``); every regional alarm's alarm and OK action."""

    alb_arn_suffix: pulumi.Input[str]
    """``app/<name>/<id>`` of the public ALB (``AppTier.alb_arn_suffix``)."""

    alb_target_group_arn_suffixes: Mapping[str, pulumi.Input[str]]
    """ALB target groups by role (``AppTier.alb_target_group_arn_suffixes``): one unhealthy-host alarm each."""

    ecs_cluster_name: pulumi.Input[str]
    ecs_service_names: Mapping[str, pulumi.Input[str]]
    """ECS services by role: running below desired, CPU and memory alarms for each."""

    data: DataTargets
    """The database, cache, tables and replication rules to watch."""

    lambda_function_names: Mapping[str, pulumi.Input[str]]
    """Lambda functions by role: error and throttle alarms for each."""

    edge: EdgeTargets = field(default_factory=EdgeTargets)
    """Default: ``EdgeTargets()``, no edge identifiers, so no CloudFront or health-check alarm or widget."""

    queue_names: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """SQS queues by role, for the dashboard only: their alarms belong to the component that owns the
    queues (``MediaPipelineArgs.alarm_topic_arn``), so they are not created twice."""

    asg_name: pulumi.Input[str] | None = None
    """The EC2 fleet's Auto Scaling group. Default: none (no fleet, no in-service alarm)."""

    asg_min_size: int = 0
    """The fleet's minimum: the in-service alarm fires below it (with group metrics collection on)."""

    thresholds: AlarmThresholds = DEFAULT_THRESHOLDS
    resource_prefix: str = "streaming"
    """Alarm names start with it; it is also the dashboard's name (``streaming-prod``)."""

    tags: Mapping[str, str] = field(default_factory=dict)


def validate_args(args: ObservabilityArgs) -> list[str]:
    """Every contradiction in ``args``, each naming the argument, the value and what is allowed."""
    problems = []
    edge = args.edge
    ids = {"cloudfront_distribution_id": edge.cloudfront_distribution_id, "health_check_id": edge.health_check_id}
    for arg, value in ids.items():
        if value is not None and edge.alarm_topic_arn is None:
            problems.append(
                f"EdgeTargets.alarm_topic_arn: got None with {arg} set; allowed: the us-east-1 "
                "topic (AlarmTopics.edge_topic_arn), since edge alarms live in us-east-1"
            )
    if args.asg_name is not None and args.asg_min_size < 1:
        problems.append(f"ObservabilityArgs.asg_min_size: got {args.asg_min_size}; allowed: 1 or more with asg_name")
    if not args.data.cache_member_cluster_ids:
        problems.append("DataTargets.cache_member_cluster_ids: got []; allowed: one id per cache node")
    return problems
