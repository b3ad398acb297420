"""Services: the ECS Fargate microservices, each with its own security group, roles and autoscaling.

The service table ``SERVICES`` says, per service, where it is reached (ALB paths, an API route), who calls it
through Service Connect, whether it uses the data tier, which secrets it reads and which data it may touch:
every per-service difference is a field of its record, none is a branch on its name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from streaming_platform.app.common import (
    CONTAINER_PORT,
    CONTAINER_STOP_TIMEOUT_SECONDS,
    CONTAINER_USER,
    CPU_TARGET_PERCENT,
    FARGATE_SIZES,
    HEALTH_CHECK_GRACE_SECONDS,
    MEMORY_TARGET_PERCENT,
    AppPart,
    CapacityStrategy,
    DataAccess,
    LogSettings,
    ServiceSize,
    allow_port,
    fargate_memory_options,
    grant_statements,
    https_out,
    log_group,
    raise_problems,
    service_role,
)
from streaming_platform.app.service_table import SERVICE_NAMES, SERVICES, Service

DEFAULT_SERVICE_SIZE = ServiceSize(256, 512)
DEFAULT_CAPACITY = CapacityStrategy()


@dataclass(frozen=True)
class ServicesOptions:
    """Plain settings of the services (the names match the stack settings' fields)."""

    service_images: Mapping[str, str] = field(default_factory=dict)
    """Container image per service (every name in ``SERVICE_NAMES``), pinned by tag or digest. No default:
    an empty mapping is rejected."""
    service_sizes: Mapping[str, ServiceSize] = field(default_factory=dict)
    """CPU/memory per service. Default: every service gets ``default_service_size``."""
    default_service_size: ServiceSize = DEFAULT_SERVICE_SIZE
    """Default: 0.25 vCPU / 512 MiB, the smallest Fargate size."""
    capacity: CapacityStrategy = DEFAULT_CAPACITY
    """Default: one FARGATE task per service, the rest split evenly with FARGATE_SPOT."""
    cpu_architecture: str = "X86_64"
    """Default: X86_64. Fargate Spot only runs X86_64, so ARM64 requires ``fargate_spot_weight`` 0."""
    service_min_tasks: int = 2
    """Default: 2 per service (``desired_count`` starts here, then autoscaling owns it); 1 loses the service
    while its only task is replaced."""
    service_max_tasks: int = 6
    """Default: 6 per service, the autoscaling ceiling."""

    def problems(self) -> list[str]:
        problems = []
        missing = [s for s in SERVICE_NAMES if s not in self.service_images]
        extra = [s for s in self.service_images if s not in SERVICE_NAMES]
        if missing or extra:
            problems.append(
                f"ServicesOptions.service_images: got {sorted(self.service_images)}; "
                f"allowed: exactly {', '.join(SERVICE_NAMES)}"
            )
        for svc, size in self.service_sizes.items():
            if svc not in SERVICE_NAMES or size.memory not in fargate_memory_options(size.cpu):
                problems.append(
                    f"ServicesOptions.service_sizes[{svc!r}]: got {size.cpu} CPU / {size.memory} MiB; allowed: a "
                    f"service of {', '.join(SERVICE_NAMES)} with a Fargate size "
                    f"(cpu {', '.join(map(str, FARGATE_SIZES))})"
                )
        cap = self.capacity
        if min(cap.fargate_base, cap.fargate_weight, cap.fargate_spot_weight) < 0 or (
            cap.fargate_weight + cap.fargate_spot_weight == 0
        ):
            problems.append(f"ServicesOptions.capacity: got {cap}; allowed: non-negative values with a weight above 0")
        if cap.fargate_spot_weight and self.cpu_architecture != "X86_64":
            problems.append(
                f"ServicesOptions.cpu_architecture: got {self.cpu_architecture!r} with fargate_spot_weight "
                f"{cap.fargate_spot_weight}; allowed: X86_64 (Fargate Spot has no ARM64 capacity)"
            )
        if not 1 <= self.service_min_tasks <= self.service_max_tasks:
            problems.append(
                f"ServicesOptions.service_min_tasks/service_max_tasks: got {self.service_min_tasks}/"
                f"{self.service_max_tasks}; allowed: 1 <= min <= max"
            )
        return problems


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
    resource_prefix: str = "streaming"
    """Prefix of the namespace, task families, log groups and the secret's name. Default: ``streaming``."""
    protect: bool = False
    """Protect and retain the log groups and the session secret, and keep the secret 30 days after deletion.
    Default: off (dev can be torn down and the secret goes at once)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable child, with ``Name`` added. Default: none."""


def validate_services_args(args: ServicesArgs) -> list[str]:
    problems = args.options.problems() + args.data.problems()
    for kind, groups, sg in (
        ("alb", args.alb_target_group_arns, args.alb_security_group_id),
        ("nlb", args.nlb_target_group_arns, args.nlb_security_group_id),
    ):
        unknown = [s for s in groups if s not in SERVICE_NAMES]
        if unknown or (groups and sg is None):
            problems.append(
                f"ServicesArgs.{kind}_target_group_arns: got {sorted(groups)} with {kind}_security_group_id "
                f"{'set' if sg is not None else 'None'}; allowed: service names, with the {kind}'s group given"
            )
    return problems


class Services(AppPart):
    """ECS cluster, Service Connect namespace and, per service, its group, roles, task, service and scaling."""

    cluster_name: pulumi.Output[str]
    cluster_arn: pulumi.Output[str]
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
            if s.name in args.alb_target_group_arns and args.alb_security_group_id is not None:
                allow_port(self, "alb", s.name, args.alb_security_group_id, groups[s.name].id)
            if s.name in args.nlb_target_group_arns and args.nlb_security_group_id is not None:
                allow_port(self, "nlb", s.name, args.nlb_security_group_id, groups[s.name].id)
            for caller in s.callers:
                allow_port(self, caller, s.name, groups[caller].id, groups[s.name].id)
        for s in SERVICES:
            https_out(self, s.name, groups[s.name].id)

        namespace = aws.servicediscovery.HttpNamespace(
            f"{name}-services",
            name=f"{args.resource_prefix}.internal",
            description=f"{name}: Service Connect namespace of the ECS services",
            tags=self.tags(f"{name}-services"),
            opts=self.child(),
        )
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[{"name": "containerInsights", "value": "enhanced"}],
            service_connect_defaults={"namespace": namespace.arn},
            tags=self.tags(f"{name}-cluster"),
            opts=self.child(),
        )
        self.cluster_name, self.cluster_arn = cluster.name, cluster.arn
        cap = args.options.capacity
        strategy: list[aws.ecs.ServiceCapacityProviderStrategyArgsDict] = []
        if cap.fargate_base or cap.fargate_weight:
            strategy.append({"capacity_provider": "FARGATE", "base": cap.fargate_base, "weight": cap.fargate_weight})
        if cap.fargate_spot_weight:
            strategy.append({"capacity_provider": "FARGATE_SPOT", "weight": cap.fargate_spot_weight})
        providers = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=["FARGATE", "FARGATE_SPOT"],
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
            self._service(name, s, cluster, namespace, providers, strategy, groups[s.name], secret)
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "clusterArn": self.cluster_arn,
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
        cluster: aws.ecs.Cluster,
        namespace: aws.servicediscovery.HttpNamespace,
        providers: aws.ecs.ClusterCapacityProviders,
        strategy: list[aws.ecs.ServiceCapacityProviderStrategyArgsDict],
        sg: aws.ec2.SecurityGroup,
        secret: aws.secretsmanager.Secret | None,
    ) -> None:
        args, options = self._args, self._args.options
        size = options.service_sizes.get(s.name, options.default_service_size)
        logs = log_group(self, f"{name}-{s.name}-logs", f"/ecs/{args.resource_prefix}/{s.name}", args.logs)
        own_secret = secret if s.secrets else None
        execution_role = service_role(
            self, f"{name}-{s.name}-execution", "ecs-tasks.amazonaws.com", self._execution_statements(logs, own_secret)
        )
        task_statements = grant_statements(s.grants, args.data, self.region)
        task_role = service_role(
            self,
            f"{name}-{s.name}-task",
            "ecs-tasks.amazonaws.com",
            pulumi.Output.all(*task_statements) if task_statements else None,
        )
        self.task_role_arns[s.name] = task_role.arn
        task = aws.ecs.TaskDefinition(
            f"{name}-{s.name}-task",
            family=f"{args.resource_prefix}-{s.name}",
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(size.cpu),
            memory=str(size.memory),
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": options.cpu_architecture},
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            volumes=[{"name": "tmp"}],  # Fargate task storage: the one writable path
            container_definitions=self._container(s, options.service_images[s.name], logs, own_secret),
            tags=self.tags(f"{name}-{s.name}"),
            opts=self.child(),
        )
        load_balancers: list[aws.ecs.ServiceLoadBalancerArgsDict] = [
            {"target_group_arn": groups[s.name], "container_name": s.name, "container_port": CONTAINER_PORT}
            for groups in (args.alb_target_group_arns, args.nlb_target_group_arns)
            if s.name in groups
        ]
        security_groups: list[pulumi.Input[str]] = [sg.id]
        if s.uses_data_tier:
            security_groups.append(args.data.client_security_group_id)
        connect: aws.ecs.ServiceServiceConnectConfigurationArgsDict = {
            "enabled": True,
            "namespace": namespace.arn,
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
            cluster=cluster.arn,
            task_definition=task.arn,
            desired_count=options.service_min_tasks,
            capacity_provider_strategies=strategy,
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
            wait_for_steady_state=False,
            tags=self.tags(f"{name}-{s.name}"),
            opts=self.child(ignore_changes=["desiredCount"], depends_on=[providers, *args.load_balancer_dependencies]),
        )
        self.service_names[s.name] = service.name
        target = aws.appautoscaling.Target(
            f"{name}-{s.name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", cluster.name, "/", service.name),
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

    def _execution_statements(
        self, logs: aws.cloudwatch.LogGroup, secret: aws.secretsmanager.Secret | None
    ) -> pulumi.Output[list[dict[str, Any]]]:
        def build(a: list[Any]) -> list[dict[str, Any]]:
            log_arn, partition, region, account, secret_arn, key_arn = a
            statements: list[dict[str, Any]] = [
                # GetAuthorizationToken has no resource-level permissions (Service Authorization Reference, ECR).
                {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
                {
                    "Sid": "PullImages",
                    "Effect": "Allow",
                    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                    "Resource": f"arn:{partition}:ecr:{region}:{account}:repository/*",
                },
                {
                    "Sid": "WriteLogs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"{log_arn}:log-stream:*",
                },
            ]
            if secret_arn:
                statements += [
                    {
                        "Sid": "ReadSecrets",
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": secret_arn,
                    },
                    {
                        "Sid": "DecryptSecrets",
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": key_arn,
                        "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
                    },
                ]
            return statements

        return pulumi.Output.all(
            logs.arn,
            self.partition,
            self.region,
            self.account,
            secret.arn if secret is not None else "",
            self._args.secret_kms_key_arn if secret is not None else "",
        ).apply(build)

    def _container(
        self, s: Service, image: str, logs: aws.cloudwatch.LogGroup, secret: aws.secretsmanager.Secret | None
    ) -> pulumi.Output[str]:
        env_inputs: dict[str, pulumi.Input[str]] = {"SERVICE_NAME": s.name, "PORT": str(CONTAINER_PORT)}
        if s.uses_data_tier:
            env_inputs.update(self._args.data.environment)
        keys = sorted(env_inputs)

        def render(a: list[Any]) -> str:
            region, group, secret_arn, *values = a
            definition = {
                "name": s.name,
                "image": image,
                "essential": True,
                "user": CONTAINER_USER,
                "readonlyRootFilesystem": True,
                "portMappings": [
                    {"name": "http", "containerPort": CONTAINER_PORT, "protocol": "tcp", "appProtocol": "http"}
                ],
                "environment": [{"name": k, "value": v} for k, v in zip(keys, values, strict=True)],
                "secrets": [{"name": n, "valueFrom": secret_arn} for n in s.secrets],
                "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],
                "stopTimeout": CONTAINER_STOP_TIMEOUT_SECONDS,
                "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": group, "awslogs-region": region, "awslogs-stream-prefix": s.name},
                },
            }
            return json.dumps([definition])

        return pulumi.Output.all(
            self.region, logs.name, secret.arn if secret is not None else "", *(env_inputs[k] for k in keys)
        ).apply(render)
