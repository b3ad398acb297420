"""What a stack needs from its account, from its settings and its offline recording; no AWS calls here.

Counts the program decides (VPCs, Elastic IPs, NAT gateways per AZ, reserved Lambda concurrency) come from the
recording, so they follow the code; sizes at full scale (Fargate and fleet vCPUs) from the settings.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streaming_platform.app.service_table import SERVICE_NAMES
from streaming_platform.app.tier import ComputeMode

from offline.engine import Recording
from settings import Settings
from settings.app import ServiceLinkedRoleSource

AUTOSCALING_ROLE = "AWSServiceRoleForAutoScaling"
PRINCIPALS_RULE = "aws-policy-principals-exist"

# registry/repository:tag or @sha256 digest, for images in a private ECR registry.
_ECR_IMAGE = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]*)|@(?P<digest>sha256:[0-9a-f]{64}))"
)


@dataclass(frozen=True)
class ServiceLinkedRole:
    service: str
    """The IAM service principal, e.g. autoscaling.amazonaws.com."""
    role: str
    """The role name IAM gives it."""
    why: str
    source: str
    """``create``: the stack creates it (it must not exist yet); ``required``: a declared prerequisite (it must
    exist); ``auto``: the service creates it on first use (needs iam:CreateServiceLinkedRole)."""


@dataclass(frozen=True)
class EcrImage:
    reference: str
    service: str
    account: str
    region: str
    repository: str
    tag: str | None
    digest: str | None


def ecr_image(service: str, reference: str) -> EcrImage | None:
    m = _ECR_IMAGE.fullmatch(reference)
    if m is None:
        return None
    return EcrImage(reference, service, m["account"], m["region"], m["repository"], m["tag"], m["digest"])


@dataclass(frozen=True)
class StackNeeds:
    stack: str
    region: str
    environment: str
    availability_zones: tuple[str, ...]
    domain_name: str
    hosted_zone_id: str
    service_linked_roles: tuple[ServiceLinkedRole, ...]
    vpcs: int
    elastic_ips: int
    nat_gateways_per_az: int
    lambda_reserved_concurrency: int
    fargate_on_demand_vcpus: int
    fargate_spot_vcpus: int
    fleet_instance_types: tuple[str, ...]
    """Empty without a fleet."""
    fleet_on_demand_instances: int
    fleet_spot_instances: int
    images: Mapping[str, str]
    """Service -> image reference."""
    ses_identity: str | None
    db_instance_class: str
    db_engine_major_version: str
    db_multi_az: bool
    cache_node_type: str
    pack_preexisting_roles: tuple[str, ...] = field(default_factory=tuple)
    """The policy pack config's ``preexistingRoles`` for this stack (policies/config/<stack>.json)."""


def service_linked_roles(s: Settings) -> tuple[ServiceLinkedRole, ...]:
    """The service-linked roles the stack's resources rely on (IAM User Guide, "AWS services that work with IAM":
    the services with a Yes in the Service-linked roles column)."""
    fleet = s.app.compute_mode is ComputeMode.ECS_AND_EC2_FLEET
    roles = []
    if fleet:
        source = "create" if s.app.autoscaling_service_linked_role is ServiceLinkedRoleSource.CREATE else "required"
        roles.append(
            ServiceLinkedRole(
                "autoscaling.amazonaws.com",
                AUTOSCALING_ROLE,
                "the compute key policy names it (fleet volumes)",
                source,
            )
        )
    roles += [
        ServiceLinkedRole("ecs.amazonaws.com", "AWSServiceRoleForECS", "ECS cluster and services", "auto"),
        ServiceLinkedRole(
            "ecs.application-autoscaling.amazonaws.com",
            "AWSServiceRoleForApplicationAutoScaling_ECSService",
            "ECS service scaling",
            "auto",
        ),
        ServiceLinkedRole(
            "elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing", "ALB and NLB", "auto"
        ),
        ServiceLinkedRole("rds.amazonaws.com", "AWSServiceRoleForRDS", "RDS PostgreSQL", "auto"),
        ServiceLinkedRole("elasticache.amazonaws.com", "AWSServiceRoleForElastiCache", "ElastiCache Redis", "auto"),
    ]
    if s.app.ses_sender:
        roles.append(
            ServiceLinkedRole(
                "email.cognito-idp.amazonaws.com",
                "AWSServiceRoleForAmazonCognitoIdpEmailService",
                "Cognito mail through SES",
                "auto",
            )
        )
    return tuple(roles)


