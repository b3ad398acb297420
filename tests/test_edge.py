"""StreamingEdge (CloudFront, WAFv2, ACM in us-east-1, Route 53) as the dev and prod stacks register it."""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import re
from typing import Any

import pytest
from streaming_platform.edge.cache import CACHING_OPTIMIZED
from streaming_platform.edge.distribution import (
    ALL_VIEWER_EXCEPT_HOST_HEADER,
    CACHING_DISABLED,
    CLOUDFRONT_HOSTED_ZONE_ID,
    CORS_S3_ORIGIN,
    ERROR_CODES,
    MAINTENANCE_PAGE_PATH,
    MANIFEST_PATTERNS,
    SECURITY_HEADERS,
    SEGMENT_PATTERNS,
    SIMPLE_CORS,
    WCU_BUDGET,
    EdgeCacheOptions,
    EdgeOrigins,
    EdgeWafOptions,
    StreamingEdgeArgs,
    origin_access_statement,
    validate_args,
    web_acl_rules,
)
from streaming_platform.edge.waf import media_path_regex

from offline.engine import Recording, ResourceRecord, is_unknown
from offline.fakes import ACCOUNT_ID
from tests.graph import dep, only_component

COMPONENT = "streaming:edge:StreamingEdge"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
RECORD = "aws:route53/record:Record"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
PROVIDER = "pulumi:providers:aws"

MODES = [
    pytest.param(stack, preview, id=f"{stack}-{'preview' if preview else 'update'}")
    for stack in ("dev", "prod")
    for preview in (True, False)
]
DOMAIN = {"dev": "dev.video.example.com", "prod": "video.example.com"}
READ_ONLY = ["GET", "HEAD", "OPTIONS"]


def edge(rec: Recording) -> Recording:
    return only_component(rec, COMPONENT)


def distribution(rec: Recording) -> ResourceRecord:
    (d,) = rec.of_type(DISTRIBUTION)
    return d


def behaviors(rec: Recording) -> dict[str, dict[str, Any]]:
    return {b["pathPattern"]: b for b in distribution(rec).inputs["orderedCacheBehaviors"]}


def provider_region(rec: Recording, record: ResourceRecord) -> str | None:
    if not record.provider:
        return None
    urn = record.provider.rsplit("::", 1)[0]
    provider = rec.by_urn(urn)
    assert provider.type == PROVIDER
    return provider.inputs.get("region")


