"""The distribution's origins, origin groups and custom error responses (pure: built from plain values and
Inputs, registered by ``StreamingEdge``).

- ``renditions`` (the bucket through OAC) and, in prod, ``renditions-dr`` behind the ``media`` origin group.
- ``alb``: the web frontend and the fleet's paths at ``origin.<domain>``, failing fast so the maintenance page
  answers quickly.
- ``api``: the REST API's custom domain ``api.<domain>`` for ``/api/*``, with CloudFront's default connection
  attempts: it has no failover, so a single failed connection must not become an error for the caller.

The maintenance page is one object, ``maintenance/index.html`` in the renditions bucket, served by the
``/maintenance/*`` behavior and returned through custom error responses for 502, 503 and 504 (CloudFront Developer
Guide, "Custom error pages and error caching": the response page path must match a cache behavior). It is not an
origin group member with an origin path, which prefixed every request path and turned every miss into S3's
AccessDenied XML; and 500 is no longer replaced: an application error reaches the caller as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from streaming_platform.app.common import ORIGIN_VERIFY_HEADER  # the ALB forwards only requests carrying it
from streaming_platform.edge.cache import MAINTENANCE_PATTERN

MAINTENANCE_PAGE_PATH = MAINTENANCE_PATTERN.removesuffix("*") + "index.html"
MAINTENANCE_STATUS_CODES = (502, 503, 504)
# The 4xx codes CloudFront caches (CloudFront Developer Guide, "HTTP 4xx and 5xx status codes that CloudFront
# caches"); 416 is listed there but never cached. Custom error responses apply to the whole distribution, and the
# answers on /api/* depend on the caller (403 for one user, 404 for another's private video): none is cached.
UNCACHED_4XX_CODES = (400, 403, 404, 405, 414, 416)
CACHED_5XX_CODES = (500, 501)
ERROR_CODES = (*UNCACHED_4XX_CODES, *CACHED_5XX_CODES, *MAINTENANCE_STATUS_CODES)

# The web origin fails fast so the maintenance page answers within a viewer's patience; the media origin fails
# fast to its DR replica.
FAILOVER_CONNECTION_ATTEMPTS = 1
FAILOVER_CONNECTION_TIMEOUT_SECONDS = 3
MEDIA_FAILOVER_STATUS_CODES = (403, 404, 500, 502, 503, 504)  # 403/404: not yet replicated or lost
# The API origin keeps CloudFront's defaults (CloudFront Developer Guide, "Connection attempts" and "Connection
# timeout": 3 attempts, 10 s) and waits for API Gateway's 29 s integration timeout.
API_CONNECTION_ATTEMPTS = 3
API_CONNECTION_TIMEOUT_SECONDS = 10
API_READ_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class S3Origin:
    """A bucket reached through the distribution's OAC."""

    bucket_name: pulumi.Input[str]
    region: str


@dataclass(frozen=True)
class OriginSettings:
    """What the origins are built from."""

    renditions: S3Origin
    replica: S3Origin | None
    alb_domain_name: str
    api_domain_name: str
    origin_verify_secret: pulumi.Input[str]
    origin_access_control_id: pulumi.Input[str]
    origin_shield_region: str | None = None


def _custom(
    origin_id: str, domain: str, settings: OriginSettings, attempts: int, timeout: int, read: int, *, shield: bool
) -> Any:
    origin: dict[str, Any] = {
        "origin_id": origin_id,
        "domain_name": domain,
        "connection_attempts": attempts,
        "connection_timeout": timeout,
        "custom_origin_config": {
            "http_port": 80,
            "https_port": 443,
            "origin_protocol_policy": "https-only",
            "origin_ssl_protocols": ["TLSv1.2"],
            "origin_read_timeout": read,
            "origin_keepalive_timeout": 5,
        },
        "custom_headers": [{"name": ORIGIN_VERIFY_HEADER, "value": settings.origin_verify_secret}],
    }
    if shield and settings.origin_shield_region:
        origin["origin_shield"] = {"enabled": True, "origin_shield_region": settings.origin_shield_region}
    return origin


def origins(settings: OriginSettings) -> tuple[list[Any], list[Any], str]:
    """(origins, origin groups, the media behaviors' target: ``renditions`` or the ``media`` group)."""

    def s3(origin_id: str, bucket: S3Origin) -> dict[str, Any]:
        return {
            "origin_id": origin_id,
            "domain_name": pulumi.Output.concat(bucket.bucket_name, f".s3.{bucket.region}.amazonaws.com"),
            "origin_access_control_id": settings.origin_access_control_id,
        }

    renditions = s3("renditions", settings.renditions)
    if settings.origin_shield_region:
        renditions["origin_shield"] = {"enabled": True, "origin_shield_region": settings.origin_shield_region}
    if settings.replica is not None:
        renditions["connection_attempts"] = FAILOVER_CONNECTION_ATTEMPTS
        renditions["connection_timeout"] = FAILOVER_CONNECTION_TIMEOUT_SECONDS
    alb = _custom(
        "alb",
        settings.alb_domain_name,
        settings,
        FAILOVER_CONNECTION_ATTEMPTS,
        FAILOVER_CONNECTION_TIMEOUT_SECONDS,
        30,
        shield=True,
    )
    api = _custom(
        "api",
        settings.api_domain_name,
        settings,
        API_CONNECTION_ATTEMPTS,
        API_CONNECTION_TIMEOUT_SECONDS,
        API_READ_TIMEOUT_SECONDS,
        shield=False,  # nothing on /api/* is cached: a shield layer would only add a hop and a request fee
    )
    result: list[Any] = [renditions, alb, api]
    groups: list[Any] = []
    if settings.replica is None:
        return result, groups, "renditions"
    result.append(s3("renditions-dr", settings.replica))
    groups.append(
        {
            "origin_id": "media",
            "failover_criteria": {"status_codes": list(MEDIA_FAILOVER_STATUS_CODES)},
            "members": [{"origin_id": "renditions"}, {"origin_id": "renditions-dr"}],
        }
    )
    return result, groups, "media"


def error_responses(error_caching_seconds: int) -> Any:
    """4xx uncached; 500/501 passed through, cached ``error_caching_seconds``; 502-504 answered with the
    maintenance page under their own status code, cached ``error_caching_seconds``."""
    responses: list[dict[str, Any]] = [{"error_code": code, "error_caching_min_ttl": 0} for code in UNCACHED_4XX_CODES]
    responses += [{"error_code": code, "error_caching_min_ttl": error_caching_seconds} for code in CACHED_5XX_CODES]
    responses += [
        {
            "error_code": code,
            "error_caching_min_ttl": error_caching_seconds,
            "response_code": str(code),
            "response_page_path": MAINTENANCE_PAGE_PATH,
        }
        for code in MAINTENANCE_STATUS_CODES
    ]
    return responses
