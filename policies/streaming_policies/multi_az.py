"""Pillar 1: multi-AZ resilience.

AZs are always read from the *subnet resources* a resource depends on (their
``availabilityZone`` / ``availabilityZoneId`` inputs are literals even on a brand-new stack),
never from subnet id strings, so these rules give definite answers at preview time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from . import graph as g
from .graph import Node, is_unknown, subnet_az
from .rule import Ctx, Finding, Option, Rule, Unknown

MIN_AZS = Option(
    "minAzs",
    {"type": "integer", "minimum": 1, "default": 2},
    "Minimum number of distinct Availability Zones.",
)
TIER_TAG = Option("tierTag", {"type": "string", "default": "Tier"}, "Subnet tag that names the tier.")
TIERS = Option(
    "tiers",
    {"type": "array", "items": {"type": "string"}, "default": ["public", "app", "data"]},
    "Allowed tier names (values of the tier tag).",
)
PRIVATE_TIERS = Option(
    "privateTiers",
    {"type": "array", "items": {"type": "string"}, "default": ["app", "data"]},
    "Tiers whose subnets are private (egress through NAT).",
)


def span(
    ctx: Ctx, rule: Rule, node: Node, props: tuple[str, ...], what: str, *, extra_azs: Any = None
) -> Iterator[Finding]:
    """Check that the subnets behind ``node``'s inputs ``props`` span at least ``minAzs`` AZs."""
    assert ctx.graph is not None
    min_azs = int(ctx.opt("minAzs", rule))
    subnets: list[Node] = []
    for p in props:
        subnets.extend(ctx.graph.deps(node, p, (g.SUBNET,)))
    azs = {subnet_az(s) for s in subnets}
    unknown_azs = [s.name for s in subnets if is_unknown(subnet_az(s))]
    known = sorted(a for a in azs if a and not is_unknown(a))
    for az in extra_azs or ():
        if isinstance(az, str) and not is_unknown(az) and az not in known:
            known.append(az)
    if len(known) >= min_azs:
        return
    if unknown_azs:
        yield from (Unknown(f"subnet {n}.availabilityZone") for n in unknown_azs)
        return
    if not subnets:
        values = [node.get(p) for p in props]
        if any(is_unknown(v) for v in values) and not known:
            yield Unknown(f"{'/'.join(props)} (no subnet resource of this stack behind it)")
            return
    shown = ", ".join(known) or "none"
    yield f"{what} spans {len(known)} AZ(s) ({shown}); at least {min_azs} required"


# --- subnet tiers ----------------------------------------------------------------------------


def _tier_groups(ctx: Ctx, rule: Rule) -> dict[str, list[Node]]:
    """Subnets grouped by tier tag (computed once per AnalyzeStack and cached on the graph)."""
    assert ctx.graph is not None
    cache = ctx.graph.cache.setdefault("tiers", {})
    key = (rule.name, str(ctx.opt("tierTag", rule)))
    if key not in cache:
        groups: dict[str, list[Node]] = {}
        for s in ctx.graph.of_types(g.SUBNET):
            tier = s.tag(key[1])
            groups.setdefault(tier if isinstance(tier, str) else "", []).append(s)
        cache[key] = groups
    return cache[key]


def _check_subnet_tier(node: Node, ctx: Ctx) -> Iterator[Finding]:
    tag = ctx.opt("tierTag", SUBNET_TIERS)
    tiers = list(ctx.opt("tiers", SUBNET_TIERS))
    tier = node.tag(tag)
    if is_unknown(tier):
        yield Unknown(f"tags.{tag}")
        return
    if tier not in tiers:
        yield f"subnet has {tag}={tier!r}; expected one of {', '.join(tiers)}" if tier else f"subnet has no {tag} tag"
        return
    min_azs = int(ctx.opt("minAzs", SUBNET_TIERS))
    members = _tier_groups(ctx, SUBNET_TIERS)[tier]
    azs = {subnet_az(s) for s in members}
    if any(is_unknown(a) for a in azs):
        yield Unknown("availabilityZone of a subnet in tier " + tier)
        return
    known = sorted(a for a in azs if a)
    if len(known) < min_azs:
        yield f"tier {tier!r} spans {len(known)} AZ(s) ({', '.join(known) or 'none'}); at least {min_azs} required"


SUBNET_TIERS = Rule(
    name="subnet-tiers-span-azs",
    description="Every subnet carries a Tier tag and each tier's subnets span at least minAzs Availability Zones.",
    pillar="multi-az",
    types=(g.SUBNET,),
    scope="stack",
    check=_check_subnet_tier,
    options=(MIN_AZS, TIER_TAG, TIERS),
    why="A tier confined to fewer AZs than the rest of the platform makes one AZ outage take the tier down.",
    remediation="Tag every subnet Tier=public|app|data and create one subnet per tier in each of minAzs AZs "
    "(set availabilityZone explicitly).",
)


