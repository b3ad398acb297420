"""The aws-api pillar through the real pack: each constraint class compliant and not, in both modes;
the mapping kept honest against botocore; its coverage; and the real stacks' known violations."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from offline.engine import Recording, run_program
from offline.fakes import ACCOUNT_ID
from offline.policy_driver import PolicyReport, analyze

from .builder import StackBuilder
from .platform import platform

Mutation = Callable[[StackBuilder], object]
SLR_ARN = "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"


def key_policy(*principals: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "kms:Decrypt", "Resource": "*"}
            ],
        }
    )


def _sg(b: StackBuilder, description: str, rule_description: str = "https in") -> None:
    sg = b.add(
        "aws:ec2/securityGroup:SecurityGroup",
        "web-sg",
        vpcId=b.ref(b["vpc"]),
        description=description,
        egress=[{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"], "description": "out"}],
    )
    b.add(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "web-sg-in",
        securityGroupId=b.ref(sg),
        ipProtocol="tcp",
        fromPort=443,
        toPort=443,
        cidrIpv4="10.0.0.0/16",
        description=rule_description,
    )


def _esm_joined(b: StackBuilder, timeout: int, visibility: int | None) -> None:
    b.set("transcode-jobs", visibilityTimeoutSeconds=visibility)
    b.set("transcoder", timeout=timeout)
    b.set("transcoder-trigger", functionName=b.ref(b["transcoder"], "arn"))


def _origin_groups(members: list[str], codes: list[int]) -> Mutation:
    def fn(b: StackBuilder) -> None:
        b.set(
            "cdn",
            originGroups=[
                {
                    "originId": "web",
                    "members": [{"originId": m} for m in members],
                    "failoverCriteria": {"statusCodes": codes},
                }
            ],
        )

    return fn


def _slr(b: StackBuilder, depend: bool) -> None:
    slr = b.add("aws:iam/serviceLinkedRole:ServiceLinkedRole", "asg-slr", awsServiceName="autoscaling.amazonaws.com")
    if depend:
        b.set("data-key", policy=b.computed(lambda _arn: key_policy(SLR_ARN), b.ref(slr, "arn")))
    else:
        b.set("data-key", policy=key_policy(SLR_ARN))


def _role_principal(b: StackBuilder) -> None:
    role = b.add("aws:iam/role:Role", "reader", assumeRolePolicy=key_policy("arn:aws:iam::123456789012:root"))
    b.set("data-key", policy=b.computed(lambda arn: key_policy(arn), b.ref(role, "arn")))


def _role_policy(*statements: dict) -> Mutation:
    """A task role and its inline policy of ``statements``."""

    def fn(b: StackBuilder) -> None:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
        role = b.add("aws:iam/role:Role", "worker", assumeRolePolicy=json.dumps(trust))
        doc = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        b.add("aws:iam/rolePolicy:RolePolicy", "worker-policy", role=b.ref(role), policy=doc)

    return fn


_OBJECTS = "arn:aws:s3:::streaming-renditions/*"
_KEY = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@dataclass(frozen=True)
class Case:
    policy: str
    id: str
    mutate: Mutation
    expect: str = ""  # substring of the violation; "" = compliant variant


NON_COMPLIANT = [
    Case("aws-api-member-constraints", "enum", lambda b: b.set("web-tg", protocol="HTTP2"), "'HTTP2' is not one of"),
    Case(
        "aws-api-member-constraints",
        "range",
        lambda b: b.set("transcoder", timeout=6000),
        "timeout: 6000 is above the maximum 5400 (AWS lambda CreateFunctionRequest.Timeout)",
    ),
    Case(
        "aws-api-member-constraints",
        "length",
        lambda b: b.set("transcoder", description="x" * 257),
        "is 257 characters; at most 256",
    ),
    Case(
        "aws-api-member-constraints",
        "pattern",
        lambda b: b.patch("data-key-alias", lambda i: i.update(name="alias/streaming data")),
        "name: 'alias/streaming data' does not match ^[a-zA-Z0-9:/_-]+$",
    ),
    Case(
        "aws-api-member-constraints",
        "list-length",
        lambda b: b.set("transcoder", architectures=["x86_64", "arm64"]),
        "architectures: 2 item(s); at most 1",
    ),
    Case(
        "aws-api-member-constraints",
        "nested-list-element",
        lambda b: b.patch("views", lambda i: i["attributes"][0].update(type="STRING")),
        "attributes[0].type: 'STRING' is not one of S, N, B",
    ),
    Case(
        "aws-ec2-description-charset",
        "apostrophe",
        lambda b: _sg(b, "ALB: HTTPS from CloudFront's prefix list"),
        'contains "\'"',
    ),
    Case("aws-ec2-description-charset", "arrow-in-rule", lambda b: _sg(b, "web", "alb -> web"), "contains '>'"),
    Case("aws-ec2-description-charset", "too-long", lambda b: _sg(b, "d" * 256), "is 256 characters; at most 255"),
    Case(
        "aws-name-limits",
        "auto-named-target-group",
        lambda b: b.add("aws:lb/targetGroup:TargetGroup", "streaming-prod-notification-tg", port=80, protocol="HTTP"),
        "auto-name 'streaming-prod-notification-tg'-xxxxxxx is 38 characters (Pulumi auto-naming); at most 32",
    ),
    Case(
        "aws-name-limits",
        "bucket-uppercase",
        lambda b: b.set("uploads", bucket="Uploads_Bucket"),
        "bucket 'Uploads_Bucket' does not match",
    ),
    Case(
        "aws-name-limits",
        "role-name",
        lambda b: b.add("aws:iam/role:Role", "r" * 57, assumeRolePolicy="{}"),
        "-xxxxxxx is 65 characters (Pulumi auto-naming); at most 64",
    ),
    Case(
        "aws-name-limits",
        "acm-first-domain",
        lambda b: b.add(
            "aws:acm/certificate:Certificate",
            "cert",
            domainName="a" * 50 + ".video.example.com",
            validationMethod="DNS",
        ),
        "is 68 octets; the first domain is at most 64",
    ),
    Case(
        "aws-waf-logging-destination-name",
        "log-group-name",
        lambda b: b.patch("waf-logs", lambda i: i.update(name="waf-logs-prod")),
        "logging destination waf-logs is named 'waf-logs-prod'; it must start with 'aws-waf-logs-'",
    ),
    Case(
        "aws-sqs-visibility-covers-lambda",
        "default-visibility",
        lambda b: _esm_joined(b, 60, None),
        "queue transcode-jobs visibilityTimeoutSeconds=30 is less than function transcoder timeout=60",
    ),
    Case(
        "aws-cloudfront-origin-groups",
        "three-members",
        _origin_groups(["alb", "renditions", "alb"], [500]),
        "origin group 'web' has 3 member(s); exactly 2 are allowed",
    ),
    Case(
        "aws-cloudfront-origin-groups",
        "bad-status",
        _origin_groups(["alb", "renditions"], [500, 501]),
        "origin group 'web' fails over on 501",
    ),
    Case(
        "aws-cloudfront-origin-groups",
        "unknown-origin",
        _origin_groups(["alb", "maintenance"], [500]),
        "names origin 'maintenance', which is not an origin",
    ),
    Case(
        "aws-lambda-layer-region",
        "other-region",
        lambda b: b.set("transcoder", layers=["arn:aws:lambda:us-east-2:123456789012:layer:ffmpeg:1"]),
        "is in us-east-2; the function is in us-west-2",
    ),
    Case(
        "aws-rds-max-allocated-storage",
        "under-110-percent",
        lambda b: b.set("catalog-db", maxAllocatedStorage=54),
        "maxAllocatedStorage=54 is less than 110% of allocatedStorage=50",
    ),
    Case(
        "aws-policy-principals-exist",
        "slr-missing",
        lambda b: b.set("data-key", policy=key_policy(SLR_ARN)),
        "names service-linked role AWSServiceRoleForAutoScaling (autoscaling.amazonaws.com): it is not created",
    ),
    Case(
        "aws-policy-principals-exist",
        "slr-created-not-depended-on",
        lambda b: _slr(b, depend=False),
        "the stack creates it (asg-slr) but policy does not depend on it",
    ),
    Case(
        "aws-policy-principals-exist",
        "literal-role",
        lambda b: b.set("data-key", policy=key_policy("arn:aws:iam::123456789012:role/reader")),
        "names role reader, which is neither a dependency",
    ),
    Case(
        "aws-iam-policy-reference",
        "unknown-action",
        _role_policy({"Effect": "Allow", "Action": "s3:GetObjects", "Resource": _OBJECTS}),
        "policy: Statement[0]: action 's3:GetObjects': s3 has no action 'GetObjects'",
    ),
    Case(
        "aws-iam-policy-reference",
        "unknown-service",
        _role_policy({"Effect": "Allow", "Action": "dynamo:GetItem", "Resource": "*"}),
        "action 'dynamo:GetItem': no service 'dynamo' in the IAM service reference",
    ),
    Case(
        "aws-iam-policy-reference",
        "resource-type",
        _role_policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::streaming-renditions"}),
        "s3:GetObject authorizes none of 'arn:aws:s3:::streaming-renditions' (its resource types: "
        "accesspointobject, object)",
    ),
    Case(
        "aws-iam-policy-reference",
        "wildcard-only-action",
        _role_policy(
            {
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "arn:aws:ecr:us-west-2:123456789012:repository/streaming/api",
            }
        ),
        'ecr:GetAuthorizationToken supports no resource-level permissions: Resource must be "*"',
    ),
    Case(
        "aws-iam-policy-reference",
        "condition-key-of-another-service",
        _role_policy(
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": _OBJECTS,
                "Condition": {"StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}},
            }
        ),
        "condition key 'kms:ViaService' belongs to kms, and the statement has no kms action",
    ),
    Case(
        "aws-iam-policy-reference",
        "unknown-condition-key",
        _role_policy(
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": _KEY,
                "Condition": {"StringEquals": {"kms:ViaServices": "s3.us-west-2.amazonaws.com"}},
            }
        ),
        "condition key 'kms:ViaServices' is not a condition key of kms",
    ),
]

COMPLIANT = [
    Case("aws-api-member-constraints", "valid-values", lambda b: b.set("transcoder", timeout=900, memorySize=1024)),
    Case("aws-ec2-description-charset", "allowed-chars", lambda b: _sg(b, "ALB: HTTPS from CloudFront (prefix list)")),
    Case("aws-name-limits", "short-names", lambda b: b.set("uploads", bucket="streaming-uploads-1")),
    Case(
        "aws-waf-logging-destination-name",
        "prefixed",
        lambda b: b.patch("waf-logs", lambda i: i.update(name="aws-waf-logs-x")),
    ),
    Case("aws-sqs-visibility-covers-lambda", "six-times", lambda b: _esm_joined(b, 60, 360)),
    Case("aws-cloudfront-origin-groups", "two-members", _origin_groups(["alb", "renditions"], [500, 502, 503, 504])),
    Case(
        "aws-lambda-layer-region",
        "same-region",
        lambda b: b.set("transcoder", layers=["arn:aws:lambda:us-west-2:123456789012:layer:ffmpeg:1"]),
    ),
    Case("aws-rds-max-allocated-storage", "autoscaling", lambda b: b.set("catalog-db", maxAllocatedStorage=100)),
    Case("aws-policy-principals-exist", "slr-created-and-depended-on", lambda b: _slr(b, depend=True)),
    Case("aws-policy-principals-exist", "role-of-the-stack", _role_principal),
    Case(
        "aws-policy-principals-exist",
        "declared-prerequisite",
        lambda b: b.set("data-key", policy=key_policy(SLR_ARN)),
    ),
    Case(
        "aws-iam-policy-reference",
        "valid-statements",
        _role_policy(
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": _OBJECTS},
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": _KEY,
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": "s3.us-west-2.amazonaws.com",
                        "aws:SourceAccount": "123456789012",
                    },
                    "StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::streaming-renditions"},
                },
            },
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:aws:logs:us-west-2:123456789012:log-group:/ecs/api:*",
            },
            {
                "Effect": "Allow",
                "Action": "elasticache:Connect",
                "Resource": [
                    "arn:aws:elasticache:us-west-2:123456789012:replicationgroup:streaming-redis",
                    "arn:aws:elasticache:us-west-2:123456789012:user:streaming-app",
                ],
            },
        ),
    ),
]
_PREREQ = {"aws-policy-principals-exist": {"preexistingRoles": ["AWSServiceRoleForAutoScaling"]}}


def _ids(c: Case) -> str:
    return f"{c.policy}:{c.id}"


def _run(run_pack, b: StackBuilder, policy_config: dict | None = None) -> PolicyReport:
    if policy_config is None:
        return run_pack(b)
    from offline.policy_driver import load_policy_config

    return run_pack(b, policy_config={**load_policy_config(b.stack), **policy_config})


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("case", NON_COMPLIANT, ids=_ids)
def test_non_compliant_fires_mandatory(run_pack, case: Case, preview: bool) -> None:
    b = platform("prod", preview)
    case.mutate(b)
    report = run_pack(b)
    assert {d.policy for d in report.mandatory} == {case.policy}, report.render()
    diags = report.for_policy(case.policy)
    assert diags and all(d.level == "mandatory" and d.resource_name and d.remediation for d in diags)
    assert any(case.expect in d.detail for d in diags), report.render()


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("case", COMPLIANT, ids=_ids)
def test_compliant_variant_passes(run_pack, case: Case, preview: bool) -> None:
    b = platform("prod", preview)
    case.mutate(b)
    report = _run(run_pack, b, _PREREQ if case.id == "declared-prerequisite" else None)
    assert report.mandatory == [], report.render()
    assert report.for_policy(case.policy) == []


def test_every_aws_api_rule_has_both_fixtures() -> None:
    from streaming_policies.aws_api import RULES

    names = {r.name for r in RULES}
    assert names == {c.policy for c in NON_COMPLIANT} == {c.policy for c in COMPLIANT}
    assert {r.pillar for r in RULES} == {"aws-api"}


# --- the mapping against botocore -------------------------------------------------------------


_session: dict[str, Callable[..., Recording]] = {}


@pytest.fixture(autouse=True)
def _session_recordings(recording: Callable[..., Recording]) -> None:
    _session["recording"] = recording


def shared(stack: str, preview: bool) -> Recording:
    """The stack's recording, shared by the whole test session (tests/conftest.py)."""
    return _session["recording"](stack, preview=preview)


