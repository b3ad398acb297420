"""make preflight against moto server on loopback: an account lacking each prerequisite, and one with all of them.

moto 5.2.5 serves IAM, Route 53, EC2 (VPCs, addresses, NAT gateways, AZs, instance types and their offerings),
ECR and STS for real. botocore's Stubber answers what it lacks, with the exact request asserted:
- Service Quotas: moto implements only the ``vpc`` codes, no GetAWSDefaultServiceQuota, and fixed values;
- Lambda GetAccountSettings; SES v2 GetAccount (and moto never marks an SES identity verified for sending);
- RDS DescribeOrderableDBInstanceOptions (moto: Aurora and Neptune only); ElastiCache
  DescribeReservedCacheNodesOfferings.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from preflight.__main__ import main
from tests.preflight.conftest import MOTO_ACCOUNT, REGION, Stubs

SERVICES = ("frontend", "api", "video", "user", "comment", "notification")
# The stacks run the public default image until a team pushes its own; preflight checks the images a stack names,
# so both accounts are checked with every service pointed at its team's ECR image.
IMAGES = "streaming:ecsServiceImages=" + json.dumps(
    [f"{s}=111122223333.dkr.ecr.us-west-2.amazonaws.com/streaming/{s}:1.4.2" for s in SERVICES]
)
OWN_IMAGES = json.dumps([f"{s}={MOTO_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/streaming/{s}:1.4.2" for s in SERVICES])
AUTO_ROLES = {
    "AWSServiceRoleForECS": "ecs.amazonaws.com",
    "AWSServiceRoleForApplicationAutoScaling_ECSService": "ecs.application-autoscaling.amazonaws.com",
    "AWSServiceRoleForElasticLoadBalancing": "elasticloadbalancing.amazonaws.com",
    "AWSServiceRoleForRDS": "rds.amazonaws.com",
    "AWSServiceRoleForElastiCache": "elasticache.amazonaws.com",
    "AWSServiceRoleForAmazonCognitoIdpEmailService": "email.cognito-idp.amazonaws.com",
}


DOC = Path(__file__).resolve().parents[2] / "docs" / "preflight.md"


def matches_doc(block: str, out: str) -> None:
    """docs/preflight.md shows this run's output verbatim; PREFLIGHT_DOCS=write rewrites the block."""
    pattern = re.compile(rf"(<!-- {block}:begin -->\n```text\n)(.*?)(```\n<!-- {block}:end -->)", re.S)
    text = DOC.read_text()
    if os.environ.get("PREFLIGHT_DOCS") == "write":
        DOC.write_text(pattern.sub(lambda m: m[1] + out + m[3], text))
        return
    (shown,) = [m[2] for m in pattern.finditer(text)]
    assert shown == out, f"docs/preflight.md's {block} block is stale: rerun with PREFLIGHT_DOCS=write"


def queue_quotas(stubs: Stubs, values: dict[str, float], *, default_for: str = "") -> None:
    """GetServiceQuota answers in the order the checks ask; ``default_for`` has no applied value (NoSuchResource),
    so its default is asked next."""
    order = [
        ("vpc", "L-F678F1CE"),
        ("ec2", "L-0263D0A3"),
        ("vpc", "L-FE5A380F"),
        ("fargate", "L-3032A538"),
        ("fargate", "L-36FBB829"),
        ("ec2", "L-1216C47A"),
        ("ec2", "L-34B43A08"),
    ]
    sq = stubs("service-quotas")
    for service, code in order:
        params = {"ServiceCode": service, "QuotaCode": code}
        quota = {"Quota": {**params, "Value": values[code]}}
        if code == default_for:
            sq.add_client_error("get_service_quota", "NoSuchResourceException", expected_params=params)
            sq.add_response("get_aws_default_service_quota", quota, params)
        else:
            sq.add_response("get_service_quota", quota, params)


