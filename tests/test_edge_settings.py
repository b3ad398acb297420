"""Every edge settings rule rejects a bad value naming the key, the value and what is allowed."""

from __future__ import annotations

import pytest
from streaming_platform.edge.distribution import PriceClass

from settings import parse
from tests.test_settings import US_EAST_2, US_WEST_2, problems, raw_config

PEM = (
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "-----END PUBLIC KEY-----"
)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"edgePriceClass": "PriceClass_300"},
            "streaming:edgePriceClass: got 'PriceClass_300'; allowed: PriceClass_All | PriceClass_200 | PriceClass_100",
        ),
        ({"edgeManifestTtlSeconds": 0}, "streaming:edgeManifestTtlSeconds: got 0; allowed: an integer from 1 to 30"),
        (
            {"edgeManifestTtlSeconds": 4},
            "streaming:edgeManifestTtlSeconds: got 4; allowed: at most half of segmentDurationSeconds (6 -> 3)",
        ),
        (
            {"edgeSegmentTtlSeconds": 3600},
            "streaming:edgeSegmentTtlSeconds: got 3600; allowed: an integer from 86400 to 31536000",
        ),
        (
            {"edgeErrorCachingSeconds": 61},
            "streaming:edgeErrorCachingSeconds: got 61; allowed: an integer from 0 to 60",
        ),
        ({"edgeOriginShieldRegion": "west"}, "streaming:edgeOriginShieldRegion: got 'west'; allowed: an AWS region"),
        (
            {"edgeSignedUrlPublicKey": "ssh-rsa AAAA"},
            "streaming:edgeSignedUrlPublicKey: got <secret, 12 characters>; allowed: a PEM",
        ),
        ({"edgeWafRateLimit": 9}, "streaming:edgeWafRateLimit: got 9; allowed: an integer from 10 to 2000000000"),
        (
            {"edgeWafMediaRateLimit": 999},
            "streaming:edgeWafMediaRateLimit: got 999; allowed: at least edgeWafRateLimit (1000): media has its own",
        ),
        (
            {"edgeWafMediaRateLimit": 9},
            "streaming:edgeWafMediaRateLimit: got 9; allowed: an integer from 10 to 2000000000",
        ),
        ({"edgeWafAnonymousIpList": "maybe"}, "streaming:edgeWafAnonymousIpList: got 'maybe'; allowed: true or false"),
        ({"edgeWafGeoBlockCountries": ["kp"]}, "streaming:edgeWafGeoBlockCountries: got 'kp'; allowed: ISO 3166-1"),
        (
            {"edgeWafGeoBlockCountries": ["KP", "KP"]},
            "streaming:edgeWafGeoBlockCountries: got ['KP', 'KP']; allowed: each country once",
        ),
        ({"edgeShieldAdvanced": "yes"}, "streaming:edgeShieldAdvanced: got 'yes'; allowed: true or false"),
        ({"edgeOriginStandbyDnsName": "not a name"}, "streaming:edgeOriginStandbyDnsName: got 'not a name'; allowed"),
        ({"edgeOriginStandbyZoneId": "12345"}, "streaming:edgeOriginStandbyZoneId: got '12345'; allowed: a Route 53"),
        (
            {"edgeOriginStandbyDnsName": "dr-alb-1.us-east-2.elb.amazonaws.com"},
            "streaming:edgeOriginStandbyZoneId: got ''; allowed: set together with edgeOriginStandbyDnsName",
        ),
    ],
)
def test_each_edge_rule_rejects_a_bad_value_naming_the_key(overrides, expected):
    found = problems("dev", **overrides)
    assert any(p.startswith(expected) for p in found), found


def test_options_parse_into_edge_settings():
    settings_edge = parse(
        raw_config(
            "dev",
            edgeSignedUrlPublicKey=PEM,
            edgeWafGeoBlockCountries=["KP", "IR"],
            edgeOriginStandbyDnsName="dr-alb-1.us-east-2.elb.amazonaws.com",
            edgeOriginStandbyZoneId="Z3AADJGX6KTTL2",
            edgeShieldAdvanced="true",
        ),
        stack="dev",
        region_azs=US_EAST_2,
    ).edge
    failover = settings_edge.failover_args(
        zone_id="Z1", origin_domain_name="origin.example.com", alb_dns_name="a", alb_zone_id="Z2", alb_arn_suffix="s"
    )
    edge = settings_edge.plain_args(segment_duration_seconds=6, as_secret=False)
    assert edge["signed_urls_public_key_pem"] == PEM and edge["waf"].waf_geo_block_countries == ("KP", "IR")
    assert sorted(edge) == ["caching", "signed_urls_public_key_pem", "waf"]  # no OriginFailover or zone setting
    assert (failover.standby_dns_name, failover.standby_zone_id) == (
        "dr-alb-1.us-east-2.elb.amazonaws.com",
        "Z3AADJGX6KTTL2",
    )
    assert edge["waf"].shield_advanced is True


def test_dev_and_prod_edge_settings():
    dev = parse(raw_config("dev"), stack="dev", region_azs=US_EAST_2).edge.plain_args(segment_duration_seconds=6)
    cache, waf = dev["caching"], dev["waf"]
    assert (cache.price_class, cache.manifest_ttl_seconds, cache.segment_ttl_seconds) == (PriceClass.P100, 2, 86400)
    assert cache.origin_shield_region is None and waf.waf_anonymous_ip_list is False
    prod = parse(raw_config("prod"), stack="prod", region_azs=US_WEST_2).edge.plain_args(segment_duration_seconds=6)
    cache, waf = prod["caching"], prod["waf"]
    assert (cache.price_class, cache.origin_shield_region, waf.waf_anonymous_ip_list) == (
        PriceClass.ALL,
        "us-west-2",
        True,
    )
