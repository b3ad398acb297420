"""The edge's opt-in features, switched on through stack config and run through the real program and the pack."""

from __future__ import annotations

import json
from functools import cache

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from offline.engine import SECRET_SIG, SECRET_SIG_KEY, Recording, run_program
from offline.policy_driver import analyze
from tests.graph import dep, deps

STANDBY_DNS = "dualstack.streaming-standby-123.us-east-2.elb.amazonaws.com"
STANDBY_ZONE = "Z3AADJGX6KTTL2"


@cache
def public_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
        .strip()
    )


@cache
def prod_with_options(preview: bool) -> Recording:
    return run_program(
        "prod",
        preview=preview,
        config_overrides={
            "streaming:edgeShieldAdvanced": "true",
            "streaming:edgeSignedUrlPublicKey": public_key_pem(),
            "streaming:edgeWafGeoBlockCountries": json.dumps(["KP", "IR"]),
            "streaming:edgeOriginStandbyDnsName": STANDBY_DNS,
            "streaming:edgeOriginStandbyZoneId": STANDBY_ZONE,
        },
    )


def test_shield_advanced_protects_the_distribution():
    rec = prod_with_options(True)
    (protection,) = rec.of_type("aws:shield/protection:Protection")
    (distribution,) = rec.of_type("aws:cloudfront/distribution:Distribution")
    assert dep(rec, protection, "resourceArn").urn == distribution.urn


def test_signed_urls_guard_every_media_behavior_and_nothing_else():
    rec = prod_with_options(True)
    (public_key,) = rec.of_type("aws:cloudfront/publicKey:PublicKey")
    # edgeSignedUrlPublicKey is declared secret: the engine receives it as a secret value.
    assert public_key.inputs["encodedKey"] == {SECRET_SIG_KEY: SECRET_SIG, "value": public_key_pem()}
    (group,) = rec.of_type("aws:cloudfront/keyGroup:KeyGroup")
    assert [k.urn for k in deps(rec, group, "items")] == [public_key.urn]
    (distribution,) = rec.of_type("aws:cloudfront/distribution:Distribution")
    guarded = {
        b["pathPattern"]: len(b.get("trustedKeyGroups", [])) for b in distribution.inputs["orderedCacheBehaviors"]
    }
    assert guarded == {"/api/*": 0, "/maintenance/*": 0, "*.m3u8": 1, "*.mpd": 1, "*.ts": 1, "*.m4s": 1, "*.mp4": 1}
    assert "trustedKeyGroups" not in distribution.inputs["defaultCacheBehavior"]
    assert group.urn in distribution.property_dependencies["orderedCacheBehaviors"]


def test_geo_block_is_the_first_waf_rule_and_blocks_the_configured_countries():
    rec = prod_with_options(True)
    acl = rec.named("edge-waf")
    first = min(acl.inputs["rules"], key=lambda r: r["priority"])
    assert first["statement"] == {"geoMatchStatement": {"countryCodes": ["KP", "IR"]}}
    assert first["action"] == {"block": {}}
    assert first["visibilityConfig"]["cloudwatchMetricsEnabled"] is True


def test_a_standby_origin_gets_the_secondary_failover_record():
    rec = prod_with_options(True)
    secondary = rec.named("edge-origin-secondary")
    assert secondary.inputs["name"] == "origin.video.example.com"
    assert secondary.inputs["failoverRoutingPolicies"] == [{"type": "SECONDARY"}]
    assert secondary.inputs["aliases"] == [{"name": STANDBY_DNS, "zoneId": STANDBY_ZONE, "evaluateTargetHealth": True}]


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_the_options_keep_the_stack_compliant(preview):
    rec = prod_with_options(preview)
    report = analyze(rec.resources, project=rec.project, stack=rec.stack, preview=preview, config=rec.config)
    # aws-api findings on the real stacks are pinned exactly in tests/policy/test_aws_api.py until they are fixed.
    assert [d for d in report.mandatory if not d.policy.startswith("aws-")] == []