def queue_lambda(stubs: Stubs, limit: int, unreserved: int) -> None:
    stubs("lambda").add_response(
        "get_account_settings",
        {"AccountLimit": {"ConcurrentExecutions": limit, "UnreservedConcurrentExecutions": unreserved}},
        {},
    )


def queue_ses(stubs: Stubs, *, identity: bool, verified: bool, production: bool) -> None:
    ses = stubs("sesv2")
    params = {"EmailIdentity": "video.example.com"}
    if identity:
        ses.add_response(
            "get_email_identity",
            {"IdentityType": "DOMAIN", "VerifiedForSendingStatus": verified, "DkimAttributes": {"Status": "PENDING"}},
            params,
        )
    else:
        ses.add_client_error("get_email_identity", "NotFoundException", http_status_code=404, expected_params=params)
    ses.add_response("get_account", {"ProductionAccessEnabled": production}, {})


def queue_offerings(stubs: Stubs, *, db_versions: list[str], cache_offered: bool) -> None:
    stubs("rds").add_response(
        "describe_orderable_db_instance_options",
        {
            "OrderableDBInstanceOptions": [
                {
                    "Engine": "postgres",
                    "EngineVersion": v,
                    "DBInstanceClass": "db.r7g.large",
                    "AvailabilityZones": [{"Name": f"{REGION}{z}"} for z in "abc"],
                    "MultiAZCapable": True,
                }
                for v in db_versions
            ]
        },
        {"Engine": "postgres", "DBInstanceClass": "db.r7g.large"},
    )
    offering = {"ReservedCacheNodesOfferingId": "o-1", "CacheNodeType": "cache.r7g.large", "Duration": 31536000}
    stubs("elasticache").add_response(
        "describe_reserved_cache_nodes_offerings",
        {"ReservedCacheNodesOfferings": [offering] if cache_offered else []},
        {"CacheNodeType": "cache.r7g.large", "MaxRecords": 20},
    )


def run(stubs: Stubs, session: boto3.Session, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["--stack", "prod", *argv], session=session, client_overrides=stubs.clients)
    stubs.verify()
    return code, capsys.readouterr().out


def rows(out: str) -> list[tuple[str, str, str]]:
    """(status, check, subject) of every table row."""
    found = []
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in ("PASS", "WARN", "FAIL", "SKIP") and len(parts) >= 3:
            found.append((parts[0], parts[1], parts[2]))
    return found


def fix_of(out: str, subject_line_start: str) -> str:
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(subject_line_start):
            return lines[i + 1].strip()
    raise AssertionError(f"no row starting {subject_line_start!r}")


def nat_gateway_in(session: boto3.Session, az: str) -> None:
    ec2 = session.client("ec2", region_name=REGION)
    (subnet,) = ec2.describe_subnets(Filters=[{"Name": "availability-zone", "Values": [az]}])["Subnets"]
    eip = ec2.allocate_address(Domain="vpc")
    ec2.create_nat_gateway(SubnetId=subnet["SubnetId"], AllocationId=eip["AllocationId"])


