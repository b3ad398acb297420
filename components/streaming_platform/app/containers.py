"""What one ECS service's task runs: its container definitions and its execution role's statements.

Pure functions of typed inputs (the service's record, its options, the identifiers of its log group,
repository and secret), so ``Services`` only wires resources and the task's contract reads on its own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi

from streaming_platform.app.common import CONTAINER_PORT, CONTAINER_STOP_TIMEOUT_SECONDS, CONTAINER_USER
from streaming_platform.app.images import (
    DEFAULT_IMAGE,
    DEFAULT_SERVER_CONFIG_ENV,
    TMP_INIT_COMMAND,
    TMP_INIT_CONTAINER,
    default_server_command,
    default_server_config,
)
from streaming_platform.app.service_options import ServicesOptions
from streaming_platform.app.service_table import Service

__all__ = ["container_definitions", "execution_statements", "service_image"]


def execution_statements(
    log_group_arn: pulumi.Input[str],
    repository_arn: pulumi.Input[str],
    region: pulumi.Input[str],
    secret_arn: pulumi.Input[str] | None,
    secret_kms_key_arn: pulumi.Input[str],
) -> pulumi.Output[list[dict[str, Any]]]:
    """The execution role's statements: log in to ECR, pull the service's own repository, write its log
    group, and, with ``secret_arn``, read that secret and decrypt it through Secrets Manager only."""

    def build(a: list[Any]) -> list[dict[str, Any]]:
        log_arn, repository, region, secret, key_arn = a
        statements: list[dict[str, Any]] = [
            # GetAuthorizationToken has no resource-level permissions (Service Authorization Reference, ECR).
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Sid": "PullImages",
                "Effect": "Allow",
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                "Resource": repository,  # its own repository; the public default image needs no grant
            },
            {
                "Sid": "WriteLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_arn}:log-stream:*",
            },
        ]
        if secret:
            statements += [
                {
                    "Sid": "ReadSecrets",
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": secret,
                },
                {
                    "Sid": "DecryptSecrets",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": key_arn,
                    "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}},
                },
            ]
        return statements

    return pulumi.Output.all(
        log_group_arn,
        repository_arn,
        region,
        secret_arn if secret_arn is not None else "",
        secret_kms_key_arn if secret_arn is not None else "",
    ).apply(build)


def service_image(s: Service, options: ServicesOptions, repository_url: pulumi.Input[str]) -> pulumi.Input[str]:
    """The image ``s`` runs: its ``service_images`` entry, else its tag of the stack's own repository, else the
    public default image."""
    if s.name in options.service_images:
        return options.service_images[s.name]
    if s.name in options.service_image_tags:
        return pulumi.Output.concat(repository_url, ":", options.service_image_tags[s.name])
    return DEFAULT_IMAGE


def container_definitions(
    s: Service,
    options: ServicesOptions,
    data_environment: Mapping[str, pulumi.Input[str]],
    repository_url: pulumi.Input[str],
    region: pulumi.Input[str],
    log_group_name: pulumi.Input[str],
    secret_arn: pulumi.Input[str] | None,
) -> pulumi.Output[str]:
    """The service's container and ``tmp-init``, which makes the task's /tmp bind mount writable for the
    service's non-root user before it starts (see ``images.TMP_INIT_COMMAND``). A service on the data tier
    gets ``data_environment``; one on the default image gets the default server's command and config."""
    image = service_image(s, options, repository_url)
    default = image == DEFAULT_IMAGE
    env_inputs: dict[str, pulumi.Input[str]] = {"SERVICE_NAME": s.name, "PORT": str(CONTAINER_PORT)}
    if s.uses_data_tier:
        env_inputs.update(data_environment)
    if default:
        env_inputs[DEFAULT_SERVER_CONFIG_ENV] = default_server_config(s.name)
    keys = sorted(env_inputs)

    def render(a: list[Any]) -> str:
        region, group, secret, image_ref, *values = a
        tmp = {"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}

        def log_config(prefix: str) -> dict[str, Any]:
            options = {"awslogs-group": group, "awslogs-region": region, "awslogs-stream-prefix": prefix}
            return {"logDriver": "awslogs", "options": options}

        server = default_server_command()
        command = {"entryPoint": server[:2], "command": server[2:]}
        init = {
            "name": TMP_INIT_CONTAINER,
            "image": DEFAULT_IMAGE,
            "essential": False,
            "user": "0",
            "readonlyRootFilesystem": True,
            "entryPoint": [TMP_INIT_COMMAND[0]],
            "command": list(TMP_INIT_COMMAND[1:]),
            "mountPoints": [tmp],
            "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
            "logConfiguration": log_config(TMP_INIT_CONTAINER),
        }
        definition = {
            "name": s.name,
            "image": image_ref,
            "essential": True,
            "user": CONTAINER_USER,
            "readonlyRootFilesystem": True,
            **(command if default else {}),
            "portMappings": [
                {"name": "http", "containerPort": CONTAINER_PORT, "protocol": "tcp", "appProtocol": "http"}
            ],
            "environment": [{"name": k, "value": v} for k, v in zip(keys, values, strict=True)],
            "secrets": [{"name": n, "valueFrom": secret} for n in s.secrets],
            "mountPoints": [tmp],
            "dependsOn": [{"containerName": TMP_INIT_CONTAINER, "condition": "SUCCESS"}],
            "stopTimeout": CONTAINER_STOP_TIMEOUT_SECONDS,
            "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
            "logConfiguration": log_config(s.name),
        }
        return json.dumps([definition, init])

    return pulumi.Output.all(
        region, log_group_name, secret_arn if secret_arn is not None else "", image, *(env_inputs[k] for k in keys)
    ).apply(render)
