"""StreamingEdge: where viewers meet the platform (CloudFront, WAFv2, ACM in us-east-1, Route 53).

- A CloudFront distribution for ``<domain>``: the renditions bucket through Origin Access Control (sigv4,
  always sign; the media key already lets CloudFront decrypt SSE-KMS objects), the app tier's ALB through
  ``origin.<domain>`` (HTTPS only, TLS 1.2, secret ``X-Origin-Verify`` header), and in prod an origin group
  that fails over to the DR replica of the renditions bucket. Path behaviors: manifests short-lived,
  segments immutable for a long time, ``/api/*`` uncached to the ALB, everything else the web frontend
  (falling back to a static maintenance page in the renditions bucket when the ALB fails).
- A CLOUDFRONT-scope web ACL (managed rule groups, rate limit, optional geo block, metrics, KMS-encrypted
  logs) and the ACM certificate, both in us-east-1 through an explicit provider, whatever the stack's region.
- Route 53: A and AAAA aliases for the site, and (``route_origin_to``, called once the ALB exists) failover
  records for ``origin.<domain>`` with a health check wired to alarms.

The component never reads stack config; everything arrives in ``StreamingEdgeArgs``. The edge needs nothing
from AppTier to be constructed: only the origin name and the origin secret, so its bucket-policy statements
can join the data tier's single policy per bucket before the seal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform.edge.zone import PublicZone
from streaming_platform.iam import account_admin_statement, cloudwatch_logs_statement, policy_document

TYPE = "streaming:edge:StreamingEdge"
CLOUDFRONT_REGION = "us-east-1"  # ACM certificates and CLOUDFRONT web ACLs for CloudFront live here only
CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2"  # the fixed alias target zone of every distribution
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"  # streaming_platform.app.tier requires it on every forwarded request
VIEWER_TLS_POLICY = "TLSv1.2_2021"
HTTP_VERSION = "http2and3"
ACCESS_LOG_PREFIX = "cloudfront/"
MAINTENANCE_PREFIX = "/maintenance"  # the static maintenance page lives under this key prefix of renditions

# AWS managed policies, by their documented, global ids (CloudFront Developer Guide, "Use managed cache
# policies", "Use managed origin request policies", "Use managed response headers policies").
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CORS_S3_ORIGIN = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf"  # origin request policy
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # origin request policy
SIMPLE_CORS = "60669652-455b-4ae9-85a4-c4c02393f86c"  # response headers policy
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"  # response headers policy

MANIFEST_PATTERNS = ("*.m3u8", "*.mpd")
SEGMENT_PATTERNS = ("*.ts", "*.m4s", "*.mp4")
API_PATTERN = "/api/*"
ERROR_CODES = (400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504)
ONE_DAY_SECONDS = 86400
ONE_YEAR_SECONDS = 31536000

# Origin failover: fail fast so the secondary answers within a viewer's patience.
FAILOVER_CONNECTION_ATTEMPTS = 1
FAILOVER_CONNECTION_TIMEOUT_SECONDS = 3
FAILOVER_STATUS_CODES = (500, 502, 503, 504)
MEDIA_FAILOVER_STATUS_CODES = (403, 404, 500, 502, 503, 504)  # 403/404: not yet replicated or lost

# WAF web ACL capacity units (WCU) per rule, from the AWS Managed Rules rule-group list and the WAF
# "rule statement" pages. A web ACL's price covers 1,500 WCU; more costs extra, so the budget is checked here.
WCU_BUDGET = 1500
WCU = {
    "AWSManagedRulesCommonRuleSet": 700,
    "AWSManagedRulesKnownBadInputsRuleSet": 200,
    "AWSManagedRulesAmazonIpReputationList": 25,
    "AWSManagedRulesAnonymousIpList": 50,
    "rate-limit": 2,
    "geo-block": 1,
}

ORIGIN_5XX_ALARM_THRESHOLD = 25  # ALB-generated 5xx per minute (503: no healthy target) before failing over
ORIGIN_ALARM_PERIODS = 3


class PriceClass(StrEnum):
    """CloudFront price classes: which edge locations serve viewers."""

    ALL = "PriceClass_All"
    P200 = "PriceClass_200"
    P100 = "PriceClass_100"


@dataclass
class StreamingEdgeArgs:
    """Inputs of StreamingEdge. Names and ARNs from other components are Inputs; the rest are plain settings."""

    zone: PublicZone
    """The site's zone: the certificate is validated in it, and the site and origin records are written in it."""
    origin_verify_secret: pulumi.Input[str]
    """Value sent in ``X-Origin-Verify`` to the ALB; its listener rules forward only requests that carry it."""
    renditions_bucket_name: pulumi.Input[str]
    renditions_bucket_region: str
    """The video renditions bucket (SSE-KMS under a key whose policy lets CloudFront decrypt)."""
    log_bucket_name: pulumi.Input[str]
    """SSE-S3 bucket with ACLs enabled (BucketOwnerPreferred) for CloudFront standard logs, under ``cloudfront/``."""

    replica_bucket_name: pulumi.Input[str] | None = None
    replica_bucket_region: str | None = None
    """DR replica of the renditions bucket. Default: None, no media origin group. When set, media paths use an
    origin group that fails over to the replica (the replica's key must let CloudFront decrypt too)."""

    segment_duration_seconds: int = 6
    """Target duration of the HLS/DASH segments the transcoder writes; bounds the manifest TTL."""
    manifest_ttl_seconds: int = 2
    """Seconds CloudFront caches ``*.m3u8``/``*.mpd``. At most half the segment duration, so a live playlist is
    never staler than one segment. Default: 2."""
    segment_ttl_seconds: int = ONE_YEAR_SECONDS
    """Seconds CloudFront (min = default = max) and players (``Cache-Control: immutable``) keep segments; at
    least one day. Segments never change under a key. Default: one year."""
    error_caching_seconds: int = 5
    """How long CloudFront caches 4xx/5xx answers, so an origin hiccup is not hammered. Default: 5."""
    price_class: PriceClass = PriceClass.P100
    """Edge locations used. Default: PriceClass_100 (North America, Europe, Israel), the cheapest."""
    origin_shield_region: str | None = None
    """Region of an Origin Shield layer in front of the bucket and ALB origins (ideally the stack's region).
    Default: None, no Origin Shield (it cuts origin load for popular videos at an extra per-request cost)."""
    signed_urls_public_key_pem: str | None = None
    """PEM public key of a trusted key group: when set, media paths (manifests and segments) need CloudFront
    signed URLs or cookies made with the matching private key. Default: None, media is public."""

    waf_rate_limit: int = 2000
    """Requests per 5 minutes per viewer IP before the rate rule blocks. Default: 2000."""
    waf_anonymous_ip_list: bool = False
    """Add AWSManagedRulesAnonymousIpList (VPNs, Tor, hosting providers). Default: off (it blocks legitimate
    viewers behind VPNs)."""
    waf_geo_block_countries: Sequence[str] = ()
    """ISO 3166 alpha-2 country codes to block. Default: none (no geo rule)."""
    shield_advanced: bool = False
    """Register the distribution with AWS Shield Advanced (the account must subscribe; USD 3,000 a month).
    Default: off, Shield Standard only."""
    log_retention_days: int = 365

    origin_standby_dns_name: str | None = None
    origin_standby_zone_id: str | None = None
    """Alias target (DNS name and its hosted zone id, e.g. a standby ALB in the DR region) of the SECONDARY
    failover record of ``origin.<domain>``. Default: None, no SECONDARY record: when the ALB fails, CloudFront's
    own origin group serves the static maintenance page (``/maintenance/`` in the renditions bucket)."""

    alarm_topic_arn: pulumi.Input[str] | None = None
    """SNS topic (in the stack's region) that the origin alarm notifies when it fires and clears. The same alarm
    drives the Route 53 health check of ``origin.<domain>``, so a notification means failover. Default: None,
    the alarm only drives the health check."""

    resource_prefix: str = "streaming"
    """Prefix of fixed physical names (cache/response policies, OAC, WAF log group, alarms)."""
    protect: bool = False
    """Protect and retain the stateful children (the us-east-1 log key and WAF log group). Default: off."""
    tags: Mapping[str, str] = field(default_factory=dict)


