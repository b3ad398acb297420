"""Pillar 4: data safety for stateful resources (deletion guards, backups, exposure, IMDSv2).

``protect`` is read from the resource options the engine sends (``AnalyzerResourceOptions``).
``retainOnDelete`` is *not* part of that message, so no policy can see it.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from . import graph as g
from .graph import Node, is_unknown
from .rule import Ctx, Finding, Option, Rule, Unknown


def _flag(node: Node, path: tuple[str, ...], label: str) -> Iterator[Finding]:
    v = node.get(*path)
    if is_unknown(v):
        yield Unknown(label)
    elif v is not True:
        yield f"{label} is not true"


def _replica(node: Node, _ctx: Ctx) -> str | None:
    return "read replica (replicateSourceDb set)" if node.get("replicateSourceDb") else None


RDS_DELETION_PROTECTION = Rule(
    name="rds-deletion-protection",
    description="Every RDS DB instance has deletionProtection enabled.",
    pillar="data-safety",
    types=(g.RDS_INSTANCE,),
    check=lambda n, _c: _flag(n, ("deletionProtection",), "deletionProtection"),
    fsbp=("RDS.8",),
    why="One mistaken delete (console, CLI or a replacing update) would drop the catalogue database.",
    remediation="Set deletion_protection=True.",
)

MIN_RETENTION = Option(
    "minRetentionDays", {"type": "integer", "minimum": 1, "default": 7}, "Minimum backupRetentionPeriod in days."
)


def _check_backups(node: Node, ctx: Ctx) -> Iterator[Finding]:
    days = node.get("backupRetentionPeriod")
    minimum = int(ctx.opt("minRetentionDays", RDS_BACKUPS))
    if is_unknown(days):
        yield Unknown("backupRetentionPeriod")
    elif days is None or days < minimum:
        shown = "unset" if days is None else int(days)
        yield f"backupRetentionPeriod is {shown}; at least {minimum} days required"


RDS_BACKUPS = Rule(
    name="rds-backup-retention",
    description="Every primary RDS DB instance keeps automated backups for at least minRetentionDays days.",
    pillar="data-safety",
    types=(g.RDS_INSTANCE,),
    check=_check_backups,
    exempt=_replica,
    options=(MIN_RETENTION,),
    fsbp=("RDS.11",),
    why="Point-in-time restore is the only recovery from bad migrations or data corruption.",
    remediation="Set backup_retention_period=7 (or more) on the primary.",
)

DYNAMODB_PITR = Rule(
    name="dynamodb-pitr",
    description="Every DynamoDB table has point-in-time recovery enabled.",
    pillar="data-safety",
    types=(g.DYNAMODB_TABLE,),
    check=lambda n, _c: _flag(n, ("pointInTimeRecovery", "enabled"), "pointInTimeRecovery.enabled"),
    fsbp=("DynamoDB.2",),
    why="PITR restores a table to any second of the last 35 days after a bad write or delete.",
    remediation="Set point_in_time_recovery={enabled: True}.",
)

DYNAMODB_DELETION_PROTECTION = Rule(
    name="dynamodb-deletion-protection",
    description="Every DynamoDB table has deletionProtectionEnabled.",
    pillar="data-safety",
    types=(g.DYNAMODB_TABLE,),
    check=lambda n, _c: _flag(n, ("deletionProtectionEnabled",), "deletionProtectionEnabled"),
    fsbp=("DynamoDB.6",),
    why="Deleting a table deletes its PITR history too.",
    remediation="Set deletion_protection_enabled=True.",
)

VIDEO_TAG = Option(
    "videoBucketTag",
    {"type": "object", "default": {"key": "DataClass", "value": "video"}},
    "Tag that marks a bucket as holding video (uploads or renditions).",
)


def _not_video(node: Node, ctx: Ctx) -> str | None:
    tag = ctx.opt("videoBucketTag", VIDEO_VERSIONED)
    value = node.tag(tag.get("key", ""))
    return None if value == tag.get("value") or is_unknown(value) else "not a video bucket"


def _check_versioning(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    if is_unknown(node.tag(ctx.opt("videoBucketTag", VIDEO_VERSIONED).get("key", ""))):
        yield Unknown("tags")
        return
    for v in ctx.graph.referrers(node, g.BUCKET_VERSIONING, "bucket"):
        status = v.get("versioningConfiguration", "status")
        if is_unknown(status):
            yield Unknown(f"{v.name}.versioningConfiguration.status")
            return
        if status == "Enabled":
            return
    yield "no BucketVersioning with status Enabled references this video bucket"


VIDEO_VERSIONED = Rule(
    name="video-buckets-versioned",
    description="Every video bucket (tagged DataClass=video) has versioning Enabled.",
    pillar="data-safety",
    types=g.BUCKETS,
    scope="stack",
    check=_check_versioning,
    exempt=_not_video,
    options=(VIDEO_TAG,),
    fsbp=("S3.14",),
    why="Uploaded originals are irreplaceable; versioning turns overwrites and deletes into recoverable events.",
    remediation="Add aws.s3.BucketVersioning(bucket=b.id, versioning_configuration={status: 'Enabled'}) "
    "(with a lifecycle rule expiring noncurrent versions).",
)

STATEFUL = (g.RDS_INSTANCE, g.CACHE_REPLICATION_GROUP, g.DYNAMODB_TABLE, *g.BUCKETS, g.KMS_KEY)


def _check_protect(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    if not node.protect:
        yield "stateful resource is not protected (protect=True)"


PROTECTED = Rule(
    name="stateful-resources-protected",
    description="Every stateful resource (RDS, ElastiCache, DynamoDB, S3 bucket, KMS key) has protect=True.",
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


def _check_imdsv2(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    tokens = node.get("metadataOptions", "httpTokens")
    if is_unknown(tokens):
        yield Unknown("metadataOptions.httpTokens")
    elif tokens != "required":
        yield f"metadataOptions.httpTokens is {tokens or 'unset (optional)'}, not required"


IMDSV2 = Rule(
    name="launch-template-imdsv2",
    description="Every launch template requires IMDSv2 (metadataOptions.httpTokens = required).",
    pillar="data-safety",
    types=(g.LAUNCH_TEMPLATE,),
    check=_check_imdsv2,
    fsbp=("EC2.170",),
    why="IMDSv1 lets an SSRF in the web fleet steal the instance role's credentials.",
    remediation="Set metadata_options={http_tokens: 'required', http_endpoint: 'enabled', "
    "http_put_response_hop_limit: 1}.",
)

RULES = (
    RDS_DELETION_PROTECTION,
    RDS_BACKUPS,
    DYNAMODB_PITR,
    DYNAMODB_DELETION_PROTECTION,
    VIDEO_VERSIONED,
    PROTECTED,
    NO_PUBLIC_DATASTORES,
    IMDSV2,
)
