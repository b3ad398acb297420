"""The stack's one CloudWatch dashboard: an edge, an app and a data row, built from the same
identifiers the alarms watch. Identifiers are placeholders (``${key}``) until they resolve, so the body
is computed once from plain values and is byte-identical for an unchanged stack."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from streaming_platform.observability.thresholds import US_EAST_1, AlarmThresholds

if TYPE_CHECKING:
    from streaming_platform.observability.args import ObservabilityArgs


@dataclass(frozen=True)
class Widget:
    """One metric widget: its title, metric rows (with ``_Ref`` placeholders), statistic and threshold line."""

    title: str
    metrics: list[list[Any]]
    stat: str = "Sum"
    region: str | None = None
    threshold: float | None = None


def dashboard_rows(a: ObservabilityArgs, t: AlarmThresholds) -> list[tuple[str, list[Widget]]]:
    """The dashboard's rows and widgets; identifiers are placeholders ``${key}`` filled in later."""
    edge: list[Widget] = []
    if a.edge.cloudfront_distribution_id is not None:
        cf = ["DistributionId", _ref("cloudfront", a.edge.cloudfront_distribution_id), "Region", "Global"]
        edge += [
            Widget("CloudFront requests", [["AWS/CloudFront", "Requests", *cf]], region=US_EAST_1),
            Widget(
                "CloudFront error rate (%)",
                [["AWS/CloudFront", "4xxErrorRate", *cf], ["AWS/CloudFront", "5xxErrorRate", *cf]],
                stat="Average",
                region=US_EAST_1,
                threshold=t.cloudfront_5xx_rate_percent,
            ),
        ]
    if a.edge.health_check_id is not None:
        hc = ["HealthCheckId", _ref("healthCheck", a.edge.health_check_id)]
        edge.append(
            Widget(
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
        Widget(
            "ALB requests and 5xx",
            [
                [elb, "RequestCount", *lb],
                [elb, "HTTPCode_ELB_5XX_Count", *lb],
                [elb, "HTTPCode_Target_5XX_Count", *lb],
            ],
        ),
        Widget(
            "ALB p99 target response time (s)",
            [[elb, "TargetResponseTime", *lb]],
            stat="p99",
            threshold=t.alb_p99_response_time_ms / 1000,
        ),
        Widget(
            "Unhealthy targets per target group",
            [[elb, "UnHealthyHostCount", "TargetGroup", tg, *lb] for tg in tgs.values()],
            stat="Maximum",
        ),
        Widget(
            "ECS running tasks",
            [
                ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", cluster, "ServiceName", s]
                for s in services.values()
            ],
            stat="Minimum",
        ),
        Widget(
            "ECS CPU (%)",
            [["AWS/ECS", "CPUUtilization", "ClusterName", cluster, "ServiceName", s] for s in services.values()],
            stat="Average",
            threshold=t.ecs_cpu_percent,
        ),
        Widget(
            "ECS memory (%)",
            [["AWS/ECS", "MemoryUtilization", "ClusterName", cluster, "ServiceName", s] for s in services.values()],
            stat="Average",
            threshold=t.ecs_memory_percent,
        ),
    ]
    if a.asg_name is not None:
        app.append(
            Widget(
                "Fleet instances in service",
                [["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", _ref("asg", a.asg_name)]],
                stat="Minimum",
                threshold=a.asg_min_size,
            )
        )
    functions = {role: _ref(f"function-{role}", f) for role, f in a.lambda_function_names.items()}
    app.append(
        Widget(
            "Lambda errors and throttles",
            [["AWS/Lambda", m, "FunctionName", f] for f in functions.values() for m in ("Errors", "Throttles")],
        )
    )
    if a.queue_names:
        queues = {role: _ref(f"queue-{role}", q) for role, q in a.queue_names.items()}
        app += [
            Widget(
                "Oldest queued message (s)",
                [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", q] for q in queues.values()],
                stat="Maximum",
            ),
            Widget(
                "Messages visible",
                [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q] for q in queues.values()],
                stat="Maximum",
            ),
        ]
    dbs = [_ref("db-primary", a.data.db_instance_id)] + [
        _ref(f"db-replica-{i}", r) for i, r in enumerate(a.data.db_replica_instance_ids, start=1)
    ]
    nodes = [_ref(f"cache-node-{i}", n) for i, n in enumerate(a.data.cache_member_cluster_ids, start=1)]
    tables = {role: _ref(f"table-{role}", tb) for role, tb in a.data.dynamodb_table_names.items()}
    data = [
        Widget(
            "RDS CPU (%)",
            [["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", d] for d in dbs],
            stat="Average",
            threshold=t.db_cpu_percent,
        ),
        Widget(
            "RDS freeable memory (bytes)",
            [["AWS/RDS", "FreeableMemory", "DBInstanceIdentifier", d] for d in dbs],
            stat="Minimum",
            threshold=t.db_freeable_memory_mb * 1024**2,
        ),
        Widget(
            "RDS free storage (bytes)",
            [["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", d] for d in dbs],
            stat="Minimum",
            threshold=t.db_free_storage_gb * 1024**3,
        ),
    ]
    if a.data.db_replica_instance_ids:
        data.append(
            Widget(
                "RDS replica lag (s)",
                [["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", d] for d in dbs[1:]],
                stat="Maximum",
                threshold=t.db_replica_lag_seconds,
            )
        )
    data += [
        Widget(
            "ElastiCache engine CPU (%)",
            [["AWS/ElastiCache", "EngineCPUUtilization", "CacheClusterId", n] for n in nodes],
            stat="Average",
            threshold=t.cache_cpu_percent,
        ),
        Widget("ElastiCache evictions", [["AWS/ElastiCache", "Evictions", "CacheClusterId", n] for n in nodes]),
        Widget(
            "ElastiCache replication lag (s)",
            [["AWS/ElastiCache", "ReplicationLag", "CacheClusterId", n] for n in nodes],
            stat="Maximum",
            threshold=t.cache_replication_lag_seconds,
        ),
        Widget(
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


def inputs_of(widget: Widget) -> list[tuple[str, Any]]:
    """The identifiers ``widget``'s placeholders stand for, as (key, input) pairs to resolve."""
    return [(part.key, part.value) for metric in widget.metrics for part in metric if isinstance(part, _Ref)]


WIDGET_WIDTH, WIDGET_HEIGHT, GRID_WIDTH = 8, 6, 24
EDGE_NOT_WIRED = (
    "No edge identifiers were given (ObservabilityArgs.edge: cloudfront_distribution_id, health_check_id): "
    "CloudFront and Route 53 health-check widgets and alarms appear once they are."
)


def dashboard_body(rows: Sequence[tuple[str, Sequence[Widget]]], values: Mapping[str, Any]) -> str:
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
