"""Rules that judge every data store at once (RDS, ElastiCache, DynamoDB, S3, KMS): subnet groups
across AZs, no public placement, protect=True.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from . import graph as g
from .checks import MIN_AZS, span
from .graph import Node, is_unknown
from .rule import Ctx, Finding, Rule, Unknown

SUBNET_GROUP_MULTI_AZ: Rule = Rule(
    name="data-subnet-groups-multi-az",
    description="Every RDS and ElastiCache subnet group contains subnets in at least minAzs AZs.",
    pillar="multi-az",
    types=(g.RDS_SUBNET_GROUP, g.CACHE_SUBNET_GROUP),
    scope="stack",
    check=lambda n, c: span(
        c, SUBNET_GROUP_MULTI_AZ, n, ("subnetIds",), "subnet group", ids=lambda x: x.get("subnetIds")
    ),
    options=(MIN_AZS,),
    why="Multi-AZ standbys and replicas can only be placed in AZs the subnet group covers.",
    remediation="Put the data-tier subnet of every AZ in subnetIds.",
)


# Every resource that holds data a replacement would lose: an Aurora cluster is its volume (the instances
# are compute), and a TableReplica is a full copy of the table in another Region.
STATEFUL = (
    g.RDS_INSTANCE,
    "aws:rds/cluster:Cluster",
    g.CACHE_REPLICATION_GROUP,
    g.DYNAMODB_TABLE,
    "aws:dynamodb/tableReplica:TableReplica",
    *g.BUCKETS,
    g.KMS_KEY,
)


def _check_protect(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    if not node.protect:
        yield "stateful resource is not protected (protect=True)"


PROTECTED = Rule(
    name="stateful-resources-protected",
    description="Every stateful resource (RDS instance and Aurora cluster, ElastiCache, DynamoDB table and replica, "
    "S3 bucket, KMS key) has protect=True.",
    pillar="data-safety",
    types=STATEFUL,
    check=_check_protect,
    severity=Severity.HIGH,
    why="protect makes `pulumi destroy` and replacing updates fail instead of deleting data.",
    remediation="Pass opts=pulumi.ResourceOptions(protect=True) (retain_on_delete=True is recommended as well but "
    "cannot be checked: the engine does not send it to analyzers).",
    notes="Only `protect` is visible to policies; `retainOnDelete` is not part of AnalyzerResourceOptions.",
)


def _public_subnets(ctx: Ctx, group: Node) -> list[str]:
    assert ctx.graph is not None
    out = []
    for s in ctx.graph.deps(group, "subnetIds", (g.SUBNET,)):
        if s.tag("Tier") == "public" or s.get("mapPublicIpOnLaunch") is True:
            out.append(s.name)
    return out


def _check_public(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    if node.type == g.RDS_INSTANCE:
        pub = node.get("publiclyAccessible")
        if is_unknown(pub):
            yield Unknown("publiclyAccessible")
        elif pub is True:
            yield "publiclyAccessible is true"
        groups = ctx.graph.deps(node, "dbSubnetGroupName", (g.RDS_SUBNET_GROUP,))
    else:
        groups = ctx.graph.deps(node, "subnetGroupName", (g.CACHE_SUBNET_GROUP,))
    for group in groups:
        public = _public_subnets(ctx, group)
        if public:
            yield f"subnet group {group.name} contains public subnets: {', '.join(public)}"


NO_PUBLIC_DATASTORES = Rule(
    name="no-public-datastores",
    description="No RDS instance is publicly accessible and no RDS/ElastiCache subnet group contains public subnets.",
    pillar="data-safety",
    types=(g.RDS_INSTANCE, g.CACHE_REPLICATION_GROUP),
    scope="stack",
    check=_check_public,
    fsbp=("RDS.2",),
    severity=Severity.CRITICAL,
    why="Data stores must only be reachable from the app tier.",
    remediation="Set publicly_accessible=False and build subnet groups from data-tier subnets only.",
    notes="A subnet is public when its Tier tag is 'public' or it sets mapPublicIpOnLaunch.",
)


RULES = (
    SUBNET_GROUP_MULTI_AZ,
    PROTECTED,
    NO_PUBLIC_DATASTORES,
)
