"""ElastiCache: Multi-AZ failover and encryption at rest / in transit.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import graph as g
from .checks import MIN_AZS
from .graph import Node, is_unknown, truthy
from .rule import Ctx, Finding, Option, Rule, Unknown

CACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
REQUIRED_ENCRYPTION = ("atRestEncryptionEnabled", "transitEncryptionEnabled")


def _group_member(node: Node, _ctx: Ctx) -> str | None:
    if node.type == CACHE_CLUSTER and node.get("replicationGroupId"):
        return "member of a replication group (judged on the group)"
    return None


def _check_cache_ha(node: Node, ctx: Ctx) -> Iterator[Finding]:
    min_azs = int(ctx.opt("minAzs", CACHE_MULTI_AZ))
    if node.type == CACHE_CLUSTER:
        yield "a standalone cache cluster has no replica and no automatic failover; use a replication group"
        return
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
    elif clusters is None or clusters < max(2, min_azs):
        shown = int(clusters) if clusters is not None else "unset (1)"
        yield f"numCacheClusters is {shown}; at least {max(2, min_azs)} (one per AZ) required"
    azs = node.get("preferredCacheClusterAzs")
    if isinstance(azs, list) and all(isinstance(a, str) and not is_unknown(a) for a in azs):
        distinct = sorted(set(azs))
        if len(distinct) < min_azs:
            yield f"preferredCacheClusterAzs spans {len(distinct)} AZ(s) ({', '.join(distinct)}); at least {min_azs}"


CACHE_MULTI_AZ = Rule(
    name="elasticache-multi-az",
    description="Every ElastiCache replication group has automatic failover, Multi-AZ and at least minAzs nodes "
    "(2 or more) in minAzs AZs; no standalone cache cluster.",
    pillar="multi-az",
    types=(g.CACHE_REPLICATION_GROUP, CACHE_CLUSTER),
    exempt=_group_member,
    check=_check_cache_ha,
    options=(MIN_AZS,),
    fsbp=("ElastiCache.3",),
    why="Without a replica in another AZ and automatic failover a node or AZ loss empties the cache tier.",
    remediation="Set automaticFailoverEnabled=True, multiAzEnabled=True and numCacheClusters>=2.",
)


def _check_cache_encryption(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    props = ("transitEncryptionEnabled",) if node.type == CACHE_CLUSTER else REQUIRED_ENCRYPTION
    for prop in props:
        v = node.get(prop)
        if is_unknown(v):
            yield Unknown(prop)
        elif not truthy(v):
            yield f"{prop} is not true"
    mode = node.get("transitEncryptionMode")
    if mode == "preferred":
        # "preferred" accepts unencrypted clients too (ElastiCache User Guide, "Enabling in-transit encryption").
        yield "transitEncryptionMode is preferred: clients may still connect without TLS; use required"


CACHE_ENCRYPTION = Rule(
    name="elasticache-encrypted",
    description="Every ElastiCache replication group encrypts data at rest and in transit (mode required); every "
    "standalone cache cluster in transit.",
    pillar="encryption",
    types=(g.CACHE_REPLICATION_GROUP, CACHE_CLUSTER),
    exempt=_group_member,
    check=_check_cache_encryption,
    fsbp=("ElastiCache.4", "ElastiCache.5"),
    why="Session and catalogue data in Redis is user data; TLS also protects the AUTH token on the wire.",
    remediation="Set at_rest_encryption_enabled=True and transit_encryption_enabled=True (with kms_key_id).",
)


MIN_SNAPSHOT_DAYS = Option(
    "minRetentionDays",
    {"type": "integer", "minimum": 1, "default": 1},
    "Minimum snapshotRetentionLimit in days.",
)


def _check_cache_backups(node: Node, ctx: Ctx) -> Iterator[Finding]:
    days = node.get("snapshotRetentionLimit")
    minimum = int(ctx.opt("minRetentionDays", CACHE_BACKUPS))
    if is_unknown(days):
        yield Unknown("snapshotRetentionLimit")
    elif not isinstance(days, (int, float)) or isinstance(days, bool) or days < minimum:
        # 0 (the API default) turns automatic backups off (ElastiCache API Reference, CreateReplicationGroup,
        # SnapshotRetentionLimit: "If you do not specify this parameter, then SnapshotRetentionLimit is set to 0
        # ... automatic backups are disabled").
        shown = "unset (0)" if days is None else repr(days) if isinstance(days, bool) else int(days)
        yield f"snapshotRetentionLimit is {shown}: automatic backups keep fewer than {minimum} day(s)"


CACHE_BACKUPS = Rule(
    name="elasticache-backups",
    description="Every ElastiCache replication group keeps automatic snapshots for at least minRetentionDays days.",
    pillar="data-safety",
    types=(g.CACHE_REPLICATION_GROUP,),
    check=_check_cache_backups,
    options=(MIN_SNAPSHOT_DAYS,),
    fsbp=("ElastiCache.1",),
    why="Sessions and the catalogue cache survive a failover through the replicas, but not a flush, a bad "
    "deploy or a deleted group: only a snapshot restores them.",
    remediation="Set snapshot_retention_limit (streaming:cacheSnapshotRetentionDays) to at least 1 and a "
    "snapshot_window outside peak hours.",
)


RULES = (
    CACHE_MULTI_AZ,
    CACHE_ENCRYPTION,
    CACHE_BACKUPS,
)
