"""AppTier: the application tier behind the edge, composed of six parts.

- ``LoadBalancer``: the internet-facing ALB, its REGIONAL WAF, listeners, rules and target groups.
- ``Cluster``: the ECS cluster and its Service Connect namespace, built first: the fleet's instances join it.
- ``Fleet`` (``ComputeMode.ECS_AND_EC2_FLEET`` only): an EC2 Auto Scaling group as the cluster's capacity
  provider, on which the streaming-facing services (``Placement.STREAMING_FLEET``) run.
- ``Services``: the ECS microservices with Service Connect, each with its own IAM and image repository.
- ``PrivateApi``: the REST API, reaching the services through a VPC link to an internal NLB.
- ``Identity``: the Cognito user pool, web client and hosted domain.

AppTier itself owns what the parts share: the ``compute`` KMS key (fleet volumes, the session secret), the
regional certificate (``origin.<domain>``, ``api.<domain>``) and the two alias records. Each part is a child
named like the tier, so every AWS resource keeps the logical name it had in 0.1; the parts' children carry
``Alias(parent=<this AppTier>)`` so a stack deployed with 0.1 keeps them. The component never reads stack
config; everything arrives in ``AppTierArgs``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.app.cluster import Cluster, ClusterArgs, ClusterRef
from streaming_platform.app.common import (
    CONTAINER_PORT,
    CONTAINER_USER,
    CPU_TARGET_PERCENT,
    FARGATE_SIZES,
    MEMORY_TARGET_PERCENT,
    SPOT_NOTICE_SECONDS,
    CapacityStrategy,
    CognitoMfa,
    ComputeMode,
    DataAccess,
    LogSettings,
    ServiceSize,
    fargate_memory_options,
    is_arm_instance_type,
    raise_problems,
)
from streaming_platform.app.fleet import Fleet, FleetArgs, FleetOptions
from streaming_platform.app.identity import Identity, IdentityArgs, IdentityOptions
from streaming_platform.app.load_balancer import (
    ALB_TLS_POLICY,
    AccessLogs,
    AlbRoute,
    LoadBalancer,
    LoadBalancerArgs,
    LoadBalancerOptions,
    alb_access_log_policy,
    alb_access_log_statements,
)
from streaming_platform.app.private_api import (
    API_BASE_PATH,
    PrivateApi,
    PrivateApiArgs,
    PrivateApiOptions,
    PrivateRoute,
)
from streaming_platform.app.service_table import SERVICE_NAMES, SERVICES, api_routes_digest
from streaming_platform.app.services import (
    FleetCapacity,
    ServiceLoadBalancers,
    Services,
    ServicesArgs,
    ServicesOptions,
)
from streaming_platform.edge.zone import PublicZone, PublicZoneOutputs
from streaming_platform.iam import account_admin_statement, policy_document

__all__ = [
    "ALB_TLS_POLICY",
    "CONTAINER_PORT",
    "CONTAINER_USER",
    "CPU_TARGET_PERCENT",
    "FARGATE_SIZES",
    "MEMORY_TARGET_PERCENT",
    "SERVICE_NAMES",
    "SPOT_NOTICE_SECONDS",
    "AccessLogs",
    "AppNetwork",
    "AppTier",
    "AppTierArgs",
    "CapacityStrategy",
    "CognitoMfa",
    "ComputeMode",
    "DataAccess",
    "FleetOptions",
    "IdentityOptions",
    "LoadBalancerOptions",
    "LogSettings",
    "PrivateApiOptions",
    "ServiceSize",
    "ServicesOptions",
    "alb_access_log_policy",
    "alb_access_log_statements",
    "fargate_memory_options",
    "is_arm_instance_type",
    "validate_args",
]


@dataclass(frozen=True)
class AppNetwork:
    """Where the tier runs: one subnet of each tier per AZ, in the order of ``availability_zones``."""

    vpc_id: pulumi.Input[str]
    """The VPC of every security group and target group of the tier."""
    public_subnet_ids: Sequence[pulumi.Input[str]]
    """The ALB spans all of them."""
    app_subnet_ids: Sequence[pulumi.Input[str]]
    """The fleet, the tasks and the internal NLB span all of them."""
    availability_zones: Sequence[str]
    """At least two; one public and one app subnet per AZ."""


@dataclass
class AppTierArgs:
    """Inputs of AppTier: the shared wiring, then one options object per part."""

    network: AppNetwork
    """VPC and subnets (at least two AZs)."""
    zone: PublicZone | PublicZoneOutputs
    """The site's zone: the regional certificate (``origin.<domain>``, ``api.<domain>``) is validated in it and
    both names are alias records in it. From another language, the zone's outputs (``PublicZoneOutputs``)."""
    origin_verify_secret: pulumi.Input[str]
    """Value the edge sends in ``X-Origin-Verify``; listener rules forward only requests that carry it."""
    data: DataAccess
    """The data tier as the fleet and the services see it (client group, grants, environment)."""
    logs: LogSettings
    """Key and retention of every log group of the tier (WAF, services, API access logs)."""
    access_logs: AccessLogs
    """The ALB's access-log bucket (its policy must already grant delivery, see ``alb_access_log_statements``)
    and the resources the ALB waits for, typically that policy."""
    compute_mode: ComputeMode = ComputeMode.ECS_AND_EC2_FLEET
    """Default: the ECS services, the streaming-facing ones on the EC2 fleet's capacity provider. ECS_ONLY builds
    no Fleet (``fleet`` is None): no launch template, group or capacity provider; every service on Fargate."""
    publish_origin_record: bool = True
    """Write ``origin.<domain>`` as a simple A alias to the ALB. Default: on. Off when another component owns
    the name (failover records with a health check)."""
    load_balancer: LoadBalancerOptions = field(default_factory=LoadBalancerOptions)
    """Default: ``LoadBalancerOptions()``."""
    fleet: FleetOptions = field(default_factory=FleetOptions)
    """Default: ``FleetOptions()``; ignored under ECS_ONLY."""
    services: ServicesOptions = field(default_factory=ServicesOptions)
    """Images (required, one per service), sizes, capacity and scaling bounds."""
    private_api: PrivateApiOptions = field(default_factory=PrivateApiOptions)
    """Default: ``PrivateApiOptions()``."""
    api_stage_dependencies: Sequence[pulumi.Resource] = ()
    """What the API stage waits for before turning access logging on: the stack's ``ApiGatewayAccount.account_setting``
    when the stack manages the region's API Gateway CloudWatch role. Default: none (the account already has one)."""
    identity: IdentityOptions = field(default_factory=IdentityOptions)
    """Default: ``IdentityOptions()``."""
    autoscaling_service_role_arn: pulumi.Input[str] | None = None
    """ARN of the account's Auto Scaling service-linked role, which the compute key policy lets use the key for the
    fleet's encrypted volumes (EC2 Auto Scaling User Guide, "Required AWS KMS key policy for use with encrypted
    volumes"). KMS rejects a key policy naming a role that does not exist (MalformedPolicyDocumentException), and
    AWS creates that role only with the account's first group, so pass the ``arn`` of a stack-level
    ``aws.iam.ServiceLinkedRole`` in a fresh account: the key then waits for it. Default: None, the account's
    ``AWSServiceRoleForAutoScaling`` by name, a prerequisite the account must already have. Unused without a fleet."""
    resource_prefix: str = "streaming"
    """Prefix of fixed physical names (log groups, task families, Cognito domain, WAF log group, key alias)."""
    protect: bool = False
    """Protect and retain the stateful children (compute key, user pool, log groups, session secret), turn on
    ALB/NLB and user-pool deletion protection. Default: off (dev can be torn down)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable child, with ``Name`` added. Default: none."""


