"""LoadBalancer, Cluster and Fleet, each built ALONE from fake inputs (tests/programs/app_part), in seconds: exact
counts, the security-relevant inputs, and each part's argument checks."""

from __future__ import annotations

import base64
import subprocess
from typing import Any

import pytest
from streaming_platform.app.common import LogSettings
from streaming_platform.app.fleet import FleetArgs, FleetOptions, validate_fleet_args
from streaming_platform.app.load_balancer import (
    ALB_TLS_POLICY,
    AccessLogs,
    AlbRoute,
    LoadBalancerArgs,
    LoadBalancerOptions,
    validate_load_balancer_args,
)

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
    rate = acl.inputs["rules"][2]["statement"]["rateBasedStatement"]
    # The connecting address, never X-Forwarded-For: behind CloudFront its first address is the viewer's to choose
    # (AWS WAF Developer Guide, "Using forwarded IP addresses": only the first address is evaluated).
    assert (rate["limit"], rate["aggregateKeyType"]) == (2000, "IP")
    assert "forwardedIpConfig" not in rate
    not_from_edge = rate["scopeDownStatement"]["notStatement"]["statement"]
    assert not_from_edge["byteMatchStatement"]["searchString"] == "origin-secret"
    assert not_from_edge["byteMatchStatement"]["fieldToMatch"] == {"singleHeader": {"name": "x-origin-verify"}}
    assert not_from_edge["byteMatchStatement"]["positionalConstraint"] == "EXACTLY"
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

ECS_AMI_X86 = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
ECS_AMI_ARM = "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"


def test_fleet_alone_registers_exactly_its_children():
    assert counts(build("fleet")) == {
        "streaming:app:Fleet": 1,
        SG: 1,
        EGRESS: 1,
        "aws:iam/role:Role": 1,
        ROLE_POLICY: 1,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        "aws:iam/instanceProfile:InstanceProfile": 1,
        "aws:ec2/launchTemplate:LaunchTemplate": 1,
        "aws:autoscaling/group:Group": 1,
        "aws:ecs/capacityProvider:CapacityProvider": 1,
    }


def test_fleet_instances_admit_nothing_and_reach_only_https():
    """The tasks have their own ENIs and groups (awsvpc): nothing connects to the instances themselves."""
    rec = build("fleet")
    assert rules(rec, INGRESS) == set()
    assert rules(rec, EGRESS) == {("t-fleet-sg", "0.0.0.0/0", 443)}


@pytest.mark.parametrize(("variant", "parameter"), [("", ECS_AMI_X86), ("arm", ECS_AMI_ARM)])
def test_fleet_launches_the_ecs_optimized_al2023_ami_of_its_architecture(variant, parameter):
    rec = build("fleet", variant=variant)
    assert [a for t, a in rec.invokes if t == "aws:ssm/getParameter:getParameter"] == [{"name": parameter}]
    lt = one(rec, "aws:ec2/launchTemplate:LaunchTemplate", "t-fleet-lt")
    assert lt.inputs["imageId"].startswith("ami-")


def test_fleet_launch_template_requires_imdsv2_with_one_hop_encrypts_and_has_no_public_ip():
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
    assert len(nic["securityGroups"]) == 1 and dep(rec, lt, "networkInterfaces").name == "t-fleet-sg"
    (volume,) = lt.inputs["blockDeviceMappings"]
    assert volume["ebs"]["encrypted"] == "true"
    assert volume["ebs"]["kmsKeyId"] == "arn:aws:kms:us-east-2:111122223333:key/compute"
    assert "keyName" not in lt.inputs


