"""SQS: queues encrypted at rest.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from . import graph as g
from .checks import kms_ref
from .graph import Node
from .rule import Ctx, Finding, Rule


def _check_sqs(node: Node, ctx: Ctx) -> Iterator[Finding]:
    if node.get("sqsManagedSseEnabled") is True:
        return
    key = node.get("kmsMasterKeyId")
    if not key:
        yield "neither kmsMasterKeyId nor sqsManagedSseEnabled is set"
    else:
        yield from kms_ref(ctx, node, "kmsMasterKeyId", key, "kmsMasterKeyId")


SQS_ENCRYPTED = Rule(
    name="sqs-queue-encrypted",
    description="Every SQS queue is encrypted at rest (SSE-KMS via kmsMasterKeyId, or SSE-SQS).",
    pillar="encryption",
    types=(g.SQS_QUEUE,),
    check=_check_sqs,
    fsbp=("SQS.1",),
    severity=Severity.MEDIUM,
    why="Transcode job messages carry object keys and user ids.",
    remediation="Set kms_master_key_id=key.arn (preferred) or sqs_managed_sse_enabled=True.",
)


RULES = (SQS_ENCRYPTED,)
