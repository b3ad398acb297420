"""ElastiCache: Multi-AZ failover and encryption at rest / in transit.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import graph as g
from .graph import Node, is_unknown, truthy
from .rule import Ctx, Finding, Rule, Unknown


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


def _check_cache_encryption(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    for prop in ("atRestEncryptionEnabled", "transitEncryptionEnabled"):
        v = node.get(prop)
        if is_unknown(v):
            yield Unknown(prop)
        elif not truthy(v):
            yield f"{prop} is not true"


CACHE_ENCRYPTION = Rule(
    name="elasticache-encrypted",
    description="Every ElastiCache replication group encrypts data at rest and in transit.",
    pillar="encryption",
    types=(g.CACHE_REPLICATION_GROUP,),
    check=_check_cache_encryption,
    fsbp=("ElastiCache.4", "ElastiCache.5"),
    why="Session and catalogue data in Redis is user data; TLS also protects the AUTH token on the wire.",
    remediation="Set at_rest_encryption_enabled=True and transit_encryption_enabled=True (with kms_key_id).",
)


RULES = (
    CACHE_MULTI_AZ,
    CACHE_ENCRYPTION,
)
