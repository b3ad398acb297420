"""AppTier as the dev and prod stacks register it, continued: security groups, the fleet, the services, the
private API and sign-in (test_app_tier.py holds the counts, the load balancer, protection and aliases)."""

from __future__ import annotations

import base64
import json
from collections import Counter

import pytest
from streaming_platform.app.images import DEFAULT_IMAGE
from streaming_platform.app.tier import (
    CONTAINER_USER,
    SERVICE_NAMES,
    SPOT_NOTICE_SECONDS,
    alb_access_log_statements,
)

from offline.fakes import ACCOUNT_ID, AWS_PREFIX_LISTS
from tests.graph import dep, deps
from tests.test_app_tier import (
    ASG,
    ASG_POLICY,
    ASSOCIATION,
    AUTHORIZER,
    AZS,
    CAPACITY_PROVIDER,
    CLIENT,
    EGRESS,
    EXPECTED_INGRESS,
    INGRESS,
    INTEGRATION,
    KEY,
    LOG_GROUP,
    LT,
    METHOD,
    MODES,
    REGION,
    ROLE_POLICY,
    SECRET,
    SERVICE,
    SG,
    STAGE,
    TASK,
    TG,
    USER_POOL,
    app,
    one,
    statements,
    subnet_azs,
)


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
