"""Builds ONE part of the application tier alone, from fake inputs, for tests/test_app_parts.py.

Config: ``part:build`` names the part (load_balancer | cluster | fleet | services | private_api | identity);
``part:protect`` ("true") builds it with protection on; ``part:noData`` ("true") gives it no data-tier ARNs;
``part:sesSender`` sets the identity's SES sender address.

``part:variant`` "mixed" builds the services with a fleet capacity provider (ARM64), one own-repository tag, one
external image and the default image for the rest, waiting for steady state; "arm" builds the fleet on Graviton.
"""

import pulumi
from streaming_platform.app.cluster import Cluster, ClusterArgs, ClusterRef
from streaming_platform.app.common import DataAccess, LogSettings
from streaming_platform.app.fleet import Fleet, FleetArgs, FleetOptions
from streaming_platform.app.identity import Identity, IdentityArgs, IdentityOptions
from streaming_platform.app.load_balancer import AccessLogs, AlbRoute, LoadBalancer, LoadBalancerArgs
from streaming_platform.app.private_api import PrivateApi, PrivateApiArgs, PrivateRoute
from streaming_platform.app.service_table import SERVICE_NAMES
from streaming_platform.app.services import (
    FleetCapacity,
    ServiceLoadBalancers,
    Services,
    ServicesArgs,
    ServicesOptions,
)

config = pulumi.Config("part")
part = config.require("build")
protect = config.get_bool("protect") or False
no_data = config.get_bool("noData") or False
mixed = config.get("variant") == "mixed"

VPC = "vpc-0fake"
PUBLIC = ["subnet-pub-a", "subnet-pub-b"]
APP = ["subnet-app-a", "subnet-app-b"]
LOGS = LogSettings(kms_key_arn="arn:aws:kms:us-east-2:111122223333:key/logs", retention_days=30)
DATA = (
    DataAccess(client_security_group_id="sg-data")
    if no_data
    else DataAccess(
        client_security_group_id="sg-data",
        video_table_arn="arn:aws:dynamodb:us-east-2:111122223333:table/videos",
        session_table_arn="arn:aws:dynamodb:us-east-2:111122223333:table/sessions",
        uploads_bucket_arn="arn:aws:s3:::uploads",
        renditions_bucket_arn="arn:aws:s3:::renditions",
        media_key_arn="arn:aws:kms:us-east-2:111122223333:key/media",
        environment={"VIDEO_TABLE": "videos"},
    )
)
TAGS = {"Environment": "test"}

if part == "load_balancer":
    LoadBalancer(
        "t",
        LoadBalancerArgs(
            vpc_id=VPC,
            public_subnet_ids=PUBLIC,
            certificate_arn="arn:aws:acm:us-east-2:111122223333:certificate/c",
            origin_verify_secret="origin-secret",
            # The catch-all first on purpose: the component must still place it last.
            routes=[AlbRoute(target="web", paths=("/*",)), AlbRoute(target="api", paths=("/api/*",))],
            access_logs=AccessLogs(bucket="logs-bucket"),
            logs=LOGS,
            protect=protect,
            tags=TAGS,
        ),
    )
elif part == "cluster":
    Cluster("t", ClusterArgs(resource_prefix="test", tags=TAGS))
elif part == "fleet":
    Fleet(
        "t",
        FleetArgs(
            vpc_id=VPC,
            app_subnet_ids=APP,
            cluster_name="test-cluster",
            volume_kms_key_arn="arn:aws:kms:us-east-2:111122223333:key/compute",
            options=FleetOptions(instance_type="t4g.large", fleet_extra_instance_types=("m7g.large",), asg_max_size=3)
            if config.get("variant") == "arm"
            else FleetOptions(asg_min_size=1, asg_desired_capacity=1, asg_max_size=3),
            resource_prefix="test",
            tags=TAGS,
        ),
    )
elif part == "services":
    Services(
        "t",
        ServicesArgs(
            vpc_id=VPC,
            app_subnet_ids=APP,
            options=ServicesOptions(
                service_images={"video": "registry.example/video:1"},
                service_image_tags={"api": "1.4.2"},
                wait_for_steady_state=True,
            )
            if mixed
            else ServicesOptions(service_images={s: f"registry.example/{s}:1" for s in SERVICE_NAMES}),
            data=DATA,
            logs=LOGS,
            secret_kms_key_arn="arn:aws:kms:us-east-2:111122223333:key/compute",
            cluster=ClusterRef(
                name="test",
                arn="arn:aws:ecs:us-east-2:111122223333:cluster/test",
                namespace_arn="arn:aws:servicediscovery:us-east-2:111122223333:namespace/ns-test",
            ),
            image_kms_key_arn="arn:aws:kms:us-east-2:111122223333:key/compute" if mixed else None,
            fleet=FleetCapacity(capacity_provider_name="test-fleet", cpu_architecture="ARM64") if mixed else None,
            load_balancers=ServiceLoadBalancers(
                alb_security_group_id="sg-alb",
                nlb_security_group_id="sg-nlb",
                alb_target_group_arns={"frontend": "arn:tg/frontend", "api": "arn:tg/api"},
                nlb_target_group_arns={s: f"arn:tg/{s}-nlb" for s in ("api", "video", "user", "comment")},
            ),
            protect=protect,
            tags=TAGS,
        ),
    )
elif part == "private_api":
    PrivateApi(
        "t",
        PrivateApiArgs(
            vpc_id=VPC,
            app_subnet_ids=APP,
            routes=[
                PrivateRoute(service="api", nlb_port=8080),
                PrivateRoute(service="video", nlb_port=8081, path_part="videos"),
            ],
            user_pool_arn="arn:aws:cognito-idp:us-east-2:111122223333:userpool/pool",
            origin_verify_secret="origin-secret",
            certificate_arn="arn:aws:acm:us-east-2:111122223333:certificate/c",
            domain_name="api.example.com",
            logs=LOGS,
            protect=protect,
            tags=TAGS,
        ),
    )
elif part == "identity":
    options = IdentityOptions(ses_sender=config.get("sesSender") or None)
    Identity("t", IdentityArgs(domain_name="example.com", options=options, protect=protect, tags=TAGS))
else:
    raise ValueError(
        f"part:build: got {part!r}; allowed: load_balancer | cluster | fleet | services | private_api | identity"
    )
