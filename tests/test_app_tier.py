"""AppTier (and the PublicZone it validates certificates in), as the dev and prod stacks register it."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from streaming_platform.app.images import DEFAULT_IMAGE
from streaming_platform.app.tier import (
    ALB_TLS_POLICY,
    CONTAINER_USER,
    SERVICE_NAMES,
    SPOT_NOTICE_SECONDS,
    AccessLogs,
    AppNetwork,
    AppTierArgs,
    CapacityStrategy,
    DataAccess,
    FleetOptions,
    IdentityOptions,
    LogSettings,
    ServicesOptions,
    alb_access_log_statements,
    validate_args,
)

from offline.engine import Recording, ResourceRecord, is_unknown
from offline.fakes import ACCOUNT_ID, AWS_PREFIX_LISTS
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


def test_alb_log_delivery_principal_follows_the_region():
    old = alb_access_log_statements("arn:aws:s3:::logs", "us-west-2", ACCOUNT_ID, "aws")
    assert old == [
        {
            "Sid": "ElbWritesAccessLogs",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::797873946194:root"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::logs/alb/AWSLogs/{ACCOUNT_ID}/*",
        }
    ]
    assert alb_access_log_statements("arn:aws:s3:::l", "us-east-2", "1", "aws")[0]["Principal"] == {
        "AWS": "arn:aws:iam::033677994240:root"
    }
    assert alb_access_log_statements("arn:aws:s3:::l", "ap-southeast-4", "1", "aws")[0]["Principal"] == {
        "Service": "logdelivery.elasticloadbalancing.amazonaws.com"
    }


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_log_bucket_policy_grants_alb_delivery(recording, stack):
    full = recording(stack, preview=False)
    policy = statements(one(full, "aws:s3/bucketPolicy:BucketPolicy", "bucket-policies-logs").inputs["policy"])
    (grant,) = [s for s in policy if s.get("Sid") == "ElbWritesAccessLogs"]
    elb = {"dev": "033677994240", "prod": "797873946194"}[stack]
    assert grant["Principal"] == {"AWS": f"arn:aws:iam::{elb}:root"}
    assert grant["Resource"].endswith(f"/alb/AWSLogs/{ACCOUNT_ID}/*")


# ---- security groups ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_every_security_group_admits_exactly_its_callers_and_no_cidr(recording, stack, preview):
    full = recording(stack, preview=preview)
    rec = app(recording, stack, preview)
    found: dict[str, set[tuple[str, int]]] = {
        sg.name.removeprefix("app-").removesuffix("-sg"): set() for sg in rec.of_type(SG)
    }
    for rule in rec.of_type(INGRESS):
        assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs, rule.name
        assert rule.inputs["fromPort"] == rule.inputs["toPort"]
        target = dep(rec, rule, "securityGroupId").name.removeprefix("app-").removesuffix("-sg")
        if "prefixListId" in rule.inputs:
            assert (
                rule.inputs["prefixListId"]
                == AWS_PREFIX_LISTS["com.amazonaws.global.cloudfront.origin-facing"][REGION[stack]]
            )
            source = "prefix-list"
        else:
            source = dep(rec, rule, "referencedSecurityGroupId").name
        found[target].add((source, int(rule.inputs["fromPort"])))
    # The fleet's instances admit nothing: their tasks have their own ENIs and groups.
    assert found == {**EXPECTED_INGRESS, **({"fleet": set()} if stack == "prod" else {})}
    assert (
        "aws:ec2/getManagedPrefixList:getManagedPrefixList",
        {"name": "com.amazonaws.global.cloudfront.origin-facing"},
    ) in full.invokes
    # No inline rules: every rule is a separate resource, so the groups above are the whole truth.
    assert all("ingress" not in sg.inputs and "egress" not in sg.inputs for sg in rec.of_type(SG))


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_egress_is_callee_ports_and_https_only(recording, stack, preview):
    rec = app(recording, stack, preview)
    for rule in rec.of_type(EGRESS):
        source = dep(rec, rule, "securityGroupId").name
        if "cidrIpv4" in rule.inputs:
            assert (rule.inputs["cidrIpv4"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("0.0.0.0/0", 443, 443)
            assert source not in ("app-alb-sg", "app-nlb-sg")
        else:
            assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (8080, 8080)


# ---- EC2 fleet (prod) --------------------------------------------------------------------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_launch_template_requires_imdsv2_and_encrypts_the_root_volume_with_the_compute_key(recording, preview):
    full = recording("prod", preview=preview)
    rec = app(recording, "prod", preview)
    (lt,) = rec.of_type(LT)
    assert lt.inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
        "instanceMetadataTags": "disabled",
    }
    (mapping,) = lt.inputs["blockDeviceMappings"]
    ebs = mapping["ebs"]
    assert mapping["deviceName"] == "/dev/xvda"
    assert {k: v for k, v in ebs.items() if k != "kmsKeyId"} == {
        "volumeSize": 30,
        "volumeType": "gp3",
        "encrypted": "true",
        "deleteOnTermination": "true",
    }
    assert dep(rec, lt, "blockDeviceMappings").name == "app-compute-key"
    assert lt.inputs["instanceType"] == "t3.large"
    (nic,) = lt.inputs["networkInterfaces"]
    assert nic["associatePublicIpAddress"] == "false"
    assert {d.name for d in deps(full, lt, "networkInterfaces")} == {"app-fleet-sg"}  # tasks join data-clients
    assert "keyName" not in lt.inputs
    assert "vpcSecurityGroupIds" not in lt.inputs
    assert dep(rec, lt, "iamInstanceProfile").type == "aws:iam/instanceProfile:InstanceProfile"
    # Amazon ECS Developer Guide, "Retrieving Amazon ECS-optimized Linux AMI metadata".
    invoke = (
        "aws:ssm/getParameter:getParameter",
        {"name": "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"},
    )
    assert invoke in full.invokes
    script = __import__("base64").b64decode(lt.inputs["userData"]).decode()
    assert "ECS_CLUSTER=streaming-prod\n" in script and "nginx" not in script and "dnf" not in script
    if not preview:
        assert lt.inputs["imageId"].startswith("ami-")


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_asg_spans_one_app_subnet_per_az_protected_from_scale_in_with_spot_mix_and_refresh(recording, preview):
    full = recording("prod", preview=preview)
    rec = app(recording, "prod", preview)
    (asg,) = rec.of_type(ASG)
    assert subnet_azs(full, asg, "vpcZoneIdentifiers", "app") == AZS["prod"]
    assert (asg.inputs["minSize"], asg.inputs["desiredCapacity"], asg.inputs["maxSize"]) == (3, 3, 12)
    assert asg.ignore_changes == ("desiredCapacity",)
    assert (asg.inputs["healthCheckType"], asg.inputs["healthCheckGracePeriod"]) == ("EC2", 300)
    assert asg.inputs["protectFromScaleIn"] is True
    assert {"key": "AmazonECSManaged", "value": "true", "propagateAtLaunch": True} in asg.inputs["tags"]
    assert asg.inputs["capacityRebalance"] is True
    mip = asg.inputs["mixedInstancesPolicy"]
    assert mip["instancesDistribution"] == {
        "onDemandBaseCapacity": 3,
        "onDemandPercentageAboveBaseCapacity": 25,
        "spotAllocationStrategy": "price-capacity-optimized",
    }
    assert [o["instanceType"] for o in mip["launchTemplate"]["overrides"]] == [
        "t3.large",
        "t3a.large",
        "m6i.large",
        "m5.large",
    ]
    assert asg.inputs["instanceRefresh"] == {
        "strategy": "Rolling",
        "preferences": {
            "minHealthyPercentage": 90,
            "skipMatching": True,
            "autoRollback": True,
            "scaleInProtectedInstances": "Refresh",
        },
    }
    version = mip["launchTemplate"]["launchTemplateSpecification"]["version"]
    assert version not in ("$Latest", "$Default")
    if not preview:
        assert version == "1"
    assert "targetGroupArns" not in asg.inputs  # the ALB targets the tasks (ip), not the instances
    assert rec.of_type(ASG_POLICY) == []
    (provider,) = rec.of_type(CAPACITY_PROVIDER)
    assert provider.inputs["name"] == "streaming-prod-fleet"
    assert dep(rec, provider, "autoScalingGroupProvider").name == "app-fleet"
    assert provider.inputs["autoScalingGroupProvider"]["managedTerminationProtection"] == "ENABLED"
    assert provider.inputs["autoScalingGroupProvider"]["managedScaling"]["status"] == "ENABLED"
    (association,) = rec.of_type("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert association.inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT", "streaming-prod-fleet"]
    assert dep(rec, association, "capacityProviders").name == "app-fleet-capacity"
    assert dep(rec, association, "clusterName").name == "app-cluster"


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_the_fleet_boots_only_after_its_cluster_exists(recording, preview):
    """An ECS agent whose ECS_CLUSTER does not exist exits for good (cluster.py): the launch template's user data
    and the instance role's policy take the cluster's name from the cluster, so the engine creates the cluster
    (and its namespace) before any instance can boot."""
    rec = recording("prod", preview=preview)
    lt = rec.of_type("aws:ec2/launchTemplate:LaunchTemplate")[0]
    assert dep(rec, lt, "userData").name == "app-cluster"
    assert dep(rec, rec.named("app-fleet"), "mixedInstancesPolicy") is lt
    (role_policy,) = [r for r in rec.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "app-fleet-role"]
    assert dep(rec, role_policy, "policy").name == "app-cluster"
    assert base64.b64decode(lt.inputs["userData"]).decode().count("ECS_CLUSTER=streaming-prod\n") == 1
    cluster = rec.named("app-cluster")
    assert cluster.type == "aws:ecs/cluster:Cluster" and rec.by_urn(cluster.parent).type == "streaming:app:Cluster"


def test_compute_key_lets_the_autoscaling_service_linked_role_use_it_for_ebs(recording):
    key = one(app(recording, "prod", False), KEY, "app-compute-key")
    assert key.inputs["enableKeyRotation"] is True
    assert key.protect and key.retain_on_delete
    role = f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    by_sid = {s["Sid"]: s for s in statements(key.inputs["policy"])}
    assert by_sid["AutoScalingUsesKeyForFleetVolumes"]["Principal"] == {"AWS": role}
    assert by_sid["AutoScalingUsesKeyForFleetVolumes"]["Action"] == [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:DescribeKey",
    ]
    assert by_sid["AutoScalingGrantsEbsForFleetVolumes"]["Action"] == "kms:CreateGrant"
    assert by_sid["AutoScalingGrantsEbsForFleetVolumes"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def test_without_a_fleet_the_compute_key_names_no_autoscaling_role(recording):
    # KMS rejects a key policy naming a role that does not exist (MalformedPolicyDocumentException), and a fresh
    # account has no AWSServiceRoleForAutoScaling until its first Auto Scaling group: dev runs ECS only.
    key = one(app(recording, "dev", False), KEY, "app-compute-key")
    assert [s["Sid"] for s in statements(key.inputs["policy"])] == ["AccountAdministersKeyThroughIam"]


# ---- ECS ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_each_service_runs_in_every_app_subnet_without_public_ip_on_the_configured_capacity(recording, stack, preview):
    full = recording(stack, preview=preview)
    rec = app(recording, stack, preview)
    fargate = {
        "dev": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
        "prod": [
            {"capacityProvider": "FARGATE", "base": 3, "weight": 1},
            {"capacityProvider": "FARGATE_SPOT", "weight": 3},
        ],
    }[stack]
    fleet = [{"capacityProvider": "streaming-prod-fleet", "base": 0, "weight": 1}]
    strategies = {  # only the frontend on the EC2 fleet in prod (the api: Fargate); dev has no fleet (ECS_ONLY)
        name: fleet if stack == "prod" and name == "frontend" else fargate for name in SERVICE_NAMES
    }
    services = {s.inputs["name"]: s for s in rec.of_type(SERVICE)}
    assert sorted(services) == sorted(SERVICE_NAMES)
    for name, svc in services.items():
        net = svc.inputs["networkConfiguration"]
        assert net["assignPublicIp"] is False
        assert subnet_azs(full, svc, "networkConfiguration", "app") == AZS[stack]
        groups = {d.name for d in deps(full, svc, "networkConfiguration") if d.type == SG}
        assert groups == ({f"app-{name}-sg", "data-clients"} if name != "frontend" else {"app-frontend-sg"})
        assert svc.inputs["capacityProviderStrategies"] == strategies[name], name
        assert svc.inputs["waitForSteadyState"] is (stack == "prod")
        assert svc.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
        assert svc.ignore_changes == ("desiredCount",)
        assert svc.inputs["desiredCount"] == (2 if stack == "dev" else 3)
        assert svc.inputs["serviceConnectConfiguration"]["enabled"] is True
        assert svc.inputs["serviceConnectConfiguration"]["services"][0]["clientAlias"] == [
            {"dnsName": name, "port": 8080}
        ]
        assert "launchType" not in svc.inputs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_task_definitions_are_read_only_non_root_with_secrets_from_secrets_manager(recording, stack):
    full = recording(stack, preview=False)
    rec = app(recording, stack, False)
    (secret,) = rec.of_type(SECRET)
    sizes = {"dev": {}, "prod": {"api": ("1024", "2048"), "video": ("1024", "2048")}}[stack]
    default = {"dev": ("256", "512"), "prod": ("512", "1024")}[stack]
    for task in rec.of_type(TASK):
        container, init = json.loads(task.inputs["containerDefinitions"])
        name = container["name"]
        assert (task.inputs["cpu"], task.inputs["memory"]) == sizes.get(name, default)
        assert task.inputs["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"}
        on_fleet = stack == "prod" and name == "frontend"  # the api runs on Fargate behind the REST API
        assert task.inputs["requiresCompatibilities"] == (["EC2"] if on_fleet else ["FARGATE"]), name
        assert container["readonlyRootFilesystem"] is True and init["readonlyRootFilesystem"] is True
        assert container["user"] == CONTAINER_USER and not container["user"].startswith("0")
        # Neither stack sets ecsServiceImageTags yet: every service runs the public default image.
        assert container["image"] == init["image"] == DEFAULT_IMAGE
        assert (init["name"], init["essential"], init["user"]) == ("tmp-init", False, "0")
        assert container["dependsOn"] == [{"containerName": "tmp-init", "condition": "SUCCESS"}]
        assert container["stopTimeout"] < SPOT_NOTICE_SECONDS
        assert container["logConfiguration"]["options"]["awslogs-group"] == f"/ecs/streaming-{stack}/{name}"
        expected_secrets = ["SESSION_SIGNING_KEY"] if name in ("api", "user") else []
        assert [s["name"] for s in container["secrets"]] == expected_secrets
        for s in container["secrets"]:
            assert s["valueFrom"] == (
                f"arn:aws:secretsmanager:{REGION[stack]}:{ACCOUNT_ID}:secret:app-session-key-{secret.id[-7:]}"
            )
        if expected_secrets:
            assert secret.urn in task.property_dependencies["containerDefinitions"]
        for env in container["environment"]:
            assert not any(w in env["name"] for w in ("SECRET", "PASSWORD", "TOKEN", "KEY")), env
    for group in rec.of_type(LOG_GROUP):
        assert dep(full, group, "kmsKeyId").name == "data-logs-key"
        assert group.inputs["retentionInDays"] == (30 if stack == "dev" else 365)
    for tg in rec.of_type(TG):
        assert int(tg.inputs["deregistrationDelay"]) < SPOT_NOTICE_SECONDS


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_services_autoscale_on_cpu_and_memory(recording, stack, preview):
    rec = app(recording, stack, preview)
    targets = rec.of_type("aws:appautoscaling/target:Target")
    assert {(t.inputs["minCapacity"], t.inputs["maxCapacity"]) for t in targets} == {
        (2, 4) if stack == "dev" else (3, 20)
    }
    kinds = Counter(
        p.inputs["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"]["predefinedMetricType"]
        for p in rec.of_type("aws:appautoscaling/policy:Policy")
    )
    assert kinds == {"ECSServiceAverageCPUUtilization": 6, "ECSServiceAverageMemoryUtilization": 6}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_iam_statement_allows_every_action_on_every_resource(recording, stack):
    rec = app(recording, stack, False)
    policies = rec.of_type(ROLE_POLICY)
    assert policies
    for policy in policies:
        for s in statements(policy.inputs["policy"]):
            actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
            resources = [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]
            assert not any(a == "*" or a.endswith(":*") for a in actions), (policy.name, s)
            if "*" in resources:  # actions without resource-level permissions
                assert actions in (["ecr:GetAuthorizationToken"], ["ecs:DiscoverPollEndpoint"]), (policy.name, s)


def test_task_roles_are_scoped_per_service(recording):
    rec = app(recording, "prod", False)
    by_role = {p.name: statements(p.inputs["policy"]) for p in rec.of_type(ROLE_POLICY)}
    data_stores = ["RedisReplicationGroup", "RedisUser", "DatabaseUser"]
    assert [s["Sid"] for s in by_role["app-frontend-task"]] == ["ReadRenditions", "DecryptRenditionsThroughS3"]
    assert [s["Sid"] for s in by_role["app-video-task"]] == [
        "VideoCatalogue",
        "PresignUploads",
        "ReadRenditions",
        "MediaKeyThroughS3",
        "TableKeyThroughDynamoDB",
        *data_stores,
    ]
    assert [s["Sid"] for s in by_role["app-comment-task"]] == [
        "VideoCatalogueRead",
        "TableKeyThroughDynamoDB",
        *data_stores,
    ]
    assert [s["Sid"] for s in by_role["app-notification-task"]] == data_stores
    data_key = one(recording("prod", preview=False), "aws:kms/key:Key", "data-data-key")
    assert by_role["app-comment-task"][1] == {
        "Sid": "TableKeyThroughDynamoDB",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
        "Resource": f"arn:aws:kms:us-west-2:{ACCOUNT_ID}:key/{data_key.id}",
        "Condition": {"StringEquals": {"kms:ViaService": "dynamodb.us-west-2.amazonaws.com"}},
    }
    redis_group, redis_user, db_user = by_role["app-notification-task"]
    assert redis_group["Action"] == redis_user["Action"] == "elasticache:Connect"
    assert redis_user["Resource"] == f"arn:aws:elasticache:us-west-2:{ACCOUNT_ID}:user:streaming-prod-app"
    assert db_user["Action"] == "rds-db:connect"
    assert db_user["Resource"].endswith("/streaming_app")
    assert by_role["app-comment-task"][0]["Action"] == ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"]
    assert [s["Sid"] for s in by_role["app-frontend-execution"]] == ["EcrLogin", "PullImages", "WriteLogs"]
    assert [s["Sid"] for s in by_role["app-api-execution"]] == [
        "EcrLogin",
        "PullImages",
        "WriteLogs",
        "ReadSecrets",
        "DecryptSecrets",
    ]


# ---- API Gateway -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_rest_api_is_cognito_authorized_throttled_logged_and_waf_protected(recording, stack, preview):
    full = recording(stack, preview=preview)
    rec = app(recording, stack, preview)
    (authorizer,) = rec.of_type(AUTHORIZER)
    assert authorizer.inputs["type"] == "COGNITO_USER_POOLS"
    assert authorizer.inputs["identitySource"] == "method.request.header.Authorization"
    assert dep(rec, authorizer, "providerArns").type == USER_POOL
    for method in rec.of_type(METHOD):
        assert method.inputs["authorization"] == "COGNITO_USER_POOLS"
        assert dep(rec, method, "authorizerId").urn == authorizer.urn
    link = one(rec, "aws:apigateway/vpcLink:VpcLink", "app-vpc-link")
    nlb = dep(rec, link, "targetArn")
    assert (nlb.name, nlb.inputs["internal"], nlb.inputs["loadBalancerType"]) == ("app-nlb", True, "network")
    assert subnet_azs(full, nlb, "subnets", "app") == AZS[stack]
    for integration in rec.of_type(INTEGRATION):
        assert (integration.inputs["type"], integration.inputs["connectionType"]) == ("HTTP_PROXY", "VPC_LINK")
        assert dep(rec, integration, "connectionId").urn == link.urn
    (stage,) = rec.of_type(STAGE)
    logs = dep(rec, stage, "accessLogSettings")
    assert logs.type == LOG_GROUP and dep(full, logs, "kmsKeyId").name == "data-logs-key"
    (settings,) = rec.of_type("aws:apigateway/methodSettings:MethodSettings")
    assert settings.inputs["methodPath"] == "*/*"
    limits = {"dev": (20, 40), "prod": (1000, 2000)}[stack]
    assert (
        settings.inputs["settings"]["throttlingRateLimit"],
        settings.inputs["settings"]["throttlingBurstLimit"],
    ) == limits
    (assoc,) = [a for a in rec.of_type(ASSOCIATION) if dep(rec, a, "resourceArn").urn == stage.urn]
    assert dep(rec, assoc, "webAclArn").inputs["scope"] == "REGIONAL"
    api = one(rec, "aws:apigateway/restApi:RestApi", "app-api")
    assert api.inputs["endpointConfiguration"] == {"types": "REGIONAL"}
    assert api.inputs["disableExecuteApiEndpoint"] is True
    domain = one(rec, "aws:apigateway/domainName:DomainName", "app-api-domain")
    assert domain.inputs["securityPolicy"] == "TLS_1_2"


# ---- Cognito -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_user_pool_password_policy_mfa_and_protection_per_stack(recording, stack, preview):
    rec = app(recording, stack, preview)
    (pool,) = rec.of_type(USER_POOL)
    prod = stack == "prod"
    assert pool.inputs["usernameAttributes"] == ["email"]
    assert pool.inputs["passwordPolicy"] == {
        "minimumLength": 12,
        "requireLowercase": True,
        "requireUppercase": True,
        "requireNumbers": True,
        "requireSymbols": True,
        "temporaryPasswordValidityDays": 3,
    }
    assert pool.inputs["mfaConfiguration"] == ("ON" if prod else "OPTIONAL")
    assert pool.inputs["softwareTokenMfaConfiguration"] == {"enabled": True}
    assert pool.inputs["deletionProtection"] == ("ACTIVE" if prod else "INACTIVE")
    if prod:
        assert pool.inputs["userPoolAddOns"] == {"advancedSecurityMode": "ENFORCED"}
        assert pool.inputs["userPoolTier"] == "PLUS"
    else:
        assert "userPoolAddOns" not in pool.inputs
    assert (pool.protect, pool.retain_on_delete) == (prod, prod)


@pytest.mark.parametrize(("stack", "preview"), MODES)
def test_web_client_is_a_public_pkce_code_flow_client_with_configured_callbacks(recording, stack, preview):
    (client,) = app(recording, stack, preview).of_type(CLIENT)
    assert client.inputs["generateSecret"] is False
    assert client.inputs["allowedOauthFlows"] == ["code"]
    assert client.inputs["allowedOauthFlowsUserPoolClient"] is True
    assert client.inputs["allowedOauthScopes"] == ["openid", "email", "profile"]
    assert (
        client.inputs["callbackUrls"]
        == {
            "dev": ["https://dev.video.example.com/auth/callback", "http://localhost:3000/auth/callback"],
            "prod": ["https://video.example.com/auth/callback"],
        }[stack]
    )
    assert "ALLOW_USER_PASSWORD_AUTH" not in client.inputs["explicitAuthFlows"]


# ---- protection --------------------------------------------------------------------------------------------


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
