"""Not-applicable fixtures: resources a policy deliberately ignores, and stacks without its resource types."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .builder import StackBuilder
from .platform import platform


def _bare(stack: str = "prod", preview: bool = True) -> StackBuilder:
    b = StackBuilder(stack=stack, preview=preview)
    # An internet gateway: a resource no rule judges (a VPC is judged: it must have a flow log).
    b.add("aws:ec2/internetGateway:InternetGateway", "igw")
    return b


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_stack_without_resources_of_a_type(run_pack, preview: bool) -> None:
    from streaming_policies.registry import all_rules

    report = run_pack(_bare(preview=preview))
    assert report.diagnostics == []
    stack_rules = {r.name for r in all_rules() if r.scope == "stack"}
    assert report.not_applicable_policies() == stack_rules
    assert all(n.reason.startswith("no ") for n in report.not_applicable)


def _replica(b: StackBuilder) -> None:
    b.add(
        "aws:rds/instance:Instance",
        "catalog-replica",
        protect=True,
        replicateSourceDb=b.ref(b["catalog-db"], "identifier"),
        instanceClass="db.t4g.medium",
        publiclyAccessible=False,
        deletionProtection=True,
        parameterGroupName=b.ref(b["pg16"], "name"),
        multiAz=False,
        backupRetentionPeriod=0,
    )


def _only_external_replica(b: StackBuilder) -> None:
    _replica(b)
    b.set("catalog-replica", replicateSourceDb="arn:aws:rds:us-west-2:123456789012:db:catalog")
    b.remove("catalog-db", *(n for n in list(b.resources) if n.startswith("catalog-replica-")))


EXEMPT: list[tuple[str, str, Callable[[StackBuilder], object]]] = [
    ("rds-multi-az", "catalog-replica", _replica),
    # A primary whose replicas are gone (and the replicas' own records) is not judged for replica AZs.
    (
        "rds-read-replicas-span-azs",
        "",
        lambda b: b.remove(*(n for n in list(b.resources) if n.startswith("catalog-replica-"))),
    ),
    # Without a policy document a key gets the default key policy (the account only); a queue has none.
    ("resource-policies-not-public", "data-key", lambda b: b.set("data-key", policy=None)),
    ("iam-no-full-admin-statements", "transcoder-role", lambda b: None),
    # A network load balancer's access logs cover only TLS listeners: with only internal NLBs nothing is judged.
    (
        "entry-point-access-logs",
        "",
        lambda b: (
            b.set("alb", loadBalancerType="network", internal=True),
            b.remove("cdn", "api-stage", "api-waf", "alb-waf", "http", "https"),
        ),
    ),
    ("rds-backup-retention", "catalog-replica", _replica),
    (
        "rds-storage-encrypted",
        "",
        lambda b: _only_external_replica(b),
    ),
    ("ecs-service-multi-az", "", lambda b: b.set("api-svc", networkConfiguration=None, launchType="EC2")),
    ("lambda-vpc-multi-az", "", lambda b: b.set("transcoder", vpcConfig=None)),
    ("lambda-env-kms", "", lambda b: b.set("transcoder", environment=None, kmsKeyArn=None)),
    ("alb-waf-attached", "", lambda b: (b.set("alb", internal=True), b.remove("alb-waf"))),
    # A stack policy (it joins listener rules): not applicable when the stack has no HTTP listener.
    ("alb-http-redirects-to-https", "", lambda b: b.remove("http")),
    ("alb-https-tls-policy", "http", lambda b: None),
    (
        "kms-key-rotation",
        "signing-key",
        lambda b: b.add("aws:kms/key:Key", "signing-key", customerMasterKeySpec="RSA_2048", keyUsage="SIGN_VERIFY"),
    ),
    (
        "security-group-no-open-ingress",
        "world-egress",
        lambda b: b.add(
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "world-egress",
            type="egress",
            protocol="-1",
            fromPort=0,
            toPort=0,
            cidrBlocks=["0.0.0.0/0"],
        ),
    ),
    ("apigateway-methods-authorized", "api-options", lambda b: None),
    # An RDS instance whose master password the program manages (not RDS, in Secrets Manager) holds no secret.
    (
        "secrets-cmk-encrypted",
        "catalog-db",
        lambda b: b.set(
            "catalog-db", manageMasterUserPassword=None, masterUserSecretKmsKeyId=None, password="from-config-secret"
        ),
    ),
    (
        "ecs-service-no-public-ip",
        "",
        lambda b: b.set("api-svc", networkConfiguration=None, launchType="EC2"),
    ),
    (
        "elasticache-multi-az",
        "sessions-node",
        lambda b: b.add(
            "aws:elasticache/cluster:Cluster",
            "sessions-node",
            replicationGroupId=b.ref(b["sessions"]),
        ),
    ),
    (
        "private-subnet-nat-same-az",
        "",
        lambda b: [
            b.set(n, tags={"Tier": "public"})
            for n in list(b.resources)
            if n[:4] in ("app-", "data") and b[n].type == "aws:ec2/subnet:Subnet"
        ],
    ),
]


@pytest.mark.parametrize("policy,resource,mutate", EXEMPT, ids=[f"{p}:{r or 'none'}" for p, r, _ in EXEMPT])
def test_exempt_resources_are_not_applicable(run_pack, policy: str, resource: str, mutate) -> None:
    b = platform("prod", True)
    mutate(b)
    report = run_pack(b)
    assert report.for_policy(policy) == [], report.render()
    na = [n for n in report.not_applicable if n.policy == policy]
    assert na, f"{policy} should report not applicable"
    if resource:
        assert any(n.urn == b[resource].urn or n.reason.startswith(resource) for n in na)


def test_dev_lists_no_buckets_that_must_replicate(run_pack) -> None:
    """dev has no DR region: its config lists no replicated bucket roles, so every bucket is out of scope."""
    report = run_pack(platform("dev", False))
    assert report.for_policy("s3-bucket-dr-replication") == []
    (na,) = [n for n in report.not_applicable if n.policy == "s3-bucket-dr-replication"]
    assert na.reason == "no Bucket / BucketV2 in scope (exempt)"


def test_lambda_outside_vpc_is_still_checked_for_env_kms(run_pack) -> None:
    b = platform("prod", False)
    b.set("transcoder", vpcConfig=None, kmsKeyArn=None)
    report = run_pack(b)
    assert {d.policy for d in report.mandatory} == {"lambda-env-kms"}
    assert "lambda-vpc-multi-az" in report.not_applicable_policies()


# Rules that find nothing to judge on the real synthesized stacks, each because the stack truly lacks
# the service. Anything else finding nothing is a defect (a selector the components never satisfy).
JUDGES_NOTHING = {
    # dev runs every service on Fargate: no Auto Scaling group and no launch template.
    # Neither stack has an API Gateway v2 API or a Lambda function URL (the entry points WAF cannot protect).
    # dev has no read replicas (dbReadReplicaZoneIds is empty) and no DR region, so no bucket must replicate.
    # Neither stack runs an Aurora or Multi-AZ DB cluster (the database is an RDS instance with replicas).
    "dev": {
        "rds-cluster-multi-az",
        "autoscaling-group-multi-az",
        "autoscaling-launch-template-of-this-stack",
        "ec2-no-public-ip",
        "launch-template-ebs-encrypted",
        "launch-template-imdsv2",
        "no-entry-points-without-waf",
        "rds-read-replicas-span-azs",
        "s3-bucket-dr-replication",
    },
    "prod": {"no-entry-points-without-waf", "rds-cluster-multi-az"},
}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_rule_judges_something_on_the_real_stack(recording, stack: str) -> None:
    from streaming_policies.registry import all_rules

    from offline.policy_driver import analyze

    rec = recording(stack, preview=False)
    report = analyze(rec.resources, project=rec.project, stack=rec.stack, preview=False, config=rec.config)
    present = {r.type for r in rec.resources}
    stack_level = {n.policy for n in report.not_applicable if n.reason.startswith("no ")}
    per_resource: dict[str, set[str]] = {}
    for n in report.not_applicable:
        per_resource.setdefault(n.policy, set()).add(n.urn)
    nothing = set(stack_level)
    for rule in all_rules():
        in_type = [r for r in rec.resources if r.type in rule.types]
        if rule.scope == "resource" and (not in_type or {r.urn for r in in_type} <= per_resource.get(rule.name, set())):
            nothing.add(rule.name)
    assert nothing == JUDGES_NOTHING[stack], sorted(nothing)
    for t in ("aws:autoscaling/group:Group", "aws:ec2/launchTemplate:LaunchTemplate"):
        assert (t in present) == (stack == "prod")
    assert not present & {"aws:apigatewayv2/api:Api", "aws:lambda/functionUrl:FunctionUrl"}
    # aws-api findings on the real stacks are pinned exactly in test_aws_api.py until the stacks are fixed.
    assert [d for d in report.mandatory if not d.policy.startswith("aws-")] == []
