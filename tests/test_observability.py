"""Observability and AlarmTopics, as the dev and prod stacks register them: alarms on every tier, each
notifying a KMS-encrypted topic of its own region, thresholds from config, and the dashboard."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from streaming_platform.observability.args import DataTargets, EdgeTargets, ObservabilityArgs, validate_args
from streaming_platform.observability.thresholds import DEFAULT_THRESHOLDS, US_EAST_1, AlarmThresholds
from streaming_platform.observability.topics import AlarmTopicsArgs, validate_topic_args

from offline.engine import Recording, ResourceRecord, is_unknown, run_program
from offline.fakes import ACCOUNT_ID
from settings import parse
from settings.observability import ALARM_THRESHOLD_KEYS
from tests.graph import dep, deps, only_component
from tests.test_settings import US_WEST_2, raw_config

COMPONENT = "streaming:observability:Observability"
TOPICS = "streaming:observability:AlarmTopics"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KEY = "aws:kms/key:Key"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
REGION = {"dev": "us-east-2", "prod": "us-west-2"}
EMAILS = {"dev": ["platform-team@example.com"], "prod": ["oncall@example.com", "platform-team@example.com"]}
ECS_RUNNING = ("ECS/ContainerInsights", "RunningTaskCount<DesiredTaskCount")

MODES = [
    pytest.param(stack, preview, id=f"{stack}-{'preview' if preview else 'update'}")
    for stack in ("dev", "prod")
    for preview in (True, False)
]


def watched(alarm: ResourceRecord) -> tuple[str, str]:
    """(namespace, metric) an alarm compares; the ECS metric-math alarm compares running with desired tasks."""
    i = alarm.inputs
    if "metricName" in i:
        return i["namespace"], i["metricName"]
    metrics = {(q["metric"]["namespace"], q["metric"]["metricName"]) for q in i["metricQueries"] if "metric" in q}
    assert metrics == {("ECS/ContainerInsights", "RunningTaskCount"), ("ECS/ContainerInsights", "DesiredTaskCount")}
    return ECS_RUNNING


def region_of(rec: Recording, r: ResourceRecord) -> str:
    """Where a resource lives: its own ``region`` input, else its explicit provider's, else the stack's."""
    if r.inputs.get("region"):
        return r.inputs["region"]
    if r.provider:
        provider = rec.by_urn(r.provider.rsplit("::", 1)[0])  # a provider reference is "<urn>::<id>"
        if provider.inputs.get("region"):
            return provider.inputs["region"]
    return rec.config["aws:region"]


def one(rec: Recording, type_: str, name: str) -> ResourceRecord:
    (r,) = [r for r in rec.of_type(type_) if r.name == name]
    return r


# Per stack: what Observability watches (the media pipeline's queue alarms are counted separately).
PROD_ALARMS = Counter(
    {
        ("AWS/CloudFront", "5xxErrorRate"): 1,
        ("AWS/Route53", "HealthCheckStatus"): 1,
        ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"): 1,
        ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"): 1,
        ("AWS/ApplicationELB", "TargetResponseTime"): 1,
        ("AWS/ApplicationELB", "UnHealthyHostCount"): 1,  # the frontend's target group (api: REST API only)
        ("AWS/AutoScaling", "GroupInServiceInstances"): 1,
        ECS_RUNNING: 6,  # one per ECS service
        ("AWS/ECS", "CPUUtilization"): 6,
        ("AWS/ECS", "MemoryUtilization"): 6,
        ("AWS/RDS", "CPUUtilization"): 3,  # primary + 2 replicas
        ("AWS/RDS", "FreeableMemory"): 3,
        ("AWS/RDS", "FreeStorageSpace"): 3,
        ("AWS/RDS", "ReplicaLag"): 2,  # one per replica
        ("AWS/ElastiCache", "CPUUtilization"): 3,  # one per node
        ("AWS/ElastiCache", "EngineCPUUtilization"): 3,
        ("AWS/ElastiCache", "Evictions"): 3,
        ("AWS/ElastiCache", "ReplicationLag"): 3,
        ("AWS/DynamoDB", "ReadThrottleEvents"): 2,  # videos, sessions
        ("AWS/DynamoDB", "WriteThrottleEvents"): 2,
        ("AWS/Lambda", "Errors"): 2,  # transcoder, MediaConvert status function
        ("AWS/Lambda", "Throttles"): 2,
        ("AWS/S3", "OperationsFailedReplication"): 2,  # uploads and renditions to the DR region
        ("AWS/S3", "ReplicationLatency"): 2,
    }
)
DEV_ALARMS = PROD_ALARMS - Counter(
    {
        ("AWS/S3", "OperationsFailedReplication"): 2,  # no DR region
        ("AWS/S3", "ReplicationLatency"): 2,
        # UnHealthyHostCount as in prod: the frontend's target group (the fleet is in none)
        ("AWS/AutoScaling", "GroupInServiceInstances"): 1,  # ECS_ONLY: no fleet
        ("AWS/RDS", "CPUUtilization"): 2,  # no replicas
        ("AWS/RDS", "FreeableMemory"): 2,
        ("AWS/RDS", "FreeStorageSpace"): 2,
        ("AWS/RDS", "ReplicaLag"): 2,
        ("AWS/ElastiCache", "CPUUtilization"): 1,  # 2 nodes
        ("AWS/ElastiCache", "EngineCPUUtilization"): 1,
        ("AWS/ElastiCache", "Evictions"): 1,
        ("AWS/ElastiCache", "ReplicationLag"): 1,
        ("AWS/Lambda", "Errors"): 1,  # ffmpeg: no status function
        ("AWS/Lambda", "Throttles"): 1,
    }
)
EXPECTED = {"dev": DEV_ALARMS, "prod": PROD_ALARMS}
MEDIA_ALARMS = Counter(
    {("AWS/SQS", "ApproximateAgeOfOldestMessage"): 1, ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): 1}
)
# Every tier the issue lists, by the metrics that stand for it.
TIERS = {
    "CloudFront 5xx rate": {("AWS/CloudFront", "5xxErrorRate")},
    "ALB 5xx, p99, unhealthy hosts": {
        ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count"),
        ("AWS/ApplicationELB", "TargetResponseTime"),
        ("AWS/ApplicationELB", "UnHealthyHostCount"),
    },
    "ASG in service below min": {("AWS/AutoScaling", "GroupInServiceInstances")},
    "ECS running, CPU, memory": {ECS_RUNNING, ("AWS/ECS", "CPUUtilization"), ("AWS/ECS", "MemoryUtilization")},
    "RDS CPU, memory, lag, storage": {
        ("AWS/RDS", "CPUUtilization"),
        ("AWS/RDS", "FreeableMemory"),
        ("AWS/RDS", "ReplicaLag"),
        ("AWS/RDS", "FreeStorageSpace"),
    },
    "ElastiCache CPU, evictions, lag": {
        ("AWS/ElastiCache", "EngineCPUUtilization"),
        ("AWS/ElastiCache", "Evictions"),
        ("AWS/ElastiCache", "ReplicationLag"),
    },
    "DynamoDB throttles": {("AWS/DynamoDB", "ReadThrottleEvents"), ("AWS/DynamoDB", "WriteThrottleEvents")},
    "SQS age, DLQ depth": {
        ("AWS/SQS", "ApproximateAgeOfOldestMessage"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    },
    "Lambda errors, throttles": {("AWS/Lambda", "Errors"), ("AWS/Lambda", "Throttles")},
    "Route 53 health check": {("AWS/Route53", "HealthCheckStatus")},
}


# ---- coverage --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_each_stack_has_exactly_the_expected_alarms(recording, stack, preview):
    rec = recording(stack, preview=preview)
    ours = only_component(rec, COMPONENT).of_type(ALARM)
    assert Counter(watched(a) for a in ours) == EXPECTED[stack]
    media = only_component(rec, "streaming:media:MediaPipeline").of_type(ALARM)
    assert Counter(watched(a) for a in media) == MEDIA_ALARMS  # reused, not duplicated
    assert not any(watched(a)[0] == "AWS/SQS" for a in ours)


def test_prod_has_alarms_on_every_tier_the_issue_lists(recording):
    rec = recording("prod")
    alarmed = {watched(a) for a in rec.of_type(ALARM)}
    missing = {tier: metrics - alarmed for tier, metrics in TIERS.items() if metrics - alarmed}
    assert missing == {}


def test_one_replica_lag_alarm_per_replica_and_one_running_alarm_per_service(recording):
    rec = recording("prod")
    ours = only_component(rec, COMPONENT).of_type(ALARM)
    lag = [a for a in ours if watched(a) == ("AWS/RDS", "ReplicaLag")]
    replicas = [r for r in rec.of_type("aws:rds/instance:Instance") if r.inputs.get("replicateSourceDb")]
    assert sorted(dep(rec, a, "dimensions").name for a in lag) == sorted(r.name for r in replicas)
    assert len(replicas) == 2
    running = [a for a in ours if watched(a) == ECS_RUNNING]
    services = rec.of_type("aws:ecs/service:Service")
    watched_services = [[d.name for d in deps(rec, a, "metricQueries") if d.type == services[0].type] for a in running]
    assert sorted(n for (n,) in watched_services) == sorted(s.name for s in services)
    for metric in ("CPUUtilization", "MemoryUtilization"):
        per_service = [a for a in ours if watched(a) == ("AWS/ECS", metric)]
        assert {d.name for a in per_service for d in deps(rec, a, "dimensions")} >= {s.name for s in services}
    unhealthy = [a for a in ours if watched(a) == ("AWS/ApplicationELB", "UnHealthyHostCount")]
    tgs = {d.name for a in unhealthy for d in deps(rec, a, "dimensions") if d.type == "aws:lb/targetGroup:TargetGroup"}
    assert tgs == {"app-frontend-tg"}  # the fleet's instances are in no target group; the api has none
    fleet = one(rec, ALARM, "observability-fleet-in-service")
    assert dep(rec, fleet, "dimensions").type == "aws:autoscaling/group:Group"
    assert (fleet.inputs["comparisonOperator"], fleet.inputs["threshold"]) == ("LessThanThreshold", 3)  # asgMinSize


def test_cache_alarms_watch_each_node_of_the_replication_group(recording):
    rec = recording("prod", preview=False)
    group = one(rec, "aws:elasticache/replicationGroup:ReplicationGroup", "data-redis")
    nodes = {
        a.inputs["dimensions"]["CacheClusterId"]
        for a in only_component(rec, COMPONENT).of_type(ALARM)
        if a.inputs.get("namespace") == "AWS/ElastiCache"
    }
    assert nodes == {f"{group.id}-001", f"{group.id}-002", f"{group.id}-003"}


# ---- actions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_every_alarm_notifies_an_encrypted_topic_in_its_own_region(recording, stack, preview):
    rec = recording(stack, preview=preview)
    assert [a.name for a in rec.of_type(ALARM) if not a.inputs.get("alarmActions")] == []
    checked = 0
    for alarm in rec.of_type(ALARM):
        topic = dep(rec, alarm, "alarmActions")
        assert topic.type == TOPIC and dep(rec, alarm, "okActions") == topic, alarm.name
        assert len(alarm.inputs["alarmActions"]) == 1 and alarm.inputs["alarmActions"] == alarm.inputs["okActions"]
        key = dep(rec, topic, "kmsMasterKeyId")
        assert key.type == KEY and key.inputs["enableKeyRotation"] is True
        assert region_of(rec, alarm) == region_of(rec, topic) == region_of(rec, key), alarm.name
        if not preview:
            assert alarm.inputs["alarmActions"] == [
                f"arn:aws:sns:{region_of(rec, alarm)}:{ACCOUNT_ID}:{topic.inputs['name']}"
            ]
        checked += 1
    # Observability's own alarms, the media pipeline's queue alarms, and the edge's origin alarm (which also
    # drives the Route 53 failover health check).
    assert checked == sum(EXPECTED[stack].values()) + sum(MEDIA_ALARMS.values()) + 1
    assert rec.named("edge-origin-5xx").inputs["alarmActions"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_edge_alarms_live_in_us_east_1_and_the_rest_in_the_stack_region(recording, stack):
    rec = recording(stack)
    regions = {a.name: region_of(rec, a) for a in only_component(rec, COMPONENT).of_type(ALARM)}
    edge = {"observability-cloudfront-5xx-rate", "observability-origin-health-check"}
    assert {n for n, r in regions.items() if r == US_EAST_1} == edge
    assert {r for n, r in regions.items() if n not in edge} == {REGION[stack]}
    cdn = dep(rec, one(rec, ALARM, "observability-cloudfront-5xx-rate"), "dimensions")
    assert cdn.type == "aws:cloudfront/distribution:Distribution"
    check = dep(rec, one(rec, ALARM, "observability-origin-health-check"), "dimensions")
    assert check.type == "aws:route53/healthCheck:HealthCheck"


# ---- topics, keys, subscriptions ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_one_topic_and_key_per_region_with_an_email_subscription_per_address(recording, stack):
    rec = only_component(recording(stack), TOPICS)
    topics = {region_of(rec, t): t for t in rec.of_type(TOPIC)}
    assert set(topics) == {REGION[stack], US_EAST_1}
    assert {t.inputs["name"] for t in topics.values()} == {
        f"streaming-{stack}-alarms",
        f"streaming-{stack}-edge-alarms",
    }
    for region, topic in topics.items():
        key = dep(rec, topic, "kmsMasterKeyId")
        assert region_of(rec, key) == region and key.protect is (stack == "prod")
        subs = [s for s in rec.of_type(SUBSCRIPTION) if dep(rec, s, "topic") == topic]
        assert sorted(s.inputs["endpoint"] for s in subs) == EMAILS[stack]
        assert {s.inputs["protocol"] for s in subs} == {"email"} and {region_of(rec, s) for s in subs} == {region}
    assert len(rec.of_type(KEY)) == 2 and len(rec.of_type(TOPIC_POLICY)) == 2


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_key_policy_lets_cloudwatch_of_this_account_use_the_key(recording, stack):
    rec = only_component(recording(stack, preview=False), TOPICS)
    for key in rec.of_type(KEY):
        assert json.loads(key.inputs["policy"])["Statement"] == [
            {
                "Sid": "AccountAdministersKeyThroughIam",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchAlarmsUseKeyForEncryptedTopic",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
            },
        ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_topic_policy_admits_only_this_accounts_alarms_over_tls(recording, stack):
    rec = only_component(recording(stack, preview=False), TOPICS)
    policies = rec.of_type(TOPIC_POLICY)
    assert len(policies) == 2
    for policy in policies:
        topic = dep(rec, policy, "arn")
        region = region_of(rec, topic)
        assert region_of(rec, policy) == region
        arn = f"arn:aws:sns:{region}:{ACCOUNT_ID}:{topic.inputs['name']}"
        assert policy.inputs["arn"] == arn
        assert json.loads(policy.inputs["policy"])["Statement"] == [
            {
                "Sid": "CloudWatchAlarmsOfThisAccountPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{region}:{ACCOUNT_ID}:alarm:*"},
                },
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]


# ---- thresholds ------------------------------------------------------------------------------------------


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
