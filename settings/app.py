"""Application tier keys (AppTier: the EC2 fleet, ECS services, REST API, Cognito) and the public zone id.

``AppSettings.tier_args()`` yields exactly the AppTierArgs keywords the program passed before the settings
package (the former ``tier_args()`` plus the fleet sizes), so AppTier's call in __main__ is unchanged.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from typing import Annotated, Any

from streaming_platform.app.tier import (
    FARGATE_SIZES,
    SERVICE_NAMES,
    AppTierArgs,
    CapacityStrategy,
    CognitoMfa,
    ComputeMode,
    FleetOptions,
    IdentityOptions,
    LogSettings,
    PrivateApiOptions,
    ServiceSize,
    ServicesOptions,
)

from settings import aws_values
from settings._base import TierModel, arg_default, distinct, each, key, rule
from settings.app_checks import check
from settings.app_values import (
    CALLBACK_URL,
    CALLBACK_URL_MAX,
    CALLBACK_URLS_MAX,
    CPUS_TEXT,
    EMAIL,
    HOSTED_ZONE_ID,
    IMAGE_REFERENCE,
    IMAGE_TAG,
    INSTANCE_TEXT,
    InstanceType,
    fargate_sizes_text,
    is_fargate_size,
    service_entries,
    services_once,
)
from settings.network import RetentionDays

__all__ = ["AppSettings", "ServiceLinkedRoleSource", "check", "fargate_sizes_text"]


class ServiceLinkedRoleSource(enum.Enum):
    """Who provides the account's AWSServiceRoleForAutoScaling, which the compute key policy names."""

    CREATE = "CREATE"
    """The stack creates it (``aws.iam.ServiceLinkedRole``) before the key: a fresh account."""
    EXISTING = "EXISTING"
    """The account already has it: a prerequisite ``make preflight`` verifies and the pack's
    ``aws-policy-principals-exist`` lists in ``preexistingRoles``."""


# Where each default lives: AppTierArgs groups the parts' options (FleetOptions, ServicesOptions, ...).
_OPTION_CLASSES = (AppTierArgs, FleetOptions, ServicesOptions, PrivateApiOptions, IdentityOptions, LogSettings)
_RENAMED = {"log_retention_days": "retention_days"}  # settings field -> LogSettings field


def _d(name: str) -> Any:
    field = _RENAMED.get(name, name)
    for cls in _OPTION_CLASSES:
        if any(f.name == field for f in dataclasses.fields(cls)):
            return arg_default(cls, field)
    raise ValueError(f"no application-tier option is named {name}")


_CAP = CapacityStrategy()
_SIZE_DEFAULT: ServiceSize = _d("default_service_size")


