"""The streaming platform: load validated settings, compose the components, export their outputs."""

import pulumi

import stack_config
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

pulumi.export("environment", settings.environment.value)
pulumi.export("availabilityZones", network.availability_zones)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("cidrPlan", network.cidr_plan.to_dict())
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("appSubnetIds", network.app_subnet_ids)
pulumi.export("dataSubnetIds", network.data_subnet_ids)
pulumi.export("natGatewayIds", network.nat_gateway_ids)
