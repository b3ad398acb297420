"""Observability: where the platform's alarms go, what they watch, and the one dashboard an operator opens.

Two components, because the notification target has to exist before the tiers that raise alarms of
their own (the media pipeline's queue alarms take ``alarm_topic_arn``), while the alarms on every tier
need those tiers' identifiers:

* ``AlarmTopics`` -- a KMS-encrypted SNS topic in the stack's region, and a second one (with its own
  key) in us-east-1, where CloudFront and Route 53 health-check metrics exist and so where their
  alarms must live. Email subscriptions come from the caller. Key policy: CloudWatch of this account
  may use the key (an alarm cannot publish to an encrypted topic otherwise). Topic policy: only
  CloudWatch alarms of this account may publish; nothing may publish without TLS.
* ``Observability`` -- metric alarms on every tier, each with alarm and OK actions on the topic of its
  own region, and one CloudWatch dashboard (``<resource_prefix>``, e.g. ``streaming-prod``) with an
  edge, an app and a data row.

Missing data is decided per alarm, by what silence means for that metric:

* counts and rates that are only published when something happens (5xx, throttles, errors,
  evictions) and latency (no requests, no latency): ``notBreaching``;
* gauges a healthy resource reports every period (RDS and ElastiCache CPU, memory, storage, lag; ECS
  utilisation): ``missing``, so a gap during a failover or a reboot keeps the last state instead of
  flapping;
* presence (Route 53 health check, fleet in service, ECS running tasks): ``breaching``: silence means
  the thing being watched is gone.

CloudFront and Route 53 identifiers are optional: without them those alarms and widgets are not
created (and the us-east-1 topic is unused).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform.data.buckets import ReplicationRule
from streaming_platform.iam import account_admin_statement, policy_document

US_EAST_1 = "us-east-1"
"""CloudFront and Route 53 health-check metrics are published in us-east-1 only."""

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")

# Missing-data treatments (see the module docstring for which alarm takes which, and why).
NOT_BREACHING, MISSING, BREACHING = "notBreaching", "missing", "breaching"
GE, GT, LT = "GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold"


@dataclass(frozen=True)
class AlarmThresholds:
    """When each alarm fires. Every default is the value a stack gets when it sets nothing."""

    cloudfront_5xx_rate_percent: int = 5
    """CloudFront ``5xxErrorRate`` (percent of all requests), averaged over 5 minutes. Default: 5."""

    alb_5xx_count: int = 10
    """5xx the ALB itself returned (``HTTPCode_ELB_5XX_Count``) in 5 minutes. Default: 10."""

    alb_target_5xx_count: int = 25
    """5xx the targets returned through the ALB (``HTTPCode_Target_5XX_Count``) in 5 minutes. Default: 25."""

    alb_p99_response_time_ms: int = 2000
    """p99 ``TargetResponseTime`` over 5 minutes, in milliseconds. Default: 2000."""

    alb_unhealthy_hosts: int = 1
    """Unhealthy targets of one target group, for 5 consecutive minutes. Default: 1 (any)."""

    ecs_cpu_percent: int = 90
    """Service CPU utilisation for 15 minutes; above the 60 % scaling target, so it means scaling is not
    keeping up (or has hit ecsMaxTasks). Default: 90."""

    ecs_memory_percent: int = 90
    """Service memory utilisation for 15 minutes; above the 75 % scaling target. Default: 90."""

    db_cpu_percent: int = 80
    """RDS instance CPU for 15 minutes. Default: 80."""

    db_freeable_memory_mb: int = 256
    """RDS ``FreeableMemory`` below this many MiB for 15 minutes. Default: 256."""

    db_free_storage_gb: int = 10
    """RDS ``FreeStorageSpace`` below this many GiB (storage autoscaling has a ceiling). Default: 10."""

    db_replica_lag_seconds: int = 60
    """RDS ``ReplicaLag`` of a read replica for 5 minutes, in seconds. Default: 60."""

    cache_cpu_percent: int = 80
    """ElastiCache node ``CPUUtilization`` and ``EngineCPUUtilization`` (Redis' one thread) for 15 minutes.
    Default: 80."""

    cache_evictions: int = 100
    """Keys a cache node evicted in 5 minutes (memory pressure). Default: 100."""

    cache_replication_lag_seconds: int = 30
    """ElastiCache ``ReplicationLag`` of a replica node for 5 minutes, in seconds. Default: 30."""

    dynamodb_throttled_requests: int = 10
    """Read or write throttle events of one table in 5 minutes. Default: 10."""

    lambda_errors: int = 5
    """Invocation errors of one function in 5 minutes. Default: 5."""

    lambda_throttles: int = 10
    """Throttled invocations of one function in 5 minutes. Default: 10."""

    s3_replication_latency_seconds: int = 900
    """S3 ``ReplicationLatency`` of a DR replication rule (how far the replica is behind), for 15 minutes, in
    seconds. Default: 900, the 15 minutes S3's replication events treat as missed."""


DEFAULT_THRESHOLDS = AlarmThresholds()


# ---- policies -------------------------------------------------------------------------------------------


def cloudwatch_uses_key_statement(account: str) -> dict[str, Any]:
    """CloudWatch (alarms of this account) may use the topic key; without it publishing fails silently."""
    return {
        "Sid": "CloudWatchAlarmsUseKeyForEncryptedTopic",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
    }


def alarm_key_policy(partition: str, account: str) -> str:
    return policy_document([account_admin_statement(partition, account), cloudwatch_uses_key_statement(account)])


def alarm_topic_policy(topic_arn: str, partition: str, region: str, account: str) -> str:
    """Only CloudWatch alarms of this account in the topic's region publish; no request without TLS."""
    return policy_document(
        [
            {
                "Sid": "CloudWatchAlarmsOfThisAccountPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account}:alarm:*"},
                },
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    )


# ---- AlarmTopics ----------------------------------------------------------------------------------------


@dataclass
class AlarmTopicsArgs:
    """Inputs of AlarmTopics."""

    region: str
    """The stack's region (``aws:region``). When it is us-east-1 the one topic serves the edge alarms too."""

    email_addresses: Sequence[str] = ()
    """Each address gets an email subscription on every topic; AWS mails a confirmation link first, and
    nothing is delivered until it is clicked. Default: none (alarms still show in CloudWatch)."""

    resource_prefix: str = "streaming"
    """Prefix of fixed physical names: topics ``<prefix>-alarms`` / ``<prefix>-edge-alarms``, key aliases."""

    protect: bool = False
    """Protect and retain the topic keys (a deleted key makes the topics unusable). Default: off."""

    tags: Mapping[str, str] = field(default_factory=dict)


def validate_topic_args(args: AlarmTopicsArgs) -> list[str]:
    problems = [
        f"AlarmTopicsArgs.email_addresses: got {e!r}; allowed: email addresses such as ops@example.com"
        for e in args.email_addresses
        if not EMAIL.match(e)
    ]
    if len(set(args.email_addresses)) != len(args.email_addresses):
        problems.append(f"AlarmTopicsArgs.email_addresses: got {list(args.email_addresses)}; allowed: each once")
    return problems


class AlarmTopics(pulumi.ComponentResource):
    """The SNS topics every alarm notifies: one in the stack's region, one in us-east-1 for edge alarms."""

    topic_arn: pulumi.Output[str]
    """Topic of the stack's region."""
    edge_topic_arn: pulumi.Output[str]
    """Topic in us-east-1 (the same topic when the stack runs there)."""
    key_arn: pulumi.Output[str]
    edge_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlarmTopicsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:observability:AlarmTopics", name, None, opts)
        problems = validate_topic_args(args)
        if problems:
            raise ValueError("; ".join(problems))
        self._name, self._args = name, args
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition
        self.key_arn, self.topic_arn = self._topic("", None)
        if args.region == US_EAST_1:
            self.edge_key_arn, self.edge_topic_arn = self.key_arn, self.topic_arn
        else:
            self.edge_key_arn, self.edge_topic_arn = self._topic("edge-", US_EAST_1)
        self.register_outputs(
            {
                "topicArn": self.topic_arn,
                "edgeTopicArn": self.edge_topic_arn,
                "keyArn": self.key_arn,
                "edgeKeyArn": self.edge_key_arn,
            }
        )

    def _topic(self, kind: str, region: str | None) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """Key, alias, topic, topic policy and subscriptions in ``region`` (None: the provider's)."""
        name, a = self._name, self._args
        child = pulumi.ResourceOptions(parent=self)
        tags = {**a.tags, "Name": f"{a.resource_prefix}-{kind}alarms"}
        key = aws.kms.Key(
            f"{name}-{kind}key",
            description=f"{name}: {kind.rstrip('-') or 'regional'} alarm topic",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(self._partition, self._account).apply(lambda v: alarm_key_policy(*v)),
            region=region,
            tags={**tags, "DataClass": "alarms"},
            opts=pulumi.ResourceOptions(parent=self, protect=a.protect, retain_on_delete=a.protect),
        )
        aws.kms.Alias(
            f"{name}-{kind}key-alias",
            name=f"alias/{a.resource_prefix}-{kind}alarms",
            target_key_id=key.key_id,
            region=region,
            opts=child,
        )
        topic = aws.sns.Topic(
            f"{name}-{kind}topic",
            name=f"{a.resource_prefix}-{kind}alarms",
            display_name=f"{a.resource_prefix} alarms",
            kms_master_key_id=key.arn,
            region=region,
            tags=tags,
            opts=child,
        )
        region_name = region or aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        aws.sns.TopicPolicy(
            f"{name}-{kind}topic-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, self._partition, region_name, self._account).apply(
                lambda v: alarm_topic_policy(*v)
            ),
            region=region,
            opts=child,
        )
        for email in a.email_addresses:
            digest = hashlib.sha256(email.lower().encode()).hexdigest()[:8]
            aws.sns.TopicSubscription(
                f"{name}-{kind}email-{digest}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                region=region,
                opts=child,
            )
        return key.arn, topic.arn