def validate_args(args: AppTierArgs) -> list[str]:
    """Every contradiction in ``args`` (the parts' own checks included), each naming the argument, the value and
    what is allowed."""
    problems = []
    net = args.network
    azs = list(net.availability_zones)
    if len(azs) < 2 or len(net.public_subnet_ids) != len(azs) or len(net.app_subnet_ids) != len(azs):
        problems.append(
            f"AppNetwork.availability_zones: got {azs} for {len(net.public_subnet_ids)} public and "
            f"{len(net.app_subnet_ids)} app subnets; allowed: at least 2 AZs, one subnet of each tier per AZ"
        )
    problems += args.services.problems() + args.data.problems()
    if args.compute_mode is ComputeMode.ECS_AND_EC2_FLEET:
        problems += args.fleet.problems()
    problems += args.private_api.problems() + args.identity.problems()
    return problems


class AppTier(StreamingComponent):
    """LoadBalancer, Cluster, optional Fleet, Services, PrivateApi and Identity, plus the key, certificate and
    records."""

    load_balancer: LoadBalancer
    cluster: Cluster
    fleet: Fleet | None
    """None under ``ComputeMode.ECS_ONLY``."""
    services: Services
    private_api: PrivateApi
    identity: Identity

    alb_arn: pulumi.Output[str]
    alb_target_group_arn_suffixes: dict[str, pulumi.Output[str]]
    """ALB target groups by role (``fleet`` and the services behind the ALB), as CloudWatch dimensions."""
    alb_dns_name: pulumi.Output[str]
    alb_zone_id: pulumi.Output[str]
    alb_arn_suffix: pulumi.Output[str]
    https_listener_arn: pulumi.Output[str]
    http_listener_arn: pulumi.Output[str]
    origin_domain_name: str
    api_domain_name: str
    api_endpoint: str
    api_id: pulumi.Output[str]
    web_acl_arn: pulumi.Output[str]
    asg_name: pulumi.Output[str] | None
    cluster_name: pulumi.Output[str]
    repository_urls: dict[str, pulumi.Output[str]]
    """Per service, the ECR repository its team pushes to (then sets ``ServicesOptions.service_image_tags``)."""
    service_names: dict[str, pulumi.Output[str]]
    user_pool_id: pulumi.Output[str]
    user_pool_client_id: pulumi.Output[str]
    user_pool_domain: pulumi.Output[str]
    compute_key_arn: pulumi.Output[str]
    security_group_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: AppTierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        raise_problems("AppTierArgs", validate_args(args))
        super().__init__("streaming:app:AppTier", name, protect=args.protect, tags=args.tags, opts=opts)
        net = args.network
        common: dict[str, Any] = {"protect": args.protect, "tags": args.tags}
        domain = args.zone.domain_name
        self.origin_domain_name = f"origin.{domain}"
        self.api_domain_name = f"api.{domain}"
        self.api_endpoint = f"https://{self.api_domain_name}/{API_BASE_PATH}/"
        fleet_on = args.compute_mode is ComputeMode.ECS_AND_EC2_FLEET

        key = self._compute_key(
            name, args.resource_prefix, fleet_volumes=fleet_on, fleet_role_arn=args.autoscaling_service_role_arn
        )
        self.compute_key_arn = key.arn
        certificate_arn = args.zone.certificate(
            f"{name}-regional-cert", [self.origin_domain_name, self.api_domain_name], parent=self, tags=args.tags
        )
        routes = [AlbRoute(target=s.name, paths=s.alb_paths) for s in SERVICES if s.alb_paths]
        lb = LoadBalancer(
            name,
            LoadBalancerArgs(
                vpc_id=net.vpc_id,
                public_subnet_ids=net.public_subnet_ids,
                certificate_arn=certificate_arn,
                origin_verify_secret=args.origin_verify_secret,
                routes=routes,
                access_logs=args.access_logs,
                logs=args.logs,
                options=args.load_balancer,
                resource_prefix=args.resource_prefix,
                **common,
            ),
            opts=self.child(),
            moved_from=self,
        )
        identity = Identity(
            name,
            IdentityArgs(domain_name=domain, options=args.identity, resource_prefix=args.resource_prefix, **common),
            opts=self.child(),
            moved_from=self,
        )
        api = PrivateApi(
            name,
            PrivateApiArgs(
                vpc_id=net.vpc_id,
                app_subnet_ids=net.app_subnet_ids,
                routes=[
                    PrivateRoute(service=s.name, nlb_port=s.api.nlb_port, path_part=s.api.path_part)
                    for s in SERVICES
                    if s.api is not None
                ],
                user_pool_arn=identity.user_pool_arn,
                origin_verify_secret=args.origin_verify_secret,
                certificate_arn=certificate_arn,
                domain_name=self.api_domain_name,
                logs=args.logs,
                options=args.private_api,
                stage_dependencies=args.api_stage_dependencies,
                routes_digest=api_routes_digest(),
                resource_prefix=args.resource_prefix,
                **common,
            ),
            opts=self.child(),
            moved_from=self,
        )
        cluster = Cluster(
            name, ClusterArgs(resource_prefix=args.resource_prefix, tags=args.tags), opts=self.child(), moved_from=self
        )
        fleet = (
            Fleet(
                name,
                FleetArgs(
                    vpc_id=net.vpc_id,
                    app_subnet_ids=net.app_subnet_ids,
                    cluster_name=cluster.cluster_name,
                    volume_kms_key_arn=key.arn,
                    options=args.fleet,
                    resource_prefix=args.resource_prefix,
                    tags=args.tags,
                ),
                opts=self.child(),
                moved_from=self,
            )
            if fleet_on
            else None
        )
        services = Services(
            name,
            ServicesArgs(
                vpc_id=net.vpc_id,
                app_subnet_ids=net.app_subnet_ids,
                options=args.services,
                data=args.data,
                logs=args.logs,
                secret_kms_key_arn=key.arn,
                cluster=ClusterRef(
                    name=cluster.cluster_name, arn=cluster.cluster_arn, namespace_arn=cluster.namespace_arn
                ),
                image_kms_key_arn=key.arn,
                fleet=FleetCapacity(
                    capacity_provider_name=fleet.capacity_provider_name,
                    cpu_architecture="ARM64" if is_arm_instance_type(args.fleet.instance_type) else "X86_64",
                )
                if fleet is not None
                else None,
                load_balancers=ServiceLoadBalancers(
                    alb_security_group_id=lb.security_group_id,
                    nlb_security_group_id=api.security_group_id,
                    alb_target_group_arns={t: arn for t, arn in lb.target_group_arns.items() if t in SERVICE_NAMES},
                    nlb_target_group_arns=api.target_group_arns,
                    load_balancer_dependencies=[*lb.listener_rules, *api.listeners],
                ),
                resource_prefix=args.resource_prefix,
                **common,
            ),
            opts=self.child(),
            moved_from=self,
        )
        if args.publish_origin_record:
            args.zone.alias(
                f"{name}-origin-record", self.origin_domain_name, lb.alb_dns_name, lb.alb_zone_id, parent=self
            )
        args.zone.alias(
            f"{name}-api-record", self.api_domain_name, api.regional_domain_name, api.regional_zone_id, parent=self
        )

        self.cluster = cluster
        self.load_balancer, self.fleet, self.services, self.private_api, self.identity = (
            lb,
            fleet,
            services,
            api,
            identity,
        )
        self.alb_arn, self.alb_dns_name, self.alb_zone_id = lb.alb_arn, lb.alb_dns_name, lb.alb_zone_id
        self.alb_arn_suffix, self.alb_target_group_arn_suffixes = lb.alb_arn_suffix, lb.target_group_arn_suffixes
        self.https_listener_arn, self.http_listener_arn = lb.https_listener_arn, lb.http_listener_arn
        self.web_acl_arn, self.api_id = lb.web_acl_arn, api.api_id
        self.asg_name = fleet.asg_name if fleet is not None else None
        self.cluster_name, self.service_names = cluster.cluster_name, services.service_names
        self.repository_urls = services.repository_urls
        self.user_pool_id, self.user_pool_client_id = identity.user_pool_id, identity.user_pool_client_id
        self.user_pool_domain = identity.user_pool_domain
        self.security_group_ids = {
            "alb": lb.security_group_id,
            "nlb": api.security_group_id,
            **({"fleet": fleet.security_group_id} if fleet is not None else {}),
            **services.security_group_ids,
        }
        self.register_outputs(
            {
                "loadBalancer": lb.urn,
                "cluster": cluster.urn,
                "fleet": fleet.urn if fleet is not None else None,
                "services": services.urn,
                "privateApi": api.urn,
                "identity": identity.urn,
                "albArn": self.alb_arn,
                "albTargetGroupArnSuffixes": self.alb_target_group_arn_suffixes,
                "albDnsName": self.alb_dns_name,
                "albZoneId": self.alb_zone_id,
                "albArnSuffix": self.alb_arn_suffix,
                "httpsListenerArn": self.https_listener_arn,
                "httpListenerArn": self.http_listener_arn,
                "originDomainName": self.origin_domain_name,
                "apiDomainName": self.api_domain_name,
                "apiEndpoint": self.api_endpoint,
                "apiId": self.api_id,
                "webAclArn": self.web_acl_arn,
                "asgName": self.asg_name,
                "clusterName": self.cluster_name,
                "repositoryUrls": self.repository_urls,
                "serviceNames": self.service_names,
                "userPoolId": self.user_pool_id,
                "userPoolClientId": self.user_pool_client_id,
                "userPoolDomain": self.user_pool_domain,
                "computeKeyArn": self.compute_key_arn,
                "securityGroupIds": self.security_group_ids,
            }
        )

    def _compute_key(
        self, name: str, resource_prefix: str, *, fleet_volumes: bool, fleet_role_arn: pulumi.Input[str] | None
    ) -> aws.kms.Key:
        """The tier's key: fleet EBS volumes (through the Auto Scaling service-linked role) and the session secret.
        Without a fleet the key policy names no Auto Scaling role: KMS rejects a policy whose principal does not
        exist yet, and a fresh account has no AWSServiceRoleForAutoScaling until its first group exists. With a
        fleet, ``fleet_role_arn`` (a ServiceLinkedRole's arn) makes the policy depend on the role; None names the
        account's role, which must exist already."""

        def statements(a: list[str]) -> str:
            partition, account, given = a
            asg_role = given or (
                f"arn:{partition}:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/"
                "AWSServiceRoleForAutoScaling"
            )
            fleet = [
                {
                    "Sid": "AutoScalingUsesKeyForFleetVolumes",
                    "Effect": "Allow",
                    "Principal": {"AWS": asg_role},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                },
                {
                    "Sid": "AutoScalingGrantsEbsForFleetVolumes",
                    "Effect": "Allow",
                    "Principal": {"AWS": asg_role},
                    "Action": "kms:CreateGrant",
                    "Resource": "*",
                    "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                },
            ]
            return policy_document([account_admin_statement(partition, account), *(fleet if fleet_volumes else [])])

        key = aws.kms.Key(
            f"{name}-compute-key",
            description=f"{name}: fleet EBS volumes and the application's secrets",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(
                self.partition, self.account, (fleet_role_arn or "") if fleet_volumes else ""
            ).apply(statements),
            tags=self.tags(f"{name}-compute", DataClass="compute"),
            opts=self.stateful(),
        )
        aws.kms.Alias(
            f"{name}-compute-alias",
            name=f"alias/{resource_prefix}-compute",
            target_key_id=key.key_id,
            opts=self.child(),
        )
        return key