def test_cluster_alone_is_the_cluster_and_its_service_connect_namespace():
    rec = build("cluster")
    assert counts(rec) == {
        "streaming:app:Cluster": 1,
        "aws:servicediscovery/httpNamespace:HttpNamespace": 1,
        "aws:ecs/cluster:Cluster": 1,
    }
    cluster = one(rec, "aws:ecs/cluster:Cluster", "t-cluster")
    assert cluster.inputs["name"] == "test"
    assert cluster.inputs["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    assert dep(rec, cluster, "serviceConnectDefaults").name == "t-services"
    assert one(rec, "aws:servicediscovery/httpNamespace:HttpNamespace", "t-services").inputs["name"] == "test.internal"


def test_fleet_user_data_run_by_bash_only_joins_the_cluster(tmp_path):
    """The real script under bash, its one absolute path moved into a temporary directory: what it leaves in
    ecs.config is what the agent reads (an environment file of KEY=VALUE lines)."""
    script = base64.b64decode(
        one(build("fleet"), "aws:ec2/launchTemplate:LaunchTemplate", "t-fleet-lt").inputs["userData"]
    ).decode()
    assert script.count("/etc/ecs/ecs.config") == 1 and "@@CLUSTER@@" not in script
    config = tmp_path / "ecs.config"
    config.write_text("ECS_LOGLEVEL=info\n")  # the AMI's own lines stay
    (tmp_path / "user-data").write_text(script.replace("/etc/ecs/ecs.config", str(config)))
    subprocess.run(["bash", str(tmp_path / "user-data")], check=True, timeout=30)
    lines = config.read_text().splitlines()
    assert dict(line.split("=", 1) for line in lines) == {
        "ECS_LOGLEVEL": "info",
        "ECS_CLUSTER": "test-cluster",
        "ECS_AWSVPC_BLOCK_IMDS": "true",
        "ECS_ENABLE_SPOT_INSTANCE_DRAINING": "true",
        "ECS_ENABLE_AWSLOGS_EXECUTIONROLE_OVERRIDE": "true",
    }
    commands = [c for c in script.splitlines() if c and not c.startswith("#")]
    assert commands[0] == "set -euo pipefail" and commands[1].startswith("cat >>/etc/ecs/ecs.config")


def test_fleet_group_is_protected_from_scale_in_and_tagged_for_ecs():
    rec = build("fleet")
    asg = one(rec, "aws:autoscaling/group:Group", "t-fleet")
    assert asg.inputs["protectFromScaleIn"] is True
    assert asg.inputs["forceDelete"] is True  # else deleting a group of protected instances never finishes
    assert {"key": "AmazonECSManaged", "value": "true", "propagateAtLaunch": True} in asg.inputs["tags"]
    assert asg.inputs["healthCheckType"] == "EC2" and "targetGroupArns" not in asg.inputs
    assert asg.inputs["instanceRefresh"]["preferences"]["scaleInProtectedInstances"] == "Refresh"
    assert asg.ignore_changes == ("desiredCapacity",)
    assert rec.of_type("aws:autoscaling/policy:Policy") == []  # managed scaling owns the group's size


def test_fleet_capacity_provider_manages_scaling_termination_and_draining_of_its_group():
    rec = build("fleet")
    provider = one(rec, "aws:ecs/capacityProvider:CapacityProvider", "t-fleet-capacity")
    assert provider.inputs["name"] == "test-fleet"
    asg_provider = provider.inputs["autoScalingGroupProvider"]
    assert dep(rec, provider, "autoScalingGroupProvider").name == "t-fleet"
    assert {k: v for k, v in asg_provider.items() if k != "autoScalingGroupArn"} == {
        "managedTerminationProtection": "ENABLED",
        "managedDraining": "ENABLED",
        "managedScaling": {"status": "ENABLED", "targetCapacity": 100, "instanceWarmupPeriod": 300},
    }


def test_fleet_role_may_only_run_the_ecs_agent_in_its_cluster():
    rec = build("fleet")
    cluster = f"arn:aws:ecs:{REGION}:111122223333:cluster/test-cluster"
    assert statements(one(rec, ROLE_POLICY, "t-fleet-role").inputs["policy"]) == [
        {"Sid": "DiscoverPollEndpoint", "Effect": "Allow", "Action": "ecs:DiscoverPollEndpoint", "Resource": "*"},
        {
            "Sid": "JoinCluster",
            "Effect": "Allow",
            "Action": [
                "ecs:RegisterContainerInstance",
                "ecs:DeregisterContainerInstance",
                "ecs:SubmitAttachmentStateChanges",
                "ecs:SubmitContainerStateChange",
                "ecs:SubmitTaskStateChange",
            ],
            "Resource": cluster,
        },
        {
            # UpdateContainerInstancesState authorizes container-instance, not cluster (the IAM reference rule).
            "Sid": "AgentSessions",
            "Effect": "Allow",
            "Action": [
                "ecs:Poll",
                "ecs:StartTelemetrySession",
                "ecs:PutSystemLogEvents",
                "ecs:UpdateContainerInstancesState",
            ],
            "Resource": f"arn:aws:ecs:{REGION}:111122223333:container-instance/test-cluster/*",
        },
    ]
    (attachment,) = rec.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    trust = statements(one(rec, "aws:iam/role:Role", "t-fleet-role").inputs["assumeRolePolicy"])
    # EC2 sends no aws:SourceAccount when it assumes an instance role: a condition on it would deny every instance.
    assert trust == [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]


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


@pytest.mark.parametrize("prefix", ["ecs-prod", "AWS", "fargate-x", "with space"])
def test_fleet_rejects_a_prefix_that_cannot_name_a_capacity_provider(prefix):
    args = FleetArgs(vpc_id="v", app_subnet_ids=["a", "b"], cluster_name="c", volume_kms_key_arn="k")
    assert validate_fleet_args(args) == []
    args.resource_prefix = prefix
    assert validate_fleet_args(args) == [
        f"FleetArgs.resource_prefix: got {prefix!r}; allowed: letters, digits, '_' and '-', not starting with aws, "
        "ecs or fargate (it names the capacity provider)"
    ]
