"""Each check alone against moto server (and a loopback DNS server for delegation outside the account): every
way it fails, with the fix it prints."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import dns.message
import dns.rdatatype
import dns.rrset
import pytest

from preflight import checks
from preflight.__main__ import main, session_clients
from preflight.needs import ServiceLinkedRole, StackNeeds, derive
from preflight.report import Result, Status
from tests.preflight.conftest import MOTO_ACCOUNT, REGION, Stubs

ASG = ServiceLinkedRole("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling", "fleet volumes", "required")
BASE = StackNeeds(
    stack="prod",
    region=REGION,
    environment="prod",
    availability_zones=(f"{REGION}a", f"{REGION}b", f"{REGION}c"),
    domain_name="video.example.com",
    hosted_zone_id="",
    service_linked_roles=(ASG,),
    vpcs=1,
    elastic_ips=3,
    nat_gateways_per_az=1,
    lambda_reserved_concurrency=50,
    fargate_on_demand_vcpus=32,
    fargate_spot_vcpus=48,
    fleet_instance_types=("t3.large",),
    fleet_on_demand_instances=6,
    fleet_spot_instances=6,
    images={},
    ses_identity=None,
    db_instance_class="db.r7g.large",
    db_engine_major_version="16",
    db_multi_az=True,
    cache_node_type="cache.r7g.large",
)


def needs(**changes: Any) -> StackNeeds:
    return dataclasses.replace(BASE, **changes)


def clients(session: boto3.Session) -> checks.Clients:
    return session_clients(session, REGION)


def no_dns(name: str) -> set[str] | None:
    raise AssertionError(f"DNS asked for {name}; the parent zone is in the account")


# --- service-linked roles ----------------------------------------------------------------------------------


def test_a_declared_autoscaling_role_must_exist_and_be_listed_in_the_pack_config(account):
    existing = needs()  # EXISTING: source "required"
    (absent,) = checks.service_linked_roles(existing, clients(account))
    assert (absent.status, absent.detail) == (
        Status.FAIL,
        "absent, but a declared prerequisite (fleet volumes); KMS would reject the key policy",
    )
    assert absent.fix == (
        "aws iam create-service-linked-role --aws-service-name autoscaling.amazonaws.com (or set "
        "streaming:autoScalingServiceLinkedRole to CREATE)"
    )
    account.client("iam").create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    (undeclared,) = checks.service_linked_roles(existing, clients(account))
    assert undeclared.status is Status.FAIL
    assert undeclared.fix == (
        'add "aws-policy-principals-exist": {"preexistingRoles": ["AWSServiceRoleForAutoScaling"]} to '
        "policies/config/prod.json"
    )
    declared = needs(pack_preexisting_roles=("AWSServiceRoleForAutoScaling",))
    assert checks.service_linked_roles(declared, clients(account)) == [
        Result("service-linked-role", ASG.role, Status.PASS, "exists, a declared prerequisite (fleet volumes)")
    ]


def test_the_pack_config_of_a_stack_feeds_the_declared_roles(recording_needs):
    assert recording_needs.pack_preexisting_roles == ()
    assert [r.source for r in recording_needs.service_linked_roles][:1] == ["create"]


@pytest.fixture(scope="module")
def recording_needs(recording) -> StackNeeds:
    from offline.engine import load_stack_config
    from settings import parse

    _, raw = load_stack_config("prod")
    from offline.fakes import REGION_AZS

    s = parse(raw, stack="prod", region_azs=dict(REGION_AZS["us-west-2"]))
    return derive(s, recording("prod", preview=False), {"aws-policy-principals-exist": "mandatory"})


# --- zone delegation ---------------------------------------------------------------------------------------


def zone(route53: Any, name: str, ref: str) -> tuple[str, list[str]]:
    z = route53.create_hosted_zone(Name=name, CallerReference=ref)
    return str(z["HostedZone"]["Id"]).rsplit("/", 1)[-1], z["DelegationSet"]["NameServers"]


def ns_record(route53: Any, zone_id: str, name: str, servers: list[str]) -> None:
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": name,
                        "Type": "NS",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": s} for s in servers],
                    },
                }
            ]
        },
    )


def test_an_adopted_zone_that_does_not_exist_or_is_another_name_fails(account):
    route53 = account.client("route53")
    (missing,) = checks.zone_delegation(needs(hosted_zone_id="Z0000000000000000000"), clients(account), no_dns)
    assert (missing.status, missing.detail) == (
        Status.FAIL,
        "hostedZoneId Z0000000000000000000 does not exist in this account",
    )
    other, _ = zone(route53, "other.example.com", "other")
    (wrong,) = checks.zone_delegation(needs(hosted_zone_id=other), clients(account), no_dns)
    assert wrong.detail == f"zone {other} is other.example.com., not the public zone video.example.com."


def test_an_empty_zone_id_with_the_zone_already_there_asks_to_adopt_it(account):
    child, _ = zone(account.client("route53"), "video.example.com", "child")
    (row,) = checks.zone_delegation(needs(), clients(account), no_dns)
    assert row.status is Status.FAIL
    assert row.fix == f"pulumi config set streaming:hostedZoneId {child}"
    (dev,) = checks.zone_delegation(
        needs(environment="dev", domain_name="dev.video.example.com"), clients(account), no_dns
    )
    assert dev.status is Status.WARN  # outside prod the stack may create its zone; the fix names the bootstrap


def test_a_parent_zone_in_the_account_must_delegate_to_exactly_the_zones_servers(account):
    route53 = account.client("route53")
    parent, _ = zone(route53, "example.com", "parent")
    child, servers = zone(route53, "video.example.com", "child")
    (undelegated,) = checks.zone_delegation(needs(hosted_zone_id=child), clients(account), no_dns)
    assert undelegated.status is Status.FAIL
    assert undelegated.detail.startswith(f"parent zone example.com ({parent}, this account) answers no NS answer")
    batch = json.loads(undelegated.fix.split("--change-batch ", 1)[1])
    assert undelegated.fix.startswith(f"aws route53 change-resource-record-sets --hosted-zone-id {parent} ")
    assert batch["Changes"][0]["ResourceRecordSet"]["ResourceRecords"] == [
        {"Value": s.rstrip(".").lower()} for s in sorted(servers)
    ]
    ns_record(route53, parent, "video.example.com", servers[:3])  # one server short
    (short,) = checks.zone_delegation(needs(hosted_zone_id=child), clients(account), no_dns)
    assert short.status is Status.FAIL
    ns_record(route53, parent, "video.example.com", servers)
    (ok,) = checks.zone_delegation(needs(hosted_zone_id=child), clients(account), no_dns)
    assert ok.status is Status.PASS


@pytest.fixture
def dns_server() -> Iterator[tuple[str, dict[str, list[str]]]]:
    """A loopback UDP DNS server answering NS queries from ``answers`` (name -> servers); NXDOMAIN otherwise."""
    answers: dict[str, list[str]] = {}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().rstrip(".")
            if name in answers and question.rdtype == dns.rdatatype.NS:
                reply.answer.append(dns.rrset.from_text_list(question.name, 300, "IN", "NS", answers[name]))
            else:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(reply.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{sock.getsockname()[1]}", answers
    stop.set()
    thread.join()
    sock.close()


def test_a_parent_outside_the_account_is_asked_through_dns(account, dns_server):
    address, answers = dns_server
    child, servers = zone(account.client("route53"), "video.example.com", "child")
    resolve = checks.dns_resolver(address)
    (nxdomain,) = checks.zone_delegation(needs(hosted_zone_id=child), clients(account), resolve)
    assert nxdomain.status is Status.FAIL
    assert nxdomain.detail.startswith("DNS (the parent example.com is not in this account) answers no NS answer")
    assert nxdomain.fix.startswith("ask the owner of example.com to delegate video.example.com with NS records: ")
    answers["video.example.com"] = ["ns-1.elsewhere.net.", "ns-2.elsewhere.net."]
    (elsewhere,) = checks.zone_delegation(needs(hosted_zone_id=child), clients(account), resolve)
    assert "answers ns-1.elsewhere.net, ns-2.elsewhere.net; the zone's servers are" in elsewhere.detail
    answers["video.example.com"] = [s if s.endswith(".") else s + "." for s in servers]
    (ok,) = checks.zone_delegation(needs(hosted_zone_id=child), clients(account), resolve)
    assert ok == Result(
        "zone-delegation",
        "video.example.com",
        Status.PASS,
        "DNS (the parent example.com is not in this account) delegates to the zone's 4 servers",
    )


# --- images and SES ----------------------------------------------------------------------------------------


MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"})


def test_images_missing_from_ecr_fail_and_other_registries_are_skipped(account):
    ecr = account.client("ecr", region_name=REGION)
    ecr.create_repository(repositoryName="streaming/api")
    ecr.put_image(repositoryName="streaming/api", imageManifest=MANIFEST, imageTag="1.4.1")
    registry = f"{MOTO_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
    images = {
        "api": f"{registry}/streaming/api:1.4.2",  # repository there, tag not
        "video": f"{registry}/streaming/video:1.4.2",  # no repository
        "frontend": "ghcr.io/acme/frontend:1.4.2",
    }
    got = checks.images(needs(images=images), clients(account), MOTO_ACCOUNT)
    assert [(r.status, r.detail) for r in got] == [
        (Status.FAIL, "api: image not found (ImageNotFoundException)"),
        (Status.SKIP, "frontend: not a private ECR image; its registry is not checked"),
        (Status.FAIL, "video: repository not found (RepositoryNotFoundException)"),
    ]
    assert (
        got[0].fix
        == f"push it (docker push {registry}/streaming/api:1.4.2) or change api in streaming:ecsServiceImages"
    )


def test_an_unverified_ses_identity_fails(account, stubs: Stubs):
    stubs("sesv2").add_response(
        "get_email_identity",
        {"VerifiedForSendingStatus": False, "DkimAttributes": {"Status": "PENDING"}},
        {"EmailIdentity": "video.example.com"},
    )
    stubs("sesv2").add_response("get_account", {"ProductionAccessEnabled": True}, {})
    get = session_clients(account, REGION, stubs.clients)
    identity, production = checks.ses(needs(ses_identity="video.example.com"), get)
    stubs.verify()
    assert (identity.status, identity.detail) == (
        Status.FAIL,
        "identity in us-west-2 is not verified yet (DKIM status PENDING)",
    )
    assert production.status is Status.PASS
    assert checks.ses(needs(), get) == [
        Result("ses", "-", Status.SKIP, "no cognitoSesSender: Cognito sends with its own (limited) sender")
    ]


def test_invalid_configuration_exits_2_before_any_check(account, capsys):
    assert main(["--stack", "prod", "--config", "streaming:azCount=9"], session=account) == 2
    err = capsys.readouterr().err
    assert "streaming:azCount: got 9" in err
