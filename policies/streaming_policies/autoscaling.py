"""EC2 Auto Scaling: groups spread over AZs, launching only this stack's launch templates.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import graph as g
from .checks import MIN_AZS, capacity_floor, span
from .graph import Node, is_unknown
from .rule import Ctx, Finding, Rule, Unknown


def _extra_azs(node: Node) -> Any:
    """``availabilityZones``, only when the group has no subnets: with ``vpcZoneIdentifiers`` the subnets
    decide ("If you specify VPCZoneIdentifier with AvailabilityZones, the subnets that you specify must reside
    in those Availability Zones", CreateAutoScalingGroup API reference), so a zone list cannot add AZs."""
    if g.as_list(node.get("vpcZoneIdentifiers")):
        return None
    return node.get("availabilityZones")


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
            extra_azs=_extra_azs(n),
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


def _template_refs(node: Node) -> Iterator[tuple[str, Any, Any]]:
    """(where, id, name) of every launch template the group may launch: ``launchTemplate``, the mixed
    instances policy's ``launchTemplateSpecification`` and each override's own (an override with a
    launch template launches its instance types from that template: CreateAutoScalingGroup,
    LaunchTemplateOverrides.LaunchTemplateSpecification)."""
    lt = node.get("launchTemplate")
    if lt is not None:
        yield ("launchTemplate", g.dig(lt, "id"), g.dig(lt, "name"))
    mip = node.get("mixedInstancesPolicy", "launchTemplate")
    if is_unknown(mip):
        yield ("mixedInstancesPolicy.launchTemplate", g.UNKNOWN, None)
        return
    if mip is None:
        return
    spec = g.dig(mip, "launchTemplateSpecification")
    yield (
        "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification",
        g.dig(spec, "launchTemplateId"),
        g.dig(spec, "launchTemplateName"),
    )
    overrides = g.dig(mip, "overrides")
    if is_unknown(overrides):
        yield ("mixedInstancesPolicy.launchTemplate.overrides", g.UNKNOWN, None)
        return
    for i, o in enumerate(g.as_list(overrides)):
        spec = g.dig(o, "launchTemplateSpecification")
        if spec is not None:
            where = f"mixedInstancesPolicy.launchTemplate.overrides[{i}].launchTemplateSpecification"
            yield (where, g.dig(spec, "launchTemplateId"), g.dig(spec, "launchTemplateName"))


def _check_own_templates(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    if node.get("launchConfiguration"):
        yield "launchConfiguration is set: launch configurations carry no IMDSv2 or EBS settings this pack judges"
    ours = [*ctx.graph.deps(node, "launchTemplate", (g.LAUNCH_TEMPLATE,))]
    ours += ctx.graph.deps(node, "mixedInstancesPolicy", (g.LAUNCH_TEMPLATE,))
    known = {v for lt in ours for v in (lt.get("id"), lt.get("name")) if isinstance(v, str) and not is_unknown(v)}
    refs = list(_template_refs(node))
    if not refs and not node.get("launchConfiguration"):
        yield "no launch template"
    for where, id_, name in refs:
        value = id_ if id_ is not None else name
        if is_unknown(value):
            # An output: of one of this stack's launch templates only if the graph says so.
            if not ours:
                yield Unknown(f"{where} (not a launch template of this stack)")
        elif not value:
            yield f"{where} names no launch template"
        elif value not in known:
            # A literal: this stack's templates are outputs (unknown on a new stack), so it is typed in.
            yield (
                f"{where} is {value}, not a launch template of this stack: the launch-template rules "
                "(EBS encryption, IMDSv2) never see what these instances boot with"
            )


ASG_OWN_TEMPLATES = Rule(
    name="autoscaling-launch-template-of-this-stack",
    description="Every launch template an Auto Scaling group launches (launchTemplate, mixed instances policy and "
    "each override) is a launch template of this stack; no launch configuration.",
    pillar="encryption",
    types=(g.ASG,),
    scope="stack",
    check=_check_own_templates,
    fsbp=("AutoScaling.9",),
    why="The EBS-encryption and IMDSv2 rules judge this stack's launch templates; a group (or one override) "
    "launching a template from elsewhere boots instances nobody checked, however compliant the stack's own "
    "template is.",
    remediation="Pass this stack's aws.ec2.LaunchTemplate outputs (lt.id, lt.latest_version) to launch_template / "
    "mixed_instances_policy.launch_template.launch_template_specification and to every override that names one; "
    "replace launch configurations with launch templates.",
    notes="AutoScaling.9 (groups use launch templates) is the launch-configuration half; the join to this "
    "stack's templates is the pack's own.",
)


RULES = (ASG_MULTI_AZ, ASG_OWN_TEMPLATES)