def validate_args(args: StreamingEdgeArgs) -> list[str]:
    """Every problem with the plain settings, each as: what, the value given, what is allowed."""
    problems = []
    half = args.segment_duration_seconds / 2
    if args.segment_duration_seconds < 1:
        problems.append(f"segment_duration_seconds: got {args.segment_duration_seconds}; allowed: 1 or more")
    if not 1 <= args.manifest_ttl_seconds <= half:
        problems.append(
            f"manifest_ttl_seconds: got {args.manifest_ttl_seconds}; allowed: 1 to half the segment duration "
            f"({args.segment_duration_seconds} s -> at most {half:g})"
        )
    if not ONE_DAY_SECONDS <= args.segment_ttl_seconds <= ONE_YEAR_SECONDS:
        problems.append(
            f"segment_ttl_seconds: got {args.segment_ttl_seconds}; allowed: {ONE_DAY_SECONDS} to {ONE_YEAR_SECONDS}"
        )
    if not 0 <= args.error_caching_seconds <= 60:
        problems.append(f"error_caching_seconds: got {args.error_caching_seconds}; allowed: 0 to 60")
    if not 10 <= args.waf_rate_limit <= 2_000_000_000:
        problems.append(f"waf_rate_limit: got {args.waf_rate_limit}; allowed: 10 to 2000000000")
    if (args.replica_bucket_name is None) != (args.replica_bucket_region is None):
        problems.append(
            f"replica_bucket_name/replica_bucket_region: got {args.replica_bucket_name!r}/"
            f"{args.replica_bucket_region!r}; allowed: both or neither"
        )
    if (args.origin_standby_dns_name is None) != (args.origin_standby_zone_id is None):
        problems.append(
            f"origin_standby_dns_name/origin_standby_zone_id: got {args.origin_standby_dns_name!r}/"
            f"{args.origin_standby_zone_id!r}; allowed: both or neither"
        )
    try:
        web_acl_rules(
            args.resource_prefix, args.waf_rate_limit, args.waf_anonymous_ip_list, args.waf_geo_block_countries
        )
    except ValueError as e:
        problems.append(str(e))
    return problems


