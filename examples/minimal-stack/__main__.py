"""A minimal stack reusing MultiAzNetwork and DataTier with plain values.

This is the whole reuse path: the program reads its own config (the components never read any),
builds each component's ``*Args`` dataclass and passes outputs from one component to the next.
"""

import pulumi
from streaming_platform import (
    BucketPolicies,
    BucketPoliciesArgs,
    CacheOptions,
    DatabaseOptions,
    DataTier,
    DataTierArgs,
    MultiAzNetwork,
    MultiAzNetworkArgs,
    NatGatewayStrategy,
)

config = pulumi.Config()
availability_zones: list[str] = config.require_object("availabilityZones")
prefix = config.get("resourcePrefix") or "example"
tags = {"Team": "example"}

network = MultiAzNetwork(
    "net",
    MultiAzNetworkArgs(
        availability_zones=availability_zones,
        vpc_cidr=config.get("vpcCidr") or "10.60.0.0/16",
        nat_gateway_strategy=NatGatewayStrategy.ONE_PER_AZ,  # egress survives the loss of an AZ
        flow_log_retention_days=30,
        tags=tags,
    ),
)

data = DataTier(
    "db",
    DataTierArgs(
        vpc_id=network.vpc_id,
        data_subnet_ids=network.data_subnet_ids,
        availability_zones=network.availability_zones,
        resource_prefix=prefix,
        database=DatabaseOptions(
            db_instance_class="db.t4g.medium", db_allocated_storage_gb=20, db_max_allocated_storage_gb=50
        ),
        cache=CacheOptions(cache_node_type="cache.t4g.micro", cache_num_nodes=len(availability_zones)),
        log_retention_days=30,
        tags=tags,
    ),
)
# Exactly one policy per bucket, each starting with the TLS-only deny; a stack that grants access to
# its buckets (a CDN's read, log delivery) passes those statements here, by bucket role.
BucketPolicies(
    "bucket-policies",
    BucketPoliciesArgs(bucket_ids=data.bucket_ids, bucket_arns=data.bucket_arns, bucket_regions=data.bucket_regions),
)

pulumi.export("vpcId", network.vpc_id)
pulumi.export("appSubnetIds", network.app_subnet_ids)
pulumi.export("dataClientSecurityGroupId", data.client_security_group_id)
pulumi.export("dbEndpoint", data.db_endpoint)
pulumi.export("redisPrimaryEndpoint", data.redis_primary_endpoint)
pulumi.export("bucketNames", data.bucket_names)
