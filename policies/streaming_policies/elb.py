"""Elastic Load Balancing: AZ span, WAF on internet-facing ALBs, HTTP->HTTPS redirect, TLS policy.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import graph as g
from .checks import MIN_AZS, associated, span
from .graph import Node, is_unknown, truthy
from .rule import Ctx, Finding, Option, Rule, Unknown


def _lb_subnet_ids(node: Node) -> Any:
    """The subnet ids in `subnets`, or in `subnetMappings` when that is what the program used."""
    subnets = node.get("subnets")
    if subnets is not None:
        return subnets
    mappings = node.get("subnetMappings")
    if isinstance(mappings, list):
        return [g.dig(m, "subnetId", default=g.UNKNOWN) for m in mappings]
    return mappings


ALB_MULTI_AZ: Rule = Rule(
    name="load-balancer-multi-az",
    description="Every load balancer is attached to subnets in at least minAzs Availability Zones.",
    pillar="multi-az",
    types=g.LOAD_BALANCERS,
    scope="stack",
    check=lambda n, c: span(c, ALB_MULTI_AZ, n, ("subnets", "subnetMappings"), "load balancer", ids=_lb_subnet_ids),
    options=(MIN_AZS,),
    fsbp=("ELB.13",),
    why="A load balancer in one AZ is a single point of failure for everything behind it.",
    remediation="Pass subnets from at least two AZs (e.g. all public subnets) in `subnets`.",
)


def _internal_lb(node: Node, _ctx: Ctx) -> str | None:
    # Only a known internal=true is out of scope. The attribute is Optional+Computed: omitted, it is
    # unknown in a first preview's outputs (and false after create), so unknown is judged as internet-facing.
    return "internal load balancer" if node.get("internal") is True else None


def _check_alb_waf(node: Node, ctx: Ctx) -> Iterator[Finding]:
    kind = node.get("loadBalancerType", default="application")
    if is_unknown(kind):
        yield Unknown("loadBalancerType")
        return
    if kind != "application":
        # AWS WAF protects ALBs, not network or gateway load balancers (AWS WAF Developer Guide,
        # "Resources that you can protect with AWS WAF").
        yield (
            f"internet-facing {kind} load balancer: AWS WAF cannot be associated with it, so it is an entry "
            "point without WAF"
        )
        return
    if truthy(node.get("enableWafFailOpen")):
        yield "enableWafFailOpen is true: requests reach the targets unfiltered whenever AWS WAF cannot be reached"
    yield from associated(ctx, node, "internet-facing ALB")


ALB_WAF = Rule(
    name="alb-waf-attached",
    description="Every internet-facing load balancer is an ALB with a WebAclAssociation to a REGIONAL wafv2 "
    "WebAcl and WAF fail-open off.",
    pillar="waf",
    types=g.LOAD_BALANCERS,
    scope="stack",
    check=_check_alb_waf,
    exempt=_internal_lb,
    fsbp=("ELB.16",),
    why="An internet-facing load balancer can be reached directly, bypassing the CloudFront web ACL; a network "
    "load balancer cannot carry a web ACL at all, and fail-open lets traffic through when WAF is unreachable.",
    remediation="Create aws.wafv2.WebAclAssociation(resource_arn=alb.arn, web_acl_arn=regional_acl.arn) with a "
    "scope='REGIONAL' web ACL; keep enable_waf_fail_open unset; make network load balancers internal=True.",
    notes="A load balancer whose `internal` is unknown (omitted: Optional+Computed, unknown in a first preview) "
    "is judged as internet-facing, its default.",
)


def _listener_protocol(node: Node) -> Any:
    return node.get("protocol", default="HTTP")


def _not_http(node: Node, _ctx: Ctx) -> str | None:
    p = _listener_protocol(node)
    return None if p in ("HTTP", g.UNKNOWN) else f"{p} listener"


LISTENER_RULES = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")


def _check_http_redirect(node: Node, ctx: Ctx) -> Iterator[Finding]:
    if is_unknown(_listener_protocol(node)):
        yield Unknown("protocol")
        return
    actions = node.get("defaultActions")
    if is_unknown(actions):
        yield Unknown("defaultActions")
        return
    for a in g.as_list(actions):
        kind = g.dig(a, "type")
        if is_unknown(kind):
            yield Unknown("defaultActions.type")
        elif kind != "redirect":
            yield f"HTTP listener default action is {kind!r}, not a redirect to HTTPS"
        elif is_unknown(protocol := g.dig(a, "redirect", "protocol")):
            yield Unknown("defaultActions.redirect.protocol")
        elif protocol != "HTTPS":
            yield "HTTP listener redirects without switching protocol to HTTPS"
    if not actions:
        yield "HTTP listener has no default action"
    if ctx.graph is not None:
        # A listener rule attached to the HTTP listener serves what it matches in clear text too.
        for rule in ctx.graph.referrers(node, LISTENER_RULES, "listenerArn"):
            kinds = rule.get("actions")
            if is_unknown(kinds):
                yield Unknown(f"listener rule {rule.name}.actions")
                continue
            for a in g.as_list(kinds):
                kind = g.dig(a, "type")
                if is_unknown(kind):
                    yield Unknown(f"listener rule {rule.name}.actions.type")
                elif kind != "redirect" or g.dig(a, "redirect", "protocol") not in ("HTTPS", g.UNKNOWN):
                    yield (
                        f"listener rule {rule.name} on the HTTP listener has a {kind!r} action, not a redirect to HTTPS"
                    )


ALB_HTTP_REDIRECT = Rule(
    name="alb-http-redirects-to-https",
    description="Every HTTP load-balancer listener, and every listener rule on it, only redirects to HTTPS.",
    pillar="encryption",
    types=g.LISTENERS,
    scope="stack",
    check=_check_http_redirect,
    exempt=_not_http,
    fsbp=("ELB.1",),
    why="An HTTP listener that forwards serves the application in clear text.",
    remediation="Make the port-80 listener's only default action {type: 'redirect', redirect: {protocol: 'HTTPS', "
    "port: '443', status_code: 'HTTP_301'}}.",
)


TLS13_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
]


SSL_POLICIES = Option(
    "allowedSslPolicies",
    {"type": "array", "items": {"type": "string"}, "default": TLS13_POLICIES},
    "Accepted sslPolicy values for HTTPS/TLS listeners.",
)


def _not_tls(node: Node, _ctx: Ctx) -> str | None:
    p = _listener_protocol(node)
    return None if p in ("HTTPS", "TLS", g.UNKNOWN) else f"{p} listener"


def _check_tls_policy(node: Node, ctx: Ctx) -> Iterator[Finding]:
    if is_unknown(_listener_protocol(node)):
        yield Unknown("protocol")
        return
    policy = node.get("sslPolicy")
    if is_unknown(policy):
        yield Unknown("sslPolicy")
    elif policy not in ctx.opt("allowedSslPolicies", ALB_TLS_POLICY):
        yield f"sslPolicy is {policy or 'unset (ELBSecurityPolicy-2016-08)'}; use a TLS13-1-2 policy"


ALB_TLS_POLICY = Rule(
    name="alb-https-tls-policy",
    description="Every HTTPS/TLS load-balancer listener uses an allowed TLS 1.2+/1.3 security policy.",
    pillar="encryption",
    types=g.LISTENERS,
    check=_check_tls_policy,
    exempt=_not_tls,
    options=(SSL_POLICIES,),
    fsbp=("ELB.17",),
    why="The default policy still negotiates TLS 1.0/1.1.",
    remediation="Set ssl_policy='ELBSecurityPolicy-TLS13-1-2-2021-06'.",
)


def _check_lb_hardened(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    flags = ["enableDeletionProtection"]
    if node.get("loadBalancerType", default="application") == "application":
        flags.append("dropInvalidHeaderFields")
    for prop in flags:
        v = node.get(prop)
        if is_unknown(v):
            yield Unknown(prop)
        elif not truthy(v):
            yield f"{prop} is not true"


LB_HARDENED = Rule(
    name="load-balancer-hardened",
    description="Every load balancer has deletion protection; every ALB drops invalid HTTP header fields.",
    pillar="hardening",
    types=g.LOAD_BALANCERS,
    check=_check_lb_hardened,
    fsbp=("ELB.6", "ELB.4"),
    why="Deleting the load balancer takes the whole platform off the air; headers with invalid characters are a "
    "request-smuggling vector into the targets.",
    remediation="Set enable_deletion_protection=True, and drop_invalid_header_fields=True on ALBs.",
)


RULES = (
    ALB_MULTI_AZ,
    ALB_WAF,
    ALB_HTTP_REDIRECT,
    ALB_TLS_POLICY,
    LB_HARDENED,
)
