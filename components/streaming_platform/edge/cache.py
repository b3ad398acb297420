"""The edge's caching: path patterns, managed policy ids, the media cache and response-headers policies,
the signed-URL key group, and the ordered cache behaviors built from them.

``build_cache_policies`` registers the policies as children of the ``StreamingEdge`` that calls it;
``ordered_behaviors`` is pure, so each path's behavior is assembled (and read) in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent

# AWS managed policies, by their documented, global ids (CloudFront Developer Guide, "Use managed cache
# policies", "Use managed origin request policies", "Use managed response headers policies").
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CORS_S3_ORIGIN = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf"  # origin request policy
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # origin request policy
SIMPLE_CORS = "60669652-455b-4ae9-85a4-c4c02393f86c"  # response headers policy
SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"  # response headers policy
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # the maintenance page

MANIFEST_PATTERNS = ("*.m3u8", "*.mpd")
SEGMENT_PATTERNS = ("*.ts", "*.m4s", "*.mp4")
API_PATTERN = "/api/*"
MAINTENANCE_PATTERN = "/maintenance/*"
ONE_DAY_SECONDS = 86400
ONE_YEAR_SECONDS = 31536000
READ_ONLY = ["GET", "HEAD", "OPTIONS"]


@dataclass(frozen=True)
class CachePolicies:
    """Ids of the media policies (registered) and of the signed-URL key groups (None: media is public)."""

    manifests: pulumi.Output[str]
    segments: pulumi.Output[str]
    immutable_headers: pulumi.Output[str]
    key_groups: list[pulumi.Input[str]] | None


def build_cache_policies(
    edge: StreamingComponent,
    name: str,
    prefix: str,
    manifest_ttl_seconds: int,
    segment_ttl_seconds: int,
    signed_urls_public_key_pem: pulumi.Input[str] | None,
) -> CachePolicies:
    """Register the manifest and segment cache policies, the segments' response-headers policy and, when a
    public key is given, the trusted key group, as children of ``edge``."""
    manifests = aws.cloudfront.CachePolicy(
        f"{name}-manifests",
        name=f"{prefix}-manifests",
        comment=f"HLS/DASH manifests: {manifest_ttl_seconds} s, at most half a segment",
        min_ttl=0,
        default_ttl=manifest_ttl_seconds,
        max_ttl=manifest_ttl_seconds,
        parameters_in_cache_key_and_forwarded_to_origin={
            "cookies_config": {"cookie_behavior": "none"},
            "headers_config": {"header_behavior": "none"},
            "query_strings_config": {"query_string_behavior": "none"},
            "enable_accept_encoding_gzip": True,
            "enable_accept_encoding_brotli": True,
        },
        opts=edge.child(),
    )
    segments = aws.cloudfront.CachePolicy(
        f"{name}-segments",
        name=f"{prefix}-segments",
        comment="Media segments: immutable, cached for the segment TTL whatever the origin says",
        min_ttl=segment_ttl_seconds,
        default_ttl=segment_ttl_seconds,
        max_ttl=segment_ttl_seconds,
        parameters_in_cache_key_and_forwarded_to_origin={
            "cookies_config": {"cookie_behavior": "none"},
            "headers_config": {"header_behavior": "none"},
            "query_strings_config": {"query_string_behavior": "none"},
            "enable_accept_encoding_gzip": False,  # video is already compressed
            "enable_accept_encoding_brotli": False,
        },
        opts=edge.child(),
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
                    "value": f"public, max-age={segment_ttl_seconds}, immutable",
                    "override": True,
                }
            ]
        },
        opts=edge.child(),
    )
    key_groups: list[pulumi.Input[str]] | None = None
    if signed_urls_public_key_pem:
        public_key = aws.cloudfront.PublicKey(
            f"{name}-signing-key",
            name=f"{prefix}-signing-key",
            comment="Signed URLs and cookies for media",
            encoded_key=signed_urls_public_key_pem,
            opts=edge.child(),
        )
        key_group = aws.cloudfront.KeyGroup(
            f"{name}-signers", name=f"{prefix}-signers", items=[public_key.id], opts=edge.child()
        )
        key_groups = [key_group.id]
    return CachePolicies(manifests.id, segments.id, immutable.id, key_groups)


def ordered_behaviors(policies: CachePolicies, media_target: str) -> Any:
    """The ordered cache behaviors, most specific first: ``/api/*`` uncached to the REST API (the one path to the
    services' API, authorized and throttled there), the maintenance page, then manifests short-lived and segments
    immutable from ``media_target`` (the renditions origin or its failover group)."""

    def media_behavior(pattern: str, cache_policy: pulumi.Input[str], headers: pulumi.Input[str], compress: bool):
        behavior: dict[str, Any] = {
            "path_pattern": pattern,
            "target_origin_id": media_target,
            "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": READ_ONLY,
            "cached_methods": READ_ONLY,
            "cache_policy_id": cache_policy,
            "origin_request_policy_id": CORS_S3_ORIGIN,
            "response_headers_policy_id": headers,
            "compress": compress,
        }
        if policies.key_groups:
            behavior["trusted_key_groups"] = policies.key_groups
        return behavior

    return [
        {
            "path_pattern": API_PATTERN,
            "target_origin_id": "api",
            "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
            "cached_methods": ["GET", "HEAD"],
            "cache_policy_id": CACHING_DISABLED,
            "origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST_HEADER,
            "response_headers_policy_id": SECURITY_HEADERS,
            "compress": True,
        },
        {
            # Fetched by CloudFront for the 502/503/504 error responses (never signed: viewers do not ask for it).
            "path_pattern": MAINTENANCE_PATTERN,
            "target_origin_id": media_target,
            "viewer_protocol_policy": "redirect-to-https",
            "allowed_methods": READ_ONLY,
            "cached_methods": ["GET", "HEAD"],
            "cache_policy_id": CACHING_OPTIMIZED,
            "origin_request_policy_id": CORS_S3_ORIGIN,
            "response_headers_policy_id": SECURITY_HEADERS,
            "compress": True,
        },
        *(media_behavior(p, policies.manifests, SIMPLE_CORS, True) for p in MANIFEST_PATTERNS),
        *(media_behavior(p, policies.segments, policies.immutable_headers, False) for p in SEGMENT_PATTERNS),
    ]


def default_behavior() -> Any:
    """Everything else: the web frontend and the fleet's paths on the ALB, uncached (the maintenance page answers
    for it through the custom error responses when the ALB fails)."""
    return {
        "target_origin_id": "alb",
        "viewer_protocol_policy": "redirect-to-https",
        "allowed_methods": READ_ONLY,  # pages and streams are read; writes go to /api/*
        "cached_methods": ["GET", "HEAD"],
        "cache_policy_id": CACHING_DISABLED,
        "origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST_HEADER,
        "response_headers_policy_id": SECURITY_HEADERS,
        "compress": True,
    }


def media_patterns() -> Sequence[str]:
    """Every media path pattern (manifests, then segments)."""
    return (*MANIFEST_PATTERNS, *SEGMENT_PATTERNS)
