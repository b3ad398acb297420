"""What a stack costs per month, estimated from what the program registered and a dated price table.

    python -m offline.cost --stack prod                       the estimate, by tier
    python -m offline.cost --stack prod --json cost.json      ... and write it as JSON
    python -m offline.cost --stack prod --base base.json      the difference from a base (a cost JSON
                                                              or a `offline.preview --json` recording)
    python -m offline.cost --head head.json --base base.json  the difference between two files

Quantities come from the recording only: NAT gateways, interface endpoints and their subnets
(one billed endpoint per AZ), load balancers by type, ECS services' desiredCount split across
FARGATE / FARGATE_SPOT by their capacity provider strategy (base first, the rest by weight) times
their task definition's cpu and memory, the Auto Scaling group's minSize split into on-demand and
Spot by its mixed instances policy (on-demand base, then the on-demand percentage above base), RDS
instances (Multi-AZ bills a standby, and storage twice), ElastiCache node type x numCacheClusters,
KMS keys, secrets, alarms and dashboards. Each resource is priced in its own region (its ``region``
input, else the stack's ``aws:region``); CloudFront and its web ACL are global.

Prices come from ``offline/prices.json`` (its date and a source per line). A line whose price the
table does not have is listed as *unpriced* with its quantity and left out of the totals, so a total
is never silently short. Usage-driven lines (GB out, requests, storage) use stated assumptions from the
same file, overridable with ``--assume KEY=VALUE``. Free tiers, Savings Plans and reservations are
not applied. Money is computed in ``Decimal`` so the tests can assert exact figures. The tables, the difference
between two estimates and the README block are in ``offline/cost_report.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from offline.engine import PROJECT_DIR, Recording, ResourceRecord

PRICES_FILE = Path(__file__).with_name("prices.json")
TIERS = ("network", "edge", "app", "data", "media", "observability")
GLOBAL = "global"
CENT = Decimal("0.01")


def load_prices(path: Path = PRICES_FILE) -> dict[str, Any]:
    return json.loads(path.read_text())


@dataclass(frozen=True)
class Line:
    tier: str
    item: str  # what is billed: "NAT gateway hours"
    region: str
    quantity: Decimal
    unit: str
    unit_price: Decimal | None  # None: the price table has no figure (unpriced)
    price_key: str

    @property
    def monthly(self) -> Decimal | None:
        return None if self.unit_price is None else self.quantity * self.unit_price

    @property
    def key(self) -> str:
        return f"{self.tier}|{self.item}|{self.region}"

    def to_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "item": self.item,
            "region": self.region,
            "quantity": str(self.quantity),
            "unit": self.unit,
            "unit_price": None if self.unit_price is None else str(self.unit_price),
            "price_key": self.price_key,
            "monthly": None if self.monthly is None else str(self.monthly),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Line:
        price = data.get("unit_price")
        return cls(
            tier=data["tier"],
            item=data["item"],
            region=data["region"],
            quantity=Decimal(data["quantity"]),
            unit=data["unit"],
            unit_price=None if price is None else Decimal(price),
            price_key=data["price_key"],
        )


@dataclass
class Estimate:
    stack: str
    region: str
    price_date: str
    assumptions: dict[str, str]
    lines: list[Line] = field(default_factory=list)

    def by_tier(self) -> dict[str, Decimal]:
        totals = {tier: Decimal(0) for tier in TIERS}
        for line in self.lines:
            if line.monthly is not None:
                totals[line.tier] += line.monthly
        return totals

    @property
    def total(self) -> Decimal:
        return sum(self.by_tier().values(), Decimal(0))

    @property
    def unpriced(self) -> list[Line]:
        return [line for line in self.lines if line.unit_price is None]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "region": self.region,
            "price_date": self.price_date,
            "assumptions": dict(self.assumptions),
            "lines": [line.to_json() for line in self.lines],
            "by_tier": {tier: str(v) for tier, v in self.by_tier().items()},
            "total": str(self.total),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Estimate:
        return cls(
            stack=data["stack"],
            region=data["region"],
            price_date=data["price_date"],
            assumptions=dict(data.get("assumptions", {})),
            lines=[Line.from_json(line) for line in data["lines"]],
        )


def money(value: Decimal) -> str:
    return f"${value.quantize(CENT, ROUND_HALF_UP):,}"


def _number(value: Any) -> Decimal:
    return Decimal(str(int(value) if isinstance(value, float) and value.is_integer() else value))


class _Pricer:
    """Looks prices up by key, region and (for instance types) type; None when the table has none."""

    def __init__(self, table: Mapping[str, Any]) -> None:
        self.prices: Mapping[str, Any] = table["prices"]
        self.hours = Decimal(table["hours_per_month"])

    def unit(self, key: str) -> str:
        return str(self.prices[key]["unit"])

    def price(self, key: str, region: str, kind: str | None = None) -> Decimal | None:
        entry = self.prices[key]
        value = entry["price"]
        if isinstance(value, dict):
            value = value.get(kind)
        if value is None or region not in entry.get("applies_to", ()):
            return None
        return Decimal(value)


def assumptions_for(stack: str, table: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    declared = table["assumptions"]
    merged = {**declared["default"], **declared.get(stack, {})}
    if unknown := sorted(set(overrides or {}) - set(merged)):
        raise ValueError(f"--assume: got unknown key(s) {unknown}; allowed: {sorted(merged)}")
    merged.update(overrides or {})
    return merged


def estimate(
    recording: Recording,
    *,
    table: Mapping[str, Any] | None = None,
    assume: Mapping[str, str] | None = None,
) -> Estimate:
    """The monthly estimate of one recording (see the module doc for what is counted and how)."""
    table = table or load_prices()
    pricer = _Pricer(table)
    hours = pricer.hours
    home = recording.config.get("aws:region", "us-east-1")
    a = {k: Decimal(v) for k, v in assumptions_for(recording.stack, table, assume).items()}
    by_urn = {r.urn: r for r in recording.resources}
    quantities: dict[tuple[str, str, str, str, str | None], Decimal] = defaultdict(Decimal)

    def add(tier: str, item: str, region: str, key: str, quantity: Decimal, kind: str | None = None) -> None:
        quantities[(tier, item, region, key, kind)] += quantity

    def region_of(r: ResourceRecord) -> str:
        value = r.inputs.get("region")
        return value if isinstance(value, str) and value else home

    def of_type(type_: str) -> list[ResourceRecord]:
        return [r for r in recording.resources if r.type == type_]

    def dep(r: ResourceRecord, prop: str) -> ResourceRecord | None:
        urns = [u for u in r.property_dependencies.get(prop, ()) if u in by_urn]
        return by_urn[urns[0]] if len(urns) == 1 else None

    # network
    nats = of_type("aws:ec2/natGateway:NatGateway")
    for nat in nats:
        add("network", "NAT gateway hours", region_of(nat), "nat_gateway_hour", hours)
        add(
            "network", "NAT gateway data processed (assumed)", region_of(nat), "nat_gateway_gb", a["nat_gb_per_gateway"]
        )
    for endpoint in of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        if endpoint.inputs.get("vpcEndpointType") == "Interface":
            azs = Decimal(len(endpoint.inputs.get("subnetIds") or ()))
            add(
                "network",
                "Interface VPC endpoint AZ-hours",
                region_of(endpoint),
                "interface_endpoint_az_hour",
                azs * hours,
            )

    # edge
    for _zone in of_type("aws:route53/zone:Zone"):
        add("edge", "Route 53 hosted zones", GLOBAL, "route53_hosted_zone_month", Decimal(1))
    for _check in of_type("aws:route53/healthCheck:HealthCheck"):
        add("edge", "Route 53 health checks", GLOBAL, "route53_health_check_month", Decimal(1))
    if of_type("aws:cloudfront/distribution:Distribution"):
        add("edge", "CloudFront data out (assumed)", GLOBAL, "cloudfront_gb_out", a["cloudfront_gb_out"])
        add(
            "edge",
            "CloudFront HTTPS requests (assumed)",
            GLOBAL,
            "cloudfront_10k_https_requests",
            a["cloudfront_million_requests"] * 100,
        )
    for acl in of_type("aws:wafv2/webAcl:WebAcl"):
        edge = acl.inputs.get("scope") == "CLOUDFRONT"
        where = GLOBAL if edge else region_of(acl)
        add("edge", "WAF web ACLs", where, "waf_web_acl_month", Decimal(1))
        add("edge", "WAF rules", where, "waf_rule_month", Decimal(len(acl.inputs.get("rules") or ())))
        requests = a["cloudfront_million_requests"] if edge else a["waf_regional_million_requests"]
        add("edge", "WAF requests (assumed)", where, "waf_million_requests", requests)
    if of_type("aws:lb/loadBalancer:LoadBalancer"):
        add(
            "edge",
            "Data out to the internet, not via CloudFront (assumed)",
            home,
            "internet_egress_gb",
            a["internet_egress_gb"],
        )

    # app
    for lb in of_type("aws:lb/loadBalancer:LoadBalancer"):
        if lb.inputs.get("loadBalancerType", "application") == "application":
            add("app", "Application Load Balancer hours", region_of(lb), "alb_hour", hours)
            add("app", "ALB LCU-hours (assumed)", region_of(lb), "alb_lcu_hour", a["alb_lcu_per_hour"] * hours)
        else:
            add("app", "Network Load Balancer hours", region_of(lb), "nlb_hour", hours)
    spot_share = 1 - a["fargate_spot_discount"]
    for service in of_type("aws:ecs/service:Service"):
        task = dep(service, "taskDefinition")
        if task is None or "FARGATE" not in (task.inputs.get("requiresCompatibilities") or ()):
            continue
        vcpu = _number(task.inputs["cpu"]) / 1024
        gib = _number(task.inputs["memory"]) / 1024
        for provider, tasks in fargate_split(service).items():
            spot = provider == "FARGATE_SPOT"
            label = "Fargate Spot" if spot else "Fargate"
            where = region_of(service)
            add(
                "app",
                f"{label} vCPU-hours",
                where,
                "fargate_spot_vcpu_hour" if spot else "fargate_vcpu_hour",
                tasks * vcpu * hours,
            )
            add(
                "app",
                f"{label} GB-hours",
                where,
                "fargate_spot_gb_hour" if spot else "fargate_gb_hour",
                tasks * gib * hours,
            )
    for group in of_type("aws:autoscaling/group:Group"):
        instance_type = _fleet_instance_type(group, by_urn)
        on_demand, spot_instances = asg_split(group)
        where = region_of(group)
        add(
            "app",
            f"EC2 on-demand instance-hours ({instance_type})",
            where,
            "ec2_instance_hour",
            on_demand * hours,
            instance_type,
        )
        add(
            "app",
            f"EC2 Spot instance-hours ({instance_type} or an override)",
            where,
            "ec2_spot_instance_hour",
            spot_instances * hours,
            instance_type,
        )

    # data
    identifiers = {r.inputs.get("identifier"): r for r in of_type("aws:rds/instance:Instance")}
    for db in of_type("aws:rds/instance:Instance"):
        source = dep(db, "replicateSourceDb") or identifiers.get(db.inputs.get("replicateSourceDb"))
        copies = Decimal(2 if db.inputs.get("multiAz") else 1)
        klass = db.inputs.get("instanceClass")
        role = "read replica" if source else ("Multi-AZ primary + standby" if copies == 2 else "primary")
        where = region_of(db)
        add("data", f"RDS {klass} instance-hours ({role})", where, "rds_instance_hour", copies * hours, klass)
        storage = db.inputs.get("allocatedStorage") or (source.inputs.get("allocatedStorage") if source else None)
        if storage is not None:
            add("data", "RDS gp3 storage GB-months", where, "rds_gp3_gb_month", copies * _number(storage))
    for group in of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        node = group.inputs.get("nodeType")
        nodes = _number(group.inputs.get("numCacheClusters") or 1)
        add("data", f"ElastiCache {node} node-hours", region_of(group), "elasticache_node_hour", nodes * hours, node)
    for secret in of_type("aws:secretsmanager/secret:Secret"):
        add("data", "Secrets Manager secrets", region_of(secret), "secret_month", Decimal(1))
    for kms_key in of_type("aws:kms/key:Key"):
        add("data", "KMS customer managed keys", region_of(kms_key), "kms_key_month", Decimal(1))

    # media
    buckets = of_type("aws:s3/bucket:Bucket")
    media = [b for b in buckets if any(word in b.name for word in ("uploads", "renditions"))]
    if media:
        add("media", "S3 Standard media storage (assumed)", home, "s3_standard_gb_month", a["media_storage_gb"])
    for region in sorted({region_of(b) for b in media} - {home}):
        add(
            "media",
            "S3 Standard DR replica storage (assumed: a full copy)",
            region,
            "s3_standard_gb_month",
            a["media_storage_gb"],
        )

    # observability
    for alarm in of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        add("observability", "CloudWatch alarms", region_of(alarm), "cloudwatch_alarm_month", Decimal(1))
    for board in of_type("aws:cloudwatch/dashboard:Dashboard"):
        add("observability", "CloudWatch dashboards", region_of(board), "cloudwatch_dashboard_month", Decimal(1))
    if of_type("aws:cloudwatch/logGroup:LogGroup"):
        add(
            "observability",
            "CloudWatch Logs ingestion (assumed)",
            home,
            "cloudwatch_logs_ingest_gb",
            a["log_ingest_gb"],
        )

    lines = []
    for (tier, item, region, key, kind), quantity in quantities.items():
        if not quantity:
            continue
        if key.startswith("fargate_spot_"):
            base = pricer.price(key.replace("fargate_spot_", "fargate_"), region)
            unit_price, unit = (None if base is None else base * spot_share), pricer.unit(key.replace("spot_", ""))
        else:
            unit_price, unit = pricer.price(key, region, kind), pricer.unit(key)
        lines.append(Line(tier, item, region, quantity, unit, unit_price, key))
    lines.sort(key=lambda line: (TIERS.index(line.tier), line.item, line.region))
    return Estimate(recording.stack, home, table["date"], {k: str(v) for k, v in a.items()}, lines)


def fargate_split(service: ResourceRecord) -> dict[str, Decimal]:
    """desiredCount tasks by capacity provider: the provider with a base gets it first, the rest go by weight.

    (Amazon ECS Developer Guide, "Capacity provider strategies": base is the minimum number of tasks on
    that provider, weight the relative share of the tasks after the base is satisfied.)"""
    desired = _number(service.inputs.get("desiredCount") or 0)
    strategy = service.inputs.get("capacityProviderStrategies") or []
    if not strategy:
        launch = service.inputs.get("launchType", "FARGATE")
        return {launch: desired} if launch == "FARGATE" else {}
    split: dict[str, Decimal] = defaultdict(Decimal)
    remaining = desired
    for item in strategy:
        base = min(_number(item.get("base") or 0), remaining)
        split[item["capacityProvider"]] += base
        remaining -= base
    weights = {item["capacityProvider"]: _number(item.get("weight") or 0) for item in strategy}
    total_weight = sum(weights.values(), Decimal(0))
    for provider, weight in weights.items():
        if total_weight and remaining:
            split[provider] += remaining * weight / total_weight
    return {p: n for p, n in split.items() if n}


def asg_split(group: ResourceRecord) -> tuple[Decimal, Decimal]:
    """(on-demand, Spot) instances at minSize under the group's mixed instances policy.

    (Amazon EC2 Auto Scaling User Guide, "Instance purchase options": the on-demand base is filled first,
    then onDemandPercentageAboveBaseCapacity of the capacity above it is on-demand, the rest Spot.)"""
    minimum = _number(group.inputs.get("minSize") or 0)
    policy = group.inputs.get("mixedInstancesPolicy")
    if not policy:
        return minimum, Decimal(0)
    distribution = policy.get("instancesDistribution") or {}
    base = min(_number(distribution.get("onDemandBaseCapacity", 0)), minimum)
    percentage = _number(distribution.get("onDemandPercentageAboveBaseCapacity", 100))
    on_demand = base + (minimum - base) * percentage / 100
    return on_demand, minimum - on_demand


def _fleet_instance_type(group: ResourceRecord, by_urn: Mapping[str, ResourceRecord]) -> str:
    overrides = ((group.inputs.get("mixedInstancesPolicy") or {}).get("launchTemplate") or {}).get("overrides") or []
    if overrides and overrides[0].get("instanceType"):
        return str(overrides[0]["instanceType"])
    for urns in group.property_dependencies.values():
        for urn in urns:
            template = by_urn.get(urn)
            if template and template.type == "aws:ec2/launchTemplate:LaunchTemplate":
                return str(template.inputs.get("instanceType"))
    return "unknown"


def main(argv: list[str] | None = None) -> int:
    from offline.cost_report import (
        BEGIN,
        README_STACKS,
        load_estimate,
        readme_with_costs,
        render,
        render_diff,
        render_markdown,
    )
    from offline.engine import known_stacks, run_program

    parser = argparse.ArgumentParser(prog="python -m offline.cost", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", choices=known_stacks(), help="run the program for this stack (the head)")
    parser.add_argument("--head", type=Path, metavar="FILE", help="a cost or recording JSON instead of --stack")
    parser.add_argument(
        "--base", type=Path, metavar="FILE", help="print the difference from this cost or recording JSON"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the head estimate as JSON")
    parser.add_argument("--markdown", action="store_true", help="print the estimate as a Markdown table")
    parser.add_argument(
        "--config", action="append", default=[], metavar="KEY=VALUE", help="config override (repeatable)"
    )
    parser.add_argument("--assume", action="append", default=[], metavar="KEY=VALUE", help="usage assumption override")
    parser.add_argument("--readme", action="store_true", help="rewrite the cost tables of README.md (dev and prod)")
    parser.add_argument("--check", action="store_true", help="with --readme: exit 1 when the README tables are stale")
    args = parser.parse_args(argv)
    if bad := [item for item in args.config + args.assume if "=" not in item]:
        parser.error(f"--config/--assume expect KEY=VALUE, got {bad}")
    assume = dict(item.split("=", 1) for item in args.assume)
    if args.readme:
        readme = PROJECT_DIR / "README.md"
        assert BEGIN in readme.read_text(), f"README.md has no {BEGIN} marker"
        estimates = {s: estimate(run_program(s, preview=True)) for s in README_STACKS}
        text = readme_with_costs(readme.read_text(), estimates)
        if args.check:
            stale = text != readme.read_text()
            if stale:
                print("stale: README.md cost tables (run `make docs`)", file=sys.stderr)
            return 1 if stale else 0
        readme.write_text(text)
        print("wrote README.md (cost tables)")
        return 0
    if (args.stack is None) == (args.head is None):
        parser.error("give exactly one of --stack or --head")
    if args.head:
        head = load_estimate(args.head, assume)
    else:
        overrides = dict(item.split("=", 1) for item in args.config)
        head = estimate(run_program(args.stack, preview=True, config_overrides=overrides), assume=assume)
    print(render_markdown(head) if args.markdown else render(head))
    if args.base:
        print(f"\n== cost difference: {args.base} -> head ==\n")
        print(render_diff(load_estimate(args.base, assume), head))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(head.to_json(), indent=2, sort_keys=True) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(PROJECT_DIR))
    sys.exit(main())
