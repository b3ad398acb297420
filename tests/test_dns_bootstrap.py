"""The first deploy cannot hang on DNS: each bootstrap path, synthesized offline as the real program registers it.

- prod adopts the registrar-delegated zone (hostedZoneId): no zone resource, certificates validated at once;
- dev creates its zone and writes the NS delegation into prod's zone (same account): every validation waits for it;
- a zone delegated from outside the account: a first phase with no certificate (nor anything needing one), its
  name servers exported; then, with zoneDelegationConfirmed, the whole stack.
"""

from __future__ import annotations

import hashlib
from functools import cache

import pulumi
import pytest
from streaming_platform.edge.zone import PublicZone, PublicZoneArgs, ZoneDelegation, validate_args

from offline.engine import Recording, run_component, run_program
from tests.graph import dep
from tests.test_settings import problems

ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
CERT = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
PROD_ZONE_ID = "Z0EXAMPLEVIDEOPROD"
# Needs a certificate, directly or through what it serves: none of it exists in the first phase.
CERTIFICATE_BOUND = (
    CERT,
    VALIDATION,
    "aws:cloudfront/distribution:Distribution",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/listener:Listener",
    "aws:apigateway/domainName:DomainName",
    "aws:ecs/service:Service",
    "streaming:edge:StreamingEdge",
    "streaming:app:AppTier",
    "streaming:edge:OriginFailover",
    "streaming:observability:Observability",
)


@cache
def outside_delegation(confirmed: bool) -> Recording:
    """dev's zone, delegated by a registrar or another account instead of prod's zone."""
    overrides = {"streaming:zoneParentDomain": ""}
    if confirmed:
        overrides["streaming:zoneDelegationConfirmed"] = "true"
    return run_program("dev", preview=False, config_overrides=overrides)


def records_in(rec: Recording, zone_id: str) -> list:
    return [r for r in rec.of_type(RECORD) if r.inputs.get("zoneId") == zone_id]


@pytest.mark.parametrize("preview", [True, False])
def test_prod_adopts_its_zone_and_validates_certificates_at_once(recording, preview):
    rec = recording("prod", preview=preview)
    assert rec.of_type(ZONE) == []
    records = rec.of_type(RECORD)
    assert len(records) == 7 and records_in(rec, PROD_ZONE_ID) == records  # every record in the adopted zone
    assert not [r for r in records if r.inputs["type"] == "NS"]
    assert len(rec.of_type(CERT)) == len(rec.of_type(VALIDATION)) == 2
    if not preview:
        assert rec.outputs["zoneDelegation"] == "ADOPTED" and rec.outputs["hostedZoneId"] == PROD_ZONE_ID
        assert "nameServers" not in rec.outputs or rec.outputs["nameServers"] is None


@pytest.mark.parametrize("preview", [True, False])
def test_dev_writes_its_delegation_into_prods_zone_and_every_validation_waits_for_it(recording, preview):
    rec = recording("dev", preview=preview)
    (zone,) = rec.of_type(ZONE)
    (delegation,) = [r for r in rec.of_type(RECORD) if r.inputs["type"] == "NS"]
    assert delegation.name == "zone-delegation"
    assert delegation.inputs["name"] == "dev.video.example.com" and delegation.inputs["ttl"] == 3600
    # The parent is looked up by name in this account (offline: the fake answers for a public zone by name).
    parent_id = "Z" + hashlib.sha256(b"video.example.com").hexdigest()[:20].upper()
    assert delegation.inputs["zoneId"] == parent_id
    assert dep(rec, delegation, "records").urn == zone.urn
    if not preview:
        assert delegation.inputs["records"] == [f"ns-{i}.awsdns-{i:02d}.org" for i in (1, 2, 3, 4)]
        assert rec.outputs["zoneDelegation"] == "BY_PARENT_IN_ACCOUNT"
        assert rec.outputs["nameServers"] == delegation.inputs["records"]
    validations = rec.of_type(VALIDATION)
    assert sorted(v.name for v in validations) == ["app-regional-cert-validation", "edge-cert-validation"]
    for v in validations:
        assert delegation.urn in v.dependencies, v.name


def test_first_phase_builds_the_zone_and_what_needs_no_certificate_and_exports_the_name_servers():
    rec = outside_delegation(confirmed=False)
    (zone,) = rec.of_type(ZONE)
    assert zone.inputs["name"] == "dev.video.example.com"
    assert rec.outputs["zoneDelegation"] == "PENDING"
    assert rec.outputs["nameServers"] == [f"ns-{i}.awsdns-{i:02d}.org" for i in (1, 2, 3, 4)]
    for type_ in CERTIFICATE_BOUND:
        assert rec.of_type(type_) == [], type_
    assert rec.of_type(RECORD) == []  # no validation records, no aliases, no delegation
    # The tiers that take longest to create are built while the delegation propagates.
    for type_ in ("aws:ec2/vpc:Vpc", "aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup"):
        assert len(rec.of_type(type_)) == 1, type_
    assert "distributionId" not in rec.outputs and "apiEndpoint" not in rec.outputs


