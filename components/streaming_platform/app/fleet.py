"""Fleet: the streaming web tier as an EC2 Auto Scaling group behind the ALB.

A launch template with IMDSv2, an encrypted gp3 root volume under the given key, no public IP and no SSH
(Session Manager only); mixed on-demand/Spot instances across several pools; user data from
``assets/fleet-user-data.sh``; target tracking on CPU and on ALB requests per target.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform.app.common import (
    ALB_REQUESTS_PER_TARGET,
    ASG_HEALTH_CHECK_GRACE_SECONDS,
    CPU_TARGET_PERCENT,
    AppPart,
    DataAccess,
    DataResource,
    Grant,
    GrantScope,
    allow_port,
    attach_managed,
    grant_statements,
    https_out,
    is_arm_instance_type,
    raise_problems,
    service_role,
)

ASSETS = Path(__file__).resolve().parent / "assets"
AL2023_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}"
ROOT_VOLUME_GB = 30
FLEET_PATHS = ("/stream/*", "/watch/*")

FLEET_GRANTS: tuple[Grant, ...] = (
    Grant(
        sid="ReadRenditions",
        actions="s3:GetObject",
        resource=DataResource.RENDITIONS_BUCKET,
        scope=GrantScope.OBJECTS,
    ),
    Grant(
        sid="DecryptRenditionsThroughS3",
        actions="kms:Decrypt",
        resource=DataResource.MEDIA_KEY,
        scope=GrantScope.KEY_THROUGH_S3,
    ),
)
"""The fleet serves renditions: it reads them, and decrypts them only through S3."""


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
    """The VPC of the fleet's security group."""
    app_subnet_ids: Sequence[pulumi.Input[str]]
    """One private-app subnet per AZ: the group spans all of them."""
    alb_security_group_id: pulumi.Input[str]
    """The ALB's group: the only source admitted on the container port."""
    target_group_arn: pulumi.Input[str]
    """The ALB target group (``instance`` type) the instances register in."""
    request_count_label: pulumi.Input[str]
    """``<alb arn suffix>/<target group arn suffix>``: the ALBRequestCountPerTarget scaling dimension."""
    volume_kms_key_arn: pulumi.Input[str]
    """Key of the root volumes; its policy must let the Auto Scaling service-linked role use it and create grants."""
    data: DataAccess
    """The data tier's client group (the instances join it) and the renditions the fleet may read."""
    listener_dependencies: Sequence[pulumi.Resource] = ()
    """Resources the group waits for, typically the listener rule forwarding to its target group (ELB health
    checks only start once a rule uses the group). Default: none."""
    options: FleetOptions = field(default_factory=FleetOptions)
    """Default: ``FleetOptions()`` (t3.large, 2 to 6 instances, one on-demand then Spot)."""
    environment_name: str = ""
    """Written into the user data as ``ENVIRONMENT``. Default: empty; the servers report no environment."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable child and of the instances and volumes, with ``Name`` added. Default: none."""


