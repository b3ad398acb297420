"""Fleet: the EC2 capacity of the streaming-facing ECS services, an Auto Scaling group run as an ECS capacity
provider.

A launch template with the ECS-optimized Amazon Linux 2023 AMI (from its public SSM parameter), IMDSv2 with a
hop limit of 1, an encrypted gp3 root volume under the given key, no public IP and no SSH (Session Manager
only); user data that only joins the cluster (``assets/fleet-user-data.sh``); mixed on-demand/Spot instances
across several pools. The capacity provider scales the group (managed scaling) and keeps instances that run
tasks from being scaled in (managed termination protection); ECS drains an instance before Auto Scaling
terminates it. The instances serve nothing themselves: the tasks have their own ENIs (awsvpc) and security
groups, and the ALB sends requests to them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform.app.common import (
    ASG_HEALTH_CHECK_GRACE_SECONDS,
    AppPart,
    attach_managed,
    https_out,
    is_arm_instance_type,
    raise_problems,
    service_role,
)

ASSETS = Path(__file__).resolve().parent / "assets"
# Amazon ECS Developer Guide, "Retrieving Amazon ECS-optimized Linux AMI metadata": the recommended AL2023 image
# per architecture, as a public SSM parameter.
ECS_AMI_PARAMETERS = {
    "x86_64": "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
    "arm64": "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
}
ROOT_VOLUME_GB = 30
MANAGED_SCALING_TARGET_PERCENT = 100
"""Managed scaling's target: 100 keeps no idle instance beyond what placed and pending tasks need."""
ECS_MANAGED_TAG = "AmazonECSManaged"
# Amazon ECS API Reference, CreateCapacityProvider: "name": up to 255 letters, numbers, underscores and hyphens,
# not prefixed with "aws", "ecs" or "fargate".
_CAPACITY_PROVIDER_NAME = re.compile(r"(?!(?i:aws|ecs|fargate))[A-Za-z0-9_-]{1,255}")


@dataclass(frozen=True)
class FleetOptions:
    """Plain settings of the fleet (the names match the stack settings' fields)."""

    instance_type: str = "t3.large"
    """Default: t3.large; a Graviton type (t4g, m7g...) switches the AMI to arm64."""
    fleet_extra_instance_types: Sequence[str] = ("t3a.large", "m6i.large", "m5.large")
    """Further types the mixed instances policy may launch, so Spot can draw on several pools. Same CPU
    architecture as ``instance_type``. Default: three x86 pools; none leaves Spot one pool to run out of."""
    asg_min_size: int = 2
    """Default: 2; fewer leaves one AZ without a streaming server."""
    asg_desired_capacity: int = 2
    """Initial capacity only: target tracking owns it afterwards (``ignore_changes``). Default: 2."""
    asg_max_size: int = 6
    """Default: 6; the ceiling target tracking may scale to."""
    fleet_on_demand_base: int = 1
    """On-demand instances before any Spot. Default: 1; 0 lets a Spot reclaim take the whole fleet."""
    fleet_on_demand_percentage_above_base: int = 0
    """Share of on-demand above the base. Default: 0 (Spot, price-capacity-optimized, capacity rebalance)."""

    def problems(self) -> list[str]:
        problems = []
        types = [self.instance_type, *self.fleet_extra_instance_types]
        if len(set(types)) != len(types) or len({is_arm_instance_type(t) for t in types}) != 1:
            problems.append(
                f"FleetOptions.fleet_extra_instance_types: got {list(self.fleet_extra_instance_types)} with "
                f"instance_type {self.instance_type!r}; allowed: other instance types of the same CPU architecture"
            )
        if not 0 <= self.asg_min_size <= self.asg_desired_capacity <= self.asg_max_size:
            problems.append(
                f"FleetOptions.asg_*: got min {self.asg_min_size}, desired {self.asg_desired_capacity}, max "
                f"{self.asg_max_size}; allowed: min <= desired <= max"
            )
        if not 0 <= self.fleet_on_demand_percentage_above_base <= 100:
            problems.append(
                f"FleetOptions.fleet_on_demand_percentage_above_base: got "
                f"{self.fleet_on_demand_percentage_above_base}; allowed: 0 to 100"
            )
        return problems