# ---- Observability --------------------------------------------------------------------------------------


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

    db_instance_id: pulumi.Input[str]
    """Identifier of the RDS primary (``DataTier.db_instance_id``)."""

    cache_member_cluster_ids: Sequence[pulumi.Input[str]]
    """ElastiCache node (member cluster) ids of the replication group (``DataTier.redis_member_cluster_ids``)."""

    dynamodb_table_names: Mapping[str, pulumi.Input[str]]
    """DynamoDB tables by role (``videos``, ``sessions``): read and write throttle alarms for each."""

    lambda_function_names: Mapping[str, pulumi.Input[str]]
    """Lambda functions by role: error and throttle alarms for each."""

    queue_names: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """SQS queues by role, for the dashboard only: their alarms belong to the component that owns the
    queues (``MediaPipelineArgs.alarm_topic_arn``), so they are not created twice."""

    db_replica_instance_ids: Sequence[pulumi.Input[str]] = ()
    """Read replicas: the same alarms as the primary, plus ``ReplicaLag``. Default: none."""

    s3_replication_rules: Sequence[ReplicationRule] = ()
    """DR replication rules (``DataTier.replication_rules``; their metrics must be on): a failed-operations and a
    latency alarm each. Default: none, so a replica falling behind or failing goes unnoticed."""

    asg_name: pulumi.Input[str] | None = None
    """The EC2 fleet's Auto Scaling group. Default: none (no fleet, no in-service alarm)."""

    asg_min_size: int = 0
    """The fleet's minimum: the in-service alarm fires below it (with group metrics collection on)."""

    cloudfront_distribution_id: pulumi.Input[str] | None = None
    """Default: none, so no CloudFront alarm or widgets. Needs ``edge_alarm_topic_arn``."""

    health_check_id: pulumi.Input[str] | None = None
    """Route 53 health check of the origin. Default: none, so no health-check alarm or widget. Needs
    ``edge_alarm_topic_arn``."""

    edge_alarm_topic_arn: pulumi.Input[str] | None = None
    """SNS topic in us-east-1 (``AlarmTopics.edge_topic_arn``) for the CloudFront and health-check alarms,
    which are created in us-east-1 because their metrics exist only there."""

    thresholds: AlarmThresholds = DEFAULT_THRESHOLDS
    resource_prefix: str = "streaming"
    """Alarm names start with it; it is also the dashboard's name (``streaming-prod``)."""

    tags: Mapping[str, str] = field(default_factory=dict)


