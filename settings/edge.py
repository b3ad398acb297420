"""Edge keys (StreamingEdge): CloudFront caching, Origin Shield, signed URLs, WAF, Shield, standby origin."""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any

import pulumi
from streaming_platform.edge.distribution import (
    ONE_DAY_SECONDS,
    ONE_YEAR_SECONDS,
    EdgeCacheOptions,
    EdgeWafOptions,
    PriceClass,
    StreamingEdgeArgs,
)
from streaming_platform.edge.origin_failover import OriginFailoverArgs
from streaming_platform.edge.zone import PublicZoneArgs

from settings import aws_values
from settings._base import Reader, TierModel, arg_default, distinct, each, key, rule
from settings.common import is_domain_name

_HOSTED_ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")
_PUBLIC_KEY_PEM = re.compile(r"-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+\n-----END PUBLIC KEY-----")


# Where each default lives: StreamingEdgeArgs groups the caching and WAF options.
_OPTION_CLASSES = (StreamingEdgeArgs, EdgeCacheOptions, EdgeWafOptions)


def _d(name: str) -> Any:
    for cls in _OPTION_CLASSES:
        if any(f.name == name for f in dataclasses.fields(cls)):
            return arg_default(cls, name)
    raise ValueError(f"no edge option is named {name}")


class EdgeSettings(TierModel):
    """Plain settings of StreamingEdgeArgs and its option groups, under the same field names; defaults are the
    component's own."""

    price_class: PriceClass = key(
        _d("price_class"),
        alias="edgePriceClass",
        description=(
            "CloudFront price class: PriceClass_100 (North America, Europe, Israel), PriceClass_200 or PriceClass_All."
        ),
    )
    manifest_ttl_seconds: int = key(
        _d("manifest_ttl_seconds"),
        alias="edgeManifestTtlSeconds",
        ge=1,
        le=30,
        description="Seconds CloudFront caches *.m3u8 / *.mpd manifests, 1 to half of segmentDurationSeconds.",
    )
    segment_ttl_seconds: int = key(
        _d("segment_ttl_seconds"),
        alias="edgeSegmentTtlSeconds",
        ge=ONE_DAY_SECONDS,
        le=ONE_YEAR_SECONDS,
        description=(
            "Seconds segments (*.ts, *.m4s, *.mp4) are cached, immutable, 86400 (1 day) to 31536000 (1 year)."
        ),
    )
    error_caching_seconds: int = key(
        _d("error_caching_seconds"),
        alias="edgeErrorCachingSeconds",
        ge=0,
        le=60,
        description=(
            "Seconds CloudFront caches 5xx responses and the maintenance page it serves for 502/503/504, 0 to 60 "
            "(4xx responses are never cached: on /api/* they depend on the caller)."
        ),
    )
    origin_shield_region: Annotated[
        str,
        rule(
            lambda v: v == "" or aws_values.is_region(v),
            "an AWS region name such as us-west-2, or empty for no Origin Shield",
        ),
    ] = key(
        "",
        alias="edgeOriginShieldRegion",
        description=(
            "Region of a CloudFront Origin Shield layer in front of the origins (usually aws:region); empty for none."
        ),
    )
    signed_urls_public_key_pem: Annotated[
        str,
        rule(
            lambda v: v == "" or bool(_PUBLIC_KEY_PEM.fullmatch(v.strip())),
            "a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----), or empty",
        ),
    ] = key(
        "",
        alias="edgeSignedUrlPublicKey",
        secret=True,
        description=(
            "PEM public key (-----BEGIN PUBLIC KEY-----) of a trusted key group: media paths then require CloudFront "
            "signed URLs or cookies; empty for public media. Declared secret, so a private key pasted here by mistake "
            "is encrypted in the stack file and never printed."
        ),
    )
    waf_rate_limit: int = key(
        _d("waf_rate_limit"),
        alias="edgeWafRateLimit",
        ge=10,
        le=2_000_000_000,
        description=(
            "Requests per 5 minutes per viewer IP, media (manifests and segments) excluded, before the CloudFront web "
            "ACL blocks, 10 to 2000000000."
        ),
    )
    waf_media_rate_limit: int = key(
        _d("waf_media_rate_limit"),
        alias="edgeWafMediaRateLimit",
        ge=10,
        le=2_000_000_000,
        description=(
            "Media requests (manifests and segments) per 5 minutes per viewer IP before the CloudFront web ACL blocks, "
            "edgeWafRateLimit to 2000000000; a player fetches 50 to 75 segments per 5 minutes."
        ),
    )
    waf_anonymous_ip_list: bool = key(
        _d("waf_anonymous_ip_list"),
        alias="edgeWafAnonymousIpList",
        description=(
            "Add the AWS managed AnonymousIpList rule group (VPNs, Tor, hosting providers) to the CloudFront web ACL."
        ),
    )
    waf_geo_block_countries: Annotated[
        tuple[str, ...],
        each(
            lambda v: v in aws_values.waf_country_codes(),
            "ISO 3166-1 alpha-2 country codes AWS WAF accepts, such as KP or GB (the WAFV2 CountryCode enum)",
        ),
        rule(distinct, "each country once"),
    ] = key(
        tuple(_d("waf_geo_block_countries")),
        alias="edgeWafGeoBlockCountries",
        description=(
            "ISO 3166-1 alpha-2 country codes (upper case, as AWS WAF lists them: GB, not UK) the CloudFront web ACL "
            "blocks; none by default."
        ),
    )
    shield_advanced: bool = key(
        _d("shield_advanced"),
        alias="edgeShieldAdvanced",
        description="Protect the distribution with AWS Shield Advanced (the account must already subscribe).",
    )
    origin_standby_dns_name: Annotated[
        str,
        rule(
            lambda v: v == "" or is_domain_name(v.lower()),
            "a DNS name such as dr-alb-123.us-east-2.elb.amazonaws.com, or empty",
        ),
    ] = key(
        "",
        alias="edgeOriginStandbyDnsName",
        description=(
            "DNS name of a standby origin (for example an ALB in the DR region) for the SECONDARY failover record of "
            "origin.<domainName>; empty for none (CloudFront then serves the static maintenance page). Set together "
            "with edgeOriginStandbyZoneId."
        ),
    )
    origin_standby_zone_id: Annotated[
        str,
        rule(
            lambda v: v == "" or bool(_HOSTED_ZONE_ID.fullmatch(v)),
            "a Route 53 hosted zone id such as Z3AADJGX6KTTL2, or empty",
        ),
    ] = key(
        "",
        alias="edgeOriginStandbyZoneId",
        description=(
            "Route 53 hosted zone id of edgeOriginStandbyDnsName's alias target (for an ALB, its region's ELB zone id)."
        ),
    )

    zone_parent_domain: Annotated[
        str,
        rule(
            lambda v: v == "" or is_domain_name(v.lower().rstrip(".")), "a DNS name such as video.example.com, or empty"
        ),
    ] = key(
        "",
        alias="zoneParentDomain",
        description=(
            "Public zone, in this account, of the name one label above domainName (dev.video.example.com -> "
            "video.example.com): when the stack creates its zone (hostedZoneId empty) it writes the NS delegation "
            "there, and certificates wait for it. Empty: no delegation by this stack."
        ),
    )
    zone_delegation_confirmed: bool = key(
        False,
        alias="zoneDelegationConfirmed",
        description=(
            "The registrar or another account now delegates the zone this stack created (hostedZoneId and "
            "zoneParentDomain empty) to its nameServers output. Until then the stack builds no certificate, nor the "
            "edge, app tier and alarms that need one (first phase)."
        ),
    )

    def zone_args(self, *, domain_name: str, hosted_zone_id: str, **wiring: Any) -> PublicZoneArgs:
        """PublicZoneArgs: the zone to adopt (``hosted_zone_id``, "" to create one) and how it is delegated."""
        return PublicZoneArgs(
            domain_name=domain_name,
            hosted_zone_id=hosted_zone_id or None,
            parent_zone_name=self.zone_parent_domain.rstrip(".") or None,
            delegation_confirmed=self.zone_delegation_confirmed,
            **wiring,
        )

    def plain_args(self, *, segment_duration_seconds: int, as_secret: bool = True) -> dict[str, Any]:
        """StreamingEdgeArgs fields by name: the caching and WAF groups and the signed-URL key ("" becomes None:
        not set). ``segment_duration_seconds`` is the transcoder's (``segmentDurationSeconds``, a media key).

        The declared-secret public key goes to the component as what ``Config.get_secret`` returns,
        ``Output.secret`` of the value; ``as_secret=False`` keeps it plain (the pre-registration checks).
        """
        pem = self.signed_urls_public_key_pem.strip()
        return {
            "caching": EdgeCacheOptions(
                segment_duration_seconds=segment_duration_seconds,
                manifest_ttl_seconds=self.manifest_ttl_seconds,
                segment_ttl_seconds=self.segment_ttl_seconds,
                error_caching_seconds=self.error_caching_seconds,
                price_class=self.price_class,
                origin_shield_region=self.origin_shield_region or None,
            ),
            "waf": EdgeWafOptions(
                waf_rate_limit=self.waf_rate_limit,
                waf_media_rate_limit=self.waf_media_rate_limit,
                waf_anonymous_ip_list=self.waf_anonymous_ip_list,
                waf_geo_block_countries=tuple(self.waf_geo_block_countries),
                shield_advanced=self.shield_advanced,
            ),
            # OriginFailover's settings go to failover_args(), PublicZone's to zone_args().
            "signed_urls_public_key_pem": (pulumi.Output.secret(pem) if as_secret else pem) if pem else None,
        }

    def to_args(self, *, segment_duration_seconds: int, as_secret: bool = True, **wiring: Any) -> StreamingEdgeArgs:
        plain = self.plain_args(segment_duration_seconds=segment_duration_seconds, as_secret=as_secret)
        return StreamingEdgeArgs(**wiring, **plain)

    def failover_args(self, **wiring: Any) -> OriginFailoverArgs:
        """OriginFailoverArgs: the standby origin from these settings plus the ALB's outputs in ``wiring``."""
        return OriginFailoverArgs(
            standby_dns_name=self.origin_standby_dns_name or None,
            standby_zone_id=self.origin_standby_zone_id or None,
            **wiring,
        )


