"""Observability keys (AlarmTopics, Observability): who is mailed, and when each alarm fires."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import create_model
from streaming_platform.app.tier import CPU_TARGET_PERCENT, MEMORY_TARGET_PERCENT
from streaming_platform.observability.thresholds import EMAIL, AlarmThresholds

from settings._base import Reader, TierModel, arg_default, each, key, rule

# Alarm thresholds: key, AlarmThresholds field, lowest, highest, meaning. Defaults are AlarmThresholds' own.
ALARM_THRESHOLD_KEYS: tuple[tuple[str, str, int, int, str], ...] = (
    (
        "cloudfront5xxRateAlarmPercent",
        "cloudfront_5xx_rate_percent",
        1,
        100,
        "CloudFront 5xxErrorRate (% of requests, 5-minute average) that alarms, 1 to 100.",
    ),
    ("alb5xxAlarmCount", "alb_5xx_count", 1, 100000, "5xx returned by the ALB itself in 5 minutes that alarm."),
    (
        "albTarget5xxAlarmCount",
        "alb_target_5xx_count",
        1,
        100000,
        "5xx returned by the ALB's targets in 5 minutes that alarm.",
    ),
    (
        "albP99ResponseTimeAlarmMs",
        "alb_p99_response_time_ms",
        10,
        60000,
        "p99 ALB TargetResponseTime over 5 minutes (ms) that alarms, 10 to 60000.",
    ),
    (
        "albUnhealthyHostsAlarmCount",
        "alb_unhealthy_hosts",
        1,
        1000,
        "Unhealthy targets in one ALB target group, for 5 minutes, that alarm.",
    ),
    (
        "ecsCpuAlarmPercent",
        "ecs_cpu_percent",
        int(CPU_TARGET_PERCENT) + 1,
        100,
        f"ECS service CPU (%) for 15 minutes that alarms; above the {CPU_TARGET_PERCENT:g} % scaling target.",
    ),
    (
        "ecsMemoryAlarmPercent",
        "ecs_memory_percent",
        int(MEMORY_TARGET_PERCENT) + 1,
        100,
        f"ECS service memory (%) for 15 minutes that alarms; above the {MEMORY_TARGET_PERCENT:g} % scaling target.",
    ),
    ("dbCpuAlarmPercent", "db_cpu_percent", 1, 100, "RDS instance CPU (%) for 15 minutes that alarms."),
    (
        "dbFreeableMemoryAlarmMb",
        "db_freeable_memory_mb",
        1,
        1048576,
        "Alarm when an RDS instance's FreeableMemory stays below this many MiB for 15 minutes.",
    ),
    (
        "dbFreeStorageAlarmGb",
        "db_free_storage_gb",
        1,
        65536,
        "Alarm when an RDS instance's FreeStorageSpace is below this many GiB; below dbAllocatedStorageGb.",
    ),
    (
        "dbReplicaLagAlarmSeconds",
        "db_replica_lag_seconds",
        1,
        86400,
        "RDS read replica ReplicaLag (s) for 5 minutes that alarms.",
    ),
    (
        "cacheCpuAlarmPercent",
        "cache_cpu_percent",
        1,
        100,
        "ElastiCache node CPUUtilization and EngineCPUUtilization (%) for 15 minutes that alarm.",
    ),
    ("cacheEvictionsAlarmCount", "cache_evictions", 1, 10000000, "Keys one cache node evicts in 5 minutes that alarm."),
    (
        "cacheReplicationLagAlarmSeconds",
        "cache_replication_lag_seconds",
        1,
        3600,
        "ElastiCache replica ReplicationLag (s) for 5 minutes that alarms.",
    ),
    (
        "dynamodbThrottleAlarmCount",
        "dynamodb_throttled_requests",
        1,
        1000000,
        "Read or write throttle events of one DynamoDB table in 5 minutes that alarm.",
    ),
    ("lambdaErrorAlarmCount", "lambda_errors", 1, 100000, "Errors of one Lambda function in 5 minutes that alarm."),
    (
        "lambdaThrottleAlarmCount",
        "lambda_throttles",
        1,
        100000,
        "Throttled invocations of one Lambda function in 5 minutes that alarm.",
    ),
    (
        "s3ReplicationLatencyAlarmSeconds",
        "s3_replication_latency_seconds",
        60,
        86400,
        "S3 ReplicationLatency (s) of a DR replication rule for 15 minutes that alarms, 60 to 86400.",
    ),
)


class _Alarms(TierModel):
    alarm_emails: Annotated[
        tuple[str, ...],
        each(lambda v: bool(EMAIL.match(v)) and "\n" not in v, "email addresses such as oncall@example.com"),
        rule(lambda v: len({e.lower() for e in v}) == len(v), "each address once"),
    ] = key(
        (),
        alias="alarmEmails",
        description=(
            "Email addresses subscribed to the alarm topics (the stack's region and us-east-1), each once; every "
            "address must confirm the subscription from the mail AWS sends. At least one when environment is "
            "prod."
        ),
    )


ObservabilitySettings: type[_Alarms] = create_model(  # type: ignore[call-overload]
    "ObservabilitySettings",
    __base__=_Alarms,
    __doc__="Where alarms are mailed and when they fire; threshold defaults are AlarmThresholds' own.",
    **{
        attr: (int, key(arg_default(AlarmThresholds, attr), alias=name, ge=low, le=high, description=text))
        for name, attr, low, high, text in ALARM_THRESHOLD_KEYS
    },
)


def thresholds(settings: Any) -> AlarmThresholds:
    return AlarmThresholds(**{attr: getattr(settings, attr) for _, attr, *_ in ALARM_THRESHOLD_KEYS})


def check(r: Reader, prod: bool) -> None:
    storage = r.value("dbAllocatedStorageGb")
    if r.ok("dbAllocatedStorageGb"):
        r.check(
            "dbFreeStorageAlarmGb",
            r.value("dbFreeStorageAlarmGb"),
            lambda v: v < storage,
            f"less than dbAllocatedStorageGb ({storage}), or a new database is in alarm from the start",
        )
    if prod:
        r.check(
            "alarmEmails",
            r.value("alarmEmails"),
            bool,
            "at least one address when environment is prod (alarms nobody receives page nobody)",
        )
