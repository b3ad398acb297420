"""StreamingEdge: where viewers meet the platform (CloudFront, WAFv2, ACM in us-east-1, Route 53).

- A CloudFront distribution for ``<domain>``: the renditions bucket through Origin Access Control (sigv4,
  always sign; the media key already lets CloudFront decrypt SSE-KMS objects), the app tier's ALB through
  ``origin.<domain>`` and the REST API through ``api.<domain>`` (HTTPS only, TLS 1.2, secret ``X-Origin-Verify``
  header), and in prod an origin group that fails over to the DR replica of the renditions bucket. Path
  behaviors (``cache``): ``/api/*`` uncached to the REST API, manifests short-lived, segments immutable for a
  long time, everything else the web frontend on the ALB; 502/503/504 answered with one static maintenance page
  from the renditions bucket (``origins``).
- A CLOUDFRONT-scope web ACL (``waf``: managed rule groups, a per-viewer rate limit that excludes media and a
  higher one for media, optional geo block, metrics, KMS-encrypted logs) and the ACM certificate, both in
  us-east-1 through an explicit provider, whatever the stack's region.
- Route 53: A and AAAA aliases for the site. The failover records of ``origin.<domain>`` are their own
  component, ``OriginFailover``, which takes the ALB's outputs.

The component never reads stack config; everything arrives in ``StreamingEdgeArgs``. The edge needs nothing
from AppTier to be constructed: only the origin name and the origin secret; its OAC bucket-policy statements
(``origin_access_statements``) are passed to ``BucketPolicies`` with every other tier's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent, reject_invalid
from streaming_platform.app.private_api import API_BASE_PATH
from streaming_platform.edge.cache import (
    ALL_VIEWER_EXCEPT_HOST_HEADER,
    API_PATTERN,
    CACHING_DISABLED,
    CORS_S3_ORIGIN,
    MANIFEST_PATTERNS,
    ONE_DAY_SECONDS,
    ONE_YEAR_SECONDS,
    SECURITY_HEADERS,
    SEGMENT_PATTERNS,
    SIMPLE_CORS,
    build_cache_policies,
    default_behavior,
    ordered_behaviors,
)
from streaming_platform.edge.origins import (
    ERROR_CODES,
    MAINTENANCE_PAGE_PATH,
    OriginSettings,
    S3Origin,
    error_responses,
    origins,
)
from streaming_platform.edge.waf import (
    CLOUDFRONT_REGION,
    WCU,
    WCU_BUDGET,
    EdgeWafSettings,
    build_edge_waf,
    web_acl_capacity,
    web_acl_rules,
)
from streaming_platform.edge.zone import PublicZone, PublicZoneOutputs

__all__ = [
    "ALL_VIEWER_EXCEPT_HOST_HEADER",
    "API_PATTERN",
    "CACHING_DISABLED",
    "CLOUDFRONT_HOSTED_ZONE_ID",
    "CLOUDFRONT_REGION",
    "CORS_S3_ORIGIN",
    "ERROR_CODES",
    "MAINTENANCE_PAGE_PATH",
    "MANIFEST_PATTERNS",
    "ONE_DAY_SECONDS",
    "ONE_YEAR_SECONDS",
    "SECURITY_HEADERS",
    "SEGMENT_PATTERNS",
    "SIMPLE_CORS",
    "WCU",
    "WCU_BUDGET",
    "EdgeCacheOptions",
    "EdgeOrigins",
    "EdgeWafOptions",
    "PriceClass",
    "StreamingEdge",
    "StreamingEdgeArgs",
    "origin_access_statement",
    "validate_args",
    "web_acl_capacity",
    "web_acl_rules",
]

TYPE = "streaming:edge:StreamingEdge"
CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"  # the fixed alias target zone of every distribution
VIEWER_TLS_POLICY = "TLSv1.2_2021"
HTTP_VERSION = "http2and3"
ACCESS_LOG_PREFIX = "cloudfront/"


class PriceClass(StrEnum):
    """CloudFront price classes: which edge locations serve viewers."""

    ALL = "PriceClass_All"
    P200 = "PriceClass_200"
    P100 = "PriceClass_100"


@dataclass
class EdgeOrigins:
    """Where the distribution fetches from and logs to: names other components give it."""

    renditions_bucket_name: pulumi.Input[str]
    """The video renditions bucket (SSE-KMS under a key whose policy lets CloudFront decrypt). No default:
    required."""

    renditions_bucket_region: str
    """Region of ``renditions_bucket_name``, for its regional endpoint. No default: required."""

    log_bucket_name: pulumi.Input[str]
    """SSE-S3 bucket with ACLs enabled (BucketOwnerPreferred) for CloudFront standard logs, under ``cloudfront/``.
    No default: required."""

    log_bucket_dependencies: Sequence[pulumi.Resource] = ()
    """What the distribution waits for before turning standard logging on, typically the log bucket's
    ownership controls: CloudFront writes logs through an ACL grant, which a bucket still at the default
    BucketOwnerEnforced refuses (CloudFront Developer Guide, "Configure standard logging (legacy)", permissions).
    Default: none; on a new stack the distribution may then be created before ACLs are enabled."""

    api_domain_name: str | None = None
    """The REST API's custom domain, the origin of ``/api/*``; the API maps its stage under ``/api``
    (``API_BASE_PATH``), so both hosts serve the same paths. Default: None, ``api.<zone domain>`` (AppTier's)."""

    replica_bucket_name: pulumi.Input[str] | None = None
    """DR replica of the renditions bucket. Default: None, no media origin group. When set, media paths use an
    origin group that fails over to the replica (the replica's key must let CloudFront decrypt too)."""

    replica_bucket_region: str | None = None
    """Region of ``replica_bucket_name``; set both or neither. Default: None, no replica."""


@dataclass
class EdgeCacheOptions:
    """How long CloudFront keeps what, and which edge locations and shield layer serve it."""

    segment_duration_seconds: int = 6
    """Target duration of the HLS/DASH segments the transcoder writes; bounds the manifest TTL. Default: 6 s,
    the transcoder's default."""

    manifest_ttl_seconds: int = 2
    """Seconds CloudFront caches ``*.m3u8``/``*.mpd``. At most half the segment duration, so a live playlist is
    never staler than one segment. Default: 2."""

    segment_ttl_seconds: int = ONE_YEAR_SECONDS
    """Seconds CloudFront (min = default = max) and players (``Cache-Control: immutable``) keep segments; at
    least one day. Segments never change under a key. Default: one year."""

    error_caching_seconds: int = 5
    """How long CloudFront caches 5xx answers (and the maintenance page served for 502/503/504), so an origin
    hiccup is not hammered. 4xx answers are never cached: on ``/api/*`` they depend on the caller. Default: 5."""

    price_class: PriceClass = PriceClass.P100
    """Edge locations used. Default: PriceClass_100 (North America, Europe, Israel), the cheapest."""

    origin_shield_region: str | None = None
    """Region of an Origin Shield layer in front of the bucket and ALB origins (ideally the stack's region).
    Default: None, no Origin Shield (it cuts origin load for popular videos at an extra per-request cost)."""


@dataclass
class EdgeWafOptions:
    """The CLOUDFRONT web ACL's optional rules and limits, and Shield Advanced."""

    waf_rate_limit: int = 2000
    """Requests per 5 minutes per viewer IP, media excluded (pages, API calls), before the rate rule blocks.
    Default: 2000."""

    waf_media_rate_limit: int = 10000
    """Media requests (manifests and segments) per 5 minutes per viewer IP before the media rate rule blocks; at
    least ``waf_rate_limit``. A player fetches 50 to 75 segments, and as many playlists when live, per 5 minutes,
    so the default admits about 65 viewers behind one carrier NAT. Default: 10000."""

    waf_anonymous_ip_list: bool = False
    """Add AWSManagedRulesAnonymousIpList (VPNs, Tor, hosting providers). Default: off (it blocks legitimate
    viewers behind VPNs)."""

    waf_geo_block_countries: Sequence[str] = ()
    """ISO 3166 alpha-2 country codes to block. Default: none (no geo rule)."""

    shield_advanced: bool = False
    """Register the distribution with AWS Shield Advanced (the account must subscribe; USD 3,000 a month).
    Default: off, Shield Standard only."""


@dataclass
class StreamingEdgeArgs:
    """Inputs of StreamingEdge. Names and ARNs from other components are Inputs; the rest are plain settings."""

    zone: PublicZone | PublicZoneOutputs
    """The site's zone: the certificate is validated in it, and the site and origin records are written in it. From
    another language, the zone's outputs (``PublicZoneOutputs``). No default: required."""

    origin_verify_secret: pulumi.Input[str]
    """Value sent in ``X-Origin-Verify`` to the ALB and the REST API: the ALB's listener rules forward only requests
    that carry it; the regional web ACLs rate-limit per connecting IP only the requests without it. No default:
    required."""

    origins: EdgeOrigins
    """The renditions bucket (and its DR replica), the REST API's domain and the log bucket. No default:
    required."""

    caching: EdgeCacheOptions = field(default_factory=EdgeCacheOptions)
    """Default: ``EdgeCacheOptions()``, 6 s segments, manifests 2 s, segments a year, 5xx 5 s, PriceClass_100,
    no Origin Shield."""

    waf: EdgeWafOptions = field(default_factory=EdgeWafOptions)
    """Default: ``EdgeWafOptions()``, 2000 and 10000 requests per 5 minutes, no anonymous-IP or geo rule, no
    Shield Advanced."""

    signed_urls_public_key_pem: str | None = None
    """PEM public key of a trusted key group: when set, media paths (manifests and segments) need CloudFront
    signed URLs or cookies made with the matching private key. Default: None, media is public."""

    log_retention_days: int = 365
    """Days the us-east-1 WAF log group keeps events. Default: 365."""

    resource_prefix: str = "streaming"
    """Prefix of fixed physical names (cache/response policies, OAC, WAF log group, alarms). Default:
    ``streaming``."""

    protect: bool = False
    """Protect and retain the stateful children (the us-east-1 log key and WAF log group). Default: off."""

    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags on every taggable child. Default: none."""


def validate_args(args: StreamingEdgeArgs) -> list[str]:
    """Every problem with the plain settings, each as: what, the value given, what is allowed."""
    problems = []
    cache, waf, origins = args.caching, args.waf, args.origins
    half = cache.segment_duration_seconds / 2
    if cache.segment_duration_seconds < 1:
        problems.append(
            f"EdgeCacheOptions.segment_duration_seconds: got {cache.segment_duration_seconds}; allowed: 1 or more"
        )
    if not 1 <= cache.manifest_ttl_seconds <= half:
        problems.append(
            f"EdgeCacheOptions.manifest_ttl_seconds: got {cache.manifest_ttl_seconds}; allowed: 1 to half the segment "
            f"duration ({cache.segment_duration_seconds} s -> at most {half:g})"
        )
    if not ONE_DAY_SECONDS <= cache.segment_ttl_seconds <= ONE_YEAR_SECONDS:
        problems.append(
            f"EdgeCacheOptions.segment_ttl_seconds: got {cache.segment_ttl_seconds}; allowed: {ONE_DAY_SECONDS} to "
            f"{ONE_YEAR_SECONDS}"
        )
    if not 0 <= cache.error_caching_seconds <= 60:
        problems.append(f"EdgeCacheOptions.error_caching_seconds: got {cache.error_caching_seconds}; allowed: 0 to 60")
    if not 10 <= waf.waf_rate_limit <= 2_000_000_000:
        problems.append(f"EdgeWafOptions.waf_rate_limit: got {waf.waf_rate_limit}; allowed: 10 to 2000000000")
    if not max(10, waf.waf_rate_limit) <= waf.waf_media_rate_limit <= 2_000_000_000:
        problems.append(
            f"EdgeWafOptions.waf_media_rate_limit: got {waf.waf_media_rate_limit}; allowed: waf_rate_limit "
            f"({waf.waf_rate_limit}) to 2000000000"
        )
    if (origins.replica_bucket_name is None) != (origins.replica_bucket_region is None):
        problems.append(
            f"EdgeOrigins.replica_bucket_name/replica_bucket_region: got {origins.replica_bucket_name!r}/"
            f"{origins.replica_bucket_region!r}; allowed: both or neither"
        )
    try:
        web_acl_rules(
            args.resource_prefix,
            waf.waf_rate_limit,
            waf.waf_anonymous_ip_list,
            waf.waf_geo_block_countries,
            waf.waf_media_rate_limit,
        )
    except ValueError as e:
        problems.append(str(e))
    return problems


def origin_access_statement(bucket_arn: str, distribution_arn: str, sid: str = "CloudFrontReadsThroughOac") -> dict:
    """Only this distribution (through OAC) may read objects; nothing else in CloudFront may."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    }


class StreamingEdge(StreamingComponent):
    """CloudFront + WAFv2 + ACM (us-east-1) + Route 53 in front of the renditions bucket and the ALB."""

    us_east_1: aws.Provider
    distribution_id: pulumi.Output[str]
    distribution_arn: pulumi.Output[str]
    distribution_domain_name: pulumi.Output[str]
    web_acl_arn: pulumi.Output[str]
    certificate_arn: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    site_domain_name: str
    origin_domain_name: str
    api_domain_name: str
    site_url: str
    api_url: str
    web_acl_capacity: int
    shield_protection_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: StreamingEdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, protect=args.protect, tags=args.tags, opts=opts)
        problems = validate_args(args)
        reject_invalid("StreamingEdgeArgs", problems)
        self._name, self._args = name, args
        domain = args.zone.domain_name
        self.site_domain_name = domain
        self.origin_domain_name = f"origin.{domain}"
        self.api_domain_name = args.origins.api_domain_name or f"api.{domain}"
        self.site_url = f"https://{domain}/"
        self.api_url = f"https://{domain}/{API_BASE_PATH}/"
        self.zone_id = pulumi.Output.from_input(args.zone.zone_id)

        # Explicit, whatever the stack's region: CloudFront only takes certificates and web ACLs from here.
        self.us_east_1 = aws.Provider(f"{name}-us-east-1", region=CLOUDFRONT_REGION, opts=self.child())
        self._in_us_east_1 = pulumi.ResourceOptions(parent=self, provider=self.us_east_1)

        self.certificate_arn = args.zone.certificate(
            f"{name}-cert", [domain], provider=self.us_east_1, parent=self, tags=args.tags
        )
        waf = build_edge_waf(
            self,
            name,
            domain,
            EdgeWafSettings(
                resource_prefix=args.resource_prefix,
                rate_limit=args.waf.waf_rate_limit,
                media_rate_limit=args.waf.waf_media_rate_limit,
                anonymous_ip_list=args.waf.waf_anonymous_ip_list,
                geo_block_countries=args.waf.waf_geo_block_countries,
                log_retention_days=args.log_retention_days,
                protect=args.protect,
            ),
            self._in_us_east_1,
        )
        self.web_acl_arn, self.web_acl_capacity = waf.web_acl_arn, waf.capacity
        self._distribution()
        self.shield_protection_id = (
            aws.shield.Protection(
                f"{name}-shield",
                name=f"{args.resource_prefix}-edge",
                resource_arn=self.distribution_arn,
                tags=self.tags(f"{name}-shield"),
                opts=self._in_us_east_1,
            ).id
            if args.waf.shield_advanced
            else None
        )
        for record_type in ("A", "AAAA"):
            aws.route53.Record(
                f"{name}-site-{record_type.lower()}",
                zone_id=self.zone_id,
                name=domain,
                type=record_type,
                aliases=[
                    {
                        "name": self.distribution_domain_name,
                        "zone_id": self._distribution_resource.hosted_zone_id,
                        "evaluate_target_health": False,  # CloudFront aliases cannot evaluate target health
                    }
                ],
                opts=self.child(),
            )
        self.register_outputs(self._outputs())

    def _outputs(self) -> dict[str, Any]:
        return {
            "distributionId": self.distribution_id,
            "distributionArn": self.distribution_arn,
            "distributionDomainName": self.distribution_domain_name,
            "webAclArn": self.web_acl_arn,
            "webAclCapacity": self.web_acl_capacity,
            "certificateArn": self.certificate_arn,
            "zoneId": self.zone_id,
            "siteUrl": self.site_url,
            "apiUrl": self.api_url,
            "originDomainName": self.origin_domain_name,
            "apiDomainName": self.api_domain_name,
            "shieldProtectionId": self.shield_protection_id,
        }

    # ---- CloudFront -----------------------------------------------------------------------------------------

    def _distribution(self) -> None:
        name, args = self._name, self._args
        prefix = args.resource_prefix
        oac = aws.cloudfront.OriginAccessControl(
            f"{name}-oac",
            name=f"{prefix}-renditions",
            description="Renditions bucket (SSE-KMS), signed by CloudFront",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=self.child(),
        )
        policies = build_cache_policies(
            self,
            name,
            prefix,
            args.caching.manifest_ttl_seconds,
            args.caching.segment_ttl_seconds,
            args.signed_urls_public_key_pem,
        )
        replica = (
            S3Origin(args.origins.replica_bucket_name, args.origins.replica_bucket_region)
            if args.origins.replica_bucket_name is not None and args.origins.replica_bucket_region is not None
            else None
        )
        all_origins, groups, media_target = origins(
            OriginSettings(
                renditions=S3Origin(args.origins.renditions_bucket_name, args.origins.renditions_bucket_region),
                replica=replica,
                alb_domain_name=self.origin_domain_name,
                api_domain_name=self.api_domain_name,
                origin_verify_secret=args.origin_verify_secret,
                origin_access_control_id=oac.id,
                origin_shield_region=args.caching.origin_shield_region,
            )
        )
        distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            enabled=True,
            comment=f"{name}: {self.site_domain_name}",
            aliases=[self.site_domain_name],
            http_version=HTTP_VERSION,
            is_ipv6_enabled=True,
            price_class=args.caching.price_class.value,
            web_acl_id=self.web_acl_arn,
            origins=all_origins,
            origin_groups=groups or None,
            default_cache_behavior=default_behavior(),
            ordered_cache_behaviors=ordered_behaviors(policies, media_target),
            custom_error_responses=error_responses(args.caching.error_caching_seconds),
            viewer_certificate={
                "acm_certificate_arn": self.certificate_arn,
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": VIEWER_TLS_POLICY,
            },
            restrictions={"geo_restriction": {"restriction_type": "none"}},  # geo blocking is a WAF rule
            logging_config={
                "bucket": pulumi.Output.concat(args.origins.log_bucket_name, ".s3.amazonaws.com"),
                "prefix": ACCESS_LOG_PREFIX,
                "include_cookies": False,
            },
            tags=self.tags(f"{name}-cdn"),
            opts=self.child(depends_on=list(args.origins.log_bucket_dependencies)),
        )
        self._distribution_resource = distribution
        self.distribution_id = distribution.id
        self.distribution_arn = distribution.arn
        self.distribution_domain_name = distribution.domain_name

    # ---- bucket access ------------------------------------------------------------------------------------

    def origin_access_statements(self, bucket_arn: pulumi.Input[str]) -> pulumi.Output[list[dict[str, Any]]]:
        """Bucket-policy statements that let only this distribution read ``bucket_arn`` through OAC; pass them to
        ``BucketPolicies`` with the bucket's other statements."""
        return pulumi.Output.all(bucket_arn, self.distribution_arn).apply(
            lambda a: [origin_access_statement(a[0], a[1])]
        )
