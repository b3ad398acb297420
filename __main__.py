"""The streaming platform: load validated settings, compose the components, export their outputs."""

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random
from streaming_platform.app.apigateway_account import (
    ApiGatewayAccount,
    ApiGatewayAccountArgs,
    previous_parents_in_app_tier,
)
from streaming_platform.app.tier import (
    AccessLogs,
    AppNetwork,
    AppTier,
    AppTierArgs,
    DataAccess,
    LogSettings,
    alb_access_log_policy,
)
from streaming_platform.data.bucket_policies import BucketPolicies, BucketPoliciesArgs
from streaming_platform.data.tier import RENDITIONS, UPLOADS, DataTier
from streaming_platform.edge.distribution import EdgeOrigins, StreamingEdge
from streaming_platform.edge.origin_failover import OriginFailover
from streaming_platform.edge.zone import PublicZone
from streaming_platform.media.args import MediaKeys, MediaStorage
from streaming_platform.media.pipeline import MediaPipeline
from streaming_platform.network.multi_az import MultiAzNetwork
from streaming_platform.observability.alarms import Observability
from streaming_platform.observability.args import DataTargets, EdgeTargets, ObservabilityArgs
from streaming_platform.observability.dashboard import sqs_queue_name
from streaming_platform.observability.topics import AlarmTopics, AlarmTopicsArgs

from settings import load

settings = load()  # raises ConfigError, listing every problem, before anything is registered

# What every component gets from the stack: prod protects its stateful resources; everything is tagged.
prefix = f"streaming-{settings.stack}"
common: dict[str, Any] = {"protect": settings.is_prod, "tags": settings.tags}

network = MultiAzNetwork(
    "network",
    settings.network.to_args(availability_zones=list(settings.availability_zones), **common),
)

data = DataTier(
    "data",
    settings.data.to_args(
        zone_names=settings.zone_names,
        vpc_id=network.vpc_id,
        data_subnet_ids=network.data_subnet_ids,
        availability_zones=network.availability_zones,
        resource_prefix=prefix,
        **common,
    ),
)
# Before the tiers that raise alarms of their own (the media pipeline's queue alarms).
alarm_topics = AlarmTopics(
    "alarms",
    AlarmTopicsArgs(
        region=settings.region,
        email_addresses=settings.observability.alarm_emails,
        resource_prefix=prefix,
        **common,
    ),
)
media = MediaPipeline(
    "media",
    settings.media.to_args(
        vpc_id=network.vpc_id,
        app_subnet_ids=network.app_subnet_ids,
        availability_zones=network.availability_zones,
        storage=MediaStorage(
            uploads_bucket_name=data.bucket_names[UPLOADS],
            uploads_bucket_arn=data.bucket_arns[UPLOADS],
            renditions_bucket_name=data.bucket_names[RENDITIONS],
            renditions_bucket_arn=data.bucket_arns[RENDITIONS],
            video_table_name=data.video_table_name,
            video_table_arn=data.video_table_arn,
        ),
        keys=MediaKeys(
            media_key_arn=data.key_arns["media"], data_key_arn=data.key_arns["data"], logs_key_arn=data.key_arns["logs"]
        ),
        alarm_topic_arn=alarm_topics.topic_arn,
        resource_prefix=prefix,
        **common,
    ),
)
zone = PublicZone(
    "zone",
    settings.edge.zone_args(domain_name=settings.domain_name, hosted_zone_id=settings.app.hosted_zone_id, **common),
)
# First phase of a zone delegated from outside the account (README: DNS bootstrap): nothing that needs a certificate
# is built until zoneDelegationConfirmed, so no ACM validation starts that could only time out.
certificates = zone.accepts_certificates
dr_region = settings.data.dr_region or None
edge: StreamingEdge | None = None
if certificates:
    # The edge sends this header to the ALB; listener rules forward only requests that carry it.
    origin_verify = pulumi_random.RandomPassword("origin-verify", length=48, special=False)
    edge = StreamingEdge(
        "edge",
        settings.edge.to_args(
            zone=zone,
            origin_verify_secret=origin_verify.result,
            origins=EdgeOrigins(
                renditions_bucket_name=data.bucket_names[RENDITIONS],
                renditions_bucket_region=settings.region,
                replica_bucket_name=data.bucket_names[f"{RENDITIONS}-dr"] if dr_region else None,
                replica_bucket_region=dr_region,
                log_bucket_name=data.bucket_names["logs"],
                # standard logging writes through ACLs
                log_bucket_dependencies=[data.bucket_ownership_controls["logs"]],
            ),
            log_retention_days=settings.app.log_retention_days,
            segment_duration_seconds=settings.media.segment_duration_seconds,  # the transcoder's segments
            resource_prefix=prefix,
            **common,
        ),
    )