def test_second_phase_after_the_confirmation_builds_everything_without_a_delegation_record():
    rec = outside_delegation(confirmed=True)
    assert rec.outputs["zoneDelegation"] == "CONFIRMED"
    for type_ in CERTIFICATE_BOUND:
        assert rec.of_type(type_), type_
    assert not [r for r in rec.of_type(RECORD) if r.inputs["type"] == "NS"]
    assert len(rec.of_type(VALIDATION)) == 2


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            PublicZoneArgs(domain_name="dev.example.com", hosted_zone_id="Z1", parent_zone_name="example.com"),
            "PublicZoneArgs.parent_zone_name: got 'example.com' with hosted_zone_id 'Z1'; allowed: only for a zone",
        ),
        (
            PublicZoneArgs(domain_name="a.dev.example.com", parent_zone_name="example.com"),
            "PublicZoneArgs.parent_zone_name: got 'example.com' for 'a.dev.example.com'; allowed: the name one label "
            "above the domain ('dev.example.com')",
        ),
        (
            PublicZoneArgs(domain_name="dev.example.com", parent_zone_name="example.com", delegation_confirmed=True),
            "PublicZoneArgs.delegation_confirmed: got True with parent_zone_name; allowed: only for a created zone",
        ),
    ],
)
def test_zone_args_reject_contradictions(args, expected):
    assert [p for p in validate_args(args) if p.startswith(expected)], validate_args(args)


def test_zone_delegation_follows_the_args():
    assert validate_args(PublicZoneArgs(domain_name="dev.example.com", parent_zone_name="example.com")) == []
    cases = {
        ZoneDelegation.ADOPTED: PublicZoneArgs(domain_name="example.com", hosted_zone_id="Z1"),
        ZoneDelegation.BY_PARENT_IN_ACCOUNT: PublicZoneArgs(
            domain_name="a.example.com", parent_zone_name="example.com"
        ),
        ZoneDelegation.PENDING: PublicZoneArgs(domain_name="example.com"),
        ZoneDelegation.CONFIRMED: PublicZoneArgs(domain_name="example.com", delegation_confirmed=True),
    }
    for expected, args in cases.items():
        assert validate_args(args) == []
        seen: list[ZoneDelegation] = []

        def program(a: PublicZoneArgs = args, out: list[ZoneDelegation] = seen) -> None:
            out.append(PublicZone("z", a).delegation)

        run_component(program)
        assert seen == [expected]


def test_a_pending_zone_refuses_to_start_a_certificate_validation():
    errors: list[str] = []

    def program() -> None:
        zone = PublicZone("z", PublicZoneArgs(domain_name="example.com"))
        assert not zone.accepts_certificates
        try:
            zone.certificate("c", ["example.com"], parent=zone)
        except ValueError as e:
            errors.append(str(e))
        pulumi.export("done", True)

    rec = run_component(program)
    assert errors == [
        "PublicZone.certificate('c'): got a zone whose delegation is PENDING (example.com: nobody answers for it "
        "yet, so ACM's validation could only time out); allowed: after the delegation is in place (adopt the zone, "
        "give parent_zone_name, or confirm the delegation)"
    ]
    assert rec.of_type(CERT) == [] and rec.of_type(VALIDATION) == []


@pytest.mark.parametrize(
    ("stack", "overrides", "expected"),
    [
        (
            "dev",
            {"hostedZoneId": "Z0DEVZONE"},
            "streaming:zoneParentDomain: got 'video.example.com'; allowed: empty when hostedZoneId is set",
        ),
        (
            "dev",
            {"zoneParentDomain": "example.com"},
            "streaming:zoneParentDomain: got 'example.com'; allowed: the name one label above domainName "
            "(dev.video.example.com -> video.example.com)",
        ),
        (
            "dev",
            {"zoneDelegationConfirmed": "true"},
            "streaming:zoneDelegationConfirmed: got True; allowed: false when hostedZoneId or zoneParentDomain is set",
        ),
        (
            "prod",
            {"zoneDelegationConfirmed": "true"},
            "streaming:zoneDelegationConfirmed: got True; allowed: false when hostedZoneId or zoneParentDomain is set",
        ),
        ("dev", {"zoneParentDomain": "not a name"}, "streaming:zoneParentDomain: got 'not a name'; allowed: a DNS"),
    ],
)
def test_settings_reject_contradicting_zone_keys_before_anything_is_registered(stack, overrides, expected):
    found = problems(stack, **overrides)
    assert any(p.startswith(expected) for p in found), found