def policy_statements(policy: ResourceRecord) -> list[dict[str, Any]]:
    return json.loads(policy.inputs["policy"])["Statement"]


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_cache_behaviors_and_ttls_per_path_pattern(recording, stack, preview):
    rec = recording(stack, preview=preview)
    e = edge(rec)
    by_path = behaviors(rec)
    assert list(by_path) == ["/api/*", "/maintenance/*", "*.m3u8", "*.mpd", "*.ts", "*.m4s", "*.mp4"]
    media_target = "media" if stack == "prod" else "renditions"
    api = by_path["/api/*"]
    assert api["targetOriginId"] == "api"  # the REST API (authorizer, throttling), never the ALB
    assert api["cachePolicyId"] == CACHING_DISABLED
    assert api["originRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert set(api["allowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}
    manifests = e.named("edge-manifests")
    segments = e.named("edge-segments")
    immutable = e.named("edge-immutable")
    assert (manifests.inputs["minTtl"], manifests.inputs["defaultTtl"], manifests.inputs["maxTtl"]) == (0, 2, 2)
    ttl = 86400 if stack == "dev" else 31536000
    assert (segments.inputs["minTtl"], segments.inputs["defaultTtl"], segments.inputs["maxTtl"]) == (ttl, ttl, ttl)
    assert immutable.inputs["customHeadersConfig"]["items"] == [
        {"header": "Cache-Control", "value": f"public, max-age={ttl}, immutable", "override": True}
    ]
    d = distribution(rec)
    for pattern in ("*.m3u8", "*.mpd"):
        b = by_path[pattern]
        assert b["targetOriginId"] == media_target and b["compress"] is True
        assert b["originRequestPolicyId"] == CORS_S3_ORIGIN and b["responseHeadersPolicyId"] == SIMPLE_CORS
        assert b["allowedMethods"] == READ_ONLY
    for pattern in ("*.ts", "*.m4s", "*.mp4"):
        b = by_path[pattern]
        assert b["targetOriginId"] == media_target and b["compress"] is False
        assert b["originRequestPolicyId"] == CORS_S3_ORIGIN
    assert set(d.property_dependencies["orderedCacheBehaviors"]) >= {manifests.urn, segments.urn, immutable.urn}
    default = d.inputs["defaultCacheBehavior"]
    assert default["targetOriginId"] == "alb"
    assert default["responseHeadersPolicyId"] == SECURITY_HEADERS
    for b in [default, *by_path.values()]:
        assert b["viewerProtocolPolicy"] == "redirect-to-https"
    maintenance = by_path["/maintenance/*"]
    assert maintenance["targetOriginId"] == media_target and maintenance["cachePolicyId"] == CACHING_OPTIMIZED
    assert maintenance["allowedMethods"] == READ_ONLY and "trustedKeyGroups" not in maintenance


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_4xx_are_never_cached_and_502_503_504_answer_with_the_one_maintenance_page(recording, stack, preview):
    d = distribution(recording(stack, preview=preview))
    uncached_4xx = [{"errorCode": c, "errorCachingMinTtl": 0} for c in (400, 403, 404, 405, 414, 416)]
    passed_5xx = [{"errorCode": c, "errorCachingMinTtl": 5} for c in (500, 501)]
    maintenance = [
        {
            "errorCode": c,
            "errorCachingMinTtl": 5,
            "responseCode": str(c),
            "responsePagePath": "/maintenance/index.html",
        }
        for c in (502, 503, 504)
    ]
    assert d.inputs["customErrorResponses"] == uncached_4xx + passed_5xx + maintenance
    assert [r["errorCode"] for r in d.inputs["customErrorResponses"]] == list(ERROR_CODES)
    assert MAINTENANCE_PAGE_PATH == "/maintenance/index.html"


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_viewers_get_tls12_2021_http2and3_ipv6_and_the_us_east_1_certificate(recording, stack, preview):
    rec = recording(stack, preview=preview)
    d = distribution(rec)
    assert d.inputs["httpVersion"] == "http2and3" and d.inputs["isIpv6Enabled"] is True
    assert d.inputs["aliases"] == [DOMAIN[stack]]
    cert = d.inputs["viewerCertificate"]
    assert cert["minimumProtocolVersion"] == "TLSv1.2_2021" and cert["sslSupportMethod"] == "sni-only"
    validation = dep(rec, d, "viewerCertificate")
    assert validation.type == "aws:acm/certificateValidation:CertificateValidation"
    certificate = rec.named("edge-cert")
    assert certificate.inputs["domainName"] == DOMAIN[stack]
    assert d.inputs["priceClass"] == {"dev": "PriceClass_100", "prod": "PriceClass_All"}[stack]
    logging = d.inputs["loggingConfig"]
    assert logging["prefix"] == "cloudfront/" and logging["includeCookies"] is False
    assert dep(rec, d, "loggingConfig").name == "data-logs"


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_renditions_origin_uses_oac_and_the_alb_origin_https_with_the_secret_header(recording, stack, preview):
    rec = recording(stack, preview=preview)
    d = distribution(rec)
    origins = {o["originId"]: o for o in d.inputs["origins"]}
    oac = rec.named("edge-oac")
    assert oac.inputs["signingBehavior"] == "always" and oac.inputs["signingProtocol"] == "sigv4"
    assert oac.inputs["originAccessControlOriginType"] == "s3"
    expected = {"renditions", "alb", "api"} | ({"renditions-dr"} if stack == "prod" else set())
    assert set(origins) == expected
    for origin_id in expected - {"alb", "api"}:
        assert "s3OriginConfig" not in origins[origin_id]
        if not preview:
            assert origins[origin_id]["originAccessControlId"] == oac.id
    if not preview:
        assert origins["renditions"]["domainName"].endswith(
            ".s3.us-west-2.amazonaws.com" if stack == "prod" else ".s3.us-east-2.amazonaws.com"
        )
    alb = origins["alb"]
    assert alb["domainName"] == f"origin.{DOMAIN[stack]}"
    assert alb["customOriginConfig"]["originProtocolPolicy"] == "https-only"
    assert alb["customOriginConfig"]["originSslProtocols"] == ["TLSv1.2"]
    (header,) = alb["customHeaders"]
    assert header["name"] == "X-Origin-Verify"
    assert rec.named("origin-verify").urn in d.property_dependencies["origins"]
    # The frontend fails fast to the maintenance page; the API has no fallback and keeps CloudFront's retries.
    assert (alb["connectionAttempts"], alb["connectionTimeout"]) == (1, 3)
    api = origins["api"]
    assert api["domainName"] == f"api.{DOMAIN[stack]}"
    assert (api["connectionAttempts"], api["connectionTimeout"]) == (3, 10)
    assert api["customOriginConfig"]["originProtocolPolicy"] == "https-only"
    assert api["customOriginConfig"]["originSslProtocols"] == ["TLSv1.2"]
    assert api["customOriginConfig"]["originReadTimeout"] == 30
    assert [h["name"] for h in api["customHeaders"]] == ["X-Origin-Verify"] and "originShield" not in api
    assert all("originPath" not in o for o in origins.values())
    groups = {g["originId"]: g for g in d.inputs.get("originGroups") or []}
    if stack == "prod":
        assert [m["originId"] for m in groups["media"]["members"]] == ["renditions", "renditions-dr"]
        assert origins["renditions"]["connectionAttempts"] == 1 and origins["renditions"]["connectionTimeout"] == 3
        assert origins["renditions"]["originShield"] == {"enabled": True, "originShieldRegion": "us-west-2"}
        if not preview:
            assert origins["renditions-dr"]["domainName"].endswith(".s3.us-east-2.amazonaws.com")
    else:
        assert groups == {} and "originShield" not in origins["renditions"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_renditions_buckets_keep_one_policy_combining_tls_only_and_this_distribution_only(recording, stack):
    rec = recording(stack, preview=False)
    d = distribution(rec)
    roles = ["renditions", "renditions-dr"] if stack == "prod" else ["renditions"]
    for role in roles:
        (bucket,) = [b for b in rec.of_type(BUCKET) if (b.inputs.get("tags") or {}).get("BucketRole") == role]
        policies = [p for p in rec.of_type(BUCKET_POLICY) if dep(rec, p, "bucket").urn == bucket.urn]
        assert len(policies) == 1
        arn = f"arn:aws:s3:::{bucket.name}-{bucket.id[-7:]}"
        tls, oac = policy_statements(policies[0])
        assert tls["Sid"] == "DenyInsecureTransport" and tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert oac == origin_access_statement(arn, f"arn:aws:cloudfront::{ACCOUNT_ID}:distribution/{d.id}")
        assert d.urn in policies[0].property_dependencies["policy"]
    if stack == "prod":
        dr_key = [k for k in rec.of_type("aws:kms/key:Key") if k.inputs.get("region") == "us-east-2"]
        (dr_key,) = [k for k in dr_key if "S3 replicas" in k.inputs["description"]]
        sids = {s.get("Sid") for s in policy_statements(dr_key)}
        assert "CloudFrontReadsThroughOriginAccessControl" in sids


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_web_acl_is_cloudfront_scope_with_rules_in_order_and_metrics(recording, stack, preview):
    rec = recording(stack, preview=preview)
    acl = rec.named("edge-waf")
    assert acl.inputs["scope"] == "CLOUDFRONT"
    rules = acl.inputs["rules"]
    expected = [
        "AWSManagedRulesAmazonIpReputationList",
        *(["AWSManagedRulesAnonymousIpList"] if stack == "prod" else []),
        "rate-limit",
        "rate-limit-media",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
    ]
    assert [(r["name"], r["priority"]) for r in rules] == [(n, i) for i, n in enumerate(expected, start=1)]
    media_paths = {
        "regexMatchStatement": {
            "regexString": r"\.(m3u8|mpd|ts|m4s|mp4)$",
            "fieldToMatch": {"uriPath": {}},
            "textTransformations": [{"priority": 0, "type": "NONE"}],
        }
    }
    rate = next(r for r in rules if r["name"] == "rate-limit")
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"] == {
        "limit": 1000 if stack == "dev" else 2000,
        "aggregateKeyType": "IP",
        "evaluationWindowSec": 300,
        "scopeDownStatement": {"notStatement": {"statement": media_paths}},  # everything but media
    }
    media = next(r for r in rules if r["name"] == "rate-limit-media")
    assert media["action"] == {"block": {}}
    assert media["statement"]["rateBasedStatement"] == {
        "limit": 10000,
        "aggregateKeyType": "IP",
        "evaluationWindowSec": 300,
        "scopeDownStatement": media_paths,
    }
    for r in [*rules, acl.inputs]:
        assert r["visibilityConfig"]["cloudwatchMetricsEnabled"] is True
    d = distribution(rec)
    assert dep(rec, d, "webAclId").urn == acl.urn
    logging = rec.named("edge-waf-logging")
    group = dep(rec, logging, "logDestinationConfigs")
    assert group.inputs["name"] == f"aws-waf-logs-streaming-{stack}-cloudfront"
    key = dep(rec, group, "kmsKeyId")
    (logs_statement,) = [s for s in policy_statements(key) if s["Sid"].startswith("CloudWatchLogs")]
    assert logs_statement["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert (key.protect, group.protect) == ((True, True) if stack == "prod" else (False, False))
    assert rec.of_type("aws:shield/protection:Protection") == []


def test_waf_rule_capacity_is_checked_against_the_budget():
    rules = web_acl_rules("p", 2000, True, ["KP"], 10000)
    assert rules[0]["name"] == "geo-block"
    assert rules[0]["statement"] == {"geo_match_statement": {"country_codes": ["KP"]}}
    # 700 + 200 + 25 + 50 + (2 + 3) + (2 + 3) + 1: each rate rule's scope-down regex costs 3
    from streaming_platform.edge.distribution import web_acl_capacity

    assert web_acl_capacity(rules) == 986 <= WCU_BUDGET


@pytest.mark.parametrize(
    ("path", "media"),
    [
        ("/v/abc/720p/index.m3u8", True),
        ("/v/abc/master.mpd", True),
        ("/v/abc/720p/seg_00042.ts", True),
        ("/v/abc/720p/seg_00042.m4s", True),
        ("/v/abc/720p/init.mp4", True),
        ("/watch/abc", False),
        ("/api/videos/abc", False),
        ("/index.html", False),
        ("/v/abc.ts/evil", False),
        ("/v/abc.TS", False),  # CloudFront's path patterns are case-sensitive; so is the WAF's media regex
    ],
)
def test_edge_media_regex_matches_exactly_what_the_media_behaviors_serve(path, media):
    # The regex the two rate rules share; Python's re agrees with PCRE on this subset (a class-free alternation).
    assert bool(re.search(media_path_regex(), path)) is media
    assert any(fnmatch.fnmatchcase(path.rsplit("/", 1)[1], p) for p in (*MANIFEST_PATTERNS, *SEGMENT_PATTERNS)) is (
        media
    )


def test_edge_media_regex_rejects_patterns_it_cannot_express():
    with pytest.raises(ValueError, match=r"media path patterns: got \['/video/\*'\]; allowed: one or more"):
        media_path_regex(["/video/*"])


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_certificate_and_waf_resources_use_an_explicit_us_east_1_provider(recording, stack, preview):
    rec = recording(stack, preview=preview)
    assert rec.config["aws:region"] != "us-east-1"
    for name in (
        "edge-cert",
        "edge-cert-validation",
        "edge-waf",
        "edge-waf-logging",
        "edge-waf-logs",
        "edge-logs-key",
    ):
        assert provider_region(rec, rec.named(name)) == "us-east-1", name
    assert provider_region(rec, distribution(rec)) is None


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_site_has_a_and_aaaa_aliases_to_the_distribution(recording, stack, preview):
    rec = recording(stack, preview=preview)
    d = distribution(rec)
    site = [r for r in rec.of_type(RECORD) if r.inputs.get("name") == DOMAIN[stack] and r.inputs["type"] != "NS"]
    assert sorted(r.inputs["type"] for r in site) == ["A", "AAAA"]
    for r in site:
        (alias,) = r.inputs["aliases"]
        assert d.urn in r.property_dependencies["aliases"]
        assert alias["evaluateTargetHealth"] is False
        if not preview:
            assert alias["zoneId"] == CLOUDFRONT_HOSTED_ZONE_ID and alias["name"].endswith(".cloudfront.net")


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_origin_name_has_failover_records_and_a_health_check_wired_to_alarms(recording, stack, preview):
    rec = recording(stack, preview=preview)
    origin = [r for r in rec.of_type(RECORD) if r.inputs.get("name") == f"origin.{DOMAIN[stack]}"]
    (primary,) = origin  # one owner: the edge (the app tier no longer writes a simple record)
    assert primary.name == "edge-origin-primary"
    assert primary.inputs["failoverRoutingPolicies"] == [{"type": "PRIMARY"}]
    assert primary.inputs["setIdentifier"] == "primary"
    (alias,) = primary.inputs["aliases"]
    assert alias["evaluateTargetHealth"] is True
    assert rec.named("app-alb").urn in primary.property_dependencies["aliases"]
    check = dep(rec, primary, "healthCheckId")
    assert check.inputs["type"] == "CLOUDWATCH_METRIC"
    origin_alarm = dep(rec, check, "cloudwatchAlarmName")
    assert origin_alarm.inputs["metricName"] == "HTTPCode_ELB_5XX_Count"
    assert rec.named("app-alb").urn in origin_alarm.property_dependencies["dimensions"]
    assert provider_region(rec, origin_alarm) is None
    assert dep(rec, origin_alarm, "alarmActions").name == dep(rec, origin_alarm, "okActions").name == "alarms-topic"
    # The check's own status is alarmed once, by Observability, in us-east-1, with actions.
    (status,) = [
        a
        for a in rec.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs.get("metricName") == "HealthCheckStatus"
        and check.urn in a.property_dependencies.get("dimensions", ())
    ]
    assert status.name == "observability-origin-health-check"
    assert status.inputs["namespace"] == "AWS/Route53" and status.inputs["region"] == "us-east-1"
    assert status.inputs["alarmActions"]
    assert not [r for r in rec.resources if r.name == "app-origin-record"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_exports_the_edge_outputs(recording, stack):
    rec = recording(stack, preview=False)
    d = distribution(rec)
    out = rec.outputs
    assert out["distributionId"] == d.id
    assert out["distributionDomainName"].endswith(".cloudfront.net")
    assert (
        out["edgeWebAclArn"]
        == f"arn:aws:wafv2:{rec.config['aws:region']}:{ACCOUNT_ID}:webacl/{rec.named('edge-waf').id}"
    )  # fake ARN region
    assert out["edgeCertificateArn"].startswith("arn:aws:acm:")
    assert out["siteUrl"] == f"https://{DOMAIN[stack]}/" and out["siteApiUrl"] == f"https://{DOMAIN[stack]}/api/"
    assert not is_unknown(out["hostedZoneId"])


def _args(**overrides: Any) -> StreamingEdgeArgs:
    """Valid inputs, with ``overrides`` given by field name: each goes to the group that holds it."""
    groups = {"origins": EdgeOrigins, "caching": EdgeCacheOptions, "waf": EdgeWafOptions}
    by_group: dict[str, dict[str, Any]] = {g: {} for g in groups}
    for name, value in overrides.items():
        (group,) = [g for g, cls in groups.items() if name in {f.name for f in dataclasses.fields(cls)}]
        by_group[group][name] = value
    origins = {"renditions_bucket_name": "b", "renditions_bucket_region": "us-west-2", "log_bucket_name": "l"}
    return StreamingEdgeArgs(
        zone=None,  # type: ignore[arg-type]  # validate_args reads plain values only
        origin_verify_secret="s",
        origins=EdgeOrigins(**(origins | by_group["origins"])),
        caching=EdgeCacheOptions(**by_group["caching"]),
        waf=EdgeWafOptions(**by_group["waf"]),
    )


def test_args_reject_a_manifest_ttl_above_half_a_segment_and_half_set_pairs():
    assert validate_args(_args()) == []
    problems = validate_args(_args(manifest_ttl_seconds=4, segment_duration_seconds=6, replica_bucket_name="r"))
    assert problems[0].startswith(
        "EdgeCacheOptions.manifest_ttl_seconds: got 4; allowed: 1 to half the segment duration"
    )
    assert problems[1].startswith("EdgeOrigins.replica_bucket_name/replica_bucket_region: got 'r'/None")
    assert validate_args(_args(segment_ttl_seconds=3600))[0].startswith(
        "EdgeCacheOptions.segment_ttl_seconds: got 3600"
    )


def test_args_reject_a_media_rate_limit_below_the_general_one():
    assert validate_args(_args(waf_rate_limit=2000, waf_media_rate_limit=2000)) == []
    assert validate_args(_args(waf_rate_limit=2000, waf_media_rate_limit=1999)) == [
        "EdgeWafOptions.waf_media_rate_limit: got 1999; allowed: waf_rate_limit (2000) to 2000000000"
    ]


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_distribution_turns_logging_on_only_after_the_log_bucket_enables_acls(recording, stack, preview):
    # CloudFront standard logging writes through an ACL grant: the log bucket's BucketOwnerPreferred ownership
    # controls must exist before the distribution is created with logging on.
    rec = recording(stack, preview=preview)
    d = distribution(rec)
    (controls,) = [
        c
        for c in rec.of_type("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
        if c.inputs["rule"] == {"objectOwnership": "BucketOwnerPreferred"}
    ]
    assert controls.name == "data-logs"
    assert controls.urn in d.dependencies
