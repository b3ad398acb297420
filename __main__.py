"""The streaming platform: load validated settings, compose the components, export their outputs."""

import dataclasses

import pulumi
import pulumi_random

import stack_config
from components.app import AppTier, AppTierArgs, alb_access_log_policy
from components.data import RENDITIONS, UPLOADS, DataTier, DataTierArgs
from components.dns import PublicZone, PublicZoneArgs
from components.media import MediaPipeline, MediaPipelineArgs
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
media = MediaPipeline(
    "media",
    MediaPipelineArgs(
        vpc_id=network.vpc_id,
        app_subnet_ids=network.app_subnet_ids,
        availability_zones=network.availability_zones,
        uploads_bucket_name=data.bucket_names[UPLOADS],
        uploads_bucket_arn=data.bucket_arns[UPLOADS],
        renditions_bucket_name=data.bucket_names[RENDITIONS],
        renditions_bucket_arn=data.bucket_arns[RENDITIONS],
        media_key_arn=data.key_arns["media"],
        data_key_arn=data.key_arns["data"],
        logs_key_arn=data.key_arns["logs"],
        video_table_name=data.video_table_name,
        video_table_arn=data.video_table_arn,
        log_retention_days=settings.data.log_retention_days,
        resource_prefix=f"streaming-{settings.stack}",
        protect=settings.is_prod,
        tags=settings.tags,
        **dataclasses.asdict(settings.media),  # MediaSettings fields are named after MediaPipelineArgs fields
    ),
)
zone = PublicZone(
    "zone",
    PublicZoneArgs(
        domain_name=settings.domain_name,
        hosted_zone_id=settings.app.hosted_zone_id,
        protect=settings.is_prod,
        tags=settings.tags,
    ),
)
# The edge sends this header to the ALB; listener rules forward only requests that carry it.
origin_verify = pulumi_random.RandomPassword("origin-verify", length=48, special=False)
data.add_bucket_policy_statements("logs", alb_access_log_policy(data.bucket_arns["logs"]))
# Components that grant access to the buckets (edge OAC, ALB access logs) call
# data.add_bucket_policy_statements(...) above this line; then each bucket gets its one policy.
bucket_policies = data.seal_bucket_policies()

# After the seal: the ALB turns on access logging only once the log bucket's policy grants delivery.
app = AppTier(
    "app",
    AppTierArgs(
        vpc_id=network.vpc_id,
        public_subnet_ids=network.public_subnet_ids,
        app_subnet_ids=network.app_subnet_ids,
        availability_zones=network.availability_zones,
        zone=zone,
        origin_verify_secret=origin_verify.result,
        data_client_security_group_id=data.client_security_group_id,
        log_kms_key_arn=data.key_arns["logs"],
        access_log_bucket=data.bucket_names["logs"],
        access_log_dependencies=[bucket_policies["logs"]],
        video_table_arn=data.video_table_arn,
        session_table_arn=data.session_table_arn,
        uploads_bucket_arn=data.bucket_arns[UPLOADS],
        renditions_bucket_arn=data.bucket_arns[RENDITIONS],
        media_key_arn=data.key_arns["media"],
        service_environment={
            "VIDEO_TABLE": data.video_table_name,
            "SESSION_TABLE": data.session_table_name,
            "REDIS_ENDPOINT": data.redis_primary_endpoint,
            "DB_ENDPOINT": data.db_endpoint,
            "UPLOADS_BUCKET": data.bucket_names[UPLOADS],
            "RENDITIONS_BUCKET": data.bucket_names[RENDITIONS],
        },
        resource_prefix=f"streaming-{settings.stack}",
        advanced_security_enforced=settings.is_prod,
        protect=settings.is_prod,
        tags=settings.tags,
        **dataclasses.asdict(settings.compute),  # ComputeSettings fields are named after AppTierArgs fields
        **settings.app.tier_args(),
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
pulumi.export("uploadQueueUrl", media.queue_url)
pulumi.export("uploadQueueArn", media.queue_arn)
pulumi.export("uploadDlqUrl", media.dlq_url)
pulumi.export("uploadDlqArn", media.dlq_arn)
pulumi.export("transcoderFunctionName", media.transcoder_function_name)
pulumi.export("transcodeStatusFunctionName", media.status_function_name)
pulumi.export("hostedZoneId", zone.zone_id)
pulumi.export("nameServers", zone.name_servers)
pulumi.export("albDnsName", app.alb_dns_name)
pulumi.export("albArn", app.alb_arn)
pulumi.export("listenerArns", {"https": app.https_listener_arn, "http": app.http_listener_arn})
pulumi.export("originDomainName", app.origin_domain_name)
pulumi.export("asgName", app.asg_name)
pulumi.export("ecsClusterName", app.cluster_name)
pulumi.export("ecsServiceNames", app.service_names)
pulumi.export("apiEndpoint", app.api_endpoint)
pulumi.export("userPoolId", app.user_pool_id)
pulumi.export("userPoolClientId", app.user_pool_client_id)
pulumi.export("userPoolDomain", app.user_pool_domain)
