"""Cluster: the ECS cluster and its Service Connect namespace, built before the fleet that joins it and the
services that run in it.

Why it is its own component: an EC2 container instance that boots before its cluster exists never joins it.
The ECS agent does not create a cluster named by ``ECS_CLUSTER`` (only ``default``; Amazon ECS Developer Guide,
"Amazon ECS container agent configuration", ``ECS_CLUSTER``), it treats ``ClientException: Cluster not found``
from RegisterContainerInstance as terminal and exits ("Received terminal error from RegisterContainerInstance
call, exiting": aws/amazon-ecs-agent pull request 4689), and the AMI's ``ecs.service`` does not restart an
agent that exits with its terminal status (``Restart=on-failure``, ``RestartPreventExitStatus=5``, ecs-init's
systemd unit). The cluster waits for its namespace, and Cloud Map creates a namespace asynchronously, so
without an explicit order the fleet's first instances could well boot first. ``FleetArgs.cluster_name`` takes
``Cluster.cluster_name`` (a dependency of the launch template) and ``ServicesArgs.cluster`` a ``ClusterRef`` of
the three outputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from streaming_platform.app.common import AppPart
from streaming_platform.app.service_options import ecs_cluster_name

__all__ = ["Cluster", "ClusterArgs", "ClusterRef"]


@dataclass(frozen=True)
class ClusterRef:
    """An ECS cluster with a Service Connect namespace, as ``Services`` and ``Fleet`` take it."""

    name: pulumi.Input[str]
    """The cluster's name (``ECS_CLUSTER`` of the fleet's instances)."""
    arn: pulumi.Input[str]
    """The cluster's ARN (the services' ``cluster``)."""
    namespace_arn: pulumi.Input[str]
    """The Cloud Map HTTP namespace the services' Service Connect configuration names."""


@dataclass
class ClusterArgs:
    resource_prefix: str = "streaming"
    """The cluster's name (``ecs_cluster_name``) and the namespace ``<prefix>.internal``. Default: ``streaming``."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of both children, with ``Name`` added. Default: none."""


class Cluster(AppPart):
    """The ECS cluster (Container Insights enhanced, Service Connect defaults) and its namespace."""

    cluster_name: pulumi.Output[str]
    """``<resource_prefix>``: the fleet's ``ECS_CLUSTER`` and the CloudWatch ``ClusterName`` dimension."""
    cluster_arn: pulumi.Output[str]
    """The cluster the services run in."""
    namespace_arn: pulumi.Output[str]
    """The Cloud Map HTTP namespace ``<resource_prefix>.internal`` of Service Connect."""

    def __init__(
        self,
        name: str,
        args: ClusterArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: pulumi.Resource | None = None,
    ) -> None:
        super().__init__("streaming:app:Cluster", name, tags=args.tags, moved_from=moved_from, opts=opts)
        namespace = aws.servicediscovery.HttpNamespace(
            f"{name}-services",
            name=f"{args.resource_prefix}.internal",
            description=f"{name}: Service Connect namespace of the ECS services",
            tags=self.tags(f"{name}-services"),
            opts=self.child(),
        )
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            name=ecs_cluster_name(args.resource_prefix),
            settings=[{"name": "containerInsights", "value": "enhanced"}],
            service_connect_defaults={"namespace": namespace.arn},
            tags=self.tags(f"{name}-cluster"),
            opts=self.child(),
        )
        self.cluster_name, self.cluster_arn, self.namespace_arn = cluster.name, cluster.arn, namespace.arn
        self.register_outputs(
            {"clusterName": self.cluster_name, "clusterArn": self.cluster_arn, "namespaceArn": self.namespace_arn}
        )
