"""DynamoDB: customer-managed key, PITR, deletion protection.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import graph as g
from .checks import flag, kms_ref
from .graph import Node, is_unknown
from .rule import Ctx, Finding, Rule, Unknown


def _check_dynamodb_cmk(node: Node, ctx: Ctx) -> Iterator[Finding]:
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
    description="Every DynamoDB table is encrypted with a customer-managed KMS key.",
    pillar="encryption",
    types=(g.DYNAMODB_TABLE,),
    check=_check_dynamodb_cmk,
    why="A customer-managed key gives key-policy control, audit of every decrypt and the ability to revoke.",
    remediation="Set server_side_encryption={enabled: True, kms_key_arn: key.arn}.",
)


DYNAMODB_PITR = Rule(
    name="dynamodb-pitr",
    description="Every DynamoDB table has point-in-time recovery enabled.",
    pillar="data-safety",
    types=(g.DYNAMODB_TABLE,),
    check=lambda n, _c: flag(n, ("pointInTimeRecovery", "enabled"), "pointInTimeRecovery.enabled"),
    fsbp=("DynamoDB.2",),
    why="PITR restores a table to any second of the last 35 days after a bad write or delete.",
    remediation="Set point_in_time_recovery={enabled: True}.",
)


DYNAMODB_DELETION_PROTECTION = Rule(
    name="dynamodb-deletion-protection",
    description="Every DynamoDB table has deletionProtectionEnabled.",
    pillar="data-safety",
    types=(g.DYNAMODB_TABLE,),
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