# --- compute and entry points ----------------------------------------------------------------


ALB_MULTI_AZ: Rule = Rule(
    name="load-balancer-multi-az",
    description="Every load balancer is attached to subnets in at least minAzs Availability Zones.",
    pillar="multi-az",
    types=g.LOAD_BALANCERS,
    scope="stack",
    check=lambda n, c: span(c, ALB_MULTI_AZ, n, ("subnets", "subnetMappings"), "load balancer"),
    options=(MIN_AZS,),
    fsbp=("ELB.13",),
    why="A load balancer in one AZ is a single point of failure for everything behind it.",
    remediation="Pass subnets from at least two AZs (e.g. all public subnets) in `subnets`.",
)

ASG_MULTI_AZ: Rule = Rule(
    name="autoscaling-group-multi-az",
    description="Every Auto Scaling group launches into subnets (vpcZoneIdentifiers) in at least minAzs AZs.",
    pillar="multi-az",
    types=(g.ASG,),
    scope="stack",
    check=lambda n, c: span(
        c, ASG_MULTI_AZ, n, ("vpcZoneIdentifiers",), "Auto Scaling group", extra_azs=n.get("availabilityZones")
    ),
    options=(MIN_AZS,),
    fsbp=("AutoScaling.2",),
    why="An ASG confined to one AZ cannot replace capacity lost in an AZ outage.",
    remediation="Set vpcZoneIdentifiers to the app-tier subnets of every AZ.",
)


def _ecs_not_awsvpc(node: Node, _ctx: Ctx) -> str | None:
    return None if node.get("networkConfiguration") is not None else "no networkConfiguration (not awsvpc)"


ECS_MULTI_AZ: Rule = Rule(
    name="ecs-service-multi-az",
    description="Every ECS service with awsvpc networking places tasks in subnets of at least minAzs AZs.",
    pillar="multi-az",
    types=(g.ECS_SERVICE,),
    scope="stack",
    check=lambda n, c: span(c, ECS_MULTI_AZ, n, ("networkConfiguration",), "ECS service"),
    exempt=_ecs_not_awsvpc,
    options=(MIN_AZS,),
    why="Fargate tasks are spread only across the subnets they are given.",
    remediation="Set networkConfiguration.subnets to the app-tier subnets of every AZ.",
)


def _lambda_not_in_vpc(node: Node, _ctx: Ctx) -> str | None:
    subnets = node.get("vpcConfig", "subnetIds")
    return None if subnets else "not attached to a VPC"


LAMBDA_MULTI_AZ: Rule = Rule(
    name="lambda-vpc-multi-az",
    description="Every VPC-attached Lambda function has subnets in at least minAzs AZs.",
    pillar="multi-az",
    types=(g.LAMBDA,),
    scope="stack",
    check=lambda n, c: span(c, LAMBDA_MULTI_AZ, n, ("vpcConfig",), "Lambda function"),
    exempt=_lambda_not_in_vpc,
    options=(MIN_AZS,),
    fsbp=("Lambda.5",),
    why="A VPC Lambda can only run in the AZs of its subnets.",
    remediation="Set vpcConfig.subnetIds to the app-tier subnets of every AZ.",
)

SUBNET_GROUP_MULTI_AZ: Rule = Rule(
    name="data-subnet-groups-multi-az",
    description="Every RDS and ElastiCache subnet group contains subnets in at least minAzs AZs.",
    pillar="multi-az",
    types=(g.RDS_SUBNET_GROUP, g.CACHE_SUBNET_GROUP),
    scope="stack",
    check=lambda n, c: span(c, SUBNET_GROUP_MULTI_AZ, n, ("subnetIds",), "subnet group"),
    options=(MIN_AZS,),
    why="Multi-AZ standbys and replicas can only be placed in AZs the subnet group covers.",
    remediation="Put the data-tier subnet of every AZ in subnetIds.",
)


def _rds_replica(node: Node, _ctx: Ctx) -> str | None:
    src = node.get("replicateSourceDb")
    return "read replica (replicateSourceDb set)" if src else None


