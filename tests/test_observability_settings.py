"""Every observability settings rule rejects a bad value naming the key, the value and what is allowed."""

from __future__ import annotations

import pytest
from streaming_platform.observability.thresholds import AlarmThresholds

from settings import KEYS_BY_NAME, parse
from settings.observability import ALARM_THRESHOLD_KEYS
from tests.test_settings import US_EAST_2, US_WEST_2, problems, raw_config

RANGE_CASES = [
    pytest.param({key: bad}, f"streaming:{key}: got {bad}; allowed: an integer from {low} to {high}", id=f"{key}={bad}")
    for key, _, low, high, _ in ALARM_THRESHOLD_KEYS
    for bad in (low - 1, high + 1)
]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        *RANGE_CASES,
        ({"alarmEmails": ["oncall"]}, "streaming:alarmEmails: got 'oncall'; allowed: email addresses such as"),
        ({"alarmEmails": ["a@b"]}, "streaming:alarmEmails: got 'a@b'; allowed: email addresses such as"),
        (
            {"alarmEmails": ["ops@example.com", "OPS@example.com"]},
            "streaming:alarmEmails: got ['ops@example.com', 'OPS@example.com']; allowed: each address once",
        ),
        (
            {"alarmEmails": "ops@example.com"},
            "streaming:alarmEmails: got 'ops@example.com'; allowed: a list of strings",
        ),
        ({"dbCpuAlarmPercent": "high"}, "streaming:dbCpuAlarmPercent: got 'high'; allowed: an integer"),
        (
            {"ecsCpuAlarmPercent": 60},
            "streaming:ecsCpuAlarmPercent: got 60; allowed: an integer from 61 to 100",
        ),
        (
            {"ecsMemoryAlarmPercent": 75},
            "streaming:ecsMemoryAlarmPercent: got 75; allowed: an integer from 76 to 100",
        ),
        (
            {"dbFreeStorageAlarmGb": 20},
            "streaming:dbFreeStorageAlarmGb: got 20; allowed: less than dbAllocatedStorageGb (20), or a new database",
        ),
    ],
)
def test_each_observability_rule_rejects_a_bad_value_naming_the_key(overrides, expected):
    found = problems("dev", **overrides)
    assert any(p.startswith(expected) for p in found), found


def test_every_threshold_key_maps_to_a_field_with_its_default():
    fields = AlarmThresholds.__dataclass_fields__
    assert {attr for _, attr, *_ in ALARM_THRESHOLD_KEYS} == set(fields)
    for key, attr, low, high, _ in ALARM_THRESHOLD_KEYS:
        default = getattr(AlarmThresholds(), attr)
        assert KEYS_BY_NAME[key].default == default and low <= default <= high, key


def test_edges_of_each_range_are_accepted():
    lows = {key: low for key, _, low, _, _ in ALARM_THRESHOLD_KEYS}
    lows |= {"ecsCpuAlarmPercent": 61, "ecsMemoryAlarmPercent": 76}
    settings = parse(raw_config("prod", **lows), stack="prod", region_azs=US_WEST_2)
    assert settings.thresholds.db_cpu_percent == 1 and settings.thresholds.ecs_cpu_percent == 61


def test_dev_and_prod_observability_settings():
    dev_s = parse(raw_config("dev"), stack="dev", region_azs=US_EAST_2)
    prod_s = parse(raw_config("prod"), stack="prod", region_azs=US_WEST_2)
    dev, prod = dev_s.observability, prod_s.observability
    assert dev.alarm_emails == ("platform-team@example.com",)
    assert prod.alarm_emails == ("oncall@example.com", "platform-team@example.com")
    assert (prod_s.thresholds.alb_p99_response_time_ms, dev_s.thresholds.alb_p99_response_time_ms) == (1500, 3000)
    assert prod_s.thresholds.db_free_storage_gb < 200 and dev_s.thresholds.db_free_storage_gb < 20
