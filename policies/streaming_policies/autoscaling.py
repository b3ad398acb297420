"""EC2 Auto Scaling: groups spread over AZs.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from . import graph as g
from .checks import MIN_AZS, capacity_floor, span
from .rule import Rule

ASG_MULTI_AZ: Rule = Rule(
    name="autoscaling-group-multi-az",
    description="Every Auto Scaling group launches into subnets (vpcZoneIdentifiers) in at least minAzs AZs "
    "with minSize of at least minAzs.",
    pillar="multi-az",
    types=(g.ASG,),
    scope="stack",
    check=lambda n, c: (
        *span(
            c,
            ASG_MULTI_AZ,
            n,
            ("vpcZoneIdentifiers",),
            "Auto Scaling group",
            extra_azs=n.get("availabilityZones"),
            ids=lambda x: x.get("vpcZoneIdentifiers"),
        ),
        *capacity_floor(c, ASG_MULTI_AZ, n, "minSize", "Auto Scaling group"),
    ),
    options=(MIN_AZS,),
    fsbp=("AutoScaling.2",),
    why="An ASG confined to one AZ cannot replace capacity lost in an AZ outage.",
    remediation="Set vpcZoneIdentifiers to the app-tier subnets of every AZ and min_size to at least one instance "
    "per AZ.",
)


RULES = (ASG_MULTI_AZ,)