def _check_rds_multi_az(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    v = node.get("multiAz")
    if is_unknown(v):
        yield Unknown("multiAz")
    elif v is not True:
        yield "multiAz is not true"


RDS_MULTI_AZ = Rule(
    name="rds-multi-az",
    description="Every primary RDS DB instance is Multi-AZ (read replicas are exempt).",
    pillar="multi-az",
    types=(g.RDS_INSTANCE,),
    check=_check_rds_multi_az,
    exempt=_rds_replica,
    fsbp=("RDS.5",),
    why="A single-AZ primary loses writes for the whole platform during an AZ outage or maintenance.",
    remediation="Set multiAz=True on the primary instance.",
)


def _check_cache_ha(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    for prop in ("automaticFailoverEnabled", "multiAzEnabled"):
        v = node.get(prop)
        if is_unknown(v):
            yield Unknown(prop)
        elif v is not True:
            yield f"{prop} is not true"
    clusters = node.get("numCacheClusters")
    replicas = node.get("replicasPerNodeGroup")
    if is_unknown(clusters) or is_unknown(replicas):
        yield Unknown("numCacheClusters")
    elif replicas is not None:
        if replicas < 1:
            yield "replicasPerNodeGroup is below 1 (no replica to fail over to)"
    elif clusters is None or clusters < 2:
        yield f"numCacheClusters is {int(clusters) if clusters is not None else 'unset (1)'}; at least 2 required"


CACHE_MULTI_AZ = Rule(
    name="elasticache-multi-az",
    description="Every ElastiCache replication group has automatic failover, Multi-AZ and at least two nodes.",
    pillar="multi-az",
    types=(g.CACHE_REPLICATION_GROUP,),
    check=_check_cache_ha,
    fsbp=("ElastiCache.3",),
    why="Without a replica in another AZ and automatic failover a node or AZ loss empties the cache tier.",
    remediation="Set automaticFailoverEnabled=True, multiAzEnabled=True and numCacheClusters>=2.",
)


# --- NAT per AZ ------------------------------------------------------------------------------


def _default_route_nats(ctx: Ctx, table: Node) -> Iterator[tuple[str, list[Node] | None, Any]]:
    """(where, NAT nodes or None if the target is not a NAT of this stack, raw target) per default route."""
    assert ctx.graph is not None
    for route in ctx.graph.referrers(table, (g.ROUTE,), "routeTableId"):
        dest = route.get("destinationCidrBlock")
        if is_unknown(dest):
            yield (f"route {route.name}", None, g.UNKNOWN)
        elif dest == "0.0.0.0/0":
            nats = ctx.graph.deps(route, "natGatewayId", (g.NAT_GATEWAY,))
            yield (f"route {route.name}", nats or None, route.get("natGatewayId"))
    routes = table.get("routes")
    if is_unknown(routes):
        yield (f"route table {table.name}", None, g.UNKNOWN)
        return
    for r in g.as_list(routes):
        if isinstance(r, dict) and r.get("cidrBlock") == "0.0.0.0/0":
            nats = ctx.graph.deps(table, "routes", (g.NAT_GATEWAY,))
            yield (f"route table {table.name}", nats or None, r.get("natGatewayId"))


def _check_nat_same_az(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    az = subnet_az(node)
    if is_unknown(az) or not az:
        yield Unknown("availabilityZone")
        return
    for assoc in ctx.graph.referrers(node, (g.ROUTE_TABLE_ASSOCIATION,), "subnetId"):
        for table in ctx.graph.deps(assoc, "routeTableId", (g.ROUTE_TABLE,)):
            for where, nats, target in _default_route_nats(ctx, table):
                if nats is None:
                    if is_unknown(target):
                        yield Unknown(f"{where} target")
                    else:
                        yield f"default route ({where}) does not go through a NAT gateway of this stack"
                    continue
                for nat in nats:
                    nat_azs = {subnet_az(s) for s in ctx.graph.deps(nat, "subnetId", (g.SUBNET,))}
                    if any(is_unknown(a) for a in nat_azs):
                        yield Unknown(f"NAT {nat.name} subnet availabilityZone")
                    elif az not in nat_azs:
                        shown = ", ".join(sorted(a for a in nat_azs if a)) or "unknown AZ"
                        yield f"default route ({where}) uses NAT gateway {nat.name} in {shown}, not in {az}"


def _not_private(node: Node, ctx: Ctx) -> str | None:
    tier = node.tag(ctx.opt("tierTag", NAT_PER_AZ))
    if is_unknown(tier):
        return None
    return None if tier in ctx.opt("privateTiers", NAT_PER_AZ) else "not a private tier"


NAT_PER_AZ = Rule(
    name="private-subnet-nat-same-az",
    description="Every private subnet's default route goes through a NAT gateway in the subnet's own AZ.",
    pillar="multi-az",
    types=(g.SUBNET,),
    scope="stack",
    check=_check_nat_same_az,
    exempt=_not_private,
    options=(TIER_TAG, PRIVATE_TIERS),
    severity=Severity.MEDIUM,
    why="With a shared NAT, losing its AZ cuts egress (and AWS API access without endpoints) for every AZ.",
    remediation="Create one NAT gateway per AZ in that AZ's public subnet and give each AZ's private route table "
    "a 0.0.0.0/0 route to it. Subnets without a default route (isolated data tier) are compliant.",
    notes="Private subnets are the ones whose Tier tag is in privateTiers.",
)

RULES = (
    SUBNET_TIERS,
    ALB_MULTI_AZ,
    ASG_MULTI_AZ,
    ECS_MULTI_AZ,
    LAMBDA_MULTI_AZ,
    SUBNET_GROUP_MULTI_AZ,
    RDS_MULTI_AZ,
    CACHE_MULTI_AZ,
    NAT_PER_AZ,
)
