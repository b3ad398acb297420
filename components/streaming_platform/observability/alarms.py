"""Observability: metric alarms on every tier and the one dashboard an operator opens.

``AlarmTopics`` (``topics.py``) is its own component, because the notification target has to exist before
the tiers that raise alarms of their own (the media pipeline's queue alarms take ``alarm_topic_arn``),
while the alarms on every tier need those tiers' identifiers:

* ``Observability`` -- metric alarms on every tier, each with alarm and OK actions on the topic of its
  own region, and one CloudWatch dashboard (``<resource_prefix>``, e.g. ``streaming-prod``; built in
  ``dashboard.py``) with an edge, an app and a data row.

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

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import reject_invalid
from streaming_platform.observability.args import DataTargets, EdgeTargets, ObservabilityArgs, validate_args
from streaming_platform.observability.dashboard import dashboard_body, dashboard_rows, inputs_of
from streaming_platform.observability.thresholds import (
    BREACHING,
    GE,
    GT,
    LT,
    MISSING,
    NOT_BREACHING,
    US_EAST_1,
    AlarmThresholds,
)

__all__ = ["DataTargets", "EdgeTargets", "Observability", "ObservabilityArgs", "validate_args"]


class Observability(pulumi.ComponentResource):
    """Alarms on every tier, each notifying the topic of its region, and the stack's dashboard."""

    dashboard_name: str
    dashboard_arn: pulumi.Output[str]
    alarm_count: int
    """How many alarms this component created (the owners of other alarms count theirs)."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:observability:Observability", name, None, opts)
        problems = validate_args(args)
        reject_invalid("ObservabilityArgs", problems)
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
        rows = dashboard_rows(args, t)
        ids = {key: value for _, widgets in rows for w in widgets for key, value in inputs_of(w)}
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
        topic = a.edge.alarm_topic_arn if edge else a.alarm_topic_arn
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
        if a.edge.cloudfront_distribution_id is not None:
            self._alarm(
                "cloudfront-5xx-rate",
                "CloudFront answers viewers with 5xx: the origin (ALB, API) is failing or unreachable.",
                namespace="AWS/CloudFront",
                metric="5xxErrorRate",
                dimensions={"DistributionId": a.edge.cloudfront_distribution_id, "Region": "Global"},
                statistic="Average",
                threshold=t.cloudfront_5xx_rate_percent,
                comparison=GE,
                missing=NOT_BREACHING,
                edge=True,
            )
        if a.edge.health_check_id is not None:
            self._alarm(
                "origin-health-check",
                "Route 53 health checkers cannot reach the origin: viewers see errors or failover has begun.",
                namespace="AWS/Route53",
                metric="HealthCheckStatus",
                dimensions={"HealthCheckId": a.edge.health_check_id},
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
        instances = [("primary", a.data.db_instance_id)] + [
            (f"replica-{i}", rid) for i, rid in enumerate(a.data.db_replica_instance_ids, start=1)
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
        for i, node in enumerate(a.data.cache_member_cluster_ids, start=1):
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
        for role, table in a.data.dynamodb_table_names.items():
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
        for rule in self._args.data.s3_replication_rules:
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
