"""What a real engine needs created first, as the dependency graph records it, and the DR replication's metrics and
alarms: each fails against the platform as it was before the review."""

from __future__ import annotations

import pytest

from tests.app_parts import one
from tests.data_parts import build
from tests.graph import only_component

DB = "aws:rds/instance:Instance"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_every_db_instance_waits_for_its_monitoring_role_policy():
    rec = build("database", replicated=True)
    attachment = one(rec, ATTACHMENT, "t-rds-monitoring")
    instances = rec.of_type(DB)
    assert len(instances) == 3
    # monitoringRoleArn alone orders the instance after the role, not after the policy attachment.
    assert all(attachment.urn in db.dependencies for db in instances), [db.name for db in instances]


def test_the_flow_log_waits_for_its_role_policy(recording):
    rec = only_component(recording("prod"), "streaming:network:MultiAzNetwork")
    flow_log = one(rec, "aws:ec2/flowLog:FlowLog", "network-flow-log")
    assert one(rec, ROLE_POLICY, "network-flow-log-write").urn in flow_log.dependencies


def test_each_replication_configuration_waits_for_the_replication_role_policy():
    rec = build("buckets", replicated=True)
    policy = one(rec, ROLE_POLICY, "t-replication")
    configs = rec.of_type(REPLICATION)
    assert len(configs) == 2
    for config in configs:
        assert policy.urn in config.dependencies, config.name
        versioned = {r.name for r in rec.resources if r.urn in config.dependencies and r.type.endswith("Versioning")}
        role = config.name.removeprefix("t-").removesuffix("-replication")
        assert versioned == {f"t-{role}", f"t-{role}-dr"}


def test_replication_rules_publish_metrics_with_the_15_minute_event_threshold():
    rec = build("buckets", replicated=True)
    for config in rec.of_type(REPLICATION):
        (rule,) = config.inputs["rules"]
        assert rule["destination"]["metrics"] == {"status": "Enabled", "eventThreshold": {"minutes": 15}}
        assert "replicationTime" not in rule["destination"]  # no RTC: the latency alarm watches instead


def alarms_on(rec, metric):
    return sorted(
        (a for a in rec.of_type(ALARM) if a.inputs.get("metricName") == metric and a.inputs["namespace"] == "AWS/S3"),
        key=lambda a: a.name,
    )


@pytest.mark.parametrize(
    ("metric", "statistic", "comparison", "threshold", "periods"),
    [
        ("OperationsFailedReplication", "Sum", "GreaterThanOrEqualToThreshold", 1, 1),
        ("ReplicationLatency", "Maximum", "GreaterThanThreshold", 900, 3),
    ],
)
def test_prod_alarms_on_each_dr_rules_failures_and_latency(
    recording, metric, statistic, comparison, threshold, periods
):
    rec = recording("prod", preview=False)
    topic = one(rec, "aws:sns/topic:Topic", "alarms-topic")
    found = alarms_on(rec, metric)
    assert [a.inputs["dimensions"]["RuleId"] for a in found] == ["renditions-to-us-east-2", "uploads-to-us-east-2"]
    for alarm in found:
        role = alarm.inputs["dimensions"]["RuleId"].split("-to-")[0]
        source = one(rec, "aws:s3/bucket:Bucket", f"data-{role}")
        replica = one(rec, "aws:s3/bucket:Bucket", f"data-{role}-dr")
        assert alarm.inputs["dimensions"]["SourceBucket"] == f"{source.name}-{source.id[-7:]}"
        assert alarm.inputs["dimensions"]["DestinationBucket"] == f"{replica.name}-{replica.id[-7:]}"
        assert (alarm.inputs["statistic"], alarm.inputs["comparisonOperator"]) == (statistic, comparison)
        assert (alarm.inputs["threshold"], alarm.inputs["evaluationPeriods"]) == (threshold, periods)
        assert alarm.inputs["treatMissingData"] == "notBreaching"  # a quiet bucket publishes nothing
        assert "region" not in alarm.inputs  # the source bucket's region, where S3 publishes the metrics
        assert topic.urn in alarm.property_dependencies["alarmActions"]


def test_dev_has_no_replication_and_no_replication_alarm(recording):
    rec = recording("dev")
    assert rec.of_type(REPLICATION) == []
    assert alarms_on(rec, "OperationsFailedReplication") == alarms_on(rec, "ReplicationLatency") == []
