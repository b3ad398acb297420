"""CloudFront: WAF attached, viewer HTTPS, TLS policy, HTTPS to origins.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from . import graph as g
from .checks import acls_in_scope
from .graph import Node, is_unknown, truthy
from .rule import Ctx, Finding, Option, Rule, Unknown

MULTITENANT_DISTRIBUTION = "aws:cloudfront/multitenantDistribution:MultitenantDistribution"
DISTRIBUTIONS = (g.DISTRIBUTION, MULTITENANT_DISTRIBUTION)


def _check_distribution(node: Node, ctx: Ctx) -> Iterator[Finding]:
    value = node.get("webAclId")
    good, bad = acls_in_scope(ctx, node, "webAclId", "CLOUDFRONT")
    if good:
        return
    if bad:
        yield f"webAclId refers to web ACL {bad[0].name} whose scope is {bad[0].get('scope')!r}, not CLOUDFRONT"
    elif not value:
        yield "no webAclId: the distribution is not protected by AWS WAF"
    elif is_unknown(value):
        yield Unknown("webAclId (not a wafv2 WebAcl of this stack)")
    elif value not in ctx.opt("externalWebAclArns", CLOUDFRONT_WAF):
        yield "webAclId is not a wafv2 WebAcl of this stack (nor listed in externalWebAclArns)"


EXTERNAL_ACLS = Option(
    "externalWebAclArns",
    {"type": "array", "items": {"type": "string"}, "default": []},
    "Known ARNs of CLOUDFRONT-scope web ACLs managed outside this stack that are accepted too.",
)


CLOUDFRONT_WAF = Rule(
    name="cloudfront-waf-attached",
    description="Every CloudFront distribution (standard or multi-tenant) has a webAclId that is a wafv2 WebAcl "
    "with scope CLOUDFRONT.",
    pillar="waf",
    types=DISTRIBUTIONS,
    scope="stack",
    check=_check_distribution,
    options=(EXTERNAL_ACLS,),
    fsbp=("CloudFront.6",),
    severity=Severity.HIGH,
    why="The distribution is the platform's front door; without WAF, L7 attacks and scrapers reach the origins.",
    remediation="Create an aws.wafv2.WebAcl with scope='CLOUDFRONT' (provider in us-east-1) and pass its `arn` "
    "as the distribution's web_acl_id.",
)


def _check_viewer_protocol(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    behaviors = [("default", node.get("defaultCacheBehavior"))]
    # A multi-tenant distribution lists its ordered behaviors as cacheBehaviors (pulumi-aws
    # cloudfront.MultitenantDistribution; CloudFront API CreateDistribution with ConnectionMode tenant-only).
    prop = "cacheBehaviors" if node.type == MULTITENANT_DISTRIBUTION else "orderedCacheBehaviors"
    ordered = node.get(prop)
    if is_unknown(ordered):
        yield Unknown(prop)
    else:
        for i, b in enumerate(g.as_list(ordered)):
            if isinstance(b, dict):
                path = b.get("pathPattern")
                behaviors.append((str(i) if path is None or is_unknown(path) else str(path), b))
            elif is_unknown(b):
                yield Unknown(f"{prop}[{i}]")
            else:
                yield f"{prop}[{i}] is not a cache behavior ({type(b).__name__})"
    for label, b in behaviors:
        policy = g.dig(b, "viewerProtocolPolicy")
        if is_unknown(policy):
            yield Unknown(f"{label}.viewerProtocolPolicy")
        elif policy not in ("redirect-to-https", "https-only"):
            yield f"cache behavior {label} has viewerProtocolPolicy={policy!r}"


CLOUDFRONT_HTTPS = Rule(
    name="cloudfront-viewer-https",
    description="Every CloudFront cache behavior (standard or multi-tenant distribution) uses viewerProtocolPolicy "
    "redirect-to-https or https-only.",
    pillar="encryption",
    types=DISTRIBUTIONS,
    check=_check_viewer_protocol,
    fsbp=("CloudFront.3",),
    why="allow-all serves video manifests, signed URLs and cookies over plain HTTP.",
    remediation="Set viewer_protocol_policy='redirect-to-https' on the default and every ordered cache behavior.",
)


TLS_VERSIONS = Option(
    "allowedMinimumProtocolVersions",
    {"type": "array", "items": {"type": "string"}, "default": ["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"]},
    "Accepted viewerCertificate.minimumProtocolVersion values.",
)


def _check_cf_tls(node: Node, ctx: Ctx) -> Iterator[Finding]:
    cert = node.get("viewerCertificate")
    if is_unknown(cert):
        yield Unknown("viewerCertificate")
        return
    if truthy(g.dig(cert, "cloudfrontDefaultCertificate")):
        yield "uses the *.cloudfront.net default certificate, which allows TLSv1"
        return
    v = g.dig(cert, "minimumProtocolVersion")
    if is_unknown(v):
        yield Unknown("viewerCertificate.minimumProtocolVersion")
    elif v not in ctx.opt("allowedMinimumProtocolVersions", CLOUDFRONT_TLS):
        yield f"minimumProtocolVersion is {v!r}; use TLSv1.2_2021 or newer"


CLOUDFRONT_TLS = Rule(
    name="cloudfront-tls-policy",
    description="Every CloudFront distribution (standard or multi-tenant) uses its own certificate with "
    "minimumProtocolVersion TLSv1.2_2021 or newer.",
    pillar="encryption",
    types=DISTRIBUTIONS,
    check=_check_cf_tls,
    options=(TLS_VERSIONS,),
    fsbp=("CloudFront.15",),
    why="Older TLS policies allow TLS 1.0/1.1 and weak ciphers.",
    remediation="Use an ACM certificate (us-east-1) with ssl_support_method='sni-only' and "
    "minimum_protocol_version='TLSv1.2_2021'.",
)


def _check_origins(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    origins = node.get("origins")
    if is_unknown(origins):
        yield Unknown("origins")
        return
    for o in g.as_list(origins):
        custom = g.dig(o, "customOriginConfig")
        if not custom:
            continue
        label = g.dig(o, "originId", default="?")
        policy = g.dig(custom, "originProtocolPolicy")
        if is_unknown(policy):
            yield Unknown(f"origin {label}.originProtocolPolicy")
        elif policy != "https-only":
            yield f"custom origin {label} has originProtocolPolicy={policy!r}, not https-only"
        protocols = g.dig(custom, "originSslProtocols", default=[])
        if not is_unknown(protocols):
            weak = [p for p in g.as_list(protocols) if p in ("SSLv3", "TLSv1", "TLSv1.1")]
            if weak:
                yield f"custom origin {label} allows deprecated protocols {', '.join(weak)}"


CLOUDFRONT_ORIGINS = Rule(
    name="cloudfront-origin-https",
    description="Every CloudFront custom origin (standard or multi-tenant distribution) is reached with https-only "
    "and TLSv1.2 (no SSLv3/TLSv1/TLSv1.1).",
    pillar="encryption",
    types=DISTRIBUTIONS,
    check=_check_origins,
    fsbp=("CloudFront.9", "CloudFront.10"),
    why="Traffic between the edge and the ALB / API origin crosses the internet.",
    remediation="Set custom_origin_config.origin_protocol_policy='https-only' and origin_ssl_protocols=['TLSv1.2'].",
)


RULES = (
    CLOUDFRONT_WAF,
    CLOUDFRONT_HTTPS,
    CLOUDFRONT_TLS,
    CLOUDFRONT_ORIGINS,
)
