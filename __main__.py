"""The streaming platform: load validated settings, compose the components, export their outputs."""

import dataclasses

import pulumi

import stack_config
from components.data import DataTier, DataTierArgs
from components.network import MultiAzNetwork, MultiAzNetworkArgs

settings = stack_config.load()  # raises ConfigError, listing every problem, before anything is registered

network = MultiAzNetwork(
    "network",
    MultiAzNetworkArgs(
        availability_zones=settings.network.availability_zones,
        vpc_cidr=settings.network.vpc_cidr,
        subnet_prefix_lengths=settings.network.subnet_prefix_lengths,
        nat_gateway_strategy=settings.network.nat_gateway_strategy,
        interface_endpoints=settings.network.interface_endpoints,
        flow_log_retention_days=settings.network.flow_log_retention_days,
        protect=settings.is_prod,
        tags=settings.tags,
    ),
)

data = DataTier(
    "data",
    DataTierArgs(
        vpc_id=network.vpc_id,
        data_subnet_ids=network.data_subnet_ids,
        availability_zones=network.availability_zones,
        resource_prefix=f"streaming-{settings.stack}",
        protect=settings.is_prod,
        tags=settings.tags,
        **dataclasses.asdict(settings.data),  # DataSettings fields are named after DataTierArgs fields
    ),
)
# Components that grant access to the buckets (edge OAC, ALB access logs) call
# data.add_bucket_policy_statements(...) above this line; then each bucket gets its one policy.
data.seal_bucket_policies()

pulumi.export("environment", settings.environment.value)
pulumi.export("availabilityZones", network.availability_zones)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("cidrPlan", network.cidr_plan.to_dict())
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("appSubnetIds", network.app_subnet_ids)
pulumi.export("dataSubnetIds", network.data_subnet_ids)
pulumi.export("natGatewayIds", network.nat_gateway_ids)
pulumi.export("dataClientSecurityGroupId", data.client_security_group_id)
pulumi.export("kmsKeyArns", data.key_arns)
pulumi.export("videoTableName", data.video_table_name)
pulumi.export("sessionTableName", data.session_table_name)
pulumi.export("redisPrimaryEndpoint", data.redis_primary_endpoint)
pulumi.export("redisUserGroupId", data.redis_user_group_id)
pulumi.export("dbEndpoint", data.db_endpoint)
pulumi.export("dbReaderEndpoints", data.db_reader_endpoints)
pulumi.export("dbMasterSecretArn", data.db_master_secret_arn)
pulumi.export("bucketNames", data.bucket_names)
pulumi.export("bucketArns", data.bucket_arns)
