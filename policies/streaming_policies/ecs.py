"""ECS: services spread over AZs.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from . import graph as g
from .checks import MIN_AZS, capacity_floor, span
from .graph import Node
from .rule import Ctx, Rule


def _ecs_not_awsvpc(node: Node, _ctx: Ctx) -> str | None:
    return None if node.get("networkConfiguration") is not None else "no networkConfiguration (not awsvpc)"


ECS_MULTI_AZ: Rule = Rule(
    name="ecs-service-multi-az",
    description="Every ECS service with awsvpc networking places tasks in subnets of at least minAzs AZs and runs "
    "at least minAzs tasks.",
    pillar="multi-az",
    types=(g.ECS_SERVICE,),
    scope="stack",
    check=lambda n, c: (
        *span(c, ECS_MULTI_AZ, n, ("networkConfiguration",), "ECS service"),
        *capacity_floor(c, ECS_MULTI_AZ, n, "desiredCount", "ECS service"),
    ),
    exempt=_ecs_not_awsvpc,
    options=(MIN_AZS,),
    why="Fargate tasks are spread only across the subnets they are given.",
    remediation="Set networkConfiguration.subnets to the app-tier subnets of every AZ and desired_count to at "
    "least one task per AZ.",
)


RULES = (ECS_MULTI_AZ,)
