"""Access contracts of the application tier: each ECS service's task and execution roles, the fleet's instance
role, API Gateway's CloudWatch role, and Elastic Load Balancing delivering the ALB's logs.

What a service needs follows from its record in the service table: a table grant means DynamoDB calls (and so
the table key through DynamoDB: "How Amazon DynamoDB uses AWS KMS", the caller's principal needs the key
permissions), ``uses_data_tier`` means Redis and PostgreSQL through IAM authentication, ``secrets`` means the
execution role reads the session secret. What it must not do: other services' tables, deletes it never performs,
keys of other data classes, the master database user.
"""

from __future__ import annotations

from streaming_platform.access import (
    ACCOUNT,
    PARTITION,
    REGION,
    Expect,
    Ref,
    Request,
    Workload,
    assume,
    key_ref,
    role_ref,
)
from streaming_platform.app.common import DataResource, GrantScope
from streaming_platform.app.load_balancer import ALB_LOG_PREFIX
from streaming_platform.app.service_table import SERVICES, Service
from streaming_platform.data.access import TABLE_KEY_ACTIONS, DataRefs, s3_key_context, via
from streaming_platform.data.common import LOGS, RENDITIONS, UPLOADS
from streaming_platform.data.database import DB_APP_USER, DB_MASTER_USER

_TABLES = {DataResource.VIDEO_TABLE: "videos", DataResource.SESSION_TABLE: "sessions"}
_BUCKETS = {DataResource.UPLOADS_BUCKET: UPLOADS, DataResource.RENDITIONS_BUCKET: RENDITIONS}
_ECS_TRUST = {"aws:SourceAccount": ACCOUNT}


def _task_requests(s: Service, d: DataRefs) -> list[Request]:
    out: list[Request] = []
    tables = {g.resource for g in s.grants if g.resource in _TABLES}
    for grant in s.grants:
        actions = (grant.actions,) if isinstance(grant.actions, str) else grant.actions
        for action in actions:
            if grant.resource in _TABLES:
                out.append(
                    Request(
                        label=f"{action} on {_TABLES[grant.resource]}",
                        action=action,
                        resource=d.table(_TABLES[grant.resource]),
                    )
                )
            elif grant.resource in _BUCKETS:
                bucket = _BUCKETS[grant.resource]
                out.append(
                    Request(
                        label=f"{action} in {bucket}", action=action, resource=d.object(bucket, "hls/v1/index.m3u8")
                    )
                )
            elif grant.scope is GrantScope.KEY_THROUGH_S3:
                bucket = UPLOADS if action == "kms:GenerateDataKey" else RENDITIONS
                out.append(
                    Request(
                        label=f"{action} for {bucket} through S3",
                        action=action,
                        resource=d.key("media"),
                        context=s3_key_context(d.bucket(bucket)),
                    )
                )
    for table in sorted(_TABLES[t] for t in tables):
        out.append(
            Request(
                label=f"Query an index of {table}", action="dynamodb:Query", resource=(d.table(table), "/index/byOwner")
            )
        )
    if tables:
        out += [
            Request(
                label=f"{action} on the table key through DynamoDB",
                action=action,
                resource=d.key("data"),
                context=via("dynamodb"),
            )
            for action in TABLE_KEY_ACTIONS
        ]
    for table in sorted(set(_TABLES.values()) - {_TABLES[t] for t in tables}):
        out.append(
            Request(
                label=f"read another service's table ({table})",
                action="dynamodb:GetItem",
                resource=d.table(table),
                expect=Expect.DENIED,
            )
        )
    for table in sorted(_TABLES[t] for t in tables):
        out.append(
            Request(
                label=f"delete the {table} table",
                action="dynamodb:DeleteTable",
                resource=d.table(table),
                expect=Expect.DENIED,
            )
        )
    if s.uses_data_tier:
        out += [
            Request(
                label="Redis: connect to the replication group", action="elasticache:Connect", resource=d.redis_group
            ),
            Request(label="Redis: connect as the app user", action="elasticache:Connect", resource=d.redis_user("app")),
            Request(
                label=f"PostgreSQL: connect as {DB_APP_USER}", action="rds-db:connect", resource=d.db_user(DB_APP_USER)
            ),
            Request(
                label="Redis: connect as the default user",
                action="elasticache:Connect",
                resource=d.redis_user("default"),
                expect=Expect.DENIED,
            ),
        ]
    else:
        out.append(
            Request(label="Redis: connect", action="elasticache:Connect", resource=d.redis_group, expect=Expect.DENIED)
        )
    out += [
        Request(
            label=f"PostgreSQL: connect as the master user {DB_MASTER_USER}",
            action="rds-db:connect",
            resource=d.db_user(DB_MASTER_USER),
            expect=Expect.DENIED,
        ),
        Request(
            label="decrypt with the logs key",
            action="kms:Decrypt",
            resource=d.key("logs"),
            context=via("logs"),
            expect=Expect.DENIED,
        ),
        Request(
            label="delete a rendition",
            action="s3:DeleteObject",
            resource=d.object(RENDITIONS, "hls/v1/index.m3u8"),
            expect=Expect.DENIED,
        ),
    ]
    return out


