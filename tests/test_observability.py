"""Observability and AlarmTopics, as the dev and prod stacks register them: alarms on every tier, each
notifying a KMS-encrypted topic of its own region, thresholds from config, and the dashboard."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from streaming_platform.observability.thresholds import US_EAST_1

from offline.engine import Recording, ResourceRecord
from offline.fakes import ACCOUNT_ID
from tests.graph import dep, deps, only_component

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