@dataclass
class FleetArgs:
    vpc_id: pulumi.Input[str]
    """The VPC of the instances' security group."""
    app_subnet_ids: Sequence[pulumi.Input[str]]
    """One private-app subnet per AZ: the group spans all of them."""
    cluster_name: pulumi.Input[str]
    """The ECS cluster the instances join (``ECS_CLUSTER``) and the scope of the agent's permissions: pass
    ``Cluster.cluster_name``, so the launch template (and every instance) comes after the cluster. An agent
    whose cluster does not exist yet exits for good (see ``cluster.py``)."""
    volume_kms_key_arn: pulumi.Input[str]
    """Key of the root volumes; its policy must let the Auto Scaling service-linked role use it and create grants."""
    options: FleetOptions = field(default_factory=FleetOptions)
    """Default: ``FleetOptions()`` (t3.large, 2 to 6 instances, one on-demand then Spot)."""
    resource_prefix: str = "streaming"
    """The capacity provider is ``<resource_prefix>-fleet``. Default: ``streaming``."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable child and of the instances and volumes, with ``Name`` added. Default: none."""


def validate_fleet_args(args: FleetArgs) -> list[str]:
    problems = args.options.problems()
    if len(args.app_subnet_ids) < 2:
        problems.append(f"FleetArgs.app_subnet_ids: got {len(args.app_subnet_ids)}; allowed: at least 2")
    if not _CAPACITY_PROVIDER_NAME.fullmatch(capacity_provider_name(args.resource_prefix)):
        problems.append(
            f"FleetArgs.resource_prefix: got {args.resource_prefix!r}; allowed: letters, digits, '_' and '-', not "
            "starting with aws, ecs or fargate (it names the capacity provider)"
        )
    return problems


def capacity_provider_name(resource_prefix: str) -> str:
    return f"{resource_prefix}-fleet"