def _visibility(metric: str) -> Any:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def web_acl_rules(
    prefix: str, rate_limit: int, anonymous_ip_list: bool, geo_block_countries: Sequence[str]
) -> list[dict[str, Any]]:
    """The web ACL's rules in evaluation order (priority = position): cheap IP verdicts first, then the rate
    limit, then the request-inspecting groups. Raises ValueError when their WCU exceed ``WCU_BUDGET``."""
    entries: list[tuple[str, int, dict[str, Any]]] = []

    def managed(group: str) -> None:
        entries.append(
            (
                group,
                WCU[group],
                {
                    "override_action": {"none": {}},
                    "statement": {"managed_rule_group_statement": {"vendor_name": "AWS", "name": group}},
                },
            )
        )

    if geo_block_countries:
        entries.append(
            (
                "geo-block",
                WCU["geo-block"],
                {
                    "action": {"block": {}},
                    "statement": {"geo_match_statement": {"country_codes": list(geo_block_countries)}},
                },
            )
        )
    managed("AWSManagedRulesAmazonIpReputationList")
    if anonymous_ip_list:
        managed("AWSManagedRulesAnonymousIpList")
    entries.append(
        (
            "rate-limit",
            WCU["rate-limit"],
            {
                "action": {"block": {}},
                # At CloudFront the source address is the viewer's own.
                "statement": {
                    "rate_based_statement": {
                        "limit": rate_limit,
                        "aggregate_key_type": "IP",
                        "evaluation_window_sec": 300,
                    }
                },
            },
        )
    )
    managed("AWSManagedRulesCommonRuleSet")
    managed("AWSManagedRulesKnownBadInputsRuleSet")
    total = sum(w for _, w, _ in entries)
    if total > WCU_BUDGET:
        names = ", ".join(f"{n} ({w})" for n, w, _ in entries)
        raise ValueError(f"web ACL capacity: got {total} WCU from {names}; allowed: at most {WCU_BUDGET}")
    return [
        {"name": name, "priority": i, **body, "visibility_config": _visibility(f"{prefix}-edge-{name}")}
        for i, (name, _, body) in enumerate(entries, start=1)
    ]


