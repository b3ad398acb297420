"""Observability as the stacks register it, continued: thresholds from the stack config, missing-data
treatment, the dashboard and the arguments (test_observability.py holds the alarms, topics and keys)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from streaming_platform.observability.args import DataTargets, EdgeTargets, ObservabilityArgs, validate_args
from streaming_platform.observability.thresholds import DEFAULT_THRESHOLDS, US_EAST_1, AlarmThresholds
from streaming_platform.observability.topics import AlarmTopicsArgs, validate_topic_args

from offline.engine import Recording, is_unknown, run_program
from offline.fakes import ACCOUNT_ID
from settings import parse
from settings.observability import ALARM_THRESHOLD_KEYS
from tests.graph import only_component
from tests.test_observability import (
    ALARM,
    COMPONENT,
    DASHBOARD,
    ECS_RUNNING,
    REGION,
    one,
    watched,
)
from tests.test_settings import US_WEST_2, raw_config


def threshold(rec: Recording, name: str) -> float:
    return one(rec, ALARM, name).inputs["threshold"]


def test_thresholds_come_from_the_stack_config(recording):
    prod, dev = recording("prod"), recording("dev")
    assert threshold(prod, "observability-cloudfront-5xx-rate") == 2
    assert threshold(dev, "observability-cloudfront-5xx-rate") == 10
    assert threshold(prod, "observability-alb-p99-response-time") == 1.5  # 1500 ms, in seconds
    assert threshold(prod, "observability-db-primary-free-storage") == 20 * 1024**3  # GiB, in bytes
    assert threshold(prod, "observability-db-replica-1-freeable-memory") == 1024 * 1024**2  # MiB, in bytes
    assert threshold(prod, "observability-db-replica-2-replica-lag") == 30
    assert threshold(prod, "observability-ecs-video-cpu") == 85
    assert threshold(prod, "observability-cache-node-3-engine-cpu") == 75
    assert threshold(prod, "observability-dynamodb-sessions-write-throttles") == 10
    assert threshold(prod, "media-oldest-upload-age") == 1800


def test_overriding_one_key_changes_only_its_alarms():
    rec = run_program("prod", config_overrides={"streaming:dbCpuAlarmPercent": "65"})
    changed = {a.name for a in rec.of_type(ALARM) if a.inputs["threshold"] == 65}
    assert changed == {
        "observability-db-primary-cpu",
        "observability-db-replica-1-cpu",
        "observability-db-replica-2-cpu",
    }


def test_a_stack_without_threshold_keys_gets_the_documented_defaults():
    keys = [k for k, *_ in ALARM_THRESHOLD_KEYS]
    settings = parse(raw_config("prod", **dict.fromkeys(keys)), stack="prod", region_azs=US_WEST_2)
    assert settings.thresholds == DEFAULT_THRESHOLDS == AlarmThresholds()
    assert (DEFAULT_THRESHOLDS.cloudfront_5xx_rate_percent, DEFAULT_THRESHOLDS.db_cpu_percent) == (5, 80)
    assert settings.observability.alarm_emails == ("oncall@example.com", "platform-team@example.com")


MISSING_DATA = {
    ("AWS/CloudFront", "5xxErrorRate"): "notBreaching",
    ("AWS/Route53", "HealthCheckStatus"): "breaching",
    ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"): "notBreaching",
    ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"): "notBreaching",
    ("AWS/ApplicationELB", "TargetResponseTime"): "notBreaching",
    ("AWS/ApplicationELB", "UnHealthyHostCount"): "notBreaching",
    ("AWS/AutoScaling", "GroupInServiceInstances"): "breaching",
    ECS_RUNNING: "breaching",
    ("AWS/ECS", "CPUUtilization"): "missing",
    ("AWS/ECS", "MemoryUtilization"): "missing",
    ("AWS/RDS", "CPUUtilization"): "missing",
    ("AWS/RDS", "FreeableMemory"): "missing",
    ("AWS/RDS", "FreeStorageSpace"): "missing",
    ("AWS/RDS", "ReplicaLag"): "missing",
    ("AWS/ElastiCache", "CPUUtilization"): "missing",
    ("AWS/ElastiCache", "EngineCPUUtilization"): "missing",
    ("AWS/ElastiCache", "Evictions"): "notBreaching",
    ("AWS/ElastiCache", "ReplicationLag"): "missing",
    ("AWS/DynamoDB", "ReadThrottleEvents"): "notBreaching",
    ("AWS/DynamoDB", "WriteThrottleEvents"): "notBreaching",
    ("AWS/Lambda", "Errors"): "notBreaching",
    ("AWS/Lambda", "Throttles"): "notBreaching",
    ("AWS/S3", "OperationsFailedReplication"): "notBreaching",
    ("AWS/S3", "ReplicationLatency"): "notBreaching",
}


def test_missing_data_is_treated_by_what_silence_means_for_each_metric(recording):
    rec = recording("prod")
    ours = only_component(rec, COMPONENT).of_type(ALARM)
    assert {watched(a): a.inputs["treatMissingData"] for a in ours} == MISSING_DATA
    below = {watched(a) for a in ours if a.inputs["comparisonOperator"] == "LessThanThreshold"}
    assert below == {
        ("AWS/Route53", "HealthCheckStatus"),
        ("AWS/AutoScaling", "GroupInServiceInstances"),
        ("AWS/RDS", "FreeableMemory"),
        ("AWS/RDS", "FreeStorageSpace"),
    }


# ---- dashboard -------------------------------------------------------------------------------------------


def dashboard(rec: Recording) -> dict[str, Any]:
    (board,) = rec.of_type(DASHBOARD)
    return json.loads(board.inputs["dashboardBody"])


def rows(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    current = ""
    for w in body["widgets"]:
        if w["type"] == "text":
            current = w["properties"]["markdown"].split("\n")[0].removeprefix("## ")
            out[current] = []
        else:
            out[current].append(w)
    return out


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_stack_has_one_dashboard_with_edge_app_and_data_rows(recording, stack):
    rec = recording(stack, preview=False)
    (board,) = rec.of_type(DASHBOARD)
    assert board.inputs["dashboardName"] == f"streaming-{stack}" == rec.outputs["dashboardName"]
    body = dashboard(rec)
    assert board.inputs["dashboardBody"] == json.dumps(body, sort_keys=True, separators=(",", ":"))  # canonical
    by_row = rows(body)
    assert list(by_row) == ["Edge", "App", "Data"]
    titles = {row: [w["properties"]["title"] for w in widgets] for row, widgets in by_row.items()}
    assert titles["Edge"] == ["CloudFront requests", "CloudFront error rate (%)", "Origin health check (1 = healthy)"]
    assert {"ALB requests and 5xx", "ECS running tasks", "Lambda errors and throttles", "Messages visible"} <= set(
        titles["App"]
    )
    assert ("Fleet instances in service" in titles["App"]) is (stack == "prod")
    assert ("RDS replica lag (s)" in titles["Data"]) is (stack == "prod")
    assert {"RDS CPU (%)", "ElastiCache engine CPU (%)", "DynamoDB throttle events"} <= set(titles["Data"])
    for w in by_row["Edge"]:
        assert w["properties"]["region"] == US_EAST_1
    for w in by_row["App"] + by_row["Data"]:
        assert w["properties"]["region"] == REGION[stack]
    # No two widgets overlap on the 24-column grid.
    cells = [
        (x, y)
        for w in body["widgets"]
        for x in range(w["x"], w["x"] + w["width"])
        for y in range(w["y"], w["y"] + w["height"])
    ]
    assert len(cells) == len(set(cells)) and max(x for x, _ in cells) < 24


def test_dashboard_metrics_reference_the_same_identifiers_as_the_alarms(recording):
    rec = recording("prod", preview=False)
    by_row = rows(dashboard(rec))

    def dims(row: str, title: str, name: str) -> set[str]:
        (w,) = [w for w in by_row[row] if w["properties"]["title"] == title]
        return {m[m.index(name) + 1] for m in w["properties"]["metrics"]}

    ours = only_component(rec, COMPONENT).of_type(ALARM)

    def alarm_dims(metric: tuple[str, str], name: str) -> set[str]:
        return {a.inputs["dimensions"][name] for a in ours if watched(a) == metric}

    db = {r.inputs["identifier"] for r in rec.of_type("aws:rds/instance:Instance")}
    assert (
        dims("Data", "RDS CPU (%)", "DBInstanceIdentifier")
        == db
        == alarm_dims(("AWS/RDS", "CPUUtilization"), "DBInstanceIdentifier")
    )
    assert dims("Data", "ElastiCache evictions", "CacheClusterId") == alarm_dims(
        ("AWS/ElastiCache", "Evictions"), "CacheClusterId"
    )
    assert dims("Data", "DynamoDB throttle events", "TableName") == alarm_dims(
        ("AWS/DynamoDB", "ReadThrottleEvents"), "TableName"
    )
    assert dims("App", "ECS CPU (%)", "ServiceName") == set(
        [s.inputs["name"] for s in rec.of_type("aws:ecs/service:Service")]
    )
    assert dims("App", "Unhealthy targets per target group", "TargetGroup") == alarm_dims(
        ("AWS/ApplicationELB", "UnHealthyHostCount"), "TargetGroup"
    )
    queues = {
        f"{q.name}-{q.id[-7:]}" for q in rec.of_type("aws:sqs/queue:Queue") if q.name in ("media-queue", "media-dlq")
    }
    assert dims("App", "Messages visible", "QueueName") == queues
    cdn = one(rec, "aws:cloudfront/distribution:Distribution", "edge-cdn")
    assert dims("Edge", "CloudFront requests", "DistributionId") == {cdn.id}


def test_dashboard_is_unknown_in_preview_but_registered(recording):
    rec = recording("prod")
    (board,) = rec.of_type(DASHBOARD)
    assert is_unknown(board.inputs["dashboardBody"]) and board.inputs["dashboardName"] == "streaming-prod"


def test_exports_name_both_topics_and_the_dashboard(recording):
    outputs = recording("prod", preview=False).outputs
    assert outputs["alarmTopicArns"] == {
        "regional": f"arn:aws:sns:us-west-2:{ACCOUNT_ID}:streaming-prod-alarms",
        "us-east-1": f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:streaming-prod-edge-alarms",
    }


# ---- args validation -------------------------------------------------------------------------------------


def args(**overrides: Any) -> ObservabilityArgs:
    base: dict[str, Any] = {
        "alarm_topic_arn": "arn:aws:sns:us-west-2:111122223333:t",
        "alb_arn_suffix": "app/a/1",
        "alb_target_group_arn_suffixes": {},
        "ecs_cluster_name": "c",
        "ecs_service_names": {},
        "data": DataTargets(db_instance_id="db", cache_member_cluster_ids=["r-001"], dynamodb_table_names={}),
        "lambda_function_names": {},
    }
    return ObservabilityArgs(**{**base, **overrides})


def test_valid_args_have_no_problems():
    assert validate_args(args()) == []
    edge = EdgeTargets(cloudfront_distribution_id="E1", alarm_topic_arn="arn:aws:sns:us-east-1:1:t")
    assert validate_args(args(edge=edge)) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"edge": EdgeTargets(cloudfront_distribution_id="E1")},
            "EdgeTargets.alarm_topic_arn: got None with cloudfront_distribution_id set; allowed: the",
        ),
        (
            {"edge": EdgeTargets(health_check_id="abc")},
            "EdgeTargets.alarm_topic_arn: got None with health_check_id set; allowed: the us-east-1",
        ),
        ({"asg_name": "fleet"}, "ObservabilityArgs.asg_min_size: got 0; allowed: 1 or more with asg_name"),
        (
            {"data": DataTargets(db_instance_id="db", cache_member_cluster_ids=[], dynamodb_table_names={})},
            "DataTargets.cache_member_cluster_ids: got []; allowed: one id per",
        ),
    ],
)
def test_contradictory_args_are_rejected_naming_the_argument(overrides, expected):
    assert any(p.startswith(expected) for p in validate_args(args(**overrides)))


def test_topic_args_reject_bad_and_repeated_emails():
    assert validate_topic_args(AlarmTopicsArgs(region="us-west-2", email_addresses=["ops@example.com"])) == []
    assert validate_topic_args(AlarmTopicsArgs(region="us-west-2", email_addresses=["ops"])) == [
        "AlarmTopicsArgs.email_addresses: got 'ops'; allowed: email addresses such as ops@example.com"
    ]
    assert validate_topic_args(AlarmTopicsArgs(region="us-west-2", email_addresses=["a@b.io", "a@b.io"])) == [
        "AlarmTopicsArgs.email_addresses: got ['a@b.io', 'a@b.io']; allowed: each once"
    ]
