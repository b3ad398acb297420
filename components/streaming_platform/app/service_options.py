"""The services' plain options (images, sizes, capacity, scaling, steady state) and the fleet capacity they may
run on; ``Services`` (``services.py``) builds from them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from streaming_platform.app.common import FARGATE_SIZES, CapacityStrategy, ServiceSize, fargate_memory_options
from streaming_platform.app.service_table import SERVICE_NAMES

DEFAULT_SERVICE_SIZE = ServiceSize(256, 512)
DEFAULT_CAPACITY = CapacityStrategy()
_TAG = re.compile(r"(?!latest\Z)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")  # a Docker tag other than latest


def ecs_cluster_name(resource_prefix: str) -> str:
    """The cluster's name (``Cluster``): the prefix itself, as 0.1 named it (a rename replaces the cluster)."""
    return resource_prefix


@dataclass(frozen=True)
class FleetCapacity:
    """The EC2 capacity the services placed on the streaming fleet run on."""

    capacity_provider_name: pulumi.Input[str]
    """The fleet's ECS capacity provider (``Fleet.capacity_provider_name``): associated with the cluster and the
    whole strategy of those services."""
    cpu_architecture: str = "X86_64"
    """The instances' architecture (X86_64 or ARM64): those services' tasks declare it. Default: X86_64."""


@dataclass(frozen=True)
class ServicesOptions:
    """Plain settings of the services (the names match the stack settings' fields)."""

    service_images: Mapping[str, str] = field(default_factory=dict)
    """Image references (any registry, pinned by tag or digest) per service name. Default: none."""
    service_image_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags in the stack's own repository ``<resource_prefix>/<service>`` per service name. Default: none. A
    service in neither mapping runs ``DEFAULT_IMAGE`` with the default server (health path 200, else 503)."""
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
    wait_for_steady_state: bool = False
    """Make ``pulumi up`` wait until every service reaches steady state (its tasks healthy), so an image that
    cannot be pulled or a task that fails its health check fails the update. Default: off (``up`` returns once
    ECS accepted the deployment; the circuit breaker still rolls a failed one back)."""

    def problems(self) -> list[str]:
        problems = []
        for label, images in (("service_images", self.service_images), ("service_image_tags", self.service_image_tags)):
            if any(s not in SERVICE_NAMES for s in images):
                problems.append(
                    f"ServicesOptions.{label}: got {sorted(images)}; allowed: names among {', '.join(SERVICE_NAMES)}"
                )
        both = sorted(set(self.service_images) & set(self.service_image_tags))
        if both:
            problems.append(
                f"ServicesOptions.service_image_tags: got {both} also in service_images; allowed: one image source "
                "per service"
            )
        bad_tags = sorted(t for t in self.service_image_tags.values() if not _TAG.fullmatch(t))
        if bad_tags:
            problems.append(
                f"ServicesOptions.service_image_tags: got {bad_tags}; allowed: Docker tags (letters, digits, '_', "
                "'.', '-', up to 128, not starting with '.' or '-') other than latest"
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