def test_an_account_lacking_every_prerequisite_fails_each_check_with_its_fix(account, stubs, capsys):
    iam = account.client("iam")
    iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")  # a group existed once
    nat_gateway_in(account, f"{REGION}a")  # one NAT gateway (and its Elastic IP) already in us-west-2a
    queue_quotas(
        stubs,
        {
            "L-F678F1CE": 1,  # VPCs: the default VPC uses it
            "L-0263D0A3": 3,  # Elastic IPs: 1 used + 3 NAT gateways
            "L-FE5A380F": 1,
            "L-3032A538": 6,  # a new account's Fargate vCPUs
            "L-36FBB829": 6,
            "L-1216C47A": 5,
            "L-34B43A08": 5,
        },
        default_for="L-36FBB829",
    )
    queue_lambda(stubs, limit=10, unreserved=10)  # new accounts start at 10 concurrent executions
    queue_ses(stubs, identity=False, verified=False, production=False)
    queue_offerings(stubs, db_versions=["15.8"], cache_offered=False)
    code, out = run(
        stubs,
        account,
        capsys,
        "--config",
        'streaming:asgExtraInstanceTypes=["t3a.large","c5ad.large"]',
        "--config",
        IMAGES,
    )
    print(out)
    assert code == 1
    assert out.startswith(
        f"== preflight: streaming/prod in account {MOTO_ACCOUNT}, us-west-2 (us-west-2b, "
    )  # moto maps usw2-az1 to us-west-2b
    assert rows(out) == [
        ("FAIL", "service-linked-role", "AWSServiceRoleForAutoScaling"),
        *[("WARN", "service-linked-role", role) for role in AUTO_ROLES],
        ("FAIL", "zone-delegation", "video.example.com"),
        ("FAIL", "quota", "vpc/L-F678F1CE"),
        ("FAIL", "quota", "ec2/L-0263D0A3"),
        ("FAIL", "quota", "vpc/L-FE5A380F"),
        ("FAIL", "quota", "lambda/L-B99A9384"),
        ("FAIL", "quota", "fargate/L-3032A538"),
        ("FAIL", "quota", "fargate/L-36FBB829"),
        ("FAIL", "quota", "ec2/L-1216C47A"),
        ("FAIL", "quota", "ec2/L-34B43A08"),
        *[
            ("FAIL", "image", f"111122223333.dkr.ecr.us-west-2.amazonaws.com/streaming/{s}:1.4.2")
            for s in sorted(SERVICES)
        ],
        ("FAIL", "ses", "video.example.com"),
        ("FAIL", "ses", "production"),
        ("PASS", "offering", "ec2"),
        ("PASS", "offering", "ec2"),
        ("FAIL", "offering", "ec2"),
        ("FAIL", "offering", "rds"),
        ("FAIL", "offering", "elasticache"),
    ]
    assert out.endswith("Summary: 2 pass, 6 warn, 21 fail, 0 skip\n")
    assert "VPCs per Region: VPCs: 1 in use + 1 for the stack = 2 of 1" in out
    assert "EC2-VPC Elastic IPs: Elastic IPs (NAT gateways): 1 in use + 3 for the stack = 4 of 3" in out
    assert "NAT gateways per Availability Zone: NAT gateways in us-west-2a: 1 in use + 1 for the stack = 2 of 1" in out
    assert "Concurrent executions: reserving 50 leaves -40 of 10 unreserved; Lambda keeps at least 100" in out
    assert "Fargate On-Demand vCPU resource count: vCPUs at every service's maximum task count: 0 in use + 32" in out
    assert "Fargate Spot vCPU resource count: vCPUs at every service's maximum task count: 0 in use + 48" in out
    assert "vCPUs of the fleet at its maximum (6 x 2): 0 in use + 12 for the stack = 12 of 5" in out
    assert (
        "fix: aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 "
        "--desired-value 150"
    ) in out
    assert "fix: set streaming:autoScalingServiceLinkedRole to EXISTING and list AWSServiceRoleForAutoScaling" in out
    assert "registry account 111122223333 is not this account (123456789012)" in out
    assert "fix: aws sesv2 create-email-identity --email-identity video.example.com --region us-west-2" in out
    assert "c5ad.large" in out and "not offered in" in out
    assert "not orderable for PostgreSQL 16 in us-west-2" in out
    # prod adopts its zone: the placeholder hostedZoneId in Pulumi.prod.yaml is not a zone of this account
    assert "hostedZoneId Z0EXAMPLEVIDEOPROD does not exist in this account" in out
    fix = "set streaming:hostedZoneId to the id of video.example.com's public zone"
    assert f'{fix} (see README "Bootstrap: DNS zone' in out
    matches_doc("lacking", out)