# One policy per bucket, from every tier's statements: the edge reads the renditions (and their DR
# replica) through OAC; the ALB delivers access logs to the log bucket.
edge_read = [RENDITIONS, f"{RENDITIONS}-dr"] if dr_region else [RENDITIONS]
bucket_policies = BucketPolicies(
    "bucket-policies",
    BucketPoliciesArgs(
        bucket_ids=data.bucket_ids,
        bucket_arns=data.bucket_arns,
        bucket_regions=data.bucket_regions,
        statements={
            "logs": [alb_access_log_policy(data.bucket_arns["logs"])],
            **{role: [edge.origin_access_statements(data.bucket_arns[role])] for role in edge_read if edge},
        },
        previous_parent=data,
        previous_child_prefix="data",
    ),
)

# Account-wide, so here rather than in AppTier: the Auto Scaling service-linked role the compute key names.
# A fresh account has none until its first group, and KMS rejects a key policy naming a missing role.
autoscaling_role = (
    aws.iam.ServiceLinkedRole(
        "autoscaling-service-role",
        aws_service_name="autoscaling.amazonaws.com",
        description="EC2 Auto Scaling service-linked role, created before the compute key that names it",
        tags=settings.tags,
        opts=pulumi.ResourceOptions(protect=settings.is_prod),
    )
    if settings.app.creates_autoscaling_role
    else None
)

