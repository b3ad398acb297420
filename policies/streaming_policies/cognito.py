"""Cognito: user pools keep their deletion protection.

Each rule carries its pillar (multi-az | waf | encryption | data-safety | hardening) as a tag; the
registry collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator

from .graph import Node, is_unknown
from .rule import Ctx, Finding, Rule, Unknown

USER_POOL = "aws:cognito/userPool:UserPool"


def _check_deletion_protection(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    v = node.get("deletionProtection")
    if is_unknown(v):
        yield Unknown("deletionProtection")
    elif v != "ACTIVE":
        yield f"deletionProtection is {v or 'unset (INACTIVE)'}, not ACTIVE"


USER_POOL_DELETION_PROTECTION = Rule(
    name="cognito-user-pool-deletion-protection",
    description="Every Cognito user pool has deletionProtection ACTIVE.",
    pillar="data-safety",
    types=(USER_POOL,),
    check=_check_deletion_protection,
    why="Deleting a user pool deletes every user account and its credentials; it cannot be restored.",
    remediation="Set deletion_protection='ACTIVE' on the aws.cognito.UserPool.",
)


RULES = (USER_POOL_DELETION_PROTECTION,)
