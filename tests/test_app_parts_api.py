"""Services, PrivateApi and Identity, each built ALONE from fake inputs (tests/programs/app_part), in seconds:
exact counts, the security-relevant inputs (rules, IAM statements, authorizers, WAF), and argument checks."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from streaming_platform.app.cluster import ClusterRef
from streaming_platform.app.common import CognitoMfa, DataAccess, LogSettings
from streaming_platform.app.identity import Identity, IdentityArgs, IdentityOptions
from streaming_platform.app.private_api import (
    PrivateApiArgs,
    PrivateApiOptions,
    PrivateRoute,
    validate_private_api_args,
)
from streaming_platform.app.service_table import SERVICE_NAMES, SERVICES, api_routes_digest
from streaming_platform.app.services import ServiceLoadBalancers, ServicesArgs, ServicesOptions, validate_services_args

from offline.engine import Recording
from offline.fakes import ACCOUNT_ID
from tests.app_parts import (
    EGRESS,
    INGRESS,
    LOG_GROUP,
    REGION,
    ROLE_POLICY,
    SG,
    build,
    counts,
    one,
    rules,
    statements,
)
from tests.graph import dep

# ---- Services -----------------------------------------------------------------------------------------------


def test_services_alone_register_exactly_their_children():
    assert counts(build("services")) == {
        "streaming:app:Services": 1,
        SG: 6,
        INGRESS: 13,
        EGRESS: 19,
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": 1,
        "aws:ecr/repository:Repository": 6,
        "aws:ecr/lifecyclePolicy:LifecyclePolicy": 6,
        "aws:secretsmanager/secret:Secret": 1,
        "random:index/randomPassword:RandomPassword": 1,
        "aws:secretsmanager/secretVersion:SecretVersion": 1,
        LOG_GROUP: 6,
        "aws:iam/role:Role": 12,
        ROLE_POLICY: 11,  # 6 execution roles, 5 task roles (notification has no data grants)
        "aws:ecs/taskDefinition:TaskDefinition": 6,
        "aws:ecs/service:Service": 6,
        "aws:appautoscaling/target:Target": 6,
        "aws:appautoscaling/policy:Policy": 12,
    }


def test_services_run_in_the_cluster_they_are_given_and_name_its_namespace():
    rec = build("services")
    services = rec.of_type("aws:ecs/service:Service")
    assert {s.inputs["cluster"] for s in services} == {"arn:aws:ecs:us-east-2:111122223333:cluster/test"}
    namespace = "arn:aws:servicediscovery:us-east-2:111122223333:namespace/ns-test"
    assert {s.inputs["serviceConnectConfiguration"]["namespace"] for s in services} == {namespace}
    (association,) = rec.of_type("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert association.inputs["clusterName"] == "test"
    assert {t.inputs["resourceId"] for t in rec.of_type("aws:appautoscaling/target:Target")} == {
        f"service/test/{s}" for s in SERVICE_NAMES
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
    renditions = {
        "Sid": "ReadRenditions",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::renditions/*",
    }
    # The frontend serves /stream/* and /watch/* (the EC2 fleet's paths before 0.3): it reads renditions.
    assert _task_statements(rec, "frontend") == [
        renditions,
        {
            "Sid": "DecryptRenditionsThroughS3",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": "arn:aws:kms:us-east-2:111122223333:key/media",
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}},
        },
    ]
    assert _task_statements(rec, "notification") == []
    assert _task_statements(rec, "api") == [table("VideoCatalogue", videos, rw), table("Sessions", sessions, rw)]
    assert _task_statements(rec, "user") == [table("Sessions", sessions, rw)]
    assert _task_statements(rec, "comment") == [
        table("VideoCatalogueRead", videos, ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"])
    ]
    assert _task_statements(rec, "video") == [
        table("VideoCatalogue", videos, rw),
        {"Sid": "PresignUploads", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::uploads/*"},
        renditions,
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
        "cluster": ClusterRef(name="c", arn="arn:c", namespace_arn="arn:ns"),
    }
    return ServicesArgs(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"load_balancers": ServiceLoadBalancers(alb_target_group_arns={"frontend": "tg"})},
            "ServiceLoadBalancers.alb_target_group_arns: got ['frontend'] with alb_security_group_id None",
        ),
        (
            {
                "load_balancers": ServiceLoadBalancers(
                    nlb_target_group_arns={"search": "tg"}, nlb_security_group_id="sg-nlb"
                )
            },
            "ServiceLoadBalancers.nlb_target_group_arns: got ['search'] with nlb_security_group_id set",
        ),
        (
            {"options": ServicesOptions(service_images={"search": "i/search:1"})},
            "ServicesOptions.service_images: got ['search']; allowed: names among frontend, api, video, user, comment, "
            "notification",
        ),
        (
            {"options": ServicesOptions(service_image_tags={"api": "1"}, service_images={"api": "i/api:1"})},
            "ServicesOptions.service_image_tags: got ['api'] also in service_images; allowed: one image source per "
            "service",
        ),
        (
            {"options": ServicesOptions(service_image_tags={"api": "latest", "user": "-x"})},
            "ServicesOptions.service_image_tags: got ['-x', 'latest']; allowed: Docker tags",
        ),
    ],
)
def test_services_reject_bad_arguments(changes, expected):
    assert any(expected in p for p in validate_services_args(_services_args(**changes)))
    assert validate_services_args(_services_args()) == []
    assert validate_services_args(_services_args(options=ServicesOptions())) == []  # all on the default image


# ---- PrivateApi ---------------------------------------------------------------------------------------------


def test_private_api_alone_registers_exactly_its_children():
    assert counts(build("private_api")) == {
        "streaming:app:PrivateApi": 1,
        SG: 1,
        "aws:lb/loadBalancer:LoadBalancer": 1,
        "aws:lb/targetGroup:TargetGroup": 2,
        "aws:lb/listener:Listener": 2,
        # No aws.apigateway.Account (nor its role): a region-wide singleton is the stack's opt-in, not the part's.
        "aws:apigateway/restApi:RestApi": 1,
        "aws:apigateway/authorizer:Authorizer": 1,
        "aws:apigateway/vpcLink:VpcLink": 1,
        "aws:apigateway/resource:Resource": 3,  # /{proxy+}, /videos, /videos/{proxy+}
        "aws:apigateway/method:Method": 3,
        "aws:apigateway/integration:Integration": 3,
        "aws:apigateway/deployment:Deployment": 1,
        LOG_GROUP: 2,  # access logs, WAF logs
        "aws:apigateway/stage:Stage": 1,
        "aws:apigateway/methodSettings:MethodSettings": 1,
        "aws:wafv2/webAcl:WebAcl": 1,  # the stage's own: one web ACL per entry point
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": 1,
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


def test_private_api_stage_is_throttled_logged_and_behind_its_own_web_acl():
    rec = build("private_api")
    (assoc,) = rec.of_type("aws:wafv2/webAclAssociation:WebAclAssociation")
    assert dep(rec, assoc, "webAclArn").name == "t-api-acl"
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
        "origin_verify_secret": "s",
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
        (
            {"options": PrivateApiOptions(waf_rate_limit=99)},
            "PrivateApiOptions.waf_rate_limit: got 99; allowed: 100 to 2000000000",
        ),
    ],
)
def test_private_api_rejects_bad_arguments(changes, expected):
    assert any(expected in p for p in validate_private_api_args(_api_args(**changes)))
    assert validate_private_api_args(_api_args()) == []


def test_private_api_web_acl_limits_direct_clients_by_their_connecting_address_not_a_forwarded_header():
    # AWS WAF reads only the first X-Forwarded-For address and skips the rule when the header is absent (AWS WAF
    # Developer Guide, "Using forwarded IP addresses"): a direct client sends none, so FORWARDED_IP limits nobody.
    rec = build("private_api")
    acl = one(rec, "aws:wafv2/webAcl:WebAcl", "t-api-acl")
    assert acl.inputs["scope"] == "REGIONAL"
    assert [(r["name"], r["priority"]) for r in acl.inputs["rules"]] == [
        ("AWSManagedRulesCommonRuleSet", 1),
        ("AWSManagedRulesKnownBadInputsRuleSet", 2),
        ("rate-limit-per-client-ip", 3),
    ]
    rate = acl.inputs["rules"][2]
    assert rate["action"] == {"block": {}}
    assert rate["statement"] == {
        "rateBasedStatement": {
            "limit": 2000,
            "aggregateKeyType": "IP",
            "evaluationWindowSec": 300,
            # Requests through CloudFront carry the origin secret and were limited per viewer at the edge.
            "scopeDownStatement": {
                "notStatement": {
                    "statement": {
                        "byteMatchStatement": {
                            "fieldToMatch": {"singleHeader": {"name": "x-origin-verify"}},
                            "positionalConstraint": "EXACTLY",
                            "searchString": "origin-secret",
                            "textTransformations": [{"priority": 0, "type": "NONE"}],
                        }
                    }
                }
            },
        }
    }
    logging = one(rec, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "t-api-acl-logging")
    assert dep(rec, logging, "resourceArn").urn == acl.urn
    assert dep(rec, logging, "logDestinationConfigs").inputs["name"] == "aws-waf-logs-streaming-api"
    assert logging.inputs["redactedFields"] == [
        {"singleHeader": {"name": "x-origin-verify"}},
        {"singleHeader": {"name": "authorization"}},
    ]


def test_private_api_maps_the_stage_under_api_the_prefix_cloudfront_routes_to_it():
    rec = build("private_api")
    mapping = one(rec, "aws:apigateway/basePathMapping:BasePathMapping", "t-api-mapping")
    assert mapping.inputs["basePath"] == "api"
    assert dep(rec, mapping, "domainName").name == "t-api-domain"


# ---- Identity -----------------------------------------------------------------------------------------------


def test_identity_alone_builds_a_pool_a_public_pkce_client_a_domain_and_the_clients_branding():
    rec = build("identity")
    assert counts(rec) == {
        "streaming:app:Identity": 1,
        "aws:cognito/userPool:UserPool": 1,
        "aws:cognito/userPoolClient:UserPoolClient": 1,
        "aws:cognito/userPoolDomain:UserPoolDomain": 1,
        "aws:cognito/managedLoginBranding:ManagedLoginBranding": 1,
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


def test_managed_login_v2_gets_a_branding_style_for_the_web_client():
    # Managed login v2 shows "Login pages unavailable" for a client without a branding style.
    rec = build("identity")
    domain = one(rec, "aws:cognito/userPoolDomain:UserPoolDomain", "t-auth-domain")
    assert domain.inputs["managedLoginVersion"] == 2
    branding = one(rec, "aws:cognito/managedLoginBranding:ManagedLoginBranding", "t-web-branding")
    client = one(rec, "aws:cognito/userPoolClient:UserPoolClient", "t-web-client")
    pool = one(rec, "aws:cognito/userPool:UserPool", "t-users")
    assert branding.inputs == {"useCognitoProvidedValues": True, "clientId": client.id, "userPoolId": pool.id}
    assert branding.property_dependencies["clientId"] == (client.urn,)


def test_identity_sends_mail_through_ses_from_the_configured_sender_domain():
    rec = build("identity", ses_sender="no-reply@video.example.com")
    pool = one(rec, "aws:cognito/userPool:UserPool", "t-users")
    assert pool.inputs["emailConfiguration"] == {
        "emailSendingAccount": "DEVELOPER",
        "fromEmailAddress": "no-reply@video.example.com",
        "sourceArn": f"arn:aws:ses:us-east-2:{ACCOUNT_ID}:identity/video.example.com",
    }
    default = one(build("identity"), "aws:cognito/userPool:UserPool", "t-users")
    assert "emailConfiguration" not in default.inputs  # Cognito's own sender


@pytest.mark.parametrize("sender", ["no-reply", "a@b@c.com", "no-reply@"])
def test_identity_rejects_a_sender_that_is_not_an_address(sender):
    with pytest.raises(ValueError, match=f"IdentityOptions.ses_sender: got '{sender}'; allowed: an address"):
        Identity("t", IdentityArgs(domain_name="example.com", options=IdentityOptions(ses_sender=sender)))


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
