"""AppTier (and the PublicZone it validates certificates in), as the dev and prod stacks register it."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from streaming_platform.app.tier import (
    ALB_TLS_POLICY,
    SERVICE_NAMES,
    AccessLogs,
    AppNetwork,
    AppTierArgs,
    CapacityStrategy,
    DataAccess,
    FleetOptions,
    IdentityOptions,
    LogSettings,
    ServicesOptions,
    validate_args,
)

from offline.engine import Recording, ResourceRecord, is_unknown
from offline.fakes import ACCOUNT_ID
from tests.graph import dep, deps, only_component

COMPONENT = "streaming:app:AppTier"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LB = "aws:lb/loadBalancer:LoadBalancer"
LISTENER = "aws:lb/listener:Listener"
RULE = "aws:lb/listenerRule:ListenerRule"
TG = "aws:lb/targetGroup:TargetGroup"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
ASG_POLICY = "aws:autoscaling/policy:Policy"
SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY = "aws:kms/key:Key"
SUBNET = "aws:ec2/subnet:Subnet"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
AUTHORIZER = "aws:apigateway/authorizer:Authorizer"
METHOD = "aws:apigateway/method:Method"
INTEGRATION = "aws:apigateway/integration:Integration"
STAGE = "aws:apigateway/stage:Stage"
USER_POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
SECRET = "aws:secretsmanager/secret:Secret"
REPO = "aws:ecr/repository:Repository"
CAPACITY_PROVIDER = "aws:ecs/capacityProvider:CapacityProvider"

MODES = [
    pytest.param(stack, preview, id=f"{stack}-{'preview' if preview else 'update'}")
    for stack in ("dev", "prod")
    for preview in (True, False)
]
AZS = {"dev": ["us-east-2a", "us-east-2b"], "prod": ["us-west-2a", "us-west-2b", "us-west-2c"]}
REGION = {"dev": "us-east-2", "prod": "us-west-2"}

PARTS = ("LoadBalancer", "Cluster", "Services", "PrivateApi", "Identity")
COMMON_COUNTS = {
    COMPONENT: 1,
    **{f"streaming:app:{part}": 1 for part in PARTS},
    "aws:acm/certificate:Certificate": 1,
    "aws:acm/certificateValidation:CertificateValidation": 1,
    "aws:route53/record:Record": 3,  # 2 validation records, api alias (origin.<domain>: the edge's failover records)
    "aws:kms/key:Key": 1,
    "aws:kms/alias:Alias": 1,
    WEB_ACL: 2,  # one per entry point: the ALB's, the API stage's
    ASSOCIATION: 2,  # the ALB and the API stage
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": 2,
    LB: 2,  # public ALB, internal NLB
    LISTENER: 6,  # 443, 80, 4 NLB ports
    LOG_GROUP: 9,  # 6 services, 2 WAF, API access
    "aws:ecs/cluster:Cluster": 1,
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": 1,
    REPO: 6,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": 6,
    "aws:servicediscovery/httpNamespace:HttpNamespace": 1,
    SERVICE: 6,
    TASK: 6,
    "aws:appautoscaling/target:Target": 6,
    "aws:appautoscaling/policy:Policy": 12,
    SECRET: 1,
    "aws:secretsmanager/secretVersion:SecretVersion": 1,
    "random:index/randomPassword:RandomPassword": 1,
    USER_POOL: 1,
    CLIENT: 1,
    "aws:cognito/userPoolDomain:UserPoolDomain": 1,
    "aws:cognito/managedLoginBranding:ManagedLoginBranding": 1,
    # aws:apigateway/account:Account: the stack's ApiGatewayAccount (apiGatewayCloudWatchRole), not the tier's
    "aws:apigateway/restApi:RestApi": 1,
    AUTHORIZER: 1,
    "aws:apigateway/vpcLink:VpcLink": 1,
    "aws:apigateway/resource:Resource": 7,
    METHOD: 7,
    INTEGRATION: 7,
    "aws:apigateway/deployment:Deployment": 1,
    STAGE: 1,
    "aws:apigateway/methodSettings:MethodSettings": 1,
    "aws:apigateway/domainName:DomainName": 1,
    "aws:apigateway/basePathMapping:BasePathMapping": 1,
}
COUNTS = {
    "dev": {
        **COMMON_COUNTS,
        SG: 8,
        INGRESS: 13,
        EGRESS: 18,
        RULE: 1,
        TG: 5,
        "aws:iam/role:Role": 12,
        ROLE_POLICY: 12,  # 6 execution, 6 task roles (notification's: its data-store grants)
    },
    "prod": {
        **COMMON_COUNTS,
        SG: 9,
        INGRESS: 13,  # as dev; the fleet's group admits nothing
        EGRESS: 19,  # as dev + the fleet's HTTPS egress
        RULE: 1,  # the frontend's catch-all only: no fleet or api rule
        TG: 5,  # the frontend's + 4 NLB target groups: the fleet's instances are in none
        "aws:iam/role:Role": 13,
        ROLE_POLICY: 13,  # ... and the fleet's instance role
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        "aws:iam/instanceProfile:InstanceProfile": 1,
        LT: 1,
        ASG: 1,
        CAPACITY_PROVIDER: 1,  # no ASG scaling policies: the capacity provider's managed scaling sizes the group
        "streaming:app:Fleet": 1,
    },
}

# Who may open a connection to whom (security-group name suffix -> sources), exactly.
EXPECTED_INGRESS = {
    "alb": {("prefix-list", 443)},
    "nlb": set(),
    "frontend": {("app-alb-sg", 8080)},
    "api": {("app-nlb-sg", 8080)},  # the REST API's NLB only: the ALB no longer reaches it
    "video": {("app-nlb-sg", 8080), ("app-api-sg", 8080)},
    "user": {("app-nlb-sg", 8080), ("app-api-sg", 8080)},
    "comment": {("app-nlb-sg", 8080), ("app-api-sg", 8080)},
    "notification": {("app-api-sg", 8080), ("app-video-sg", 8080), ("app-user-sg", 8080), ("app-comment-sg", 8080)},
}


def app(recording, stack: str, preview: bool) -> Recording:
    return only_component(recording(stack, preview=preview), COMPONENT)


def one(rec: Recording, type_: str, name: str) -> ResourceRecord:
    (match,) = [r for r in rec.resources if r.type == type_ and r.name == name]
    return match


def subnet_azs(rec: Recording, record: ResourceRecord, prop: str, tier: str) -> list[str]:
    subnets = [d for d in deps(rec, record, prop) if d.type == SUBNET]
    assert {s.inputs["tags"]["Tier"] for s in subnets} == {tier}
    return sorted(s.inputs["availabilityZone"] for s in subnets)


def statements(policy: Any) -> list[dict[str, Any]]:
    return json.loads(policy)["Statement"]


# ---- shape ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_app_tier_registers_exactly_these_resources(recording, stack, preview):
    assert Counter(r.type for r in app(recording, stack, preview).resources) == COUNTS[stack]


def test_dev_runs_no_ec2_fleet_and_prod_runs_one(recording):
    assert not app(recording, "dev", True).of_type(ASG)
    assert not app(recording, "dev", True).of_type(LT)
    assert recording("dev", preview=False).outputs.get("asgName") is None
    assert len(app(recording, "prod", True).of_type(ASG)) == 1


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_outputs_the_issue_lists_are_exported(recording, stack, preview):
    outputs = recording(stack, preview=preview).outputs
    for key in (
        "albDnsName",
        "albArn",
        "listenerArns",
        "ecsClusterName",
        "ecsServiceNames",
        "apiEndpoint",
        "userPoolId",
        "userPoolClientId",
    ):
        assert key in outputs, key
    assert sorted(outputs["ecsServiceNames"]) == sorted(SERVICE_NAMES)
    if not preview:  # where each team pushes: the stack's own repositories
        assert outputs["ecrRepositoryUrls"] == {
            s: f"{ACCOUNT_ID}.dkr.ecr.{REGION[stack]}.amazonaws.com/streaming-{stack}/{s}" for s in SERVICE_NAMES
        }
    assert set(outputs["listenerArns"]) == {"https", "http"}
    domain = "dev.video.example.com" if stack == "dev" else "video.example.com"
    assert outputs["apiEndpoint"] == f"https://api.{domain}/api/"  # the same /api/ paths as through CloudFront
    if stack == "prod":
        assert "asgName" in outputs
    if not preview:
        assert outputs["albDnsName"].endswith(f".{REGION[stack]}.elb.amazonaws.com")


# ---- ALB ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_https_listener_uses_tls13_policy_a_validated_certificate_and_refuses_by_default(recording, stack, preview):
    rec = app(recording, stack, preview)
    https = one(rec, LISTENER, "app-https")
    assert https.inputs["port"] == 443
    assert https.inputs["protocol"] == "HTTPS"
    assert https.inputs["sslPolicy"] == ALB_TLS_POLICY == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https.inputs["defaultActions"] == [
        {
            "type": "fixed-response",
            "fixedResponse": {"contentType": "text/plain", "messageBody": "Forbidden", "statusCode": "403"},
        }
    ]
    assert dep(rec, https, "certificateArn").type == "aws:acm/certificateValidation:CertificateValidation"
    assert dep(rec, https, "loadBalancerArn").name == "app-alb"
    cert = one(rec, "aws:acm/certificate:Certificate", "app-regional-cert")
    domain = "dev.video.example.com" if stack == "dev" else "video.example.com"
    assert cert.inputs["domainName"] == f"origin.{domain}"
    assert cert.inputs["subjectAlternativeNames"] == [f"api.{domain}"]
    assert cert.inputs["validationMethod"] == "DNS"


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_http_listener_only_redirects_to_https(recording, stack, preview):
    http = one(app(recording, stack, preview), LISTENER, "app-http")
    assert http.inputs["port"] == 80
    assert http.inputs["protocol"] == "HTTP"
    assert http.inputs["defaultActions"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ]


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_listener_rules_forward_only_with_the_origin_secret_and_route_by_path(recording, stack, preview):
    full = recording(stack, preview=preview)
    rec = app(recording, stack, preview)
    rules = sorted(rec.of_type(RULE), key=lambda r: r.inputs["priority"])
    # No /api/* rule: the api service is reached through the REST API only (authorizer, throttling).
    # /stream/* and /watch/* reach the frontend's catch-all in both stacks (in prod it runs on the EC2 fleet).
    expected = [("app-frontend-rule", ["/*"], "app-frontend-tg")]
    assert [(r.name, r.inputs["conditions"][1]["pathPattern"]["values"]) for r in rules] == [
        (n, p) for n, p, _ in expected
    ]
    secret = full.named("origin-verify")
    for rule, (_, _, tg) in zip(rules, expected, strict=True):
        header = rule.inputs["conditions"][0]["httpHeader"]
        assert header["httpHeaderName"] == "X-Origin-Verify"
        assert rule.property_dependencies["conditions"] == (secret.urn,)
        assert dep(rec, rule, "listenerArn").name == "app-https"
        assert dep(rec, rule, "actions").name == tg
        if not preview:
            assert header["values"] == [hashlib.sha256(secret.id.encode()).hexdigest()[:48]]  # the fake's result


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_alb_spans_every_public_subnet_with_logs_waf_and_hardening(recording, stack, preview):
    full = recording(stack, preview=preview)
    rec = app(recording, stack, preview)
    alb = one(rec, LB, "app-alb")
    assert alb.inputs["internal"] is False
    assert alb.inputs["loadBalancerType"] == "application"
    assert subnet_azs(full, alb, "subnets", "public") == AZS[stack]
    assert alb.inputs["dropInvalidHeaderFields"] is True
    assert alb.inputs["enableDeletionProtection"] is (stack == "prod")
    assert alb.inputs["accessLogs"]["prefix"] == "alb" and alb.inputs["accessLogs"]["enabled"] is True
    assert dep(full, alb, "accessLogs").name == "data-logs"
    # ELB checks delivery permission when logging is turned on: the ALB waits for the log bucket's policy.
    assert one(full, "aws:s3/bucketPolicy:BucketPolicy", "bucket-policies-logs").urn in alb.dependencies
    assert [dep(rec, s, "securityGroups").name for s in [alb]] == ["app-alb-sg"]
    (assoc,) = [a for a in rec.of_type(ASSOCIATION) if dep(rec, a, "resourceArn").urn == alb.urn]
    acl = dep(rec, assoc, "webAclArn")
    assert acl.inputs["scope"] == "REGIONAL"


@pytest.mark.parametrize(("stack", "preview"), MODES)
@pytest.mark.parametrize("entry", ["alb", "api"])
def test_each_entry_point_has_its_own_regional_web_acl_keyed_on_the_connecting_ip(recording, stack, preview, entry):
    full = recording(stack, preview=preview)
    rec = app(recording, stack, preview)
    acl_name, target, log_suffix = {
        "alb": ("app-waf", "app-alb", "regional"),
        "api": ("app-api-acl", "app-api-stage", "api"),
    }[entry]
    acl = one(rec, WEB_ACL, acl_name)
    (assoc,) = [a for a in rec.of_type(ASSOCIATION) if dep(rec, a, "webAclArn").urn == acl.urn]
    assert dep(rec, assoc, "resourceArn").name == target
    rules = {r["name"]: r for r in acl.inputs["rules"]}
    assert set(rules) == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "rate-limit-per-client-ip",
    }
    rate = rules["rate-limit-per-client-ip"]["statement"]["rateBasedStatement"]
    # The connecting address: a forwarded-IP rule is skipped when the header is absent (a direct client) and reads
    # only the first, viewer-chosen address behind CloudFront (AWS WAF Developer Guide, "Using forwarded IP
    # addresses"). Requests carrying the edge's secret were already limited per viewer at the edge.
    assert (rate["limit"], rate["aggregateKeyType"], rate["evaluationWindowSec"]) == (2000, "IP", 300)
    assert "forwardedIpConfig" not in rate
    match = rate["scopeDownStatement"]["notStatement"]["statement"]["byteMatchStatement"]
    assert match["fieldToMatch"] == {"singleHeader": {"name": "x-origin-verify"}}
    assert match["positionalConstraint"] == "EXACTLY"
    assert acl.property_dependencies["rules"] == (full.named("origin-verify").urn,)
    assert all(r["visibilityConfig"]["cloudwatchMetricsEnabled"] is True for r in rules.values())
    assert acl.inputs["visibilityConfig"]["cloudwatchMetricsEnabled"] is True
    (logging,) = [
        g
        for g in rec.of_type("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
        if dep(rec, g, "resourceArn").urn == acl.urn
    ]
    group = dep(rec, logging, "logDestinationConfigs")
    assert group.inputs["name"] == f"aws-waf-logs-streaming-{stack}-{log_suffix}"
    assert logging.inputs["redactedFields"] == [
        {"singleHeader": {"name": "x-origin-verify"}},
        {"singleHeader": {"name": "authorization"}},
    ]


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_stateful_children_are_protected_and_retained_in_prod_only(recording, stack, preview):
    rec = app(recording, stack, preview)
    stateful = [r for r in rec.resources if r.type in (KEY, USER_POOL, LOG_GROUP, SECRET)]
    assert len(stateful) == 12
    assert {(r.protect, r.retain_on_delete) for r in stateful} == {(stack == "prod", stack == "prod")}
    repos = rec.of_type(REPO)
    assert len(repos) == 6
    assert {(r.protect, r.retain_on_delete, r.inputs["forceDelete"]) for r in repos} == {
        (stack == "prod", stack == "prod", stack != "prod")
    }
    nlb = one(rec, LB, "app-nlb")
    assert nlb.inputs["enableDeletionProtection"] is (stack == "prod")


# ---- argument validation -----------------------------------------------------------------------------------


def _args(**changes: Any) -> AppTierArgs:
    """Valid AppTierArgs; ``changes`` replaces fields, ``services``/``fleet``/``identity``/``data``/``network``
    given as dicts replace fields of that group."""
    groups: dict[str, Any] = {
        "network": AppNetwork("vpc-1", ["a", "b"], ["c", "d"], ["us-east-2a", "us-east-2b"]),
        "services": ServicesOptions(service_images={s: f"img/{s}:1" for s in SERVICE_NAMES}),
        "fleet": FleetOptions(),
        "identity": IdentityOptions(),
        "data": DataAccess(client_security_group_id="sg-1"),
    }
    for group, value in list(changes.items()):
        if group in groups and isinstance(value, dict):
            groups[group] = replace(groups[group], **value)
            del changes[group]
    base: dict[str, Any] = {
        **groups,
        "zone": None,
        "origin_verify_secret": "s",
        "logs": LogSettings(kms_key_arn="arn:key"),
        "access_logs": AccessLogs("logs"),
    }
    return AppTierArgs(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"network": {"app_subnet_ids": ["c"]}},
            "AppNetwork.availability_zones: got ['us-east-2a', 'us-east-2b'] for 2 public and 1 app subnets",
        ),
        (
            {"services": {"service_images": {"search": "x:1"}}},
            "ServicesOptions.service_images: got ['search']; allowed: names among frontend",
        ),
        (
            {"services": {"cpu_architecture": "ARM64"}},
            "ServicesOptions.cpu_architecture: got 'ARM64' with fargate_spot_weight 1; allowed: X86_64",
        ),
        (
            {"services": {"capacity": CapacityStrategy(0, 0, 0)}},
            "ServicesOptions.capacity: got CapacityStrategy(fargate_base=0",
        ),
        ({"data": {"environment": {"DB_PASSWORD": "x"}}}, "DataAccess.environment: got 'DB_PASSWORD'"),
        (
            {"fleet": {"fleet_extra_instance_types": ["t4g.large"]}},
            "FleetOptions.fleet_extra_instance_types: got ['t4g.large']",
        ),
        ({"identity": {"min_password_length": 8}}, "IdentityOptions.min_password_length: got 8; allowed: at least 12"),
        ({"services": {"service_min_tasks": 3, "service_max_tasks": 2}}, "got 3/2; allowed: 1 <= min <= max"),
    ],
)
def test_app_tier_rejects_contradictory_arguments(changes, expected):
    found = validate_args(_args(**changes))
    assert any(expected in p for p in found), found


def test_valid_arguments_have_no_problems():
    assert validate_args(_args()) == []


def test_preview_leaves_ids_unknown(recording):
    rec = app(recording, "prod", True)
    assert is_unknown(one(rec, LISTENER, "app-https").inputs["loadBalancerArn"])


# Children of the parts that 0.1's AppTier (00c13c2, components/app.py) did not have, by (type, name): they carry no
# alias, since no URN of theirs ever existed under AppTier. Every other child of a part existed in 0.1.
_REPOS = [f"app-{s}-repo" for s in ("api", "comment", "frontend", "notification", "user", "video")]
NEW_AFTER_0_1 = {
    *(("aws:ecr/repository:Repository", r) for r in _REPOS),
    *(("aws:ecr/lifecyclePolicy:LifecyclePolicy", r) for r in _REPOS),
    ("aws:iam/rolePolicy:RolePolicy", "app-frontend-task"),  # the task roles had no inline policy in 0.1
    ("aws:iam/rolePolicy:RolePolicy", "app-notification-task"),
    ("aws:wafv2/webAcl:WebAcl", "app-api-acl"),  # the stage shared the ALB's ACL (app-waf) in 0.1
    ("aws:cloudwatch/logGroup:LogGroup", "app-api-acl-logs"),
    ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "app-api-acl-logging"),
    ("aws:cognito/managedLoginBranding:ManagedLoginBranding", "app-web-branding"),
}
NEW_AFTER_0_1_FLEET = {("aws:ecs/capacityProvider:CapacityProvider", "app-fleet-capacity")}


# Aliased children: 162 (dev) / 176 (prod) at the split, - 4 for the api's ALB path (target group, rule, ALB ingress
# and egress), - 3 for the API Gateway account setting (ApiGatewayAccount, its own component and test); prod also
# - 4 for the fleet's ALB path and - 2 ASG scaling policies.
@pytest.mark.parametrize(("stack", "moved"), [("dev", 155), ("prod", 163)])
def test_parts_are_children_of_the_tier_and_their_children_alias_their_0_1_urns(recording, stack, moved):
    rec = app(recording, stack, False)
    (tier,) = rec.of_type(COMPONENT)
    parts = {
        r.type.rsplit(":", 1)[1]: r for r in rec.resources if r.type.startswith("streaming:app:") and r is not tier
    }
    assert set(parts) == {*PARTS, *(["Fleet"] if stack == "prod" else [])}  # no Fleet under ECS_ONLY
    assert {(p.parent, p.name) for p in parts.values()} == {(tier.urn, "app")}
    children = [r for r in rec.resources if r.parent in {p.urn for p in parts.values()}]
    new = NEW_AFTER_0_1 | (NEW_AFTER_0_1_FLEET if stack == "prod" else set())
    added = [r for r in children if (r.type, r.name) in new]  # children that did not exist in 0.1: no alias
    assert sorted((r.type, r.name) for r in added) == sorted(new)
    assert [r.name for r in added if r.aliases] == []
    moved_children = [r for r in children if (r.type, r.name) not in new]
    assert len(moved_children) == moved
    for r in moved_children:
        part = rec.by_urn(r.parent).type
        old = r.urn.replace(f"::{part}$", f"::{COMPONENT}$")
        assert old != r.urn and old in r.aliases, r.name
    # What stayed on AppTier (key, certificate, records) did not move and carries no alias.
    assert all(r.aliases == () for r in rec.children(tier.urn) if r.custom)
