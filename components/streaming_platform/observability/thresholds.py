"""When each alarm fires, and the vocabulary the alarms share (comparison operators, missing-data
treatments, the us-east-1 region of edge metrics)."""

from __future__ import annotations

import re
from dataclasses import dataclass

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