class Fleet(AppPart):
    """Launch template, Auto Scaling group and its scaling policies, the role and the fleet's security group."""

    security_group_id: pulumi.Output[str]
    asg_name: pulumi.Output[str]
    launch_template_id: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: FleetArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: pulumi.Resource | None = None,
    ) -> None:
        problems = args.options.problems()
        if len(args.app_subnet_ids) < 2:
            problems.append(f"FleetArgs.app_subnet_ids: got {len(args.app_subnet_ids)}; allowed: at least 2")
        raise_problems("FleetArgs", problems)
        super().__init__("streaming:app:Fleet", name, tags=args.tags, moved_from=moved_from, opts=opts)
        options = args.options
        sg = aws.ec2.SecurityGroup(
            f"{name}-fleet-sg",
            vpc_id=args.vpc_id,
            description="Streaming web fleet: 8080 from the ALB only",
            tags=self.tags(f"{name}-fleet"),
            opts=self.child(),
        )
        self.security_group_id = sg.id
        allow_port(self, "alb", "fleet", args.alb_security_group_id, sg.id)
        https_out(self, "fleet", sg.id)

        statements = grant_statements(FLEET_GRANTS, args.data, self.region)
        # No aws:SourceAccount condition: EC2 does not send the key when it assumes an instance profile's role (the
        # EC2 User Guide's instance-role trust policy, "IAM roles for Amazon EC2", has none), and a condition on a
        # missing key leaves the instances without credentials.
        role = service_role(
            self,
            f"{name}-fleet-role",
            "ec2.amazonaws.com",
            pulumi.Output.all(*statements) if statements else None,
            source_account_condition=False,
        )
        attach_managed(self, f"{name}-fleet-ssm", role, "AmazonSSMManagedInstanceCore")
        self.role_name = role.name
        profile = aws.iam.InstanceProfile(
            f"{name}-fleet-profile", role=role.name, tags=self.tags(name), opts=self.child()
        )
        arch = "arm64" if is_arm_instance_type(options.instance_type) else "x86_64"
        ami = aws.ssm.get_parameter_output(
            name=AL2023_AMI_PARAMETER.format(arch=arch), opts=pulumi.InvokeOutputOptions(parent=self)
        ).value
        user_data = pulumi.Output.all(self.region, args.data.renditions_bucket_arn or "").apply(
            lambda a: fleet_user_data(
                {"ENVIRONMENT": args.environment_name, "RENDITIONS_BUCKET": a[1].rsplit(":", 1)[-1], "REGION": a[0]}
            )
        )
        template = aws.ec2.LaunchTemplate(
            f"{name}-fleet-lt",
            description=f"{name}: streaming web tier",
            image_id=ami,
            instance_type=options.instance_type,
            iam_instance_profile={"arn": profile.arn},
            network_interfaces=[
                {
                    "device_index": 0,
                    "associate_public_ip_address": "false",
                    "delete_on_termination": "true",
                    "security_groups": [sg.id, args.data.client_security_group_id],
                }
            ],
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
            user_data=user_data,
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
        self.register_outputs(
            {
                "securityGroupId": self.security_group_id,
                "asgName": self.asg_name,
                "launchTemplateId": self.launch_template_id,
                "roleName": self.role_name,
            }
        )

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
            "preferences": {"min_healthy_percentage": 90, "skip_matching": True, "auto_rollback": True},
        }
        asg_tags: list[aws.autoscaling.GroupTagArgsDict] = [
            {"key": k, "value": v, "propagate_at_launch": True} for k, v in self.tags(f"{name}-fleet").items()
        ]
        asg = aws.autoscaling.Group(
            f"{name}-fleet",
            vpc_zone_identifiers=list(args.app_subnet_ids),
            min_size=options.asg_min_size,
            max_size=options.asg_max_size,
            desired_capacity=options.asg_desired_capacity,
            health_check_type="ELB",
            health_check_grace_period=ASG_HEALTH_CHECK_GRACE_SECONDS,
            default_instance_warmup=ASG_HEALTH_CHECK_GRACE_SECONDS,
            target_group_arns=[args.target_group_arn],
            capacity_rebalance=True,
            mixed_instances_policy=mixed,
            instance_refresh=refresh,
            enabled_metrics=[
                aws.autoscaling.Metric.GROUP_DESIRED_CAPACITY,
                aws.autoscaling.Metric.GROUP_IN_SERVICE_INSTANCES,
                aws.autoscaling.Metric.GROUP_TOTAL_INSTANCES,
            ],
            tags=asg_tags,
            opts=self.child(ignore_changes=["desiredCapacity"], depends_on=list(args.listener_dependencies)),
        )
        policies: list[tuple[str, Any, float]] = [
            ("cpu", {"predefined_metric_type": "ASGAverageCPUUtilization"}, CPU_TARGET_PERCENT),
            (
                "requests",
                {"predefined_metric_type": "ALBRequestCountPerTarget", "resource_label": args.request_count_label},
                ALB_REQUESTS_PER_TARGET,
            ),
        ]
        for metric, specification, value in policies:
            aws.autoscaling.Policy(
                f"{name}-fleet-{metric}",
                autoscaling_group_name=asg.name,
                policy_type="TargetTrackingScaling",
                target_tracking_configuration={"predefined_metric_specification": specification, "target_value": value},
                opts=self.child(),
            )
        return asg


def fleet_user_data(values: Mapping[str, str]) -> str:
    """``assets/fleet-user-data.sh`` with its ``@@KEY@@`` placeholders filled, base64-encoded (launch templates
    take user data base64-encoded)."""
    script = (ASSETS / "fleet-user-data.sh").read_text()
    for key, value in values.items():
        script = script.replace(f"@@{key}@@", value)
    return base64.b64encode(script.encode()).decode()