def _execution_requests(name: str, s: Service) -> list[Request]:
    # The stack's own repository per service (images.py); another service's repository is not this role's.
    image_repository = Ref("aws:ecr/repository:Repository", f"{name}-{s.name}-repo")
    other = "api" if s.name != "api" else "video"
    other_repository = Ref("aws:ecr/repository:Repository", f"{name}-{other}-repo")
    log_group = Ref("aws:cloudwatch/logGroup:LogGroup", f"{name}-{s.name}-logs")
    out = [
        Request(label="log in to ECR", action="ecr:GetAuthorizationToken", resource="*"),
        Request(label="pull the image", action="ecr:BatchGetImage", resource=image_repository),
        Request(
            label=f"pull the {other} service's image",
            action="ecr:BatchGetImage",
            resource=other_repository,
            expect=Expect.DENIED,
        ),
        Request(label="write container logs", action="logs:PutLogEvents", resource=(log_group, ":log-stream:api/1")),
        Request(label="delete its log group", action="logs:DeleteLogGroup", resource=log_group, expect=Expect.DENIED),
    ]
    secret = Ref("aws:secretsmanager/secret:Secret", f"{name}-session-key")
    secret_requests = [
        Request(
            label="read the session secret",
            action="secretsmanager:GetSecretValue",
            resource=secret,
            expect=Expect.ALLOWED if s.secrets else Expect.DENIED,
        ),
        Request(
            label="decrypt the session secret through Secrets Manager",
            action="kms:Decrypt",
            resource=key_ref(f"{name}-compute-key"),
            context={**via("secretsmanager"), "kms:EncryptionContext:SecretARN": secret},
            expect=Expect.ALLOWED if s.secrets else Expect.DENIED,
        ),
    ]
    return out + secret_requests


def services_workloads(name: str, data: str) -> list[Workload]:
    d = DataRefs(data)
    out = []
    for s in SERVICES:
        task, execution = role_ref(f"{name}-{s.name}-task"), role_ref(f"{name}-{s.name}-execution")
        out.append(
            Workload(
                name=f"ecs:{s.name}",
                principal=task,
                requests=(assume("ecs-tasks.amazonaws.com", task, context=_ECS_TRUST), *_task_requests(s, d)),
            )
        )
        out.append(
            Workload(
                name=f"ecs:{s.name}:execution",
                principal=execution,
                requests=(
                    assume("ecs-tasks.amazonaws.com", execution, context=_ECS_TRUST),
                    *_execution_requests(name, s),
                ),
            )
        )
    return out


