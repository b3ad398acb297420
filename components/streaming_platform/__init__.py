"""Reusable Pulumi components of the streaming platform.

    from streaming_platform import MultiAzNetwork, MultiAzNetworkArgs, DataTier, DataTierArgs, AppTier, StreamingEdge

Components take plain settings and typed inputs as ``<Component>Args`` dataclasses and never read
stack config, so any Pulumi Python program can compose them with its own settings. Type tokens
(``streaming:<module>:<Component>``), child names and output attributes are public API: a rename
ships with an ``Alias`` and a CHANGELOG line.

The names below are imported lazily, so ``import streaming_platform.network.cidr_plan`` (the pure planner) does not
load ``pulumi_aws``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streaming_platform.app.apigateway_account import ApiGatewayAccount, ApiGatewayAccountArgs
    from streaming_platform.app.cluster import Cluster, ClusterArgs, ClusterRef
    from streaming_platform.app.fleet import Fleet, FleetArgs
    from streaming_platform.app.identity import Identity, IdentityArgs
    from streaming_platform.app.load_balancer import LoadBalancer, LoadBalancerArgs
    from streaming_platform.app.private_api import PrivateApi, PrivateApiArgs
    from streaming_platform.app.services import ServiceLoadBalancers, Services, ServicesArgs
    from streaming_platform.app.tier import AppTier, AppTierArgs
    from streaming_platform.data.bucket_policies import BucketPolicies, BucketPoliciesArgs
    from streaming_platform.data.buckets import BucketOptions, Buckets, BucketsArgs
    from streaming_platform.data.cache import Cache, CacheArgs, CacheOptions
    from streaming_platform.data.database import Database, DatabaseArgs, DatabaseOptions
    from streaming_platform.data.keys import DataKeys, DataKeysArgs
    from streaming_platform.data.tables import Tables, TablesArgs
    from streaming_platform.data.tier import DataTier, DataTierArgs
    from streaming_platform.edge.distribution import (
        EdgeCacheOptions,
        EdgeOrigins,
        EdgeWafOptions,
        StreamingEdge,
        StreamingEdgeArgs,
    )
    from streaming_platform.edge.origin_failover import OriginFailover, OriginFailoverArgs
    from streaming_platform.edge.zone import PublicZone, PublicZoneArgs, PublicZoneOutputs, ZoneDelegation
    from streaming_platform.media.args import (
        MediaKeys,
        MediaPipelineArgs,
        MediaStorage,
        TranscodeOptions,
        TranscoderFunctionOptions,
        UploadQueueOptions,
    )
    from streaming_platform.media.pipeline import MediaPipeline
    from streaming_platform.network.cidr_plan import CidrPlan, CidrPlanError, SubnetPlan, Tier, plan_subnets
    from streaming_platform.network.multi_az import MultiAzNetwork, MultiAzNetworkArgs, NatGatewayStrategy
    from streaming_platform.observability.alarms import Observability
    from streaming_platform.observability.args import DataTargets, EdgeTargets, ObservabilityArgs
    from streaming_platform.observability.topics import AlarmTopics, AlarmTopicsArgs

_EXPORTS = {
    "MultiAzNetwork": "streaming_platform.network.multi_az",
    "MultiAzNetworkArgs": "streaming_platform.network.multi_az",
    "NatGatewayStrategy": "streaming_platform.network.multi_az",
    "DataTier": "streaming_platform.data.tier",
    "BucketPolicies": "streaming_platform.data.bucket_policies",
    "BucketPoliciesArgs": "streaming_platform.data.bucket_policies",
    "OriginFailover": "streaming_platform.edge.origin_failover",
    "OriginFailoverArgs": "streaming_platform.edge.origin_failover",
    "DataTierArgs": "streaming_platform.data.tier",
    "DataKeys": "streaming_platform.data.keys",
    "DataKeysArgs": "streaming_platform.data.keys",
    "Tables": "streaming_platform.data.tables",
    "TablesArgs": "streaming_platform.data.tables",
    "Cache": "streaming_platform.data.cache",
    "CacheArgs": "streaming_platform.data.cache",
    "CacheOptions": "streaming_platform.data.cache",
    "Database": "streaming_platform.data.database",
    "DatabaseArgs": "streaming_platform.data.database",
    "DatabaseOptions": "streaming_platform.data.database",
    "Buckets": "streaming_platform.data.buckets",
    "BucketsArgs": "streaming_platform.data.buckets",
    "BucketOptions": "streaming_platform.data.buckets",
    "Tier": "streaming_platform.network.cidr_plan",
    "CidrPlan": "streaming_platform.network.cidr_plan",
    "CidrPlanError": "streaming_platform.network.cidr_plan",
    "SubnetPlan": "streaming_platform.network.cidr_plan",
    "plan_subnets": "streaming_platform.network.cidr_plan",
    "AppTier": "streaming_platform.app.tier",
    "AppTierArgs": "streaming_platform.app.tier",
    "LoadBalancer": "streaming_platform.app.load_balancer",
    "LoadBalancerArgs": "streaming_platform.app.load_balancer",
    "Cluster": "streaming_platform.app.cluster",
    "ClusterArgs": "streaming_platform.app.cluster",
    "ClusterRef": "streaming_platform.app.cluster",
    "Fleet": "streaming_platform.app.fleet",
    "FleetArgs": "streaming_platform.app.fleet",
    "Services": "streaming_platform.app.services",
    "ServicesArgs": "streaming_platform.app.services",
    "ServiceLoadBalancers": "streaming_platform.app.services",
    "PrivateApi": "streaming_platform.app.private_api",
    "PrivateApiArgs": "streaming_platform.app.private_api",
    "Identity": "streaming_platform.app.identity",
    "IdentityArgs": "streaming_platform.app.identity",
    "PublicZone": "streaming_platform.edge.zone",
    "PublicZoneOutputs": "streaming_platform.edge.zone",
    "PublicZoneArgs": "streaming_platform.edge.zone",
    "ZoneDelegation": "streaming_platform.edge.zone",
    "ApiGatewayAccount": "streaming_platform.app.apigateway_account",
    "ApiGatewayAccountArgs": "streaming_platform.app.apigateway_account",
    "StreamingEdge": "streaming_platform.edge.distribution",
    "StreamingEdgeArgs": "streaming_platform.edge.distribution",
    "EdgeCacheOptions": "streaming_platform.edge.distribution",
    "EdgeOrigins": "streaming_platform.edge.distribution",
    "EdgeWafOptions": "streaming_platform.edge.distribution",
    "MediaPipeline": "streaming_platform.media.pipeline",
    "MediaPipelineArgs": "streaming_platform.media.args",
    "MediaKeys": "streaming_platform.media.args",
    "MediaStorage": "streaming_platform.media.args",
    "TranscodeOptions": "streaming_platform.media.args",
    "TranscoderFunctionOptions": "streaming_platform.media.args",
    "UploadQueueOptions": "streaming_platform.media.args",
    "AlarmTopics": "streaming_platform.observability.topics",
    "AlarmTopicsArgs": "streaming_platform.observability.topics",
    "Observability": "streaming_platform.observability.alarms",
    "ObservabilityArgs": "streaming_platform.observability.args",
    "DataTargets": "streaming_platform.observability.args",
    "EdgeTargets": "streaming_platform.observability.args",
}

__all__ = [
    "AlarmTopics",
    "AlarmTopicsArgs",
    "ApiGatewayAccount",
    "ApiGatewayAccountArgs",
    "AppTier",
    "AppTierArgs",
    "BucketOptions",
    "BucketPolicies",
    "BucketPoliciesArgs",
    "Buckets",
    "BucketsArgs",
    "Cache",
    "CacheArgs",
    "CacheOptions",
    "CidrPlan",
    "CidrPlanError",
    "Cluster",
    "ClusterArgs",
    "ClusterRef",
    "DataKeys",
    "DataKeysArgs",
    "DataTargets",
    "DataTier",
    "DataTierArgs",
    "Database",
    "DatabaseArgs",
    "DatabaseOptions",
    "EdgeCacheOptions",
    "EdgeOrigins",
    "EdgeTargets",
    "EdgeWafOptions",
    "Fleet",
    "FleetArgs",
    "Identity",
    "IdentityArgs",
    "LoadBalancer",
    "LoadBalancerArgs",
    "MediaKeys",
    "MediaPipeline",
    "MediaPipelineArgs",
    "MediaStorage",
    "MultiAzNetwork",
    "MultiAzNetworkArgs",
    "NatGatewayStrategy",
    "Observability",
    "ObservabilityArgs",
    "OriginFailover",
    "OriginFailoverArgs",
    "PrivateApi",
    "PrivateApiArgs",
    "PublicZone",
    "PublicZoneArgs",
    "PublicZoneOutputs",
    "ServiceLoadBalancers",
    "Services",
    "ServicesArgs",
    "StreamingEdge",
    "StreamingEdgeArgs",
    "SubnetPlan",
    "Tables",
    "TablesArgs",
    "Tier",
    "TranscodeOptions",
    "TranscoderFunctionOptions",
    "UploadQueueOptions",
    "ZoneDelegation",
    "plan_subnets",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'streaming_platform' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