def validate_args(args: ObservabilityArgs) -> list[str]:
    """Every contradiction in ``args``, each naming the argument, the value and what is allowed."""
    problems = []
    edge = {"cloudfront_distribution_id": args.cloudfront_distribution_id, "health_check_id": args.health_check_id}
    for arg, value in edge.items():
        if value is not None and args.edge_alarm_topic_arn is None:
            problems.append(
                f"ObservabilityArgs.edge_alarm_topic_arn: got None with {arg} set; allowed: the us-east-1 "
                "topic (AlarmTopics.edge_topic_arn), since edge alarms live in us-east-1"
            )
    if args.asg_name is not None and args.asg_min_size < 1:
        problems.append(f"ObservabilityArgs.asg_min_size: got {args.asg_min_size}; allowed: 1 or more with asg_name")
    if not args.cache_member_cluster_ids:
        problems.append("ObservabilityArgs.cache_member_cluster_ids: got []; allowed: one id per cache node")
    return problems


@dataclass(frozen=True)
class _Widget:
    title: str
    metrics: list[list[Any]]
    stat: str = "Sum"
    region: str | None = None
    threshold: float | None = None


class Observability(pulumi.ComponentResource):
    """Alarms on every tier, each notifying the topic of its region, and the stack's dashboard."""

    dashboard_name: str
    dashboard_arn: pulumi.Output[str]
    alarm_count: int
    """How many alarms this component created (the owners of other alarms count theirs)."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:observability:Observability", name, None, opts)
        problems = validate_args(args)
        if problems:
            raise ValueError("invalid ObservabilityArgs:\n" + "\n".join(f"  - {p}" for p in problems))
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        self._alarms: list[aws.cloudwatch.MetricAlarm] = []
        t = args.thresholds

        self._edge_alarms(t)
        self._app_alarms(t)
        self._data_alarms(t)
        self.alarm_count = len(self._alarms)
        self.dashboard_name = args.resource_prefix
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        rows = self._rows(t)
        ids = {key: value for _, widgets in rows for w in widgets for key, value in _inputs_of(w)}
        body = pulumi.Output.all(region=region, **ids).apply(lambda v: dashboard_body(rows, v))
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard", dashboard_name=self.dashboard_name, dashboard_body=body, opts=self._child
        )
        self.dashboard_arn = dashboard.dashboard_arn
        self.register_outputs(
            {"dashboardName": self.dashboard_name, "dashboardArn": self.dashboard_arn, "alarmCount": self.alarm_count}
        )

    # ---- alarms --------------------------------------------------------------------------------------------

    def _alarm(
        self,
        key: str,
        description: str,
        *,
        threshold: float,
        comparison: str,
        missing: str,
        namespace: str | None = None,
        metric: str | None = None,
        dimensions: Mapping[str, pulumi.Input[str]] | None = None,
        statistic: str | None = "Sum",
        extended_statistic: str | None = None,
        period: int = 300,
        evaluation_periods: int = 1,
        datapoints: int | None = None,
        metric_queries: list[aws.cloudwatch.MetricAlarmMetricQueryArgsDict] | None = None,
        edge: bool = False,
    ) -> aws.cloudwatch.MetricAlarm:
        a = self._args
        topic = a.edge_alarm_topic_arn if edge else a.alarm_topic_arn
        assert topic is not None  # validate_args: edge identifiers need the edge topic
        plain = metric_queries is None
        alarm = aws.cloudwatch.MetricAlarm(
            f"{self._name}-{key}",
            name=f"{a.resource_prefix}-{key}",
            alarm_description=description,
            namespace=namespace,
            metric_name=metric,
            dimensions=dimensions,
            statistic=statistic if plain and extended_statistic is None else None,
            extended_statistic=extended_statistic,
            period=period if plain else None,
            metric_queries=metric_queries,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints,
            comparison_operator=comparison,
            threshold=threshold,
            treat_missing_data=missing,
            alarm_actions=[topic],
            ok_actions=[topic],
            region=US_EAST_1 if edge else None,
            tags={**a.tags, "Name": f"{a.resource_prefix}-{key}"},
            opts=self._child,
        )
        self._alarms.append(alarm)
        return alarm

    def _edge_alarms(self, t: AlarmThresholds) -> None:
        a = self._args
        if a.cloudfront_distribution_id is not None:
            self._alarm(
                "cloudfront-5xx-rate",
                "CloudFront answers viewers with 5xx: the origin (ALB, API) is failing or unreachable.",
                namespace="AWS/CloudFront",
                metric="5xxErrorRate",
                dimensions={"DistributionId": a.cloudfront_distribution_id, "Region": "Global"},
                statistic="Average",
                threshold=t.cloudfront_5xx_rate_percent,
                comparison=GE,
                missing=NOT_BREACHING,
                edge=True,
            )
        if a.health_check_id is not None:
            self._alarm(
                "origin-health-check",
                "Route 53 health checkers cannot reach the origin: viewers see errors or failover has begun.",
                namespace="AWS/Route53",
                metric="HealthCheckStatus",
                dimensions={"HealthCheckId": a.health_check_id},
                statistic="Minimum",
                period=60,
                evaluation_periods=3,
                threshold=1,
                comparison=LT,
                missing=BREACHING,
                edge=True,
            )

    def _app_alarms(self, t: AlarmThresholds) -> None:
        a = self._args
        lb = {"LoadBalancer": a.alb_arn_suffix}
        alb: dict[str, Any] = {"namespace": "AWS/ApplicationELB", "dimensions": lb, "comparison": GE}
        self._alarm(
            "alb-5xx",
            "The ALB itself returns 5xx (no healthy target, target timeouts, listener errors).",
            metric="HTTPCode_ELB_5XX_Count",
            threshold=t.alb_5xx_count,
            missing=NOT_BREACHING,
            **alb,
        )
        self._alarm(
            "alb-target-5xx",
            "Targets behind the ALB (fleet, ECS services) return 5xx.",
            metric="HTTPCode_Target_5XX_Count",
            threshold=t.alb_target_5xx_count,
            missing=NOT_BREACHING,
            **alb,
        )
        self._alarm(
            "alb-p99-response-time",
            "The slowest 1 % of requests through the ALB take longer than the target.",
            metric="TargetResponseTime",
            statistic=None,
            extended_statistic="p99",
            threshold=t.alb_p99_response_time_ms / 1000,
            missing=NOT_BREACHING,
            **{**alb, "comparison": GT},
        )
        for role, suffix in a.alb_target_group_arn_suffixes.items():
            # Empty target groups publish nothing; the ECS and fleet alarms below catch missing capacity.
            self._alarm(
                f"alb-{role}-unhealthy-hosts",
                f"Targets of the {role} target group fail their health checks.",
                namespace="AWS/ApplicationELB",
                metric="UnHealthyHostCount",
                dimensions={"LoadBalancer": a.alb_arn_suffix, "TargetGroup": suffix},
                statistic="Maximum",
                period=60,
                evaluation_periods=5,
                threshold=t.alb_unhealthy_hosts,
                comparison=GE,
                missing=NOT_BREACHING,
            )
        if a.asg_name is not None:
            self._alarm(
                "fleet-in-service",
                "Fewer streaming instances are in service than the group's minimum (launch failures, Spot loss).",
                namespace="AWS/AutoScaling",
                metric="GroupInServiceInstances",
                dimensions={"AutoScalingGroupName": a.asg_name},
                statistic="Minimum",
                period=60,
                evaluation_periods=10,
                threshold=a.asg_min_size,
                comparison=LT,
                missing=BREACHING,
            )
        for role, service in a.ecs_service_names.items():
            dims = {"ClusterName": a.ecs_cluster_name, "ServiceName": service}

            def query(
                qid: str, metric: str, stat: str, dims: Mapping[str, Any] = dims
            ) -> aws.cloudwatch.MetricAlarmMetricQueryArgsDict:
                return {
                    "id": qid,
                    "metric": {
                        "namespace": "ECS/ContainerInsights",
                        "metric_name": metric,
                        "dimensions": dims,
                        "period": 60,
                        "stat": stat,
                    },
                }

            self._alarm(
                f"ecs-{role}-running-below-desired",
                f"The {role} service runs fewer tasks than desired (tasks crash, fail health checks or "
                "cannot be placed).",
                statistic=None,
                metric_queries=[
                    query("running", "RunningTaskCount", "Minimum"),
                    query("desired", "DesiredTaskCount", "Maximum"),
                    {
                        "id": "shortfall",
                        "expression": "desired - running",
                        "label": "tasks missing",
                        "return_data": True,
                    },
                ],
                evaluation_periods=10,
                datapoints=8,
                threshold=1,
                comparison=GE,
                missing=BREACHING,
            )
            for metric, key, value in (
                ("CPUUtilization", "cpu", t.ecs_cpu_percent),
                ("MemoryUtilization", "memory", t.ecs_memory_percent),
            ):
                self._alarm(
                    f"ecs-{role}-{key}",
                    f"The {role} service's {key} stays high although it scales on it: scaling is capped or slow.",
                    namespace="AWS/ECS",
                    metric=metric,
                    dimensions=dims,
                    statistic="Average",
                    evaluation_periods=3,
                    threshold=value,
                    comparison=GT,
                    missing=MISSING,
                )
        for role, function in a.lambda_function_names.items():
            for metric, key, value in (
                ("Errors", "errors", t.lambda_errors),
                ("Throttles", "throttles", t.lambda_throttles),
            ):
                self._alarm(
                    f"lambda-{role}-{key}",
                    f"The {role} function's invocations end in {key}.",
                    namespace="AWS/Lambda",
                    metric=metric,
                    dimensions={"FunctionName": function},
                    threshold=value,
                    comparison=GE,
                    missing=NOT_BREACHING,
                )

    def _data_alarms(self, t: AlarmThresholds) -> None:
        a = self._args
        instances = [("primary", a.db_instance_id)] + [
            (f"replica-{i}", rid) for i, rid in enumerate(a.db_replica_instance_ids, start=1)
        ]
        for role, instance in instances:
            dims = {"DBInstanceIdentifier": instance}
            rds: dict[str, Any] = {"namespace": "AWS/RDS", "dimensions": dims, "statistic": "Average"}
            self._alarm(
                f"db-{role}-cpu",
                f"The database {role} is CPU-bound.",
                metric="CPUUtilization",
                evaluation_periods=3,
                threshold=t.db_cpu_percent,
                comparison=GT,
                missing=MISSING,
                **rds,
            )
            self._alarm(
                f"db-{role}-freeable-memory",
                f"The database {role} is short of memory (cache misses, swapping).",
                metric="FreeableMemory",
                evaluation_periods=3,
                threshold=t.db_freeable_memory_mb * 1024**2,
                comparison=LT,
                missing=MISSING,
                **rds,
            )
            self._alarm(
                f"db-{role}-free-storage",
                f"The database {role} is running out of storage (autoscaling may be at its maximum).",
                metric="FreeStorageSpace",
                threshold=t.db_free_storage_gb * 1024**3,
                comparison=LT,
                missing=MISSING,
                **rds,
            )
            if role != "primary":
                self._alarm(
                    f"db-{role}-replica-lag",
                    f"The read {role} serves stale data.",
                    metric="ReplicaLag",
                    period=60,
                    evaluation_periods=5,
                    threshold=t.db_replica_lag_seconds,
                    comparison=GT,
                    missing=MISSING,
                    **{**rds, "statistic": "Maximum"},
                )
        for i, node in enumerate(a.cache_member_cluster_ids, start=1):
            dims = {"CacheClusterId": node}
            cache: dict[str, Any] = {"namespace": "AWS/ElastiCache", "dimensions": dims}
            for metric, key in (("CPUUtilization", "cpu"), ("EngineCPUUtilization", "engine-cpu")):
                self._alarm(
                    f"cache-node-{i}-{key}",
                    f"Cache node {i} is CPU-bound ({metric}).",
                    metric=metric,
                    statistic="Average",
                    evaluation_periods=3,
                    threshold=t.cache_cpu_percent,
                    comparison=GT,
                    missing=MISSING,
                    **cache,
                )
            self._alarm(
                f"cache-node-{i}-evictions",
                f"Cache node {i} evicts keys: it is out of memory for its working set.",
                metric="Evictions",
                threshold=t.cache_evictions,
                comparison=GE,
                missing=NOT_BREACHING,
                **cache,
            )
            # Only replicas publish ReplicationLag; roles move on failover, so every node has the alarm.
            self._alarm(
                f"cache-node-{i}-replication-lag",
                f"Cache node {i}, as a replica, lags its primary.",
                metric="ReplicationLag",
                statistic="Maximum",
                period=60,
                evaluation_periods=5,
                threshold=t.cache_replication_lag_seconds,
                comparison=GT,
                missing=MISSING,
                **cache,
            )
        self._replication_alarms(t)
        for role, table in a.dynamodb_table_names.items():
            for metric, key in (("ReadThrottleEvents", "read"), ("WriteThrottleEvents", "write")):
                self._alarm(
                    f"dynamodb-{role}-{key}-throttles",
                    f"The {role} table throttles {key} requests (hot partition or account limit).",
                    namespace="AWS/DynamoDB",
                    metric=metric,
                    dimensions={"TableName": table},
                    threshold=t.dynamodb_throttled_requests,
                    comparison=GE,
                    missing=NOT_BREACHING,
                )

    def _replication_alarms(self, t: AlarmThresholds) -> None:
        # AWS/S3 replication metrics, per rule, in the source bucket's region (S3 User Guide, "Monitoring progress
        # with replication metrics"); a quiet bucket publishes nothing, which is not a problem.
        for rule in self._args.s3_replication_rules:
            s3: dict[str, Any] = {
                "namespace": "AWS/S3",
                "dimensions": {
                    "SourceBucket": rule.source_bucket,
                    "DestinationBucket": rule.destination_bucket,
                    "RuleId": rule.rule_id,
                },
                "missing": NOT_BREACHING,
            }
            self._alarm(
                f"s3-{rule.rule_id}-failed",
                f"Objects fail to replicate ({rule.rule_id}): the DR replica is missing them.",
                metric="OperationsFailedReplication",
                threshold=1,
                comparison=GE,
                **s3,
            )
            self._alarm(
                f"s3-{rule.rule_id}-latency",
                f"Replication ({rule.rule_id}) is behind: a failover would serve a stale replica.",
                metric="ReplicationLatency",
                statistic="Maximum",
                evaluation_periods=3,
                threshold=t.s3_replication_latency_seconds,
                comparison=GT,
                **s3,
            )

    # ---- dashboard -----------------------------------------------------------------------------------------

    def _rows(self, t: AlarmThresholds) -> list[tuple[str, list[_Widget]]]:
        """The dashboard's rows and widgets; identifiers are placeholders ``${key}`` filled in later."""
        a = self._args
        edge: list[_Widget] = []
        if a.cloudfront_distribution_id is not None:
            cf = ["DistributionId", _ref("cloudfront", a.cloudfront_distribution_id), "Region", "Global"]
            edge += [
                _Widget("CloudFront requests", [["AWS/CloudFront", "Requests", *cf]], region=US_EAST_1),
                _Widget(
                    "CloudFront error rate (%)",
                    [["AWS/CloudFront", "4xxErrorRate", *cf], ["AWS/CloudFront", "5xxErrorRate", *cf]],
                    stat="Average",
                    region=US_EAST_1,
                    threshold=t.cloudfront_5xx_rate_percent,
                ),
            ]
        if a.health_check_id is not None:
            hc = ["HealthCheckId", _ref("healthCheck", a.health_check_id)]
            edge.append(
                _Widget(
                    "Origin health check (1 = healthy)",
                    [["AWS/Route53", "HealthCheckStatus", *hc]],
                    stat="Minimum",
                    region=US_EAST_1,
                    threshold=1,
                )
            )
        lb = ["LoadBalancer", _ref("alb", a.alb_arn_suffix)]
        elb = "AWS/ApplicationELB"
        tgs = {role: _ref(f"tg-{role}", s) for role, s in a.alb_target_group_arn_suffixes.items()}
        services = {role: _ref(f"service-{role}", s) for role, s in a.ecs_service_names.items()}
        cluster = _ref("cluster", a.ecs_cluster_name)
        app = [
            _Widget(
                "ALB requests and 5xx",
                [
                    [elb, "RequestCount", *lb],
                    [elb, "HTTPCode_ELB_5XX_Count", *lb],
                    [elb, "HTTPCode_Target_5XX_Count", *lb],
                ],
            ),
            _Widget(
                "ALB p99 target response time (s)",
                [[elb, "TargetResponseTime", *lb]],
                stat="p99",
                threshold=t.alb_p99_response_time_ms / 1000,
            ),
            _Widget(
                "Unhealthy targets per target group",
                [[elb, "UnHealthyHostCount", "TargetGroup", tg, *lb] for tg in tgs.values()],
                stat="Maximum",
            ),
            _Widget(
                "ECS running tasks",
                [
                    ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", cluster, "ServiceName", s]
                    for s in services.values()
                ],
                stat="Minimum",
            ),
            _Widget(
                "ECS CPU (%)",
                [["AWS/ECS", "CPUUtilization", "ClusterName", cluster, "ServiceName", s] for s in services.values()],
                stat="Average",
                threshold=t.ecs_cpu_percent,
            ),
            _Widget(
                "ECS memory (%)",
                [["AWS/ECS", "MemoryUtilization", "ClusterName", cluster, "ServiceName", s] for s in services.values()],
                stat="Average",
                threshold=t.ecs_memory_percent,
            ),
        ]
        if a.asg_name is not None:
            app.append(
                _Widget(
                    "Fleet instances in service",
                    [["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", _ref("asg", a.asg_name)]],
                    stat="Minimum",
                    threshold=a.asg_min_size,
                )
            )
        functions = {role: _ref(f"function-{role}", f) for role, f in a.lambda_function_names.items()}
        app.append(
            _Widget(
                "Lambda errors and throttles",
                [["AWS/Lambda", m, "FunctionName", f] for f in functions.values() for m in ("Errors", "Throttles")],
            )
        )
        if a.queue_names:
            queues = {role: _ref(f"queue-{role}", q) for role, q in a.queue_names.items()}
            app += [
                _Widget(
                    "Oldest queued message (s)",
                    [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", q] for q in queues.values()],
                    stat="Maximum",
                ),
                _Widget(
                    "Messages visible",
                    [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q] for q in queues.values()],
                    stat="Maximum",
                ),
            ]
        dbs = [_ref("db-primary", a.db_instance_id)] + [
            _ref(f"db-replica-{i}", r) for i, r in enumerate(a.db_replica_instance_ids, start=1)
        ]
        nodes = [_ref(f"cache-node-{i}", n) for i, n in enumerate(a.cache_member_cluster_ids, start=1)]
        tables = {role: _ref(f"table-{role}", tb) for role, tb in a.dynamodb_table_names.items()}
        data = [
            _Widget(
                "RDS CPU (%)",
                [["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", d] for d in dbs],
                stat="Average",
                threshold=t.db_cpu_percent,
            ),
            _Widget(
                "RDS freeable memory (bytes)",
                [["AWS/RDS", "FreeableMemory", "DBInstanceIdentifier", d] for d in dbs],
                stat="Minimum",
                threshold=t.db_freeable_memory_mb * 1024**2,
            ),
            _Widget(
                "RDS free storage (bytes)",
                [["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", d] for d in dbs],
                stat="Minimum",
                threshold=t.db_free_storage_gb * 1024**3,
            ),
        ]
        if a.db_replica_instance_ids:
            data.append(
                _Widget(
                    "RDS replica lag (s)",
                    [["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", d] for d in dbs[1:]],
                    stat="Maximum",
                    threshold=t.db_replica_lag_seconds,
                )
            )
        data += [
            _Widget(
                "ElastiCache engine CPU (%)",
                [["AWS/ElastiCache", "EngineCPUUtilization", "CacheClusterId", n] for n in nodes],
                stat="Average",
                threshold=t.cache_cpu_percent,
            ),
            _Widget("ElastiCache evictions", [["AWS/ElastiCache", "Evictions", "CacheClusterId", n] for n in nodes]),
            _Widget(
                "ElastiCache replication lag (s)",
                [["AWS/ElastiCache", "ReplicationLag", "CacheClusterId", n] for n in nodes],
                stat="Maximum",
                threshold=t.cache_replication_lag_seconds,
            ),
            _Widget(
                "DynamoDB throttle events",
                [
                    ["AWS/DynamoDB", m, "TableName", tb]
                    for tb in tables.values()
                    for m in ("ReadThrottleEvents", "WriteThrottleEvents")
                ],
            ),
        ]
        return [("Edge", edge), ("App", app), ("Data", data)]


