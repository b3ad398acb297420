"""Reusable Pulumi components of the streaming platform.

    from components import MultiAzNetwork, MultiAzNetworkArgs, DataTier, DataTierArgs, AppTier, StreamingEdge

Components take plain settings and typed inputs as ``<Component>Args`` dataclasses and never read
stack config, so any Pulumi Python program can compose them with its own settings. Type tokens
(``streaming:<module>:<Component>``), child names and output attributes are public API: a rename
ships with an ``Alias`` and a CHANGELOG line.

The names below are imported lazily, so ``import components.cidr_plan`` (the pure planner) does not
load ``pulumi_aws``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from components.app import AppTier, AppTierArgs
    from components.cidr_plan import CidrPlan, CidrPlanError, SubnetPlan, Tier, plan_subnets
    from components.data import DataTier, DataTierArgs
    from components.dns import PublicZone, PublicZoneArgs
    from components.edge import StreamingEdge, StreamingEdgeArgs
    from components.media import MediaPipeline, MediaPipelineArgs
    from components.network import MultiAzNetwork, MultiAzNetworkArgs, NatGatewayStrategy
    from components.observability import AlarmTopics, AlarmTopicsArgs, Observability, ObservabilityArgs

_EXPORTS = {
    "MultiAzNetwork": "components.network",
    "MultiAzNetworkArgs": "components.network",
    "NatGatewayStrategy": "components.network",
    "DataTier": "components.data",
    "DataTierArgs": "components.data",
    "Tier": "components.cidr_plan",
    "CidrPlan": "components.cidr_plan",
    "CidrPlanError": "components.cidr_plan",
    "SubnetPlan": "components.cidr_plan",
    "plan_subnets": "components.cidr_plan",
    "AppTier": "components.app",
    "AppTierArgs": "components.app",
    "PublicZone": "components.dns",
    "PublicZoneArgs": "components.dns",
    "StreamingEdge": "components.edge",
    "StreamingEdgeArgs": "components.edge",
    "MediaPipeline": "components.media",
    "MediaPipelineArgs": "components.media",
    "AlarmTopics": "components.observability",
    "AlarmTopicsArgs": "components.observability",
    "Observability": "components.observability",
    "ObservabilityArgs": "components.observability",
}

__all__ = [
    "AlarmTopics",
    "AlarmTopicsArgs",
    "AppTier",
    "AppTierArgs",
    "CidrPlan",
    "CidrPlanError",
    "DataTier",
    "DataTierArgs",
    "MediaPipeline",
    "MediaPipelineArgs",
    "MultiAzNetwork",
    "MultiAzNetworkArgs",
    "NatGatewayStrategy",
    "Observability",
    "ObservabilityArgs",
    "PublicZone",
    "PublicZoneArgs",
    "StreamingEdge",
    "StreamingEdgeArgs",
    "SubnetPlan",
    "Tier",
    "plan_subnets",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'components' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