if certificates:
    assert edge is not None
    # The region's API Gateway CloudWatch role is one setting per account and region: only a stack that opts in owns it.
    api_gateway_account = (
        ApiGatewayAccount(
            "app",
            ApiGatewayAccountArgs(previous_parent_urns=previous_parents_in_app_tier("app"), tags=settings.tags),
        )
        if settings.app.api_gateway_cloudwatch_role
        else None
    )

    # The ALB turns on access logging only once the log bucket's policy grants delivery.
    app = AppTier(
        "app",
        AppTierArgs(
            network=AppNetwork(
                vpc_id=network.vpc_id,
                public_subnet_ids=network.public_subnet_ids,
                app_subnet_ids=network.app_subnet_ids,
                availability_zones=network.availability_zones,
            ),
            zone=zone,
            publish_origin_record=False,  # the edge owns origin.<domain>: failover records, below
            origin_verify_secret=origin_verify.result,
            data=DataAccess(
                client_security_group_id=data.client_security_group_id,
                video_table_arn=data.video_table_arn,
                session_table_arn=data.session_table_arn,
                uploads_bucket_arn=data.bucket_arns[UPLOADS],
                renditions_bucket_arn=data.bucket_arns[RENDITIONS],
                media_key_arn=data.key_arns["media"],
                data_key_arn=data.key_arns["data"],
                redis_replication_group_arn=data.redis_replication_group_arn,
                redis_user_arn=data.redis_iam_user_arn,
                db_user_arn=data.db_app_user_arn,
                environment={
                    "VIDEO_TABLE": data.video_table_name,
                    "SESSION_TABLE": data.session_table_name,
                    "REDIS_ENDPOINT": data.redis_primary_endpoint,
                    "REDIS_USER": data.redis_iam_user_id,
                    "DB_ENDPOINT": data.db_endpoint,
                    "DB_USER": data.db_app_user_name,
                    "UPLOADS_BUCKET": data.bucket_names[UPLOADS],
                    "RENDITIONS_BUCKET": data.bucket_names[RENDITIONS],
                },
            ),
            logs=LogSettings(kms_key_arn=data.key_arns["logs"], retention_days=settings.app.log_retention_days),
            access_logs=AccessLogs(bucket=data.bucket_names["logs"], dependencies=[bucket_policies.policies["logs"]]),
            autoscaling_service_role_arn=autoscaling_role.arn if autoscaling_role is not None else None,
            api_stage_dependencies=[api_gateway_account.account_setting] if api_gateway_account else [],
            resource_prefix=prefix,
            **common,
            **settings.app.tier_args(advanced_security_enforced=settings.is_prod),
        ),
    )

    # origin.<domain>: PRIMARY to this region's ALB behind a health check, SECONDARY to the standby if any.
    origin_failover = OriginFailover(
        "edge",
        settings.edge.failover_args(
            zone_id=zone.zone_id,
            origin_domain_name=edge.origin_domain_name,
            alb_dns_name=app.alb_dns_name,
            alb_zone_id=app.alb_zone_id,
            alb_arn_suffix=app.alb_arn_suffix,
            alarm_topic_arn=alarm_topics.topic_arn,
            resource_prefix=prefix,
            tags=settings.tags,
            previous_parent=edge,
        ),
    )

    # Last: alarms on every tier and the dashboard, from the identifiers the tiers expose.
    functions = {"transcoder": media.transcoder_function_name}
    if media.status_function_name is not None:
        functions["transcode-status"] = media.status_function_name
    observability = Observability(
        "observability",
        ObservabilityArgs(
            alarm_topic_arn=alarm_topics.topic_arn,
            edge=EdgeTargets(
                cloudfront_distribution_id=edge.distribution_id,
                health_check_id=origin_failover.health_check_id,
                alarm_topic_arn=alarm_topics.edge_topic_arn,
            ),
            alb_arn_suffix=app.alb_arn_suffix,
            alb_target_group_arn_suffixes=app.alb_target_group_arn_suffixes,
            asg_name=app.asg_name,
            asg_min_size=settings.app.asg_min_size,
            ecs_cluster_name=app.cluster_name,
            ecs_service_names=app.service_names,
            data=DataTargets(
                db_instance_id=data.db_instance_id,
                db_replica_instance_ids=data.db_replica_instance_ids,
                s3_replication_rules=data.replication_rules,
                cache_member_cluster_ids=data.redis_member_cluster_ids,
                dynamodb_table_names={"videos": data.video_table_name, "sessions": data.session_table_name},
            ),
            lambda_function_names=functions,
            queue_names={"uploads": sqs_queue_name(media.queue_arn), "uploads-dlq": sqs_queue_name(media.dlq_arn)},
            thresholds=settings.thresholds,
            resource_prefix=prefix,
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
pulumi.export("alarmTopicArns", {"regional": alarm_topics.topic_arn, "us-east-1": alarm_topics.edge_topic_arn})
pulumi.export("zoneDelegation", zone.delegation.value)
if certificates:
    assert edge is not None
    pulumi.export("albDnsName", app.alb_dns_name)
    pulumi.export("albArn", app.alb_arn)
    pulumi.export("listenerArns", {"https": app.https_listener_arn, "http": app.http_listener_arn})
    pulumi.export("originDomainName", app.origin_domain_name)
    pulumi.export("asgName", app.asg_name)
    pulumi.export("ecsClusterName", app.cluster_name)
    pulumi.export("ecsServiceNames", app.service_names)
    pulumi.export("ecrRepositoryUrls", app.repository_urls)  # where each team pushes its image (README: Images)
    pulumi.export("apiEndpoint", app.api_endpoint)
    pulumi.export("distributionId", edge.distribution_id)
    pulumi.export("distributionDomainName", edge.distribution_domain_name)
    pulumi.export("edgeWebAclArn", edge.web_acl_arn)
    pulumi.export("edgeCertificateArn", edge.certificate_arn)
    pulumi.export("siteUrl", edge.site_url)
    pulumi.export("siteApiUrl", edge.api_url)
    pulumi.export("userPoolId", app.user_pool_id)
    pulumi.export("userPoolClientId", app.user_pool_client_id)
    pulumi.export("userPoolDomain", app.user_pool_domain)
    pulumi.export("dashboardName", observability.dashboard_name)