def check(r: Reader) -> None:
    rate = r.value("edgeWafRateLimit")
    if r.ok("edgeWafRateLimit"):
        r.check(
            "edgeWafMediaRateLimit",
            r.value("edgeWafMediaRateLimit"),
            lambda v: v >= rate,
            f"at least edgeWafRateLimit ({rate}): media has its own, higher limit",
        )
    zone_id, parent, domain = r.value("hostedZoneId"), r.value("zoneParentDomain"), r.value("domainName")
    if zone_id and parent:
        r.problem(
            "zoneParentDomain", parent, f"empty when hostedZoneId is set ({zone_id}: an adopted zone is delegated)"
        )
    elif parent and r.ok("domainName") and domain.rstrip(".").partition(".")[2] != parent.rstrip("."):
        above = domain.rstrip(".").partition(".")[2]
        r.problem("zoneParentDomain", parent, f"the name one label above domainName ({domain} -> {above})")
    if r.value("zoneDelegationConfirmed") and (zone_id or parent):
        r.problem(
            "zoneDelegationConfirmed",
            True,
            "false when hostedZoneId or zoneParentDomain is set (only a zone delegated outside the stack is confirmed)",
        )
    standby, zone = r.value("edgeOriginStandbyDnsName"), r.value("edgeOriginStandbyZoneId")
    if standby is not None and zone is not None and bool(standby) != bool(zone):
        r.problem(
            "edgeOriginStandbyZoneId",
            zone,
            f"set together with edgeOriginStandbyDnsName (got {standby!r}): both or neither",
        )
