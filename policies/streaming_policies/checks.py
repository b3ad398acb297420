"""Checks shared by the service modules: AZ span over subnet dependencies, KMS key references,
boolean flags, and WAF association joins. No rules live here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from . import graph as g
from .graph import Node, is_unknown, subnet_az
from .rule import Ctx, Finding, Option, Rule, Unknown

MIN_AZS = Option(
    "minAzs",
    {"type": "integer", "minimum": 1, "default": 2},
    "Minimum number of distinct Availability Zones.",
)


SubnetIds = Callable[[Node], Any]


def span(
    ctx: Ctx,
    rule: Rule,
    node: Node,
    props: tuple[str, ...],
    what: str,
    *,
    extra_azs: Any = None,
    ids: SubnetIds | None = None,
) -> Iterator[Finding]:
    """Check that the subnets behind ``node``'s inputs ``props`` span at least ``minAzs`` AZs.

    The graph says which subnets an input was built from; ``ids(node)`` is the list of subnet ids the
    input actually holds. Where that list is known it wins: subnets narrowed inside an ``apply`` keep
    every dependency but not every id. A list shorter than ``minAzs`` cannot span ``minAzs`` AZs, even
    when its ids are still unknown (a first preview).
    """
    assert ctx.graph is not None
    min_azs = int(ctx.opt("minAzs", rule))
    subnets: list[Node] = []
    for p in props:
        subnets.extend(ctx.graph.deps(node, p, (g.SUBNET,)))
    listed = ids(node) if ids is not None else None
    if isinstance(listed, list):
        known_ids = all(isinstance(i, str) and not is_unknown(i) for i in listed)
        if known_ids and all(isinstance(s.get("id"), str) for s in subnets):
            subnets = [s for s in subnets if s.get("id") in set(listed)]
    findings = list(_span_of(ctx, node, props, subnets, what, min_azs, extra_azs))
    if isinstance(listed, list) and len(listed) < min_azs and not any(isinstance(f, str) for f in findings):
        yield f"{what} lists {len(listed)} subnet(s); at least {min_azs} (one per AZ) required"
        return
    yield from findings


def _span_of(
    ctx: Ctx, node: Node, props: tuple[str, ...], subnets: list[Node], what: str, min_azs: int, extra_azs: Any
) -> Iterator[Finding]:
    azs = {subnet_az(s) for s in subnets}
    unknown_azs = [s.name for s in subnets if is_unknown(subnet_az(s))]
    known = sorted(a for a in azs if a and not is_unknown(a))
    if is_unknown(extra_azs):
        # A whole unknown list (e.g. availabilityZones from a data source): never count its characters.
        if len(known) < min_azs:
            yield Unknown("availabilityZones")
        return
    for az in g.as_list(extra_azs):
        if isinstance(az, str) and not is_unknown(az) and az not in known:
            known.append(az)
    if len(known) >= min_azs:
        return
    if unknown_azs:
        yield from (Unknown(f"subnet {n}.availabilityZone") for n in unknown_azs)
        return
    if not subnets:
        values = [node.get(p) for p in props]
        if any(is_unknown(v) for v in values) and not known:
            yield Unknown(f"{'/'.join(props)} (no subnet resource of this stack behind it)")
            return
    shown = ", ".join(known) or "none"
    yield f"{what} spans {len(known)} AZ(s) ({shown}); at least {min_azs} required"


def acls_in_scope(ctx: Ctx, node: Node, prop: str, scope: str) -> tuple[list[Node], list[Node]]:
    """(web ACLs behind ``prop`` with ``scope``, web ACLs behind it with another scope)."""
    assert ctx.graph is not None
    good: list[Node] = []
    bad: list[Node] = []
    for acl in ctx.graph.deps(node, prop, (g.WEB_ACL,)):
        (good if acl.get("scope") == scope else bad).append(acl)
    return good, bad


def associated(ctx: Ctx, node: Node, what: str) -> Iterator[Finding]:
    assert ctx.graph is not None
    wrong = []
    for assoc in ctx.graph.referrers(node, (g.WEB_ACL_ASSOCIATION,), "resourceArn"):
        good, bad = acls_in_scope(ctx, assoc, "webAclArn", "REGIONAL")
        if good:
            return
        wrong.extend(bad)
    if wrong:
        yield f"{what} is associated with web ACL {wrong[0].name} whose scope is not REGIONAL"
    else:
        yield f"no WebAclAssociation links this {what} to a REGIONAL wafv2 WebAcl"


def aws_managed_alias(value: Any) -> bool:
    """``alias/aws/<service>`` (or its ARN form): an AWS-managed key, whose policy we cannot control."""
    return isinstance(value, str) and not is_unknown(value) and ("alias/aws/" in value or value.startswith("aws/"))


def kms_ref(
    ctx: Ctx, node: Node, prop: str, value: Any, label: str, *, aws_managed_ok: bool = False
) -> Iterator[Finding]:
    """Input ``prop`` sets a key (``value``): "is it set" on the resource's *inputs*.

    Resource policies (``Analyze``) see inputs, where an output passed in (``key.arn``) is unknown in
    preview and counts as set. Stack policies see outputs, where AWS fills in its managed key when the
    program set none, so "is it set" is never asked there: which key it is (one of this stack) is the
    join :data:`streaming_policies.kms.KEY_OF_THIS_STACK` makes. AWS-managed aliases
    (``alias/aws/rds``) satisfy only rules that pass ``aws_managed_ok``."""
    if not value:
        yield f"{label} is not set"
    elif aws_managed_alias(value) and not aws_managed_ok:
        yield f"{label} is the AWS-managed key {value}; a customer-managed key is required"
    elif is_unknown(value) and ctx.graph is not None and not ctx.graph.deps(node, prop, g.KMS_KEY_REFS):
        yield Unknown(label)


def kms_prop_rule(
    name: str,
    types: tuple[str, ...],
    prop: str,
    description: str,
    why: str,
    remediation: str,
    aws_managed_ok: bool = False,
    **kw: Any,
) -> Rule:
    return Rule(
        name=name,
        description=description,
        pillar="encryption",
        types=types,
        check=lambda n, c: kms_ref(c, n, prop, n.get(prop), prop, aws_managed_ok=aws_managed_ok),
        why=why,
        remediation=remediation,
        **kw,
    )


def flag(node: Node, path: tuple[str, ...], label: str) -> Iterator[Finding]:
    v = node.get(*path)
    if is_unknown(v):
        yield Unknown(label)
    elif v is not True:
        yield f"{label} is not true"


def capacity_floor(ctx: Ctx, rule: Rule, node: Node, prop: str, what: str) -> Iterator[Finding]:
    """The ``prop`` count (minimum instances, desired tasks) is at least ``minAzs``: one per AZ survives an outage.

    Spreading over three AZs with a floor of one still leaves a single copy; placement alone is not multi-AZ.
    """
    value = node.get(prop)
    min_azs = int(ctx.opt("minAzs", rule))
    if is_unknown(value):
        yield Unknown(prop)
    elif not isinstance(value, (int, float)) or isinstance(value, bool):
        yield f"{what} {prop} is {'unset' if value is None else repr(value)}; at least {min_azs} (one per AZ) required"
    elif value < min_azs:
        yield f"{what} {prop} is {int(value)}; at least {min_azs} (one per AZ) required"
