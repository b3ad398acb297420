"""The monthly cost estimate: exact line items and totals for dev and prod, computed here from the
recording's counts and the shipped price table; count changes move it by exactly the price of the item;
every price line is dated and sourced; the README tables and the pull-request difference stay honest."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from offline import cost, preview
from offline.cost import Estimate, asg_split, estimate, fargate_split, load_prices, money
from offline.cost_report import BEGIN, END, diff, render_diff
from offline.engine import PROJECT_DIR, Recording, ResourceRecord
from offline.preview import main as preview_main

TABLE = load_prices()
H = Decimal(730)
D = Decimal


def p(key: str, kind: str | None = None) -> Decimal:
    value = TABLE["prices"][key]["price"]
    return D(value[kind] if kind else value)


def lines_of(est: Estimate) -> dict[tuple[str, str, str], Decimal | None]:
    return {(line.tier, line.item, line.region): line.monthly for line in est.lines}


def regions(rec: Recording, type_: str) -> Counter[str]:
    home = rec.config["aws:region"]
    return Counter(r.inputs.get("region") or home for r in rec.of_type(type_))


@pytest.fixture(scope="module")
def dev(recording) -> Recording:
    return recording("dev")


@pytest.fixture(scope="module")
def prod(recording) -> Recording:
    return recording("prod")


def test_dev_estimate_line_by_line(dev):
    assert len(dev.of_type("aws:ec2/natGateway:NatGateway")) == 1
    services = dev.of_type("aws:ecs/service:Service")
    assert len(services) == 6 and {s.inputs["desiredCount"] for s in services} == {2.0}  # ecsMinTasks: 2
    alarms, keys = regions(dev, "aws:cloudwatch/metricAlarm:MetricAlarm"), regions(dev, "aws:kms/key:Key")
    checks = len(dev.of_type("aws:route53/healthCheck:HealthCheck"))
    zones = len(dev.of_type("aws:route53/zone:Zone"))
    assert (checks, zones) == (1, 1)  # the origin failover's alarm-based check; the public zone
    spot = 1 - D("0.70")  # all on FARGATE_SPOT (base 0, weights 0/1), the stated Spot discount
    tasks = 6 * 2  # services x desiredCount, each 256 CPU units / 512 MiB
    expected = {
        ("network", "NAT gateway hours", "us-east-2"): H * p("nat_gateway_hour"),
        ("network", "NAT gateway data processed (assumed)", "us-east-2"): 100 * p("nat_gateway_gb"),
        # 10 M requests = 1,000 x 10k requests
        ("edge", "CloudFront HTTPS requests (assumed)", "global"): 1000 * p("cloudfront_10k_https_requests"),
        ("edge", "CloudFront data out (assumed)", "global"): 1000 * p("cloudfront_gb_out"),
        ("edge", "Data out to the internet, not via CloudFront (assumed)", "us-east-2"): 50 * p("internet_egress_gb"),
        ("edge", "Route 53 health checks", "global"): checks * p("route53_health_check_month"),
        ("edge", "Route 53 hosted zones", "global"): zones * p("route53_hosted_zone_month"),
        ("edge", "WAF requests (assumed)", "global"): 10 * p("waf_million_requests"),
        ("edge", "WAF requests (assumed)", "us-east-2"): 2 * p("waf_million_requests"),  # the ALB's, the API's
        ("edge", "WAF rules", "global"): 5 * p("waf_rule_month"),  # + rate-limit-media
        ("edge", "WAF rules", "us-east-2"): 6 * p("waf_rule_month"),  # 3 per entry point
        ("edge", "WAF web ACLs", "global"): p("waf_web_acl_month"),
        ("edge", "WAF web ACLs", "us-east-2"): 2 * p("waf_web_acl_month"),  # one per entry point
        ("app", "ALB LCU-hours (assumed)", "us-east-2"): 1 * H * p("alb_lcu_hour"),
        ("app", "Application Load Balancer hours", "us-east-2"): H * p("alb_hour"),
        ("app", "Fargate Spot vCPU-hours", "us-east-2"): tasks * D("0.25") * H * p("fargate_vcpu_hour") * spot,
        ("app", "Fargate Spot GB-hours", "us-east-2"): tasks * D("0.5") * H * p("fargate_gb_hour") * spot,
        ("app", "Network Load Balancer hours", "us-east-2"): H * p("nlb_hour"),
        # numCacheClusters 2 at the Redis OSS on-demand rate
        ("data", "ElastiCache cache.t4g.micro node-hours", "us-east-2"): 2
        * H
        * p("elasticache_node_hour", "cache.t4g.micro"),
        ("data", "KMS customer managed keys", "us-east-1"): keys["us-east-1"] * p("kms_key_month"),
        ("data", "KMS customer managed keys", "us-east-2"): keys["us-east-2"] * p("kms_key_month"),
        ("data", "RDS db.t4g.medium instance-hours (Multi-AZ primary + standby)", "us-east-2"): 2
        * H
        * p("rds_instance_hour", "db.t4g.medium"),
        ("data", "RDS gp3 storage GB-months", "us-east-2"): 2 * 20 * p("rds_gp3_gb_month"),  # 20 GB, two copies
        ("data", "Secrets Manager secrets", "us-east-2"): p("secret_month"),
        ("media", "S3 Standard media storage (assumed)", "us-east-2"): 500 * p("s3_standard_gb_month"),
        ("observability", "CloudWatch Logs ingestion (assumed)", "us-east-2"): 20 * p("cloudwatch_logs_ingest_gb"),
        ("observability", "CloudWatch alarms", "us-east-1"): alarms["us-east-1"] * p("cloudwatch_alarm_month"),
        ("observability", "CloudWatch alarms", "us-east-2"): alarms["us-east-2"] * p("cloudwatch_alarm_month"),
        ("observability", "CloudWatch dashboards", "us-east-2"): p("cloudwatch_dashboard_month"),
    }
    assert (alarms, keys) == (Counter({"us-east-2": 42, "us-east-1": 2}), Counter({"us-east-2": 8, "us-east-1": 1}))
    est = estimate(dev)
    assert lines_of(est) == expected
    by_tier = {
        t: sum((v for (tier, _, _), v in expected.items() if tier == t and v is not None), D(0)) for t in cost.TIERS
    }
    assert est.by_tier() == by_tier
    assert est.total == sum(by_tier.values(), D(0))
    assert est.total == D("403.33609")  # the README's $403.34
    assert est.unpriced == []


def test_prod_estimate_line_by_line(prod):
    alarms, keys = regions(prod, "aws:cloudwatch/metricAlarm:MetricAlarm"), regions(prod, "aws:kms/key:Key")
    assert (alarms, keys) == (
        Counter({"us-west-2": 61, "us-east-1": 2}),  # with the 4 S3 replication alarms
        Counter({"us-west-2": 8, "us-east-1": 1, "us-east-2": 1}),
    )
    # ECS: desiredCount 3 per service, base 3 on FARGATE, so every minimum task is on-demand Fargate; the
    # frontend runs on the EC2 fleet (its instance-hours below), not on Fargate.
    fargate = [
        t
        for t in prod.of_type("aws:ecs/taskDefinition:TaskDefinition")
        if t.inputs["requiresCompatibilities"] == ["FARGATE"]
    ]
    cpu = sum(D(int(t.inputs["cpu"])) for t in fargate) / 1024
    mem = sum(D(int(t.inputs["memory"])) for t in fargate) / 1024
    assert (len(fargate), cpu, mem) == (5, D("3.5"), D(7))  # user, comment, notification 0.5/1; api, video 1/2
    checks = len(prod.of_type("aws:route53/healthCheck:HealthCheck"))
    zones = len(prod.of_type("aws:route53/zone:Zone"))
    assert (checks, zones) == (1, 0)  # prod adopts its zone (hostedZoneId): no hosted zone line
    expected = {
        ("network", "Interface VPC endpoint AZ-hours", "us-west-2"): 5 * 3 * H * p("interface_endpoint_az_hour"),
        ("network", "NAT gateway data processed (assumed)", "us-west-2"): 3 * 500 * p("nat_gateway_gb"),
        ("network", "NAT gateway hours", "us-west-2"): 3 * H * p("nat_gateway_hour"),
        # 200 M requests = 20,000 x 10k requests
        ("edge", "CloudFront HTTPS requests (assumed)", "global"): 20000 * p("cloudfront_10k_https_requests"),
        ("edge", "CloudFront data out (assumed)", "global"): 10000 * p("cloudfront_gb_out"),
        ("edge", "Data out to the internet, not via CloudFront (assumed)", "us-west-2"): 500 * p("internet_egress_gb"),
        ("edge", "Route 53 health checks", "global"): checks * p("route53_health_check_month"),
        ("edge", "WAF requests (assumed)", "global"): 200 * p("waf_million_requests"),
        ("edge", "WAF requests (assumed)", "us-west-2"): 100 * p("waf_million_requests"),  # the ALB's, the API's
        ("edge", "WAF rules", "global"): 6 * p("waf_rule_month"),  # + rate-limit-media
        ("edge", "WAF rules", "us-west-2"): 6 * p("waf_rule_month"),  # 3 per entry point
        ("edge", "WAF web ACLs", "global"): p("waf_web_acl_month"),
        ("edge", "WAF web ACLs", "us-west-2"): 2 * p("waf_web_acl_month"),  # one per entry point
        ("app", "ALB LCU-hours (assumed)", "us-west-2"): 5 * H * p("alb_lcu_hour"),
        ("app", "Application Load Balancer hours", "us-west-2"): H * p("alb_hour"),
        # minSize 3 = on-demand base 3, at the t3.large on-demand rate
        ("app", "EC2 on-demand instance-hours (t3.large)", "us-west-2"): 3 * H * p("ec2_instance_hour", "t3.large"),
        ("app", "Fargate vCPU-hours", "us-west-2"): 3 * cpu * H * p("fargate_vcpu_hour"),
        ("app", "Fargate GB-hours", "us-west-2"): 3 * mem * H * p("fargate_gb_hour"),
        ("app", "Network Load Balancer hours", "us-west-2"): H * p("nlb_hour"),
        ("data", "ElastiCache cache.r7g.large node-hours", "us-west-2"): 3
        * H
        * p("elasticache_node_hour", "cache.r7g.large"),
        ("data", "KMS customer managed keys", "us-east-1"): p("kms_key_month"),
        ("data", "KMS customer managed keys", "us-east-2"): p("kms_key_month"),
        ("data", "KMS customer managed keys", "us-west-2"): 8 * p("kms_key_month"),
        ("data", "RDS db.r7g.large instance-hours (Multi-AZ primary + standby)", "us-west-2"): None,
        ("data", "RDS db.r7g.large instance-hours (read replica)", "us-west-2"): None,
        # 200 GB on the primary and its standby, and on each of the two replicas
        ("data", "RDS gp3 storage GB-months", "us-west-2"): (2 + 2) * 200 * p("rds_gp3_gb_month"),
        ("data", "Secrets Manager secrets", "us-west-2"): p("secret_month"),
        ("media", "S3 Standard DR replica storage (assumed: a full copy)", "us-east-2"): 5000
        * p("s3_standard_gb_month"),
        ("media", "S3 Standard media storage (assumed)", "us-west-2"): 5000 * p("s3_standard_gb_month"),
        ("observability", "CloudWatch Logs ingestion (assumed)", "us-west-2"): 200 * p("cloudwatch_logs_ingest_gb"),
        ("observability", "CloudWatch alarms", "us-east-1"): 2 * p("cloudwatch_alarm_month"),
        ("observability", "CloudWatch alarms", "us-west-2"): 61 * p("cloudwatch_alarm_month"),
        ("observability", "CloudWatch dashboards", "us-west-2"): p("cloudwatch_dashboard_month"),
    }
    est = estimate(prod)
    assert lines_of(est) == expected
    quantities = {line.item: line.quantity for line in est.lines if line.region == "us-west-2"}
    assert quantities["EC2 on-demand instance-hours (t3.large)"] == 3 * H
    assert quantities["RDS db.r7g.large instance-hours (read replica)"] == 2 * H
    assert quantities["ElastiCache cache.r7g.large node-hours"] == 3 * H
    by_tier = {
        t: sum((v for (tier, _, _), v in expected.items() if tier == t and v is not None), D(0)) for t in cost.TIERS
    }
    assert est.by_tier() == by_tier and est.total == sum(by_tier.values(), D(0))
    assert est.total == D("3122.03905")  # the README's $3,122.04
    # still unpriced: no citable PostgreSQL figure for the instance class (see offline/prices.json)
    assert [line.item for line in est.unpriced] == [
        "RDS db.r7g.large instance-hours (Multi-AZ primary + standby)",
        "RDS db.r7g.large instance-hours (read replica)",
    ]


def test_one_more_nat_gateway_costs_exactly_its_hours_and_assumed_processing(recording, dev):
    base = estimate(dev)
    one_per_az = recording("dev", config={"streaming:natGatewayStrategy": "ONE_PER_AZ"})
    head = estimate(one_per_az)
    assert len(one_per_az.of_type("aws:ec2/natGateway:NatGateway")) == 2
    one_nat = H * p("nat_gateway_hour") + 100 * p("nat_gateway_gb")
    assert head.total - base.total == one_nat
    assert [key for key, _, _ in diff(base, head)] == [
        "network|NAT gateway data processed (assumed)|us-east-2",
        "network|NAT gateway hours|us-east-2",
    ]
    assert f"**{money(one_nat)}**" in render_diff(base, head)


def test_one_more_read_replica_adds_its_storage_its_alarms_and_an_unpriced_instance(recording, prod):
    base = estimate(prod)
    more = recording(
        "prod", config={"streaming:dbReadReplicaZoneIds": json.dumps(["usw2-az2", "usw2-az3", "usw2-az1"])}
    )
    head = estimate(more)
    extra_alarms = len(more.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")) - 63
    assert extra_alarms == 4  # the replica's own alarms (observability tier)
    assert head.total - base.total == 200 * p("rds_gp3_gb_month") + extra_alarms * p("cloudwatch_alarm_month")
    assert head.by_tier()["data"] - base.by_tier()["data"] == D("23.000")
    replica = "data|RDS db.r7g.large instance-hours (read replica)|us-west-2"
    before = {line.key: line.quantity for line in base.lines}
    after = {line.key: line.quantity for line in head.lines}
    assert after[replica] - before[replica] == H


def test_fleet_spot_instances_are_listed_unpriced_not_guessed(recording, prod):
    """EC2 Spot prices float and AWS states only an "up to" discount, so Spot hours carry no figure."""
    assert TABLE["prices"]["ec2_spot_instance_hour"]["price"] == {}
    base = estimate(prod)
    head = estimate(recording("prod", config={"streaming:asgOnDemandBaseCapacity": "1"}))
    # minSize 3: on-demand base 1, then 25% of the 2 above it on-demand, the rest Spot.
    spot = {line.item: line for line in head.lines if line.item.startswith("EC2 Spot")}
    assert list(spot) == ["EC2 Spot instance-hours (t3.large or an override)"]
    line = spot["EC2 Spot instance-hours (t3.large or an override)"]
    assert (line.quantity, line.unit, line.unit_price) == (D("1.5") * H, "instance-hour", None)
    on_demand = {line.item: line.quantity for line in head.lines}["EC2 on-demand instance-hours (t3.large)"]
    assert on_demand == D("1.5") * H
    # the 1.5 instances moved to Spot leave the total by their on-demand hours and come back unpriced
    assert head.total == base.total - D("1.5") * H * p("ec2_instance_hour", "t3.large")
    assert len(head.unpriced) == len(base.unpriced) + 1


def test_one_more_cache_node_costs_exactly_its_node_hours(recording, prod):
    base = estimate(prod)
    head = estimate(recording("prod", config={"streaming:cacheNumNodes": "4"}))
    node = "data|ElastiCache cache.r7g.large node-hours|us-west-2"
    before = {line.key: line for line in base.lines}[node]
    after = {line.key: line for line in head.lines}[node]
    assert (before.quantity, after.quantity) == (3 * H, 4 * H)
    assert after.unit_price == before.unit_price == D("0.219")  # the cited Redis OSS rate in us-west-2
    changed = {key for key, _, _ in diff(base, head)}
    assert changed <= {node, "observability|CloudWatch alarms|us-west-2"}  # a node may bring per-node alarms
    alarms = "observability|CloudWatch alarms|us-west-2"
    extra_alarms = {line.key: line.quantity for line in head.lines}[alarms] - {
        line.key: line.quantity for line in base.lines
    }[alarms]
    assert head.total - base.total == H * D("0.219") + extra_alarms * p("cloudwatch_alarm_month")


def test_a_minimum_task_above_the_fargate_base_splits_by_weight(recording):
    head = estimate(recording("prod", config={"streaming:ecsMinTasks": "4"}))
    # desiredCount 4: base 3 on FARGATE, the fourth task 1:3 over FARGATE / FARGATE_SPOT, for each Fargate service
    # (the frontend runs on the EC2 fleet): api, video 1/2; user, comment, notification 0.5/1.
    cpu, mem = D("3.5"), D(7)
    on_demand = D(13) / 4  # 3 + 1/4 tasks per service
    spot = D(3) / 4
    expected_app = (
        on_demand * cpu * H * p("fargate_vcpu_hour")
        + on_demand * mem * H * p("fargate_gb_hour")
        + spot * cpu * H * p("fargate_vcpu_hour") * (1 - D("0.70"))
        + spot * mem * H * p("fargate_gb_hour") * (1 - D("0.70"))
        + 5 * H * p("alb_lcu_hour")
        + H * p("alb_hour")
        + H * p("nlb_hour")
        + 3 * H * p("ec2_instance_hour", "t3.large")  # the fleet's minimum, all on-demand
    )
    assert head.by_tier()["app"] == expected_app


def _service(**inputs: object) -> ResourceRecord:
    return ResourceRecord("aws:ecs/service:Service", "s", "urn:s", None, True, None, (), {}, False, False, (), inputs)


def test_fargate_split_fills_the_base_first_then_shares_by_weight():
    strategy = [
        {"capacityProvider": "FARGATE", "base": 2.0, "weight": 1.0},
        {"capacityProvider": "FARGATE_SPOT", "weight": 3.0},
    ]
    assert fargate_split(_service(desiredCount=10.0, capacityProviderStrategies=strategy)) == {
        "FARGATE": D(4),
        "FARGATE_SPOT": D(6),
    }
    assert fargate_split(_service(desiredCount=1.0, capacityProviderStrategies=strategy)) == {"FARGATE": D(1)}
    assert fargate_split(_service(desiredCount=3.0, launchType="FARGATE")) == {"FARGATE": D(3)}


def test_asg_split_fills_the_on_demand_base_then_the_percentage_above_it():
    def group(minimum: float, base: float, pct: float) -> ResourceRecord:
        policy = {"instancesDistribution": {"onDemandBaseCapacity": base, "onDemandPercentageAboveBaseCapacity": pct}}
        return ResourceRecord(
            "aws:autoscaling/group:Group", "g", "urn:g", None, True, None, (), {}, False, False, (),
            {"minSize": minimum, "mixedInstancesPolicy": policy},
        )  # fmt: skip

    assert asg_split(group(7, 3, 25)) == (D(4), D(3))
    assert asg_split(group(2, 3, 25)) == (D(2), D(0))


def test_unknown_assumption_is_rejected_with_the_allowed_keys(dev):
    with pytest.raises(ValueError, match=r"--assume: got unknown key\(s\) \['nat_gb'\]; allowed: \["):
        estimate(dev, assume={"nat_gb": "1"})
    assert estimate(dev, assume={"nat_gb_per_gateway": "0"}).total == estimate(dev).total - 100 * p("nat_gateway_gb")


def test_every_price_line_has_a_date_a_source_and_a_unit():
    assert datetime.date.fromisoformat(TABLE["date"]) and TABLE["source"] and TABLE["hours_per_month"] == 730
    for key, entry in TABLE["prices"].items():
        assert entry["unit"] and entry["source"].startswith("http"), key
        if entry["price"] in (None, {}):
            assert "no " in entry["note"] and entry["applies_to"] == [], key  # says it was not found
        else:
            assert entry["applies_to"] and entry["source_region"], key
            values = entry["price"].values() if isinstance(entry["price"], dict) else [entry["price"]]
            assert all(D(v) > 0 for v in values), key
    assert "https://" in TABLE["assumptions"]["source"]
    assert set(TABLE["assumptions"]["prod"]) <= set(TABLE["assumptions"]["default"])


def test_readme_cost_tables_are_current(shared_program, dev, prod):
    """Stale? Run `make docs` (python -m offline.cost --readme) and commit README.md."""
    shared_program([])  # the command's dev and prod runs are this session's shared recordings
    assert cost.main(["--readme", "--check"]) == 0
    readme = (PROJECT_DIR / "README.md").read_text()
    block = readme[readme.index(BEGIN) : readme.index(END)]
    dev_total, prod_total = money(estimate(dev).total), money(estimate(prod).total)
    assert f"#### dev (us-east-2): {dev_total} per month" in block
    assert f"#### prod (us-west-2): {prod_total} per month" in block
    assert f"prices of {TABLE['date']}" in block


def test_cost_command_prints_the_difference_from_a_base_recording(tmp_path: Path, capsys, shared_program, dev):
    # Both commands' program runs (dev, and dev with ONE_PER_AZ) are this session's shared recordings: this test
    # checks what the commands print and write; the subprocess tests in test_preview_cli.py run the real thing.
    shared_program([preview])
    recording_json = tmp_path / "base-recording.json"
    assert preview_main(["--stack", "dev", "--no-policy", "--json", str(recording_json)]) == 0
    printed = capsys.readouterr().out
    base_total = estimate(dev).total
    assert "== monthly cost estimate (offline/cost.py) ==" in printed
    assert f"total: {money(base_total)} per month" in printed
    assert json.loads(recording_json.read_text())["cost"]["total"] == str(base_total)
    base_cost = tmp_path / "base-cost.json"
    assert cost.main(["--stack", "dev", "--json", str(base_cost)]) == 0
    capsys.readouterr()
    for base in (recording_json, base_cost):
        args = ["--stack", "dev", "--config", "streaming:natGatewayStrategy=ONE_PER_AZ", "--base", str(base)]
        assert cost.main(args) == 0
        out = capsys.readouterr().out
        nat_hours, one_nat = H * p("nat_gateway_hour"), H * p("nat_gateway_hour") + 100 * p("nat_gateway_gb")
        hours, two = money(nat_hours), money(2 * nat_hours)
        assert f"| network / NAT gateway hours / us-east-2 | {hours} | {two} | {hours} |" in out
        assert f"| **total** | {money(base_total)} | {money(base_total + one_nat)} | **{money(one_nat)}** |" in out
    assert cost.main(["--head", str(base_cost), "--base", str(recording_json)]) == 0
    assert f"| **total** | {money(base_total)} | {money(base_total)} | **$0.00** |" in capsys.readouterr().out