def prepare_account(session: boto3.Session) -> str:
    """Everything the prod stack needs, the way a platform engineer would set it up; returns the zone id."""
    iam = session.client("iam")
    for role, service in AUTO_ROLES.items():
        # moto's CreateServiceLinkedRole names some roles differently from IAM: create them at IAM's names.
        iam.create_role(RoleName=role, Path=f"/aws-service-role/{service}/", AssumeRolePolicyDocument="{}")
    route53 = session.client("route53")
    parent = route53.create_hosted_zone(Name="example.com", CallerReference="parent")["HostedZone"]["Id"]
    child = _zone_with_a_route53_shaped_id(route53, "video.example.com")
    servers = child["DelegationSet"]["NameServers"]
    route53.change_resource_record_sets(
        HostedZoneId=parent,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "video.example.com",
                        "Type": "NS",
                        "TTL": 172800,
                        "ResourceRecords": [{"Value": s} for s in servers],
                    },
                }
            ]
        },
    )
    ecr = session.client("ecr", region_name=REGION)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"})
    for s in SERVICES:
        ecr.create_repository(repositoryName=f"streaming/{s}", imageTagMutability="IMMUTABLE")
        ecr.put_image(repositoryName=f"streaming/{s}", imageManifest=manifest, imageTag="1.4.2")
    return str(child["HostedZone"]["Id"]).rsplit("/", 1)[-1]


def _zone_with_a_route53_shaped_id(route53: Any, name: str) -> dict[str, Any]:
    """Route 53 zone ids start with Z (the settings check it); moto draws random ids, so draw until one does."""
    for attempt in range(1000):
        zone = route53.create_hosted_zone(Name=name, CallerReference=f"{name}-{attempt}")
        zone_id = str(zone["HostedZone"]["Id"]).rsplit("/", 1)[-1]
        if zone_id.startswith("Z"):
            return zone  # type: ignore[no-any-return]
        route53.delete_hosted_zone(Id=zone_id)
    raise AssertionError("moto gave no zone id starting with Z in 1000 tries")


def queue_enough(stubs: Stubs) -> None:
    queue_quotas(
        stubs,
        {
            "L-F678F1CE": 5,
            "L-0263D0A3": 5,
            "L-FE5A380F": 5,
            "L-3032A538": 200,
            "L-36FBB829": 200,
            "L-1216C47A": 64,
            "L-34B43A08": 64,
        },
    )
    queue_lambda(stubs, limit=1000, unreserved=1000)
    queue_ses(stubs, identity=True, verified=True, production=True)
    queue_offerings(stubs, db_versions=["15.8", "16.3"], cache_offered=True)


def test_an_account_with_every_prerequisite_passes(account, stubs, capsys):
    zone_id = prepare_account(account)
    queue_enough(stubs)
    code, out = run(
        stubs,
        account,
        capsys,
        "--config",
        f"streaming:hostedZoneId={zone_id}",
        "--config",
        IMAGES,
        "--config",
        f"streaming:ecsServiceImages={OWN_IMAGES}",
    )
    print(out)
    assert code == 0
    assert {status for status, _, _ in rows(out)} == {"PASS"}
    assert len(rows(out)) == 30
    assert out.endswith("Summary: 30 pass, 0 warn, 0 fail, 0 skip\n")
    assert "parent zone example.com (" in out and "this account) delegates to the zone's 4 servers" in out
    assert rows(out)[0] == ("PASS", "service-linked-role", "AWSServiceRoleForAutoScaling")
    assert "  absent; the stack creates it (the compute key policy names it (fleet volumes))" in out.splitlines()[3]
    assert "Concurrent executions: reserving 50 leaves 950 of 1000 unreserved" in out
    parent = re.search(r"parent zone example\.com \((\w+), this account\)", out)
    assert parent is not None
    matches_doc("complete", out.replace(parent[1], "<parent zone id>"))
