"""KMS: key rotation.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from . import graph as g
from .graph import Node, is_unknown
from .rule import Ctx, Finding, Rule, Unknown


def _asymmetric(node: Node, _ctx: Ctx) -> str | None:
    spec = node.get("customerMasterKeySpec", default="SYMMETRIC_DEFAULT")
    return None if spec in ("SYMMETRIC_DEFAULT", g.UNKNOWN) else f"{spec} keys do not support rotation"


def _check_rotation(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    v = node.get("enableKeyRotation")
    if is_unknown(v):
        yield Unknown("enableKeyRotation")
    elif v is not True:
        yield "enableKeyRotation is not true"


KMS_ROTATION = Rule(
    name="kms-key-rotation",
    description="Every symmetric customer-managed KMS key has automatic rotation enabled.",
    pillar="encryption",
    types=(g.KMS_KEY,),
    check=_check_rotation,
    exempt=_asymmetric,
    fsbp=("KMS.4",),
    severity=Severity.MEDIUM,
    why="Rotation limits the amount of data protected by one key version.",
    remediation="Set enable_key_rotation=True.",
)


RULES = (KMS_ROTATION,)