class AppSettings(TierModel):
    """Plain settings of AppTierArgs (and PublicZoneArgs.hosted_zone_id); defaults are the component's own."""

    instance_type: InstanceType = key(
        _d("instance_type"), alias="instanceType", description="EC2 instance type of the streaming web fleet."
    )
    asg_min_size: int = key(
        _d("asg_min_size"),
        alias="asgMinSize",
        ge=0,
        le=500,
        description="Minimum instances in the EC2 Auto Scaling group; at least 1 when computeMode runs the fleet.",
    )
    asg_desired_capacity: int = key(
        _d("asg_desired_capacity"),
        alias="asgDesiredCapacity",
        ge=0,
        le=500,
        description="Desired instances in the EC2 Auto Scaling group, asgMinSize to asgMaxSize.",
    )
    asg_max_size: int = key(
        _d("asg_max_size"),
        alias="asgMaxSize",
        ge=1,
        le=500,
        description="Maximum instances in the EC2 Auto Scaling group.",
    )
    compute_mode: ComputeMode = key(
        _d("compute_mode"),
        alias="computeMode",
        description=(
            "ECS_AND_EC2_FLEET runs the ECS microservices and the EC2 Auto Scaling streaming fleet; ECS_ONLY runs the "
            "microservices only (the fleet, its launch template and scaling policies are not created)."
        ),
    )
    fleet_extra_instance_types: Annotated[
        tuple[str, ...], each(aws_values.is_instance_type, INSTANCE_TEXT), rule(distinct, "each instance type once")
    ] = key(
        tuple(_d("fleet_extra_instance_types")),
        alias="asgExtraInstanceTypes",
        description=(
            "Instance types the fleet's mixed instances policy may launch besides instanceType (more Spot pools); "
            "same CPU architecture, each once. At least one when computeMode runs the fleet."
        ),
    )
    fleet_on_demand_base: int = key(
        _d("fleet_on_demand_base"),
        alias="asgOnDemandBaseCapacity",
        ge=0,
        le=500,
        description=(
            "On-demand instances the fleet keeps before any Spot, 0 to asgMaxSize; at least 1 when environment is prod."
        ),
    )
    fleet_on_demand_percentage_above_base: int = key(
        _d("fleet_on_demand_percentage_above_base"),
        alias="asgOnDemandPercentageAboveBase",
        ge=0,
        le=100,
        description="Percentage of on-demand instances above the base, 0 to 100 (0: the rest is Spot).",
    )
    service_image_entries: Annotated[
        tuple[str, ...],
        service_entries(
            lambda v: bool(IMAGE_REFERENCE.fullmatch(v)),
            "IMAGE",
            "an image reference pinned by a tag other than latest or by @sha256:<digest>, such as "
            "ghcr.io/acme/api:1.4.2",
        ),
        services_once(),
    ] = key(
        (),
        alias="ecsServiceImages",
        description=(
            "SERVICE=IMAGE entries (" + ", ".join(SERVICE_NAMES) + ") for images in another registry, pinned by a "
            "tag other than latest or by an @sha256 digest. A service with neither this nor an ecsServiceImageTags "
            "entry runs the public default image (health path 200, every other path 503)."
        ),
    )
    service_image_tag_entries: Annotated[
        tuple[str, ...],
        service_entries(
            lambda v: bool(re.fullmatch(IMAGE_TAG, v)),
            "TAG",
            "an image tag other than latest (letters, digits, '_', '.', '-', up to 128, not starting with '.' or "
            "'-'), such as 1.4.2",
        ),
        services_once(),
    ] = key(
        (),
        alias="ecsServiceImageTags",
        description=(
            "SERVICE=TAG entries: the service runs that tag of the stack's own ECR repository "
            "<prefix>/<service> (exported as ecrRepositoryUrls); a service may not also be in ecsServiceImages."
        ),
    )
    wait_for_steady_state: bool = key(
        _d("wait_for_steady_state"),
        alias="ecsWaitForSteadyState",
        description=(
            "Make pulumi up wait until every ECS service is in steady state (a failed deployment fails the update); "
            "true when environment is prod."
        ),
    )
    task_cpu: Annotated[int, rule(lambda v: v in FARGATE_SIZES, f"one of {CPUS_TEXT}")] = key(
        _SIZE_DEFAULT.cpu,
        alias="ecsTaskCpu",
        description=f"Default Fargate CPU units of a task: {CPUS_TEXT.replace(', 16384', ' or 16384')}.",
    )
    task_memory: int = key(
        _SIZE_DEFAULT.memory,
        alias="ecsTaskMemory",
        ge=512,
        le=122880,
        description=(
            "Default Fargate memory (MiB) of a task; a size Fargate offers for ecsTaskCpu (256 CPU: 512, 1024 or 2048)."
        ),
    )
    service_size_entries: Annotated[
        tuple[str, ...],
        service_entries(
            is_fargate_size,
            "CPU/MEMORY",
            f"CPU/MEMORY of a Fargate size, CPU one of {CPUS_TEXT} (for example 512/1024)",
        ),
        services_once(),
    ] = key(
        (),
        alias="ecsServiceSizes",
        description=(
            "Per-service overrides of the task size as SERVICE=CPU/MEMORY, for example api=512/1024; each a Fargate "
            "size, each service at most once."
        ),
    )
    fargate_base: int = key(
        _CAP.fargate_base,
        alias="ecsFargateBase",
        ge=0,
        le=100,
        description=(
            "Tasks per service that always run on on-demand FARGATE, 0 to 100; at least 1 when environment is prod."
        ),
    )
    fargate_weight: int = key(
        _CAP.fargate_weight,
        alias="ecsFargateWeight",
        ge=0,
        le=1000,
        description="Relative share of on-demand FARGATE for tasks above the base, 0 to 1000.",
    )
    fargate_spot_weight: int = key(
        _CAP.fargate_spot_weight,
        alias="ecsFargateSpotWeight",
        ge=0,
        le=1000,
        description=(
            "Relative share of FARGATE_SPOT (x86_64 only) for tasks above the base, 0 to 1000; ecsFargateWeight + "
            "ecsFargateSpotWeight must be above 0."
        ),
    )
    service_min_tasks: int = key(
        _d("service_min_tasks"),
        alias="ecsMinTasks",
        ge=1,
        le=100,
        description=(
            "Autoscaling minimum (and initial count) of each ECS service, 1 to 100; at least azCount when environment "
            "is prod."
        ),
    )
    service_max_tasks: int = key(
        _d("service_max_tasks"),
        alias="ecsMaxTasks",
        ge=1,
        le=100,
        description="Autoscaling maximum of each ECS service, ecsMinTasks to 100.",
    )
    api_throttle_rate_limit: int = key(
        _d("api_throttle_rate_limit"),
        alias="apiThrottleRateLimit",
        ge=1,
        le=10000,
        description="Steady-state requests per second the REST API stage admits, 1 to 10000.",
    )
    api_throttle_burst_limit: int = key(
        _d("api_throttle_burst_limit"),
        alias="apiThrottleBurstLimit",
        ge=1,
        le=5000,
        description="Burst of requests the REST API stage admits, 1 to 5000.",
    )
    cognito_mfa: CognitoMfa = key(
        _d("cognito_mfa"),
        alias="cognitoMfa",
        description="Cognito MFA with TOTP apps: OFF, OPTIONAL or ON; not OFF when environment is prod.",
    )
    callback_urls: Annotated[
        tuple[str, ...],
        each(
            lambda v: len(v) <= CALLBACK_URL_MAX and bool(CALLBACK_URL.fullmatch(v)),
            (
                "URLs such as https://video.example.com/auth/callback or http://localhost:3000/callback (no query, no "
                f"fragment, no wildcard, a host of DNS labels, at most {CALLBACK_URL_MAX} characters)"
            ),
        ),
        rule(distinct, "each URL once"),
        rule(lambda v: len(v) <= CALLBACK_URLS_MAX, f"at most {CALLBACK_URLS_MAX} URLs (Cognito's limit)"),
    ] = key(
        tuple(_d("callback_urls")),
        alias="cognitoCallbackUrls",
        description=(
            "OAuth callback URLs of the web client: https:// on domainName or a subdomain of it (or http://localhost, "
            "127.0.0.1 or [::1] outside prod), each once, at most 100; empty for https://<domainName>/auth/callback."
        ),
    )
    autoscaling_service_linked_role: ServiceLinkedRoleSource = key(
        ServiceLinkedRoleSource.CREATE,
        alias="autoScalingServiceLinkedRole",
        description=(
            "Who provides AWSServiceRoleForAutoScaling, the role the compute key policy lets launch encrypted fleet "
            "volumes: CREATE (the stack creates it before the key; a fresh account) or EXISTING (the account has it "
            "already; make preflight checks it). Read only when computeMode runs the fleet."
        ),
    )
    ses_sender: Annotated[
        str,
        rule(
            lambda v: v == "" or (len(v) <= 254 and bool(EMAIL.fullmatch(v))),
            "an email address such as no-reply@video.example.com (its domain verified in SES), or empty",
        ),
    ] = key(
        "",
        alias="cognitoSesSender",
        description=(
            "From address of Cognito's mail, sent through SES from the stack's region with the address's domain as "
            "the verified identity; empty uses Cognito's default sender (low daily limit). Required when environment "
            "is prod."
        ),
    )
    log_retention_days: RetentionDays = key(
        _d("log_retention_days"),
        alias="appLogRetentionDays",
        description=(
            "Days to keep the application tier's logs (ECS services, API access logs, WAF); one of the retention "
            "periods CloudWatch Logs accepts."
        ),
    )
    hosted_zone_id: Annotated[
        str,
        rule(
            lambda v: v == "" or bool(HOSTED_ZONE_ID.fullmatch(v)),
            "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ, or empty to create the zone",
        ),
    ] = key(
        "",
        alias="hostedZoneId",
        description=(
            "Id of an existing Route 53 public hosted zone for domainName to adopt; empty to create the zone (then "
            "delegate to its name servers)."
        ),
    )

    api_gateway_cloudwatch_role: bool = key(
        False,
        alias="apiGatewayCloudWatchRole",
        description=(
            "Manage the region's API Gateway account setting (the CloudWatch Logs role that API stage access logging "
            "needs) from this stack. One setting per account and region: turn it on in exactly one stack per account "
            "and region; with it off the account must already have the role."
        ),
    )

    @property
    def creates_autoscaling_role(self) -> bool:
        """The stack creates AWSServiceRoleForAutoScaling: it runs the fleet and the key must wait for the role."""
        return (
            self.compute_mode is ComputeMode.ECS_AND_EC2_FLEET
            and self.autoscaling_service_linked_role is ServiceLinkedRoleSource.CREATE
        )

    def tier_args(self, *, advanced_security_enforced: bool) -> dict[str, Any]:
        """AppTierArgs' compute mode and each part's options (the zone id goes to PublicZoneArgs, the log
        retention to AppTierArgs.logs)."""
        sizes = {}
        for entry in self.service_size_entries:
            service, _, text = entry.partition("=")
            cpu, _, memory = text.partition("/")
            sizes[service] = ServiceSize(int(cpu), int(memory))
        return {
            "compute_mode": self.compute_mode,
            "fleet": FleetOptions(
                instance_type=self.instance_type,
                asg_min_size=self.asg_min_size,
                asg_desired_capacity=self.asg_desired_capacity,
                asg_max_size=self.asg_max_size,
                fleet_extra_instance_types=self.fleet_extra_instance_types,
                fleet_on_demand_base=self.fleet_on_demand_base,
                fleet_on_demand_percentage_above_base=self.fleet_on_demand_percentage_above_base,
            ),
            "services": ServicesOptions(
                service_images=dict(e.split("=", 1) for e in self.service_image_entries),
                service_image_tags=dict(e.split("=", 1) for e in self.service_image_tag_entries),
                wait_for_steady_state=self.wait_for_steady_state,
                service_sizes=sizes,
                default_service_size=ServiceSize(self.task_cpu, self.task_memory),
                capacity=CapacityStrategy(self.fargate_base, self.fargate_weight, self.fargate_spot_weight),
                service_min_tasks=self.service_min_tasks,
                service_max_tasks=self.service_max_tasks,
            ),
            "private_api": PrivateApiOptions(
                api_throttle_rate_limit=self.api_throttle_rate_limit,
                api_throttle_burst_limit=self.api_throttle_burst_limit,
            ),
            "identity": IdentityOptions(
                cognito_mfa=self.cognito_mfa,
                callback_urls=self.callback_urls,
                advanced_security_enforced=advanced_security_enforced,
                ses_sender=self.ses_sender or None,
            ),
        }