class Fleet(AppPart):
    """Launch template, Auto Scaling group, its ECS capacity provider, the instance role and security group."""

    security_group_id: pulumi.Output[str]
    asg_name: pulumi.Output[str]
    launch_template_id: pulumi.Output[str]
    role_name: pulumi.Output[str]
    capacity_provider_name: pulumi.Output[str]
    """The capacity provider to associate with the cluster and name in the services' strategies."""

    def __init__(
        self,
        name: str,
        args: FleetArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: pulumi.Resource | None = None,
    ) -> None:
        raise_problems("FleetArgs", validate_fleet_args(args))
        super().__init__("streaming:app:Fleet", name, tags=args.tags, moved_from=moved_from, opts=opts)
        options = args.options
        sg = aws.ec2.SecurityGroup(
            f"{name}-fleet-sg",
            vpc_id=args.vpc_id,
            description="ECS container instances: no ingress, tasks have their own ENIs",
            tags=self.tags(f"{name}-fleet"),
            opts=self.child(),
        )
        self.security_group_id = sg.id
        https_out(self, "fleet", sg.id)

        # No aws:SourceAccount condition: EC2 does not send the key when it assumes an instance profile's role (the
        # EC2 User Guide's instance-role trust policy, "IAM roles for Amazon EC2", has none), and a condition on a
        # missing key leaves the instances without credentials.
        role = service_role(
            self,
            f"{name}-fleet-role",
            "ec2.amazonaws.com",
            self._agent_statements(args),
            source_account_condition=False,
        )
        attach_managed(self, f"{name}-fleet-ssm", role, "AmazonSSMManagedInstanceCore")
        self.role_name = role.name
        profile = aws.iam.InstanceProfile(
            f"{name}-fleet-profile", role=role.name, tags=self.tags(name), opts=self.child()
        )
        arch = "arm64" if is_arm_instance_type(options.instance_type) else "x86_64"
        ami = aws.ssm.get_parameter_output(
            name=ECS_AMI_PARAMETERS[arch], opts=pulumi.InvokeOutputOptions(parent=self)
        ).value
        template = aws.ec2.LaunchTemplate(
            f"{name}-fleet-lt",
            description=f"{name}: ECS container instances of the streaming-facing services",
            image_id=ami,
            instance_type=options.instance_type,
            iam_instance_profile={"arn": profile.arn},
            network_interfaces=[
                {
                    "device_index": 0,
                    "associate_public_ip_address": "false",
                    "delete_on_termination": "true",
                    "security_groups": [sg.id],
                }
            ],
            # Hop limit 1: only the host (and the agent, on the host network) reach IMDS; awsvpc tasks get their
            # credentials from the agent and are kept off IMDS by ECS_AWSVPC_BLOCK_IMDS (user data).
            metadata_options={
                "http_endpoint": "enabled",
                "http_tokens": "required",
                "http_put_response_hop_limit": 1,
                "instance_metadata_tags": "disabled",
            },
            block_device_mappings=[
                {
                    "device_name": "/dev/xvda",
                    "ebs": {
                        "volume_size": ROOT_VOLUME_GB,
                        "volume_type": "gp3",
                        "encrypted": "true",
                        "kms_key_id": args.volume_kms_key_arn,
                        "delete_on_termination": "true",
                    },
                }
            ],
            monitoring={"enabled": True},
            user_data=pulumi.Output.from_input(args.cluster_name).apply(lambda c: fleet_user_data({"CLUSTER": c})),
            update_default_version=True,
            tag_specifications=[
                {"resource_type": kind, "tags": self.tags(f"{name}-fleet")} for kind in ("instance", "volume")
            ],
            tags=self.tags(f"{name}-fleet-lt"),
            opts=self.child(),
        )
        self.launch_template_id = template.id
        asg = self._group(name, args, template)
        self.asg_name = asg.name
        provider = aws.ecs.CapacityProvider(
            f"{name}-fleet-capacity",
            name=capacity_provider_name(args.resource_prefix),
            auto_scaling_group_provider={
                "auto_scaling_group_arn": asg.arn,
                # Amazon ECS API Reference, AutoScalingGroupProvider: managed termination protection needs managed
                # scaling, and the group and its instances protected from scale-in (protect_from_scale_in).
                "managed_termination_protection": "ENABLED",
                "managed_draining": "ENABLED",
                "managed_scaling": {
                    "status": "ENABLED",
                    "target_capacity": MANAGED_SCALING_TARGET_PERCENT,
                    "instance_warmup_period": ASG_HEALTH_CHECK_GRACE_SECONDS,
                },
            },
            tags=self.tags(f"{name}-fleet-capacity"),
            opts=self.child(new=True),  # new after 0.1: no earlier URN to alias
        )
        self.capacity_provider_name = provider.name
        self.register_outputs(
            {
                "securityGroupId": self.security_group_id,
                "asgName": self.asg_name,
                "launchTemplateId": self.launch_template_id,
                "roleName": self.role_name,
                "capacityProviderName": self.capacity_provider_name,
            }
        )

    def _agent_statements(self, args: FleetArgs) -> pulumi.Output[list[dict[str, Any]]]:
        """What the ECS agent calls, scoped to this cluster and its container instances: the calls of
        AmazonEC2ContainerServiceforEC2Role without ecs:CreateCluster (the cluster exists), ec2:DescribeTags (no
        tag propagation) or ECR and CloudWatch Logs (the agent pulls and logs with each task's execution role,
        ECS_ENABLE_AWSLOGS_EXECUTIONROLE_OVERRIDE). Resource types: Service Authorization Reference, Amazon ECS."""

        def build(a: list[str]) -> list[dict[str, Any]]:
            partition, region, account, cluster = a
            cluster_arn = f"arn:{partition}:ecs:{region}:{account}:cluster/{cluster}"
            instances = f"arn:{partition}:ecs:{region}:{account}:container-instance/{cluster}/*"
            return [
                # DiscoverPollEndpoint has no resource-level permissions.
                {
                    "Sid": "DiscoverPollEndpoint",
                    "Effect": "Allow",
                    "Action": "ecs:DiscoverPollEndpoint",
                    "Resource": "*",
                },
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
                    "Resource": cluster_arn,
                },
                {
                    # UpdateContainerInstancesState authorizes the container-instance resource type, not the
                    # cluster (Service Authorization Reference, Amazon ECS).
                    "Sid": "AgentSessions",
                    "Effect": "Allow",
                    "Action": [
                        "ecs:Poll",
                        "ecs:StartTelemetrySession",
                        "ecs:PutSystemLogEvents",
                        "ecs:UpdateContainerInstancesState",
                    ],
                    "Resource": instances,
                },
            ]

        return pulumi.Output.all(self.partition, self.region, self.account, args.cluster_name).apply(build)

    def _group(self, name: str, args: FleetArgs, template: aws.ec2.LaunchTemplate) -> aws.autoscaling.Group:
        options = args.options
        mixed: aws.autoscaling.GroupMixedInstancesPolicyArgsDict = {
            "instances_distribution": {
                "on_demand_base_capacity": options.fleet_on_demand_base,
                "on_demand_percentage_above_base_capacity": options.fleet_on_demand_percentage_above_base,
                "spot_allocation_strategy": "price-capacity-optimized",
            },
            "launch_template": {
                "launch_template_specification": {
                    "launch_template_id": template.id,
                    # A concrete version: a template change is a visible diff that starts an instance refresh.
                    "version": template.latest_version.apply(str),
                },
                "overrides": [
                    {"instance_type": t} for t in (options.instance_type, *options.fleet_extra_instance_types)
                ],
            },
        }
        refresh: aws.autoscaling.GroupInstanceRefreshArgsDict = {
            "strategy": "Rolling",
            "preferences": {
                "min_healthy_percentage": 90,
                "skip_matching": True,
                "auto_rollback": True,
                # Every instance is protected from scale-in (managed termination protection); without this the
                # refresh would wait on them forever. ECS drains each one before it is replaced.
                "scale_in_protected_instances": "Refresh",
            },
        }
        asg_tags: list[aws.autoscaling.GroupTagArgsDict] = [
            {"key": k, "value": v, "propagate_at_launch": True} for k, v in self.tags(f"{name}-fleet").items()
        ]
        # ECS adds this tag when the capacity provider is created; declaring it keeps updates from removing it.
        asg_tags.append({"key": ECS_MANAGED_TAG, "value": "true", "propagate_at_launch": True})
        return aws.autoscaling.Group(
            f"{name}-fleet",
            vpc_zone_identifiers=list(args.app_subnet_ids),
            min_size=options.asg_min_size,
            max_size=options.asg_max_size,
            desired_capacity=options.asg_desired_capacity,
            # EC2 status checks: the instances are in no target group (the tasks are, by IP).
            health_check_type="EC2",
            health_check_grace_period=ASG_HEALTH_CHECK_GRACE_SECONDS,
            default_instance_warmup=ASG_HEALTH_CHECK_GRACE_SECONDS,
            protect_from_scale_in=True,
            # Deleting the group: its instances are protected from scale-in, so lowering the capacity to zero (what
            # the provider does first without force_delete) never empties it and the delete times out. "If the
            # group has instances ..., you must specify the option to force the deletion" (EC2 Auto Scaling API
            # Reference, DeleteAutoScalingGroup, ForceDelete). By then nothing runs on it: the services, the
            # cluster's provider association and the capacity provider depend on the group and go first.
            force_delete=True,
            capacity_rebalance=True,
            mixed_instances_policy=mixed,
            instance_refresh=refresh,
            enabled_metrics=[
                aws.autoscaling.Metric.GROUP_DESIRED_CAPACITY,
                aws.autoscaling.Metric.GROUP_IN_SERVICE_INSTANCES,
                aws.autoscaling.Metric.GROUP_TOTAL_INSTANCES,
            ],
            tags=asg_tags,
            # Managed scaling owns the desired capacity after creation.
            opts=self.child(ignore_changes=["desiredCapacity"]),
        )


def fleet_user_data(values: Mapping[str, str]) -> str:
    """``assets/fleet-user-data.sh`` with its ``@@KEY@@`` placeholders filled, base64-encoded (launch templates
    take user data base64-encoded)."""
    script = (ASSETS / "fleet-user-data.sh").read_text()
    for key, value in values.items():
        script = script.replace(f"@@{key}@@", value)
    return base64.b64encode(script.encode()).decode()