def web_acl_capacity(rules: Sequence[Mapping[str, Any]]) -> int:
    """WCU of rules built by ``web_acl_rules``."""
    return sum(WCU[r["name"]] for r in rules)


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


class StreamingEdge(pulumi.ComponentResource):
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
    site_url: str
    api_url: str
    web_acl_capacity: int
    health_check_id: pulumi.Output[str] | None
    """Set by ``route_origin_to`` (after the app tier exists), so not a registered output."""
    shield_protection_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: StreamingEdgeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        problems = validate_args(args)
        if problems:
            raise ValueError("invalid StreamingEdgeArgs:\n" + "\n".join(f"  - {p}" for p in problems))
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        domain = args.zone.domain_name
        self.site_domain_name = domain
        self.origin_domain_name = f"origin.{domain}"
        self.site_url = f"https://{domain}/"
        self.api_url = f"https://{domain}/api/"
        self.zone_id = args.zone.zone_id
        self.health_check_id = None
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition
        self._region = aws.get_region_output(opts=invoke).region

        # Explicit, whatever the stack's region: CloudFront only takes certificates and web ACLs from here.
        self.us_east_1 = aws.Provider(f"{name}-us-east-1", region=CLOUDFRONT_REGION, opts=self._child)
        self._in_us_east_1 = pulumi.ResourceOptions(parent=self, provider=self.us_east_1)

        self.certificate_arn = args.zone.certificate(
            f"{name}-cert", [domain], provider=self.us_east_1, parent=self, tags=args.tags
        )
        self._waf()
        self._distribution()
        self.shield_protection_id = (
            aws.shield.Protection(
                f"{name}-shield",
                name=f"{args.resource_prefix}-edge",
                resource_arn=self.distribution_arn,
                tags=self._tags(f"{name}-shield"),
                opts=self._in_us_east_1,
            ).id
            if args.shield_advanced
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
                opts=self._child,
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
            "shieldProtectionId": self.shield_protection_id,
        }

    def _tags(self, name_tag: str) -> dict[str, str]:
        return {**self._args.tags, "Name": name_tag}

    # ---- WAF (CLOUDFRONT scope, us-east-1) ------------------------------------------------------------------

    def _waf(self) -> None:
        name, args = self._name, self._args
        prefix = args.resource_prefix
        stateful = pulumi.ResourceOptions.merge(
            self._in_us_east_1, pulumi.ResourceOptions(protect=args.protect, retain_on_delete=args.protect)
        )
        allow: Any = {"allow": {}}
        rules: Any = web_acl_rules(
            prefix, args.waf_rate_limit, args.waf_anonymous_ip_list, args.waf_geo_block_countries
        )
        self.web_acl_capacity = web_acl_capacity(rules)
        acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            scope="CLOUDFRONT",
            description=f"{name}: CloudFront distribution of {self.site_domain_name}",
            default_action=allow,
            rules=rules,
            visibility_config=_visibility(f"{prefix}-edge-waf"),
            tags=self._tags(f"{name}-waf"),
            opts=self._in_us_east_1,
        )
        self.web_acl_arn = acl.arn
        key_statements = pulumi.Output.all(self._partition, self._account).apply(
            lambda a: policy_document(
                [account_admin_statement(*a), cloudwatch_logs_statement(a[0], a[1], CLOUDFRONT_REGION)]
            )
        )
        key = aws.kms.Key(
            f"{name}-logs-key",
            description=f"{name}: CloudWatch Logs of the CloudFront web ACL (us-east-1)",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=key_statements,
            tags=self._tags(f"{name}-logs-key"),
            opts=stateful,
        )
        # WAF only logs to groups named aws-waf-logs-*, in the web ACL's region.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-waf-logs",
            name=f"aws-waf-logs-{prefix}-cloudfront",
            retention_in_days=args.log_retention_days,
            kms_key_id=key.arn,
            tags=self._tags(f"{name}-waf-logs"),
            opts=stateful,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging",
            resource_arn=acl.arn,
            log_destination_configs=[log_group.arn],
            redacted_fields=[{"single_header": {"name": "authorization"}}, {"single_header": {"name": "cookie"}}],
            opts=self._in_us_east_1,
        )

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
            opts=self._child,
        )
        manifests = aws.cloudfront.CachePolicy(
            f"{name}-manifests",
            name=f"{prefix}-manifests",
            comment=f"HLS/DASH manifests: {args.manifest_ttl_seconds} s, at most half a segment",
            min_ttl=0,
            default_ttl=args.manifest_ttl_seconds,
            max_ttl=args.manifest_ttl_seconds,
            parameters_in_cache_key_and_forwarded_to_origin={
                "cookies_config": {"cookie_behavior": "none"},
                "headers_config": {"header_behavior": "none"},
                "query_strings_config": {"query_string_behavior": "none"},
                "enable_accept_encoding_gzip": True,
                "enable_accept_encoding_brotli": True,
            },
            opts=self._child,
        )
        segments = aws.cloudfront.CachePolicy(
            f"{name}-segments",
            name=f"{prefix}-segments",
            comment="Media segments: immutable, cached for the segment TTL whatever the origin says",
            min_ttl=args.segment_ttl_seconds,
            default_ttl=args.segment_ttl_seconds,
            max_ttl=args.segment_ttl_seconds,
            parameters_in_cache_key_and_forwarded_to_origin={
                "cookies_config": {"cookie_behavior": "none"},
                "headers_config": {"header_behavior": "none"},
                "query_strings_config": {"query_string_behavior": "none"},
                "enable_accept_encoding_gzip": False,  # video is already compressed
                "enable_accept_encoding_brotli": False,
            },
            opts=self._child,
        )
        immutable = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-immutable",
            name=f"{prefix}-segments-immutable",
            comment="SimpleCORS for players plus Cache-Control: immutable on segments",
            cors_config={
                "access_control_allow_credentials": False,
                "access_control_allow_headers": {"items": ["*"]},
                "access_control_allow_methods": {"items": ["GET", "HEAD", "OPTIONS"]},
                "access_control_allow_origins": {"items": ["*"]},
                "origin_override": False,
            },
            custom_headers_config={
                "items": [
                    {
                        "header": "Cache-Control",
                        "value": f"public, max-age={args.segment_ttl_seconds}, immutable",
                        "override": True,
                    }
                ]
            },
            opts=self._child,
        )
        key_groups: list[pulumi.Input[str]] | None = None
        if args.signed_urls_public_key_pem:
            public_key = aws.cloudfront.PublicKey(
                f"{name}-signing-key",
                name=f"{prefix}-signing-key",
                comment="Signed URLs and cookies for media",
                encoded_key=args.signed_urls_public_key_pem,
                opts=self._child,
            )
            key_group = aws.cloudfront.KeyGroup(
                f"{name}-signers", name=f"{prefix}-signers", items=[public_key.id], opts=self._child
            )
            key_groups = [key_group.id]

        shield = (
            {"enabled": True, "origin_shield_region": args.origin_shield_region} if args.origin_shield_region else None
        )
        replicated = args.replica_bucket_name is not None

        def s3_origin(origin_id: str, bucket: pulumi.Input[str], region: str, path: str | None = None) -> Any:
            origin: dict[str, Any] = {
                "origin_id": origin_id,
                "domain_name": pulumi.Output.concat(bucket, f".s3.{region}.amazonaws.com"),
                "origin_access_control_id": oac.id,
            }
            if path:
                origin["origin_path"] = path
            return origin

        renditions = s3_origin("renditions", args.renditions_bucket_name, args.renditions_bucket_region)
        if shield:
            renditions["origin_shield"] = shield
        if replicated:
            renditions["connection_attempts"] = FAILOVER_CONNECTION_ATTEMPTS
            renditions["connection_timeout"] = FAILOVER_CONNECTION_TIMEOUT_SECONDS
        alb: dict[str, Any] = {
            "origin_id": "alb",
            "domain_name": self.origin_domain_name,
            "connection_attempts": FAILOVER_CONNECTION_ATTEMPTS,
            "connection_timeout": FAILOVER_CONNECTION_TIMEOUT_SECONDS,
            "custom_origin_config": {
                "http_port": 80,
                "https_port": 443,
                "origin_protocol_policy": "https-only",
                "origin_ssl_protocols": ["TLSv1.2"],
                "origin_read_timeout": 30,
                "origin_keepalive_timeout": 5,
            },
            "custom_headers": [{"name": ORIGIN_VERIFY_HEADER, "value": args.origin_verify_secret}],
        }
        if shield:
            alb["origin_shield"] = shield
        origins = [
            renditions,
            alb,
            s3_origin("maintenance", args.renditions_bucket_name, args.renditions_bucket_region, MAINTENANCE_PREFIX),
        ]
        groups: list[Any] = [
            {
                "origin_id": "web",
                "failover_criteria": {"status_codes": list(FAILOVER_STATUS_CODES)},
                "members": [{"origin_id": "alb"}, {"origin_id": "maintenance"}],
            }
        ]
        media_target = "renditions"
        if replicated:
            assert args.replica_bucket_name is not None and args.replica_bucket_region is not None
            origins.append(s3_origin("renditions-dr", args.replica_bucket_name, args.replica_bucket_region))
            groups.append(
                {
                    "origin_id": "media",
                    "failover_criteria": {"status_codes": list(MEDIA_FAILOVER_STATUS_CODES)},
                    "members": [{"origin_id": "renditions"}, {"origin_id": "renditions-dr"}],
                }
            )
            media_target = "media"

        read_only = ["GET", "HEAD", "OPTIONS"]

        def media_behavior(pattern: str, cache_policy: pulumi.Input[str], headers: pulumi.Input[str], compress: bool):
            behavior: dict[str, Any] = {
                "path_pattern": pattern,
                "target_origin_id": media_target,
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": read_only,
                "cached_methods": read_only,
                "cache_policy_id": cache_policy,
                "origin_request_policy_id": CORS_S3_ORIGIN,
                "response_headers_policy_id": headers,
                "compress": compress,
            }
            if key_groups:
                behavior["trusted_key_groups"] = key_groups
            return behavior

        behaviors = [
            {
                "path_pattern": API_PATTERN,
                "target_origin_id": "alb",
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": CACHING_DISABLED,
                "origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST_HEADER,
                "response_headers_policy_id": SECURITY_HEADERS,
                "compress": True,
            },
            *(media_behavior(p, manifests.id, SIMPLE_CORS, True) for p in MANIFEST_PATTERNS),
            *(media_behavior(p, segments.id, immutable.id, False) for p in SEGMENT_PATTERNS),
        ]
        distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            enabled=True,
            comment=f"{name}: {self.site_domain_name}",
            aliases=[self.site_domain_name],
            http_version=HTTP_VERSION,
            is_ipv6_enabled=True,
            price_class=args.price_class.value,
            web_acl_id=self.web_acl_arn,
            origins=origins,
            origin_groups=groups,
            default_cache_behavior={
                "target_origin_id": "web",  # the frontend, or the maintenance page when the ALB fails
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": read_only,  # origin groups serve GET/HEAD/OPTIONS; writes go to /api/*
                "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": CACHING_DISABLED,
                "origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST_HEADER,
                "response_headers_policy_id": SECURITY_HEADERS,
                "compress": True,
            },
            ordered_cache_behaviors=behaviors,
            custom_error_responses=[
                {"error_code": code, "error_caching_min_ttl": args.error_caching_seconds} for code in ERROR_CODES
            ],
            viewer_certificate={
                "acm_certificate_arn": self.certificate_arn,
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": VIEWER_TLS_POLICY,
            },
            restrictions={"geo_restriction": {"restriction_type": "none"}},  # geo blocking is a WAF rule
            logging_config={
                "bucket": pulumi.Output.concat(args.log_bucket_name, ".s3.amazonaws.com"),
                "prefix": ACCESS_LOG_PREFIX,
                "include_cookies": False,
            },
            tags=self._tags(f"{name}-cdn"),
            opts=self._child,
        )
        self._distribution_resource = distribution
        self.distribution_id = distribution.id
        self.distribution_arn = distribution.arn
        self.distribution_domain_name = distribution.domain_name

    # ---- bucket access ------------------------------------------------------------------------------------

    def origin_access_statements(self, bucket_arn: pulumi.Input[str]) -> pulumi.Output[list[dict[str, Any]]]:
        """Bucket-policy statements that let only this distribution read ``bucket_arn`` through OAC; pass them to
        ``DataTier.add_bucket_policy_statements`` before the seal."""
        return pulumi.Output.all(bucket_arn, self.distribution_arn).apply(
            lambda a: [origin_access_statement(a[0], a[1])]
        )

    # ---- Route 53: the origin name ------------------------------------------------------------------------

    def route_origin_to(
        self, alb_dns_name: pulumi.Input[str], alb_zone_id: pulumi.Input[str], alb_arn_suffix: pulumi.Input[str]
    ) -> None:
        """Own ``origin.<domain>``: PRIMARY -> this region's ALB (alias, evaluating target health) guarded by a
        health check on the ALB's own 5xx alarm; SECONDARY -> the configured standby, if any. Call once, after
        the app tier exists (the ALB waits for the bucket seal, the edge does not)."""
        if self.health_check_id is not None:
            raise RuntimeError(f"{self._name}: route_origin_to was already called")
        name, args = self._name, self._args
        prefix = args.resource_prefix
        origin_alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-origin-5xx",
            name=f"{prefix}-origin-5xx",
            alarm_description=f"The ALB behind {self.origin_domain_name} answers with its own 5xx (no healthy target)",
            namespace="AWS/ApplicationELB",
            metric_name="HTTPCode_ELB_5XX_Count",
            dimensions={"LoadBalancer": alb_arn_suffix},
            statistic="Sum",
            period=60,
            evaluation_periods=ORIGIN_ALARM_PERIODS,
            threshold=ORIGIN_5XX_ALARM_THRESHOLD,
            comparison_operator="GreaterThanOrEqualToThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=[args.alarm_topic_arn] if args.alarm_topic_arn else None,
            ok_actions=[args.alarm_topic_arn] if args.alarm_topic_arn else None,
            tags=self._tags(f"{name}-origin-5xx"),
            opts=self._child,
        )
        check = aws.route53.HealthCheck(
            f"{name}-origin-health",
            type="CLOUDWATCH_METRIC",
            cloudwatch_alarm_name=origin_alarm.name,
            cloudwatch_alarm_region=self._region,
            insufficient_data_health_status="LastKnownStatus",
            reference_name=f"{prefix}-origin"[:64],
            tags=self._tags(f"{name}-origin-health"),
            opts=self._child,
        )
        self.health_check_id = check.id
        # Alerting on the check itself (HealthCheckStatus, in us-east-1) belongs to Observability, which
        # routes it to the alarm topic; the edge only owns the alarm that drives the check.
        aws.route53.Record(
            f"{name}-origin-primary",
            zone_id=self.zone_id,
            name=self.origin_domain_name,
            type="A",
            set_identifier="primary",
            failover_routing_policies=[{"type": "PRIMARY"}],
            health_check_id=check.id,
            aliases=[{"name": alb_dns_name, "zone_id": alb_zone_id, "evaluate_target_health": True}],
            opts=self._child,
        )
        if args.origin_standby_dns_name and args.origin_standby_zone_id:
            aws.route53.Record(
                f"{name}-origin-secondary",
                zone_id=self.zone_id,
                name=self.origin_domain_name,
                type="A",
                set_identifier="secondary",
                failover_routing_policies=[{"type": "SECONDARY"}],
                aliases=[
                    {
                        "name": args.origin_standby_dns_name,
                        "zone_id": args.origin_standby_zone_id,
                        "evaluate_target_health": True,
                    }
                ],
                opts=self._child,
            )