def test_every_mapped_member_exists_and_is_constrained() -> None:
    from streaming_policies.aws_api.botocore_model import _compiled, constraint
    from streaming_policies.aws_api.mapping import MAPPING, NO_CONSTRAINED_INPUTS

    count = 0
    for type_, entries in MAPPING.items():
        assert len({m.path for m in entries}) == len(entries), f"{type_}: duplicate path"
        for m in entries:
            c = constraint(m.service, m.shape, m.member)
            assert c.constrained, f"{type_}.{m.path}: {c.where} carries no constraint"
            if c.pattern:
                _compiled(c.pattern)
            count += 1
    assert count == 201  # + ECR, capacity provider, layer, SLR, SES, DR metrics mapped by the merged branches
    assert not set(MAPPING) & set(NO_CONSTRAINED_INPUTS)
    assert all(reason.strip() for reason in NO_CONSTRAINED_INPUTS.values())


def test_honesty_check_rejects_a_wrong_member() -> None:
    from streaming_policies.aws_api.botocore_model import ModelError, constraint

    with pytest.raises(ModelError, match="CreateQueueRequest has no member VisibilityTimeout"):
        constraint("sqs", "CreateQueueRequest", "VisibilityTimeout")
    with pytest.raises(ModelError, match="no shape CreateBucketInput"):
        constraint("s3", "CreateBucketInput", "Bucket")


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_resource_type_of_the_stacks_is_accounted_for(stack: str) -> None:
    from streaming_policies.aws_api.mapping import MAPPING, NO_CONSTRAINED_INPUTS

    types = {t for t in shared(stack, False).counts_by_type() if t.startswith("aws:")}
    missing = sorted(types - set(MAPPING) - set(NO_CONSTRAINED_INPUTS))
    assert missing == []


