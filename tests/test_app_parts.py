"""Each part of the application tier built ALONE, from fake inputs (tests/programs/app_part), in seconds:
exact counts and the security-relevant inputs of each part, and each part's argument checks."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from streaming_platform.app.common import CognitoMfa, DataAccess, LogSettings
from streaming_platform.app.fleet import FleetOptions
from streaming_platform.app.identity import Identity, IdentityArgs, IdentityOptions
from streaming_platform.app.load_balancer import (
    ALB_TLS_POLICY,
    AccessLogs,
    AlbRoute,
    LoadBalancerArgs,
    LoadBalancerOptions,
    validate_load_balancer_args,
)
from streaming_platform.app.private_api import (
    PrivateApiArgs,
    PrivateApiOptions,
    PrivateRoute,
    validate_private_api_args,
)
from streaming_platform.app.service_table import SERVICE_NAMES, SERVICES, api_routes_digest
from streaming_platform.app.services import ServicesArgs, ServicesOptions, validate_services_args

from offline.engine import Recording, ResourceRecord, run_program
from tests.graph import dep

PROGRAM = Path(__file__).resolve().parent / "programs" / "app_part" / "__main__.py"
REGION = "us-east-2"  # the dev stack's region: the program runs under its config
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


@cache
def build(part: str, *, protect: bool = False, no_data: bool = False) -> Recording:
    overrides = {"part:build": part, "part:protect": str(protect).lower(), "part:noData": str(no_data).lower()}
    return run_program("dev", preview=False, config_overrides=overrides, program=PROGRAM)


def one(rec: Recording, type_: str, name: str) -> ResourceRecord:
    (match,) = [r for r in rec.resources if r.type == type_ and r.name == name]
    return match


def statements(policy: str) -> list[dict[str, Any]]:
    return json.loads(policy)["Statement"]


def counts(rec: Recording) -> dict[str, int]:
    return dict(Counter(r.type for r in rec.resources))


def rules(rec: Recording, type_: str) -> set[tuple[str, str, int]]:
    """(rule owner group, peer, port) for every rule of ``type_``; peers are group ids or the CIDR/prefix list."""
    out = set()
    for r in rec.of_type(type_):
        owner = r.inputs["securityGroupId"]
        owner = (
            dep(rec, r, "securityGroupId").name
            if owner.startswith("sg-") and r.property_dependencies.get("securityGroupId")
            else owner
        )
        peer = r.inputs.get("referencedSecurityGroupId") or r.inputs.get("cidrIpv4") or "prefix-list"
        if r.property_dependencies.get("referencedSecurityGroupId"):
            peer = dep(rec, r, "referencedSecurityGroupId").name
        out.add((owner, peer, int(r.inputs["fromPort"])))
        assert r.inputs["fromPort"] == r.inputs["toPort"]
    return out


# ---- LoadBalancer ------------------------------------------------------------------------------------------


def test_load_balancer_alone_registers_exactly_its_children():
    assert counts(build("load_balancer")) == {
        "streaming:app:LoadBalancer": 1,
        SG: 1,
        INGRESS: 1,
        "aws:wafv2/webAcl:WebAcl": 1,
        LOG_GROUP: 1,
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": 1,
        "aws:lb/loadBalancer:LoadBalancer": 1,
        "aws:wafv2/webAclAssociation:WebAclAssociation": 1,
        "aws:lb/listener:Listener": 2,
        "aws:lb/targetGroup:TargetGroup": 2,
        "aws:lb/listenerRule:ListenerRule": 2,
    }


def test_load_balancer_admits_only_https_from_the_cloudfront_prefix_list():
    rec = build("load_balancer")
    (rule,) = rec.of_type(INGRESS)
    assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 443, 443)
    assert "cidrIpv4" not in rule.inputs and "referencedSecurityGroupId" not in rule.inputs
    assert rule.inputs["prefixListId"].startswith("pl-")
    assert dep(rec, rule, "securityGroupId").name == "t-alb-sg"
    assert rec.of_type(EGRESS) == []


def test_load_balancer_listeners_use_tls13_and_redirect_http():
    rec = build("load_balancer")
    https, http = one(rec, "aws:lb/listener:Listener", "t-https"), one(rec, "aws:lb/listener:Listener", "t-http")
    assert (https.inputs["port"], https.inputs["protocol"], https.inputs["sslPolicy"]) == (443, "HTTPS", ALB_TLS_POLICY)
    assert ALB_TLS_POLICY == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert https.inputs["certificateArn"] == "arn:aws:acm:us-east-2:111122223333:certificate/c"
    assert https.inputs["defaultActions"] == [
        {
            "type": "fixed-response",
            "fixedResponse": {"contentType": "text/plain", "messageBody": "Forbidden", "statusCode": "403"},
        }
    ]
    assert http.inputs["defaultActions"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ]
    alb = one(rec, "aws:lb/loadBalancer:LoadBalancer", "t-alb")
    assert alb.inputs["dropInvalidHeaderFields"] is True and alb.inputs["desyncMitigationMode"] == "strictest"
    assert alb.inputs["accessLogs"] == {"bucket": "logs-bucket", "prefix": "alb", "enabled": True}


def test_load_balancer_forwards_only_with_the_origin_header_and_puts_the_catch_all_last():
    rec = build("load_balancer")
    by_priority = sorted(rec.of_type("aws:lb/listenerRule:ListenerRule"), key=lambda r: r.inputs["priority"])
    assert [(r.name, r.inputs["priority"]) for r in by_priority] == [("t-api-rule", 10), ("t-web-rule", 20)]
    for rule in by_priority:
        header, _paths = rule.inputs["conditions"]
        assert header == {"httpHeader": {"httpHeaderName": "X-Origin-Verify", "values": ["origin-secret"]}}
        assert dep(rec, rule, "listenerArn").name == "t-https"
    assert by_priority[-1].inputs["conditions"][1] == {"pathPattern": {"values": ["/*"]}}


def test_load_balancer_associates_its_regional_web_acl_with_the_alb():
    rec = build("load_balancer")
    acl = one(rec, "aws:wafv2/webAcl:WebAcl", "t-waf")
    assert acl.inputs["scope"] == "REGIONAL"
    assert [r["name"] for r in acl.inputs["rules"]] == [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "rate-limit-per-client-ip",
    ]
    assert acl.inputs["rules"][2]["statement"]["rateBasedStatement"]["limit"] == 2000
    (assoc,) = rec.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert dep(rec, assoc, "resourceArn").name == "t-alb"
    assert dep(rec, assoc, "webAclArn").urn == acl.urn
    logging = one(rec, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "t-waf-logging")
    assert logging.inputs["redactedFields"] == [
        {"singleHeader": {"name": "x-origin-verify"}},
        {"singleHeader": {"name": "authorization"}},
    ]
    assert dep(rec, logging, "logDestinationConfigs").inputs["name"] == "aws-waf-logs-streaming-regional"


def test_protect_reaches_only_the_stateful_children_and_deletion_protection():
    rec = build("load_balancer", protect=True)
    protected = {r.name for r in rec.resources if r.protect}
    assert protected == {"t-waf-logs"}
    assert {r.name for r in rec.resources if r.retain_on_delete} == {"t-waf-logs"}
    assert one(rec, "aws:lb/loadBalancer:LoadBalancer", "t-alb").inputs["enableDeletionProtection"] is True
    assert (
        one(build("load_balancer"), "aws:lb/loadBalancer:LoadBalancer", "t-alb").inputs["enableDeletionProtection"]
        is False
    )


def _lb_args(**changes: Any) -> LoadBalancerArgs:
    base: dict[str, Any] = {
        "vpc_id": "vpc",
        "public_subnet_ids": ["a", "b"],
        "certificate_arn": "c",
        "origin_verify_secret": "s",
        "routes": [AlbRoute(target="web", paths=("/*",))],
        "access_logs": AccessLogs("logs"),
        "logs": LogSettings(kms_key_arn="k"),
    }
    return LoadBalancerArgs(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"public_subnet_ids": ["a"]}, "LoadBalancerArgs.public_subnet_ids: got 1 subnets; allowed: at least 2"),
        ({"routes": []}, "LoadBalancerArgs.routes: got targets []; allowed: at least one, each once"),
        (
            {"routes": [AlbRoute(target="web", paths=("/*",)), AlbRoute(target="web", paths=("/a/*",))]},
            "LoadBalancerArgs.routes: got targets ['web', 'web']",
        ),
        (
            {"options": LoadBalancerOptions(waf_rate_limit=50)},
            "LoadBalancerOptions.waf_rate_limit: got 50; allowed: 100 to 2000000000",
        ),
    ],
)
def test_load_balancer_rejects_bad_arguments(changes, expected):
    assert any(expected in p for p in validate_load_balancer_args(_lb_args(**changes)))
    assert validate_load_balancer_args(_lb_args()) == []


# ---- Fleet --------------------------------------------------------------------------------------------------


def test_fleet_alone_registers_exactly_its_children():
    assert counts(build("fleet")) == {
        "streaming:app:Fleet": 1,
        SG: 1,
        INGRESS: 1,
        EGRESS: 2,
        "aws:iam/role:Role": 1,
        ROLE_POLICY: 1,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        "aws:iam/instanceProfile:InstanceProfile": 1,
        "aws:ec2/launchTemplate:LaunchTemplate": 1,
        "aws:autoscaling/group:Group": 1,
        "aws:autoscaling/policy:Policy": 2,
    }


def test_fleet_takes_8080_from_the_alb_only_and_https_out():
    rec = build("fleet")
    assert rules(rec, INGRESS) == {("t-fleet-sg", "sg-alb", 8080)}
    assert rules(rec, EGRESS) == {("sg-alb", "t-fleet-sg", 8080), ("t-fleet-sg", "0.0.0.0/0", 443)}


def test_fleet_launch_template_requires_imdsv2_encrypts_and_has_no_public_ip():
    rec = build("fleet")
    lt = one(rec, "aws:ec2/launchTemplate:LaunchTemplate", "t-fleet-lt")
    assert lt.inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
        "instanceMetadataTags": "disabled",
    }
    (nic,) = lt.inputs["networkInterfaces"]
    assert nic["associatePublicIpAddress"] == "false"
    assert nic["securityGroups"][1] == "sg-data" and dep(rec, lt, "networkInterfaces").name == "t-fleet-sg"
    (volume,) = lt.inputs["blockDeviceMappings"]
    assert volume["ebs"]["encrypted"] == "true"
    assert volume["ebs"]["kmsKeyId"] == "arn:aws:kms:us-east-2:111122223333:key/compute"
    assert "keyName" not in lt.inputs
    script = base64.b64decode(lt.inputs["userData"]).decode()
    assert "STREAMING_ENVIRONMENT=test\n" in script and "RENDITIONS_BUCKET=renditions\n" in script
    assert f"AWS_REGION={REGION}\n" in script
    assert "@@ENVIRONMENT@@" not in script and "@@RENDITIONS_BUCKET@@" not in script and "@@REGION@@" not in script


def test_fleet_role_reads_renditions_and_decrypts_only_through_s3():
    rec = build("fleet")
    assert statements(one(rec, ROLE_POLICY, "t-fleet-role").inputs["policy"]) == [
        {"Sid": "ReadRenditions", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::renditions/*"},
        {
            "Sid": "DecryptRenditionsThroughS3",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "arn:aws:kms:us-east-2:111122223333:key/media",
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
        },
    ]
    trust = statements(one(rec, "aws:iam/role:Role", "t-fleet-role").inputs["assumeRolePolicy"])
    assert [s["Principal"] for s in trust] == [{"Service": "ec2.amazonaws.com"}]
    assert trust[0]["Condition"]["StringEquals"]["aws:SourceAccount"]


def test_fleet_without_data_grants_has_no_inline_policy():
    assert build("fleet", no_data=True).of_type(ROLE_POLICY) == []


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (FleetOptions(fleet_extra_instance_types=("t4g.large",)), "FleetOptions.fleet_extra_instance_types: got"),
        (FleetOptions(asg_min_size=3, asg_desired_capacity=2), "FleetOptions.asg_*: got min 3, desired 2, max 6"),
        (
            FleetOptions(fleet_on_demand_percentage_above_base=101),
            "FleetOptions.fleet_on_demand_percentage_above_base: got 101; allowed: 0 to 100",
        ),
    ],
)
def test_fleet_options_reject_contradictions(options, expected):
    assert any(expected in p for p in options.problems())
    assert FleetOptions().problems() == []


# ---- Services -----------------------------------------------------------------------------------------------


def test_services_alone_register_exactly_their_children():
    assert counts(build("services")) == {
        "streaming:app:Services": 1,
        SG: 6,
        INGRESS: 13,
        EGRESS: 19,
        "aws:servicediscovery/httpNamespace:HttpNamespace": 1,
        "aws:ecs/cluster:Cluster": 1,
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": 1,
        "aws:secretsmanager/secret:Secret": 1,
        "random:index/randomPassword:RandomPassword": 1,
        "aws:secretsmanager/secretVersion:SecretVersion": 1,
        LOG_GROUP: 6,
        "aws:iam/role:Role": 12,
        ROLE_POLICY: 10,  # 6 execution roles, 4 task roles (frontend and notification have no data grants)
        "aws:ecs/taskDefinition:TaskDefinition": 6,
        "aws:ecs/service:Service": 6,
        "aws:appautoscaling/target:Target": 6,
        "aws:appautoscaling/policy:Policy": 12,
    }


def test_services_admit_only_their_load_balancers_and_callers():
    ingress = rules(build("services"), INGRESS)
    assert ingress == {
        ("t-frontend-sg", "sg-alb", 8080),
        ("t-api-sg", "sg-alb", 8080),
        ("t-api-sg", "sg-nlb", 8080),
        *{(f"t-{s}-sg", "sg-nlb", 8080) for s in ("video", "user", "comment")},
        *{(f"t-{s}-sg", "t-api-sg", 8080) for s in ("video", "user", "comment", "notification")},
        *{("t-notification-sg", f"t-{s}-sg", 8080) for s in ("video", "user", "comment")},
    }


def _task_statements(rec: Recording, service: str) -> list[dict[str, Any]]:
    matches = [r for r in rec.of_type(ROLE_POLICY) if r.name == f"t-{service}-task"]
    return statements(matches[0].inputs["policy"]) if matches else []


def test_each_service_task_role_carries_exactly_its_own_grants():
    rec = build("services")
    videos, sessions = (
        "arn:aws:dynamodb:us-east-2:111122223333:table/videos",
        "arn:aws:dynamodb:us-east-2:111122223333:table/sessions",
    )
    rw = [
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchGetItem",
    ]
    table = lambda sid, arn, actions: {  # noqa: E731
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": [arn, f"{arn}/index/*"],
    }
    assert _task_statements(rec, "frontend") == [] and _task_statements(rec, "notification") == []
    assert _task_statements(rec, "api") == [table("VideoCatalogue", videos, rw), table("Sessions", sessions, rw)]
    assert _task_statements(rec, "user") == [table("Sessions", sessions, rw)]
    assert _task_statements(rec, "comment") == [
        table("VideoCatalogueRead", videos, ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"])
    ]
    assert _task_statements(rec, "video") == [
        table("VideoCatalogue", videos, rw),
        {"Sid": "PresignUploads", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::uploads/*"},
        {"Sid": "ReadRenditions", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::renditions/*"},
        {
            "Sid": "MediaKeyThroughS3",
            "Effect": "Allow",
            "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
            "Resource": "arn:aws:kms:us-east-2:111122223333:key/media",
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
        },
    ]


def test_only_services_that_read_the_session_secret_may_decrypt_it():
    rec = build("services")
    for s in SERVICES:
        sids = [st["Sid"] for st in statements(one(rec, ROLE_POLICY, f"t-{s.name}-execution").inputs["policy"])]
        expected = ["EcrLogin", "PullImages", "WriteLogs"] + (["ReadSecrets", "DecryptSecrets"] if s.secrets else [])
        assert sids == expected, s.name
    assert [s.name for s in SERVICES if s.secrets] == ["api", "user"]


def test_services_without_data_arns_get_no_task_policies():
    rec = build("services", no_data=True)
    assert sorted(r.name for r in rec.of_type(ROLE_POLICY)) == sorted(f"t-{s}-execution" for s in SERVICE_NAMES)


def test_api_routes_digest_is_the_one_0_1_deployed():
    legacy = [
        ["frontend", None, None],
        ["api", "", 8080],
        ["video", "videos", 8081],
        ["user", "users", 8082],
        ["comment", "comments", 8083],
        ["notification", None, None],
    ]
    assert api_routes_digest() == hashlib.sha256(json.dumps(legacy).encode()).hexdigest()


def _services_args(**changes: Any) -> ServicesArgs:
    base: dict[str, Any] = {
        "vpc_id": "vpc",
        "app_subnet_ids": ["a", "b"],
        "options": ServicesOptions(service_images={s: f"i/{s}:1" for s in SERVICE_NAMES}),
        "data": DataAccess(client_security_group_id="sg"),
        "logs": LogSettings(kms_key_arn="k"),
        "secret_kms_key_arn": "k",
    }
    return ServicesArgs(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"alb_target_group_arns": {"frontend": "tg"}},
            "ServicesArgs.alb_target_group_arns: got ['frontend'] with alb_security_group_id None",
        ),
        (
            {"nlb_target_group_arns": {"search": "tg"}, "nlb_security_group_id": "sg-nlb"},
            "ServicesArgs.nlb_target_group_arns: got ['search'] with nlb_security_group_id set",
        ),
        ({"options": ServicesOptions(service_images={})}, "ServicesOptions.service_images: got []; allowed: exactly"),
    ],
)
def test_services_reject_bad_arguments(changes, expected):
    assert any(expected in p for p in validate_services_args(_services_args(**changes)))
    assert validate_services_args(_services_args()) == []


# ---- PrivateApi ---------------------------------------------------------------------------------------------


def test_private_api_alone_registers_exactly_its_children():
    assert counts(build("private_api")) == {
        "streaming:app:PrivateApi": 1,
        SG: 1,
        "aws:lb/loadBalancer:LoadBalancer": 1,
        "aws:lb/targetGroup:TargetGroup": 2,
        "aws:lb/listener:Listener": 2,
        "aws:iam/role:Role": 1,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        "aws:apigateway/account:Account": 1,
        "aws:apigateway/restApi:RestApi": 1,
        "aws:apigateway/authorizer:Authorizer": 1,
        "aws:apigateway/vpcLink:VpcLink": 1,
        "aws:apigateway/resource:Resource": 3,  # /{proxy+}, /videos, /videos/{proxy+}
        "aws:apigateway/method:Method": 3,
        "aws:apigateway/integration:Integration": 3,
        "aws:apigateway/deployment:Deployment": 1,
        LOG_GROUP: 1,
        "aws:apigateway/stage:Stage": 1,
        "aws:apigateway/methodSettings:MethodSettings": 1,
        "aws:wafv2/webAclAssociation:WebAclAssociation": 1,
        "aws:apigateway/domainName:DomainName": 1,
        "aws:apigateway/basePathMapping:BasePathMapping": 1,
    }


def test_private_api_authorizes_every_method_with_cognito_and_reaches_the_nlb_privately():
    rec = build("private_api")
    authorizer = one(rec, "aws:apigateway/authorizer:Authorizer", "t-cognito")
    assert authorizer.inputs["providerArns"] == ["arn:aws:cognito-idp:us-east-2:111122223333:userpool/pool"]
    for method in rec.of_type("aws:apigateway/method:Method"):
        assert method.inputs["authorization"] == "COGNITO_USER_POOLS"
        assert dep(rec, method, "authorizerId").urn == authorizer.urn
    uris = set()
    for integration in rec.of_type("aws:apigateway/integration:Integration"):
        assert integration.inputs["connectionType"] == "VPC_LINK"
        assert dep(rec, integration, "connectionId").name == "t-vpc-link"
        uris.add(integration.inputs["uri"].split(".com", 1)[1])
    assert uris == {":8080/{proxy}", ":8081/videos", ":8081/videos/{proxy}"}
    nlb = one(rec, "aws:lb/loadBalancer:LoadBalancer", "t-nlb")
    assert nlb.inputs["internal"] is True and nlb.inputs["subnets"] == ["subnet-app-a", "subnet-app-b"]
    api = one(rec, "aws:apigateway/restApi:RestApi", "t-api")
    assert api.inputs["disableExecuteApiEndpoint"] is True


def test_private_api_stage_is_throttled_logged_and_behind_the_given_web_acl():
    rec = build("private_api")
    (assoc,) = rec.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert assoc.inputs["webAclArn"] == "arn:aws:wafv2:us-east-2:111122223333:regional/webacl/acl/1"
    assert dep(rec, assoc, "resourceArn").name == "t-api-stage"
    settings = one(rec, "aws:apigateway/methodSettings:MethodSettings", "t-api-throttling").inputs["settings"]
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"], settings["dataTraceEnabled"]) == (
        100,
        200,
        False,
    )
    domain = one(rec, "aws:apigateway/domainName:DomainName", "t-api-domain")
    assert (domain.inputs["securityPolicy"], domain.inputs["domainName"]) == ("TLS_1_2", "api.example.com")
    logs = one(rec, LOG_GROUP, "t-api-access-logs")
    assert logs.inputs["kmsKeyId"] == "arn:aws:kms:us-east-2:111122223333:key/logs"
    assert logs.inputs["retentionInDays"] == 30


def _api_args(**changes: Any) -> PrivateApiArgs:
    base: dict[str, Any] = {
        "vpc_id": "vpc",
        "app_subnet_ids": ["a", "b"],
        "routes": [PrivateRoute(service="api", nlb_port=8080)],
        "user_pool_arn": "p",
        "web_acl_arn": "w",
        "certificate_arn": "c",
        "domain_name": "api.example.com",
        "logs": LogSettings(kms_key_arn="k"),
    }
    return PrivateApiArgs(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"routes": []}, "PrivateApiArgs.routes: got []; allowed: at least one route"),
        (
            {"routes": [PrivateRoute(service="a", nlb_port=1), PrivateRoute(service="b", nlb_port=1, path_part="b")]},
            "PrivateApiArgs.routes: got [('a', 1, None), ('b', 1, 'b')]",
        ),
        (
            {"options": PrivateApiOptions(api_throttle_rate_limit=300, api_throttle_burst_limit=200)},
            "got 300/200; allowed: 0 < rate <= burst",
        ),
        ({"app_subnet_ids": ["a"]}, "PrivateApiArgs.app_subnet_ids: got 1; allowed: at least 2"),
    ],
)
def test_private_api_rejects_bad_arguments(changes, expected):
    assert any(expected in p for p in validate_private_api_args(_api_args(**changes)))
    assert validate_private_api_args(_api_args()) == []


# ---- Identity -----------------------------------------------------------------------------------------------


def test_identity_alone_builds_a_pool_a_public_pkce_client_and_a_domain():
    rec = build("identity")
    assert counts(rec) == {
        "streaming:app:Identity": 1,
        "aws:cognito/userPool:UserPool": 1,
        "aws:cognito/userPoolClient:UserPoolClient": 1,
        "aws:cognito/userPoolDomain:UserPoolDomain": 1,
    }
    pool = one(rec, "aws:cognito/userPool:UserPool", "t-users")
    assert pool.inputs["mfaConfiguration"] == "ON" and pool.inputs["softwareTokenMfaConfiguration"] == {"enabled": True}
    assert pool.inputs["passwordPolicy"]["minimumLength"] == 12
    assert (pool.inputs["userPoolTier"], pool.inputs["userPoolAddOns"]) == (
        "PLUS",
        {"advancedSecurityMode": "ENFORCED"},
    )
    client = one(rec, "aws:cognito/userPoolClient:UserPoolClient", "t-web-client")
    assert client.inputs["generateSecret"] is False and client.inputs["allowedOauthFlows"] == ["code"]
    assert client.inputs["callbackUrls"] == ["https://example.com/auth/callback"]
    assert client.inputs["explicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"]


def test_identity_protects_the_pool_only_when_asked():
    for protect in (False, True):
        rec = build("identity", protect=protect)
        pool = one(rec, "aws:cognito/userPool:UserPool", "t-users")
        assert (pool.protect, pool.retain_on_delete) == (protect, protect)
        assert pool.inputs["deletionProtection"] == ("ACTIVE" if protect else "INACTIVE")
        assert {r.name for r in rec.resources if r.protect} == ({"t-users"} if protect else set())


@pytest.mark.parametrize("length", [8, 100])
def test_identity_rejects_password_lengths_outside_12_to_99(length):
    options = IdentityOptions(cognito_mfa=CognitoMfa.ON, min_password_length=length)
    with pytest.raises(ValueError, match=f"IdentityOptions.min_password_length: got {length}; allowed: at least 12"):
        Identity("t", IdentityArgs(domain_name="example.com", options=options))
