"""OriginFailover alone: the failover records of origin.<domain>, the alarm-driven health check, its guards."""

from __future__ import annotations

import pulumi
import pytest
from streaming_platform.edge.origin_failover import OriginFailover, OriginFailoverArgs, validate_args

from offline.engine import Recording, run_component

RECORD, CHECK, ALARM = (
    "aws:route53/record:Record",
    "aws:route53/healthCheck:HealthCheck",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
)
TOPIC = "arn:aws:sns:us-west-2:123456789012:alarms"


def args(**overrides) -> OriginFailoverArgs:
    return OriginFailoverArgs(
        **{
            "zone_id": "Z123",
            "origin_domain_name": "origin.video.example.com",
            "alb_dns_name": "app-123.us-west-2.elb.amazonaws.com",
            "alb_zone_id": "Z1H1FL5HABSF5",
            "alb_arn_suffix": "app/app-alb/abc",
            "alarm_topic_arn": TOPIC,
            "resource_prefix": "streaming-prod",
            **overrides,
        }
    )


def build(**overrides) -> Recording:
    def program() -> None:
        failover = OriginFailover("edge", args(**overrides))
        pulumi.export("healthCheckId", failover.health_check_id)

    return run_component(program, preview=False)


def test_primary_aliases_the_alb_guarded_by_a_health_check_on_its_own_5xx():
    rec = build()
    (alarm,) = rec.of_type(ALARM)
    assert {k: alarm.inputs[k] for k in ("name", "namespace", "metricName", "dimensions", "threshold")} == {
        "name": "streaming-prod-origin-5xx",
        "namespace": "AWS/ApplicationELB",
        "metricName": "HTTPCode_ELB_5XX_Count",
        "dimensions": {"LoadBalancer": "app/app-alb/abc"},
        "threshold": 25,
    }
    assert alarm.inputs["alarmActions"] == alarm.inputs["okActions"] == [TOPIC]
    (check,) = rec.of_type(CHECK)
    assert check.inputs["type"] == "CLOUDWATCH_METRIC"
    assert check.inputs["cloudwatchAlarmRegion"] == "us-west-2"
    assert check.property_dependencies["cloudwatchAlarmName"] == (alarm.urn,)
    (primary,) = rec.of_type(RECORD)
    assert primary.name == "edge-origin-primary"
    assert primary.inputs["failoverRoutingPolicies"] == [{"type": "PRIMARY"}]
    assert primary.property_dependencies["healthCheckId"] == (check.urn,)
    assert primary.inputs["aliases"] == [
        {"name": "app-123.us-west-2.elb.amazonaws.com", "zoneId": "Z1H1FL5HABSF5", "evaluateTargetHealth": True}
    ]
    assert rec.outputs["healthCheckId"] == check.id  # a registered output Observability can take


def test_a_standby_adds_the_secondary_record_without_a_health_check():
    rec = build(standby_dns_name="standby.us-east-2.elb.amazonaws.com", standby_zone_id="ZSTANDBY")
    records = {r.name: r for r in rec.of_type(RECORD)}
    assert sorted(records) == ["edge-origin-primary", "edge-origin-secondary"]
    secondary = records["edge-origin-secondary"]
    assert secondary.inputs["failoverRoutingPolicies"] == [{"type": "SECONDARY"}]
    assert "healthCheckId" not in secondary.inputs
    assert secondary.inputs["aliases"][0]["name"] == "standby.us-east-2.elb.amazonaws.com"


def test_children_of_a_stack_from_before_0_2_0_alias_their_old_parent():
    def program() -> None:
        old = pulumi.ComponentResource("streaming:edge:StreamingEdge", "edge")
        OriginFailover("edge", args(previous_parent=old))

    rec = run_component(program, project="streaming", stack="prod")
    old_parent = "urn:pulumi:prod::streaming::streaming:edge:StreamingEdge"  # their URNs under StreamingEdge
    custom = [r for r in rec.resources if r.custom]
    assert [r.aliases for r in custom] == [(f"{old_parent}${r.type}::{r.name}",) for r in custom]
    assert len(custom) == 3


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"standby_dns_name": "standby.example.com"},
            "OriginFailoverArgs.standby_dns_name/standby_zone_id: got 'standby.example.com'/None; "
            "allowed: both or neither",
        ),
        (
            {"resource_prefix": "p" * 58},
            f"OriginFailoverArgs.resource_prefix: got {'p' * 58!r}; allowed: at most 57 characters "
            "(the health check reference name)",
        ),
    ],
)
def test_inconsistent_args_are_rejected_naming_the_field(overrides, expected):
    assert validate_args(args(**overrides)) == [expected]
    with pytest.raises(ValueError, match="invalid OriginFailoverArgs") as raised:
        build(**overrides)
    assert [r for r in raised.value.recording.resources if r.custom] == []  # type: ignore[attr-defined]
