"""DynamoDB: customer-managed key, PITR, deletion protection, on every copy of the data: the table, each
``replicas`` block of a global table, and each ``aws:dynamodb/tableReplica`` resource.

A replica is a full copy in another Region. Its key is its own: ``kmsKeyArn`` unset means the AWS-managed
key ``alias/aws/dynamodb`` (pulumi-aws ``dynamodb.TableReplica`` / ``Table.replicas``, kms_key_arn: "This
argument should only be used if the key is different from the default KMS-managed DynamoDB key"); and PITR
is per replica, "Default is false" (the same pages).

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import graph as g
from .checks import flag, kms_ref
from .graph import Node, is_unknown
from .rule import Ctx, Finding, Rule, Unknown

TABLE_REPLICA = "aws:dynamodb/tableReplica:TableReplica"
TYPES = (g.DYNAMODB_TABLE, TABLE_REPLICA)


def _replica_blocks(node: Node) -> Iterator[tuple[str, Any]]:
    """(label, block) for each ``replicas`` entry of a global table; one UNKNOWN entry if the list is unknown."""
    replicas = node.get("replicas")
    if is_unknown(replicas):
        yield ("replicas", g.UNKNOWN)
        return
    for i, r in enumerate(g.as_list(replicas)):
        label = f"replicas[{g.dig(r, 'regionName', default=i)}]"
        yield (label, r)


def _check_dynamodb_cmk(node: Node, ctx: Ctx) -> Iterator[Finding]:
    if node.type == TABLE_REPLICA:
        yield from kms_ref(ctx, node, "kmsKeyArn", node.get("kmsKeyArn"), "kmsKeyArn (unset: alias/aws/dynamodb)")
        return
    for label, r in _replica_blocks(node):
        if is_unknown(r):
            yield Unknown(label)
        else:
            key = g.dig(r, "kmsKeyArn")
            yield from kms_ref(ctx, node, "replicas", key, f"{label}.kmsKeyArn (unset: alias/aws/dynamodb)")
    sse = node.get("serverSideEncryption")
    if is_unknown(sse):
        yield Unknown("serverSideEncryption")
        return
    if not sse or g.dig(sse, "enabled") is not True:
        yield "serverSideEncryption.enabled is not true (table uses an AWS owned key)"
        return
    yield from kms_ref(ctx, node, "serverSideEncryption", g.dig(sse, "kmsKeyArn"), "serverSideEncryption.kmsKeyArn")


DYNAMODB_CMK = Rule(
    name="dynamodb-cmk-encryption",
    description="Every DynamoDB table, and each of its replicas (replicas blocks and TableReplica resources), is "
    "encrypted with a customer-managed KMS key.",
    pillar="encryption",
    types=TYPES,
    check=_check_dynamodb_cmk,
    why="A customer-managed key gives key-policy control, audit of every decrypt and the ability to revoke.",
    remediation="Set server_side_encryption={enabled: True, kms_key_arn: key.arn}, and kms_key_arn to a key of the "
    "replica's Region on every replica.",
)


def _check_pitr(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    if node.type == TABLE_REPLICA:
        yield from flag(node, ("pointInTimeRecovery",), "pointInTimeRecovery (default false)")
        return
    yield from flag(node, ("pointInTimeRecovery", "enabled"), "pointInTimeRecovery.enabled")
    for label, r in _replica_blocks(node):
        v = g.dig(r, "pointInTimeRecovery")
        if is_unknown(v):
            yield Unknown(f"{label}.pointInTimeRecovery")
        elif v is not True:
            yield f"{label}.pointInTimeRecovery is not true (default false)"


DYNAMODB_PITR = Rule(
    name="dynamodb-pitr",
    description="Every DynamoDB table and each of its replicas has point-in-time recovery enabled.",
    pillar="data-safety",
    types=TYPES,
    check=_check_pitr,
    fsbp=("DynamoDB.2",),
    why="PITR restores a table to any second of the last 35 days after a bad write or delete.",
    remediation="Set point_in_time_recovery={enabled: True}.",
)


DYNAMODB_DELETION_PROTECTION = Rule(
    name="dynamodb-deletion-protection",
    description="Every DynamoDB table and TableReplica has deletionProtectionEnabled.",
    pillar="data-safety",
    types=TYPES,
    check=lambda n, _c: flag(n, ("deletionProtectionEnabled",), "deletionProtectionEnabled"),
    fsbp=("DynamoDB.6",),
    why="Deleting a table deletes its PITR history too.",
    remediation="Set deletion_protection_enabled=True.",
)


RULES = (
    DYNAMODB_CMK,
    DYNAMODB_PITR,
    DYNAMODB_DELETION_PROTECTION,
)
