"""Run every component's own ``validate_args`` on the settings, before anything is registered.

The components check their arguments in their constructors; without this, a contradiction they know (a fleet
with ``asg_min_size`` 0 under Observability) would surface only after every earlier component registered.
Wiring (ids, ARNs, names) is not known yet, so placeholders stand in: the checks read plain values only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from streaming_platform.app.tier import AccessLogs, AppNetwork, AppTierArgs, ComputeMode, DataAccess, LogSettings
from streaming_platform.app.tier import validate_args as validate_app
from streaming_platform.edge.distribution import EdgeOrigins
from streaming_platform.edge.distribution import validate_args as validate_edge
from streaming_platform.edge.origin_failover import validate_args as validate_failover
from streaming_platform.media.args import MediaKeys, MediaStorage
from streaming_platform.media.pipeline import validate_args as validate_media
from streaming_platform.observability.args import DataTargets, EdgeTargets, ObservabilityArgs
from streaming_platform.observability.args import validate_args as validate_observability

_PROBLEM = re.compile(
    r"(?:(?P<args>[A-Za-z]+(?:Args|Options|Network|Access|Settings|Logs))\.)?"
    r"(?P<field>[a-z0-9_]+)[^:]*: (?P<rest>got .*)",
    re.S,
)
_ID = "<not yet created>"


def _keyed(problems: list[str], keys: Mapping[str, str]) -> list[str]:
    """Name the config key of the Args field a component problem is about, where one key sets it."""
    out = []
    for p in problems:
        m = _PROBLEM.fullmatch(p)
        field = m["field"] if m else ""
        out.append(f"streaming:{keys[field]}: {m['rest']}" if m and field in keys else f"component check: {p}")
    return out


def component_problems(s: Any, region_azs: list[str]) -> list[str]:
    """Every problem the components' validate_args find in these settings (``s`` is settings.Settings)."""
    azs = list(s.availability_zones)
    subnets = [_ID] * len(azs)
    common = {"resource_prefix": f"streaming-{s.stack}", "protect": s.is_prod, "tags": s.tags}
    problems: list[str] = []
    app_args = AppTierArgs(
        network=AppNetwork(vpc_id=_ID, public_subnet_ids=subnets, app_subnet_ids=subnets, availability_zones=azs),
        zone=None,  # type: ignore[arg-type]  # validate_args reads plain values only
        origin_verify_secret=_ID,
        data=DataAccess(
            client_security_group_id=_ID,
            environment={
                name: _ID
                for name in (
                    "VIDEO_TABLE",
                    "SESSION_TABLE",
                    "REDIS_ENDPOINT",
                    "DB_ENDPOINT",
                    "UPLOADS_BUCKET",
                    "RENDITIONS_BUCKET",
                )
            },
        ),
        logs=LogSettings(kms_key_arn=_ID, retention_days=s.app.log_retention_days),
        access_logs=AccessLogs(bucket=_ID),
        **common,
        **s.app.tier_args(advanced_security_enforced=s.is_prod),
    )
    problems += _keyed(validate_app(app_args), s.key_of_field)
    media = s.media.to_args(
        vpc_id=_ID,
        app_subnet_ids=subnets,
        availability_zones=azs,
        storage=MediaStorage(
            uploads_bucket_name=_ID,
            uploads_bucket_arn=_ID,
            renditions_bucket_name=_ID,
            renditions_bucket_arn=_ID,
            video_table_name=_ID,
            video_table_arn=_ID,
        ),
        keys=MediaKeys(media_key_arn=_ID, data_key_arn=_ID, logs_key_arn=_ID),
        alarm_topic_arn=_ID,
        **common,
    )
    problems += _keyed(validate_media(media), s.key_of_field)
    edge = s.edge.to_args(
        as_secret=False,
        zone=None,
        origin_verify_secret=_ID,
        origins=EdgeOrigins(
            renditions_bucket_name=_ID,
            renditions_bucket_region=s.region,
            replica_bucket_name=_ID if s.data.dr_region else None,
            replica_bucket_region=s.data.dr_region or None,
            log_bucket_name=_ID,
        ),
        log_retention_days=s.app.log_retention_days,
        segment_duration_seconds=s.media.segment_duration_seconds,
        **common,
    )
    problems += _keyed(validate_edge(edge), s.key_of_field)
    failover = s.edge.failover_args(
        zone_id=_ID,
        origin_domain_name=_ID,
        alb_dns_name=_ID,
        alb_zone_id=_ID,
        alb_arn_suffix=_ID,
        resource_prefix=common["resource_prefix"],
    )
    problems += _keyed(validate_failover(failover), s.key_of_field)
    fleet = s.app.compute_mode is ComputeMode.ECS_AND_EC2_FLEET
    observability = ObservabilityArgs(
        alarm_topic_arn=_ID,
        edge=EdgeTargets(cloudfront_distribution_id=_ID, health_check_id=_ID, alarm_topic_arn=_ID),
        alb_arn_suffix=_ID,
        alb_target_group_arn_suffixes={},
        asg_name=_ID if fleet else None,
        asg_min_size=s.app.asg_min_size,
        ecs_cluster_name=_ID,
        ecs_service_names={},
        data=DataTargets(
            db_instance_id=_ID, cache_member_cluster_ids=[_ID] * s.data.cache_num_nodes, dynamodb_table_names={}
        ),
        lambda_function_names={},
        thresholds=s.thresholds,
        resource_prefix=common["resource_prefix"],
        tags=s.tags,
    )
    problems += _keyed(validate_observability(observability), s.key_of_field)
    return list(dict.fromkeys(problems))