def test_coverage_of_the_stacks() -> None:
    from streaming_policies.aws_api.coverage import compute

    pairs = [(r.type, r.inputs) for s in ("dev", "prod") for r in shared(s, False).resources if r.custom]
    cov = compute(pairs)
    assert cov.summary() == "171 of 207 constrained inputs mapped (83%)"
    assert ("aws:lambda/function:Function", "timeout") in cov.mapped
    assert ("aws:cognito/userPoolClient:UserPoolClient", "refreshTokenValidity") in cov.unmapped


# --- the real stacks ----------------------------------------------------------------------------


def _aws_api_violations(
    stack: str, preview: bool, rec: Recording | None = None, policy_config: dict | None = None
) -> list[tuple[str, str]]:
    rec = rec or shared(stack, preview)
    report = analyze(
        rec.resources,
        project=rec.project,
        stack=rec.stack,
        preview=preview,
        config=rec.config,
        policy_config=policy_config,
    )
    return sorted((d.policy, d.resource_name) for d in report.mandatory if d.policy.startswith("aws-"))


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_real_stacks_pass_the_aws_api_pillar(stack: str, preview: bool) -> None:
    assert _aws_api_violations(stack, preview) == []


def test_prod_creates_the_autoscaling_role_and_its_compute_key_policy_depends_on_it() -> None:
    rec = shared("prod", False)
    (role,) = rec.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role.inputs["awsServiceName"] == "autoscaling.amazonaws.com"
    assert role.protect is True
    key = rec.named("app-compute-key")
    assert key.property_dependencies["policy"] == (role.urn,)
    principals = [s["Principal"]["AWS"] for s in json.loads(key.inputs["policy"])["Statement"]]
    fleet_role = SLR_ARN.replace("123456789012", ACCOUNT_ID)
    assert principals == [f"arn:aws:iam::{ACCOUNT_ID}:root", fleet_role, fleet_role]


def test_an_existing_autoscaling_role_must_be_a_declared_prerequisite() -> None:
    """EXISTING: the key names the account's role by ARN with no dependency; the pack rejects it until the pack
    config lists the role in preexistingRoles (the prerequisite make preflight verifies)."""
    rec = run_program("prod", preview=False, config_overrides={"streaming:autoScalingServiceLinkedRole": "EXISTING"})
    assert rec.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole") == []
    assert rec.named("app-compute-key").property_dependencies.get("policy", ()) == ()
    assert _aws_api_violations("prod", False, rec) == [("aws-policy-principals-exist", "app-compute-key")]
    declared = {"aws-policy-principals-exist": {"preexistingRoles": ["AWSServiceRoleForAutoScaling"]}}
    assert _aws_api_violations("prod", False, rec, declared) == []