def _split(total: int, base: int, on_demand_weight: float, spot_weight: float) -> tuple[int, int]:
    """(on-demand, spot) of ``total`` tasks or instances: ``base`` on demand, the rest by weight (rounded up)."""
    base = min(base, total)
    rest = total - base
    if on_demand_weight + spot_weight == 0:
        return base, 0
    on_demand = math.ceil(rest * on_demand_weight / (on_demand_weight + spot_weight))
    return base + on_demand, rest - on_demand


def derive(s: Settings, recording: Recording, policy_config: Mapping[str, Any] | None = None) -> StackNeeds:
    types = recording.counts_by_type()
    nat_azs = Counter(
        str(r.inputs.get("availabilityZone") or r.name.rsplit("-nat-", 1)[-1])
        for r in recording.of_type("aws:ec2/natGateway:NatGateway")
    )
    reserved = sum(
        int(r.inputs.get("reservedConcurrentExecutions") or 0)
        for r in recording.of_type("aws:lambda/function:Function")
        if int(r.inputs.get("reservedConcurrentExecutions") or 0) > 0
    )
    services = s.app.tier_args(advanced_security_enforced=s.is_prod)["services"]
    on_demand_vcpu = spot_vcpu = 0.0
    for name in SERVICE_NAMES:
        size = services.service_sizes.get(name, services.default_service_size)
        cap = services.capacity
        od, spot = _split(services.service_max_tasks, cap.fargate_base, cap.fargate_weight, cap.fargate_spot_weight)
        on_demand_vcpu += od * size.cpu / 1024
        spot_vcpu += spot * size.cpu / 1024
    fleet = s.app.compute_mode is ComputeMode.ECS_AND_EC2_FLEET
    fleet_od, fleet_spot = (
        _split(
            s.app.asg_max_size,
            s.app.fleet_on_demand_base,
            s.app.fleet_on_demand_percentage_above_base,
            100 - s.app.fleet_on_demand_percentage_above_base,
        )
        if fleet
        else (0, 0)
    )
    rule = (policy_config or {}).get(PRINCIPALS_RULE)
    preexisting = tuple(rule.get("preexistingRoles", ())) if isinstance(rule, dict) else ()
    return StackNeeds(
        stack=s.stack,
        region=s.region,
        environment=s.environment.value,
        availability_zones=s.availability_zones,
        domain_name=s.domain_name,
        hosted_zone_id=s.app.hosted_zone_id,
        service_linked_roles=service_linked_roles(s),
        vpcs=types["aws:ec2/vpc:Vpc"],
        elastic_ips=types["aws:ec2/eip:Eip"],
        nat_gateways_per_az=max(nat_azs.values(), default=0),
        lambda_reserved_concurrency=reserved,
        fargate_on_demand_vcpus=math.ceil(on_demand_vcpu),
        fargate_spot_vcpus=math.ceil(spot_vcpu),
        fleet_instance_types=(s.app.instance_type, *s.app.fleet_extra_instance_types) if fleet else (),
        fleet_on_demand_instances=fleet_od,
        fleet_spot_instances=fleet_spot,
        images=dict(services.service_images),
        ses_identity=s.app.ses_sender.split("@", 1)[1] if s.app.ses_sender else None,
        db_instance_class=s.data.db_instance_class,
        db_engine_major_version=str(s.data.db_engine_major_version),
        db_multi_az=bool(s.data.db_multi_az),
        cache_node_type=s.data.cache_node_type,
        pack_preexisting_roles=preexisting,
    )


def policy_config_path(project_dir: Path, stack: str) -> Path:
    return project_dir / "policies" / "config" / f"{stack}.json"
