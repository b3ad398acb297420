"""Services: the ECS microservices, each with its own security group, roles, image repository and autoscaling.

The service table ``SERVICES`` says, per service, where it is reached (ALB paths, an API route), who calls it
through Service Connect, whether it uses the data tier, which secrets it reads, which data it may touch and
which capacity it runs on: every per-service difference is a field of its record, none is a branch on its name.
Services placed on the streaming fleet run on its EC2 capacity provider when ``ServicesArgs.fleet`` is given;
the others (and all of them without a fleet) on FARGATE and FARGATE_SPOT.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from streaming_platform.app.cluster import ClusterRef
from streaming_platform.app.common import (
    CONTAINER_PORT,
    CPU_TARGET_PERCENT,
    HEALTH_CHECK_GRACE_SECONDS,
    MEMORY_TARGET_PERCENT,
    AppPart,
    DataAccess,
    LogSettings,
    allow_port,
    grant_statements,
    https_out,
    log_group,
    raise_problems,
    service_role,
)
from streaming_platform.app.containers import container_definitions, execution_statements
from streaming_platform.app.images import service_repositories
from streaming_platform.app.service_options import (
    DEFAULT_CAPACITY,
    DEFAULT_SERVICE_SIZE,
    FleetCapacity,
    ServicesOptions,
    ecs_cluster_name,
)
from streaming_platform.app.service_table import SERVICE_NAMES, SERVICES, Placement, Service

# Services whose task role had no inline policy in 0.1 (the frontend's renditions read and the notification
# service's grants came later): their policies have no 0.1 URN to alias.
TASK_POLICIES_AFTER_0_1 = frozenset({"frontend", "notification"})

__all__ = [
    "DEFAULT_CAPACITY",
    "DEFAULT_SERVICE_SIZE",
    "FleetCapacity",
    "ServiceLoadBalancers",
    "Services",
    "ServicesArgs",
    "ServicesOptions",
    "ecs_cluster_name",
    "validate_services_args",
]


@dataclass
class ServiceLoadBalancers:
    """The load balancers the services register with, and what the services wait for (``LoadBalancer``'s and
    ``PrivateApi``'s outputs)."""

    alb_security_group_id: pulumi.Input[str] | None = None
    """The ALB's group, admitted to the services with ``alb_paths``. Default: None; required when
    ``alb_target_group_arns`` is not empty."""
    nlb_security_group_id: pulumi.Input[str] | None = None
    """The internal NLB's group, admitted to the services with an ``api`` route. Default: None; required when
    ``nlb_target_group_arns`` is not empty."""
    alb_target_group_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """ALB target group per service name. Default: none; no service registers with the ALB."""
    nlb_target_group_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """NLB target group per service name. Default: none; no service registers with the NLB."""
    load_balancer_dependencies: Sequence[pulumi.Resource] = ()
    """Resources the services wait for: the listener rules and NLB listeners that use their target groups
    (ECS fails a service whose target group has no listener). Default: none."""


@dataclass
class ServicesArgs:
    vpc_id: pulumi.Input[str]
    """The VPC of the services' security groups."""
    app_subnet_ids: Sequence[pulumi.Input[str]]
    """One private-app subnet per AZ: the tasks are spread over all of them."""
    options: ServicesOptions
    """Images, sizes, capacity and scaling bounds."""
    data: DataAccess
    """The data tier: client group, the grants' resources, the containers' environment."""
    logs: LogSettings
    """Key and retention of the per-service log groups."""
    secret_kms_key_arn: pulumi.Input[str]
    """Key of the session-signing secret; the execution roles that read it may decrypt through Secrets Manager."""
    cluster: ClusterRef
    """The cluster the services run in and its Service Connect namespace (``Cluster``'s outputs)."""
    image_kms_key_arn: pulumi.Input[str] | None = None
    """Key of the services' ECR repositories. Default: None, the AWS managed ``aws/ecr`` key."""
    fleet: FleetCapacity | None = None
    """Default: None; every service runs on FARGATE/FARGATE_SPOT, ``Placement.STREAMING_FLEET`` ones too."""
    load_balancers: ServiceLoadBalancers = field(default_factory=ServiceLoadBalancers)
    """The ALB's and the NLB's groups and target groups. Default: ``ServiceLoadBalancers()``, no service registers
    with a load balancer."""
    resource_prefix: str = "streaming"
    """Prefix of the task families, log groups and the secret's name. Default: ``streaming``."""
    protect: bool = False
    """Protect and retain the log groups and the session secret, and keep the secret 30 days after deletion.
    Default: off (dev can be torn down and the secret goes at once)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable child, with ``Name`` added. Default: none."""


def validate_services_args(args: ServicesArgs) -> list[str]:
    problems = args.options.problems() + args.data.problems()
    lbs = args.load_balancers
    for kind, groups, sg in (
        ("alb", lbs.alb_target_group_arns, lbs.alb_security_group_id),
        ("nlb", lbs.nlb_target_group_arns, lbs.nlb_security_group_id),
    ):
        unknown = [s for s in groups if s not in SERVICE_NAMES]
        if unknown or (groups and sg is None):
            problems.append(
                f"ServiceLoadBalancers.{kind}_target_group_arns: got {sorted(groups)} with {kind}_security_group_id "
                f"{'set' if sg is not None else 'None'}; allowed: service names, with the {kind}'s group given"
            )
    return problems


class Services(AppPart):
    """The cluster's capacity providers and, per service, its group, roles, repository, task, service and
    scaling (the cluster itself is ``Cluster``'s: the fleet joins it before the services exist)."""

    repository_urls: dict[str, pulumi.Output[str]]
    """Per service, the private repository its team pushes to (``<account>.dkr.ecr.<region>.amazonaws.com/...``)."""
    capacity_provider_strategies: dict[str, list[aws.ecs.ServiceCapacityProviderStrategyArgsDict]]
    """Per service, the capacity provider strategy it was given."""
    service_names: dict[str, pulumi.Output[str]]
    security_group_ids: dict[str, pulumi.Output[str]]
    task_role_arns: dict[str, pulumi.Output[str]]
    session_secret_arn: pulumi.Output[str] | None
    """None when no service reads a secret."""

    def __init__(
        self,
        name: str,
        args: ServicesArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: pulumi.Resource | None = None,
    ) -> None:
        raise_problems("ServicesArgs", validate_services_args(args))
        super().__init__(
            "streaming:app:Services", name, protect=args.protect, tags=args.tags, moved_from=moved_from, opts=opts
        )
        self._args = args
        groups = {
            s.name: aws.ec2.SecurityGroup(
                f"{name}-{s.name}-sg",
                vpc_id=args.vpc_id,
                description=f"ECS service {s.name}: {CONTAINER_PORT} from its load balancers and callers",
                tags=self.tags(f"{name}-{s.name}"),
                opts=self.child(),
            )
            for s in SERVICES
        }
        self.security_group_ids = {role: sg.id for role, sg in groups.items()}
        for s in SERVICES:
            if (
                s.name in args.load_balancers.alb_target_group_arns
                and args.load_balancers.alb_security_group_id is not None
            ):
                allow_port(self, "alb", s.name, args.load_balancers.alb_security_group_id, groups[s.name].id)
            if (
                s.name in args.load_balancers.nlb_target_group_arns
                and args.load_balancers.nlb_security_group_id is not None
            ):
                allow_port(self, "nlb", s.name, args.load_balancers.nlb_security_group_id, groups[s.name].id)
            for caller in s.callers:
                allow_port(self, caller, s.name, groups[caller].id, groups[s.name].id)
        for s in SERVICES:
            https_out(self, s.name, groups[s.name].id)

        repositories = service_repositories(
            self,
            name,
            SERVICE_NAMES,
            resource_prefix=args.resource_prefix,
            kms_key_arn=args.image_kms_key_arn,
            protect=args.protect,
        )
        self.repository_urls = {s: repo.repository_url for s, repo in repositories.items()}
        cap = args.options.capacity
        strategy: list[aws.ecs.ServiceCapacityProviderStrategyArgsDict] = []
        if cap.fargate_base or cap.fargate_weight:
            strategy.append({"capacity_provider": "FARGATE", "base": cap.fargate_base, "weight": cap.fargate_weight})
        if cap.fargate_spot_weight:
            strategy.append({"capacity_provider": "FARGATE_SPOT", "weight": cap.fargate_spot_weight})
        fleet_names = [args.fleet.capacity_provider_name] if args.fleet is not None else []
        # Amazon ECS Developer Guide, capacity providers: a strategy holds either Auto Scaling group providers or
        # Fargate ones, never both; the fleet's services get the fleet's provider alone.
        self.capacity_provider_strategies = {
            s.name: (
                [{"capacity_provider": fleet_names[0], "base": 0, "weight": 1}]
                if fleet_names and s.placement is Placement.STREAMING_FLEET
                else strategy
            )
            for s in SERVICES
        }
        providers = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=args.cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT", *fleet_names],
            default_capacity_provider_strategies=[
                {"capacity_provider": d["capacity_provider"], "base": d.get("base", 0), "weight": d.get("weight", 0)}
                for d in strategy
            ],
            opts=self.child(),
        )
        secret = self._session_secret(name) if any(s.secrets for s in SERVICES) else None
        self.session_secret_arn = secret.arn if secret is not None else None
        self.service_names, self.task_role_arns = {}, {}
        for s in SERVICES:
            self._service(name, s, providers, repositories[s.name], groups[s.name], secret)
        self.register_outputs(
            {
                "repositoryUrls": self.repository_urls,
                "serviceNames": self.service_names,
                "securityGroupIds": self.security_group_ids,
                "taskRoleArns": self.task_role_arns,
                "sessionSecretArn": self.session_secret_arn,
            }
        )

    def _session_secret(self, name: str) -> aws.secretsmanager.Secret:
        args = self._args
        secret = aws.secretsmanager.Secret(
            f"{name}-session-key",
            name_prefix=f"{args.resource_prefix}/session-signing-key-",
            description=f"{name}: signs the services' session cookies",
            kms_key_id=args.secret_kms_key_arn,
            recovery_window_in_days=30 if args.protect else 0,
            tags=self.tags(f"{name}-session-key"),
            opts=self.stateful(),
        )
        value = random.RandomPassword(f"{name}-session-key", length=64, special=False, opts=self.child())
        aws.secretsmanager.SecretVersion(
            f"{name}-session-key", secret_id=secret.id, secret_string=value.result, opts=self.child()
        )
        return secret

    def _service(
        self,
        name: str,
        s: Service,
        providers: aws.ecs.ClusterCapacityProviders,
        repository: aws.ecr.Repository,
        sg: aws.ec2.SecurityGroup,
        secret: aws.secretsmanager.Secret | None,
    ) -> None:
        args, options = self._args, self._args.options
        size = options.service_sizes.get(s.name, options.default_service_size)
        on_fleet = args.fleet is not None and s.placement is Placement.STREAMING_FLEET
        logs = log_group(self, f"{name}-{s.name}-logs", f"/ecs/{args.resource_prefix}/{s.name}", args.logs)
        own_secret = secret if s.secrets else None
        execution_role = service_role(
            self,
            f"{name}-{s.name}-execution",
            "ecs-tasks.amazonaws.com",
            execution_statements(
                logs.arn,
                repository.arn,
                self.region,
                own_secret.arn if own_secret is not None else None,
                args.secret_kms_key_arn,
            ),
        )
        task_statements = grant_statements(s.grants, args.data, self.region)
        task_role = service_role(
            self,
            f"{name}-{s.name}-task",
            "ecs-tasks.amazonaws.com",
            pulumi.Output.all(*task_statements) if task_statements else None,
            new_policy=s.name in TASK_POLICIES_AFTER_0_1,
        )
        self.task_role_arns[s.name] = task_role.arn
        task = aws.ecs.TaskDefinition(
            f"{name}-{s.name}-task",
            family=f"{args.resource_prefix}-{s.name}",
            requires_compatibilities=["EC2"] if on_fleet else ["FARGATE"],
            network_mode="awsvpc",
            cpu=str(size.cpu),
            memory=str(size.memory),
            runtime_platform={
                "operating_system_family": "LINUX",
                "cpu_architecture": args.fleet.cpu_architecture
                if on_fleet and args.fleet is not None
                else options.cpu_architecture,
            },
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            volumes=[{"name": "tmp"}],  # task storage (a bind mount): the one writable path
            container_definitions=container_definitions(
                s,
                options,
                args.data.environment,
                repository.repository_url,
                self.region,
                logs.name,
                own_secret.arn if own_secret is not None else None,
            ),
            tags=self.tags(f"{name}-{s.name}"),
            opts=self.child(),
        )
        load_balancers: list[aws.ecs.ServiceLoadBalancerArgsDict] = [
            {"target_group_arn": groups[s.name], "container_name": s.name, "container_port": CONTAINER_PORT}
            for groups in (args.load_balancers.alb_target_group_arns, args.load_balancers.nlb_target_group_arns)
            if s.name in groups
        ]
        security_groups: list[pulumi.Input[str]] = [sg.id]
        if s.uses_data_tier:
            security_groups.append(args.data.client_security_group_id)
        connect: aws.ecs.ServiceServiceConnectConfigurationArgsDict = {
            "enabled": True,
            "namespace": args.cluster.namespace_arn,
            "services": [
                {
                    "port_name": "http",
                    "discovery_name": s.name,
                    "client_alias": [{"port": CONTAINER_PORT, "dns_name": s.name}],
                }
            ],
            "log_configuration": {
                "log_driver": "awslogs",
                "options": pulumi.Output.all(self.region, logs.name).apply(
                    lambda a: {
                        "awslogs-group": a[1],
                        "awslogs-region": a[0],
                        "awslogs-stream-prefix": "service-connect",
                    }
                ),
            },
        }
        service = aws.ecs.Service(
            f"{name}-{s.name}",
            name=s.name,
            cluster=args.cluster.arn,
            task_definition=task.arn,
            desired_count=options.service_min_tasks,
            capacity_provider_strategies=self.capacity_provider_strategies[s.name],
            network_configuration={
                "subnets": list(args.app_subnet_ids),
                "security_groups": security_groups,
                "assign_public_ip": False,
            },
            load_balancers=load_balancers or None,
            health_check_grace_period_seconds=HEALTH_CHECK_GRACE_SECONDS if load_balancers else None,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            availability_zone_rebalancing="ENABLED",
            enable_execute_command=False,
            propagate_tags="SERVICE",
            service_connect_configuration=connect,
            wait_for_steady_state=options.wait_for_steady_state,
            tags=self.tags(f"{name}-{s.name}"),
            opts=self.child(
                ignore_changes=["desiredCount"], depends_on=[providers, *args.load_balancers.load_balancer_dependencies]
            ),
        )
        self.service_names[s.name] = service.name
        target = aws.appautoscaling.Target(
            f"{name}-{s.name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", args.cluster.name, "/", service.name),
            min_capacity=options.service_min_tasks,
            max_capacity=options.service_max_tasks,
            opts=self.child(),
        )
        for metric, kind, value in (
            ("cpu", "ECSServiceAverageCPUUtilization", CPU_TARGET_PERCENT),
            ("memory", "ECSServiceAverageMemoryUtilization", MEMORY_TARGET_PERCENT),
        ):
            aws.appautoscaling.Policy(
                f"{name}-{s.name}-{metric}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration={
                    "predefined_metric_specification": {"predefined_metric_type": kind},
                    "target_value": value,
                    "scale_in_cooldown": 300,
                    "scale_out_cooldown": 60,
                },
                opts=self.child(),
            )