# ---- dashboard body (pure) ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ref:
    key: str
    value: Any

    def __str__(self) -> str:
        return "${" + self.key + "}"


def _ref(key: str, value: pulumi.Input[str]) -> _Ref:
    return _Ref(key, value)


def _inputs_of(widget: _Widget) -> list[tuple[str, Any]]:
    return [(part.key, part.value) for metric in widget.metrics for part in metric if isinstance(part, _Ref)]


WIDGET_WIDTH, WIDGET_HEIGHT, GRID_WIDTH = 8, 6, 24
EDGE_NOT_WIRED = (
    "No edge identifiers were given (ObservabilityArgs.cloudfront_distribution_id, health_check_id): "
    "CloudFront and Route 53 health-check widgets and alarms appear once they are."
)


def dashboard_body(rows: Sequence[tuple[str, Sequence[_Widget]]], values: Mapping[str, Any]) -> str:
    """The dashboard JSON: per row a full-width header, then its widgets three to a line. Deterministic:
    the same identifiers give byte-identical JSON, so an unchanged stack shows no dashboard diff."""
    region = values["region"]
    widgets: list[dict[str, Any]] = []
    y = 0
    for title, row in rows:
        text = f"## {title}" + (f"\n{EDGE_NOT_WIRED}" if not row and title == "Edge" else "")
        widgets.append(
            {
                "type": "text",
                "x": 0,
                "y": y,
                "width": GRID_WIDTH,
                "height": 2 if not row else 1,
                "properties": {"markdown": text},
            }
        )
        y += 2 if not row else 1
        per_line = GRID_WIDTH // WIDGET_WIDTH
        for i, w in enumerate(row):
            properties: dict[str, Any] = {
                "title": w.title,
                "region": w.region or region,
                "view": "timeSeries",
                "stacked": False,
                "stat": w.stat,
                "period": 300 if w.stat == "Sum" else 60,
                "metrics": [[str(values[p.key]) if isinstance(p, _Ref) else p for p in m] for m in w.metrics],
            }
            if w.threshold is not None:
                properties["annotations"] = {"horizontal": [{"label": "alarm threshold", "value": w.threshold}]}
            widgets.append(
                {
                    "type": "metric",
                    "x": (i % per_line) * WIDGET_WIDTH,
                    "y": y + (i // per_line) * WIDGET_HEIGHT,
                    "width": WIDGET_WIDTH,
                    "height": WIDGET_HEIGHT,
                    "properties": properties,
                }
            )
        y += -(-len(row) // per_line) * WIDGET_HEIGHT
    return json.dumps({"widgets": widgets}, sort_keys=True, separators=(",", ":"))


def sqs_queue_name(queue_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """The ``QueueName`` dimension of an SQS queue, from its ARN (the last field)."""
    return pulumi.Output.from_input(queue_arn).apply(lambda arn: arn.rsplit(":", 1)[-1])