def fleet_workloads(name: str, data: str) -> list[Workload]:
    d = DataRefs(data)
    role = role_ref(f"{name}-fleet-role")
    return [
        Workload(
            name="fleet",
            principal=role,
            requests=(
                # EC2 sends no aws:SourceAccount when it assumes an instance profile's role (see fleet.py).
                assume("ec2.amazonaws.com", role, label="EC2 assumes the instance role"),
                Request(label="register with Systems Manager", action="ssm:UpdateInstanceInformation", resource="*"),
                # The ECS agent: it joins the stack's cluster; the tasks it runs have their own roles.
                Request(label="ECS agent: find the poll endpoint", action="ecs:DiscoverPollEndpoint", resource="*"),
                Request(
                    label="ECS agent: register in the cluster",
                    action="ecs:RegisterContainerInstance",
                    resource=Ref("aws:ecs/cluster:Cluster", f"{name}-cluster"),
                ),
                Request(
                    label="read a rendition (the frontend's task role does, not the instance)",
                    action="s3:GetObject",
                    resource=d.object(RENDITIONS, "hls/v1/seg-1.ts"),
                    expect=Expect.DENIED,
                ),
                Request(
                    label="decrypt a rendition through S3",
                    action="kms:Decrypt",
                    resource=d.key("media"),
                    context=s3_key_context(d.bucket(RENDITIONS)),
                    expect=Expect.DENIED,
                ),
                Request(
                    label="read a raw upload",
                    action="s3:GetObject",
                    resource=d.object(UPLOADS, "raw/v1.mp4"),
                    expect=Expect.DENIED,
                ),
                Request(
                    label="write a rendition",
                    action="s3:PutObject",
                    resource=d.object(RENDITIONS, "hls/v1/seg-1.ts"),
                    expect=Expect.DENIED,
                ),
                Request(
                    label="read the videos table",
                    action="dynamodb:GetItem",
                    resource=d.table("videos"),
                    expect=Expect.DENIED,
                ),
                Request(
                    label="Redis: connect", action="elasticache:Connect", resource=d.redis_group, expect=Expect.DENIED
                ),
            ),
        )
    ]


def private_api_workloads(name: str) -> list[Workload]:
    role = role_ref(f"{name}-apigw-cloudwatch")
    log_group = ("arn:", PARTITION, ":logs:", REGION, ":", ACCOUNT, ":log-group:API-Gateway-Execution-Logs_abc/prod")
    return [
        Workload(
            name="apigateway-cloudwatch",
            principal=role,
            requests=(
                # API Gateway sends no aws:SourceAccount when it assumes the account's CloudWatch role (private_api.py).
                assume("apigateway.amazonaws.com", role, label="API Gateway assumes the CloudWatch role"),
                Request(
                    label="create a log stream", action="logs:CreateLogStream", resource=(*log_group, ":log-stream:x")
                ),
                Request(label="write API logs", action="logs:PutLogEvents", resource=(*log_group, ":log-stream:x")),
                Request(
                    label="delete a log group", action="logs:DeleteLogGroup", resource=log_group, expect=Expect.DENIED
                ),
            ),
        )
    ]


def alb_log_workloads(data: str, principal: str) -> list[Workload]:
    """``principal``: the Elastic Load Balancing account of the region (or its log-delivery service principal)."""
    d = DataRefs(data)
    return [
        Workload(
            name="alb-log-delivery",
            principal=principal,
            external_account=principal.startswith("arn:"),
            requests=(
                Request(
                    label="deliver an access log",
                    action="s3:PutObject",
                    resource=(d.bucket(LOGS), f"/{ALB_LOG_PREFIX}/AWSLogs/", ACCOUNT, "/elasticloadbalancing/x.log.gz"),
                ),
                Request(
                    label="write outside the ALB prefix",
                    action="s3:PutObject",
                    resource=d.object(LOGS, "cloudfront/x.gz"),
                    expect=Expect.DENIED,
                ),
                Request(
                    label="write into the renditions bucket",
                    action="s3:PutObject",
                    resource=d.object(RENDITIONS, "hls/x.ts"),
                    expect=Expect.DENIED,
                ),
            ),
        )
    ]


def app_workloads(name: str, data: str, *, fleet: bool, alb_log_principal: str) -> list[Workload]:
    return [
        *services_workloads(name, data),
        *(fleet_workloads(name, data) if fleet else []),
        *private_api_workloads(name),
        *alb_log_workloads(data, alb_log_principal),
    ]
