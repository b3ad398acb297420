"""Services built alone with a fleet capacity provider and every image source (tests/programs/app_part, variant
"mixed"): the capacity-provider strategy per service, the repositories and their lifecycle policy, the default
image and the tmp-init container; and the lifecycle-policy check against the ECR rules."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from streaming_platform.app.images import (
    DEFAULT_IMAGE,
    KEEP_IMAGES,
    UNTAGGED_EXPIRE_DAYS,
    default_server_command,
    default_server_config,
    lifecycle_policy,
    lifecycle_policy_problems,
)
from streaming_platform.app.service_table import SERVICE_NAMES, SERVICES, Placement

from offline.engine import Recording
from tests.app_parts import REGION, ROLE_POLICY, build, one, statements
from tests.graph import dep

ACCOUNT = "111122223333"  # the offline engine's account
FLEET = [{"capacityProvider": "test-fleet", "base": 0, "weight": 1}]
FARGATE = [
    {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
    {"capacityProvider": "FARGATE_SPOT", "weight": 1},
]
TASK = "aws:ecs/taskDefinition:TaskDefinition"
REPO = "aws:ecr/repository:Repository"


def containers(rec: Recording, service: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in json.loads(one(rec, TASK, f"t-{service}-task").inputs["containerDefinitions"])}


def test_streaming_facing_services_run_on_the_fleet_provider_and_the_rest_on_fargate():
    rec = build("services", variant="mixed")
    strategies = {
        s: one(rec, "aws:ecs/service:Service", f"t-{s}").inputs["capacityProviderStrategies"] for s in SERVICE_NAMES
    }
    assert strategies == {
        "frontend": FLEET,
        "api": FARGATE,  # reached only through the REST API: not a streaming-facing service
        "video": FARGATE,
        "user": FARGATE,
        "comment": FARGATE,
        "notification": FARGATE,
    }
    assert [s.name for s in SERVICES if s.placement is Placement.STREAMING_FLEET] == ["frontend"]
    (association,) = rec.of_type("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert association.inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT", "test-fleet"]
    assert association.inputs["defaultCapacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
        {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 1},
    ]
    for s in SERVICE_NAMES:
        task = one(rec, TASK, f"t-{s}-task")
        on_fleet = s == "frontend"
        assert task.inputs["requiresCompatibilities"] == (["EC2"] if on_fleet else ["FARGATE"]), s
        assert task.inputs["networkMode"] == "awsvpc"
        assert task.inputs["runtimePlatform"]["cpuArchitecture"] == ("ARM64" if on_fleet else "X86_64"), s


def test_without_a_fleet_every_service_runs_on_fargate():
    rec = build("services")
    for s in SERVICE_NAMES:
        assert one(rec, "aws:ecs/service:Service", f"t-{s}").inputs["capacityProviderStrategies"] == FARGATE
        assert one(rec, TASK, f"t-{s}-task").inputs["requiresCompatibilities"] == ["FARGATE"]
    (association,) = rec.of_type("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert association.inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]


def test_each_service_pulls_its_tag_its_external_image_or_the_default_image():
    rec = build("services", variant="mixed")
    images = {s: containers(rec, s)[s]["image"] for s in SERVICE_NAMES}
    assert images == {
        "api": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/streaming/api:1.4.2",
        "video": "registry.example/video:1",
        **{s: DEFAULT_IMAGE for s in ("frontend", "user", "comment", "notification")},
    }
    for s in SERVICE_NAMES:
        main = containers(rec, s)[s]
        env = {e["name"]: e["value"] for e in main["environment"]}
        if images[s] == DEFAULT_IMAGE:
            assert [*main["entryPoint"], *main["command"]] == default_server_command()
            assert env["DEFAULT_SERVER_CONFIG"] == default_server_config(s)
        else:  # a team's image keeps its own entrypoint and command
            assert "entryPoint" not in main and "command" not in main and "DEFAULT_SERVER_CONFIG" not in env
        assert main["user"] == "10001:10001" and main["readonlyRootFilesystem"] is True
        assert main["portMappings"][0]["containerPort"] == 8080
    for s in ("api", "video", "user"):  # external images need no steady-state opt-out; every service waits
        assert one(rec, "aws:ecs/service:Service", f"t-{s}").inputs["waitForSteadyState"] is True
    assert one(build("services"), "aws:ecs/service:Service", "t-api").inputs["waitForSteadyState"] is False


def test_tmp_init_makes_the_bind_mount_writable_before_the_service_starts():
    rec = build("services", variant="mixed")
    for s in SERVICE_NAMES:
        by_name = containers(rec, s)
        assert list(by_name) == [s, "tmp-init"]
        assert by_name["tmp-init"] == {
            "name": "tmp-init",
            "image": DEFAULT_IMAGE,
            "essential": False,
            "user": "0",
            "readonlyRootFilesystem": True,
            "entryPoint": ["chmod"],
            "command": ["1777", "/tmp"],
            "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}],
            "linuxParameters": {"capabilities": {"drop": ["ALL"]}},
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": f"/ecs/streaming/{s}",
                    "awslogs-region": REGION,
                    "awslogs-stream-prefix": "tmp-init",
                },
            },
        }
        main = by_name[s]
        assert main["dependsOn"] == [{"containerName": "tmp-init", "condition": "SUCCESS"}]
        assert main["mountPoints"] == by_name["tmp-init"]["mountPoints"]
        assert one(rec, TASK, f"t-{s}-task").inputs["volumes"] == [{"name": "tmp"}]


def test_each_service_has_an_immutable_scanned_kms_encrypted_repository_with_the_lifecycle_policy():
    rec = build("services", variant="mixed")
    repos = {r.name: r for r in rec.of_type(REPO)}
    assert sorted(repos) == sorted(f"t-{s}-repo" for s in SERVICE_NAMES)
    for s in SERVICE_NAMES:
        repo = repos[f"t-{s}-repo"]
        assert repo.inputs == {
            "name": f"streaming/{s}",
            "imageTagMutability": "IMMUTABLE",
            "imageScanningConfiguration": {"scanOnPush": True},
            "encryptionConfigurations": [
                {"encryptionType": "KMS", "kmsKey": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/compute"}
            ],
            "forceDelete": True,
            "tags": {"Environment": "test", "Name": f"t-{s}-repo"},
        }
        assert not repo.protect and not repo.retain_on_delete
        policy = one(rec, "aws:ecr/lifecyclePolicy:LifecyclePolicy", f"t-{s}-repo")
        assert dep(rec, policy, "repository").name == f"t-{s}-repo"
        assert json.loads(policy.inputs["policy"]) == lifecycle_policy()
        pull = statements(one(rec, ROLE_POLICY, f"t-{s}-execution").inputs["policy"])[1]
        assert pull == {
            "Sid": "PullImages",
            "Effect": "Allow",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            "Resource": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/streaming/{s}",
        }


def test_protected_repositories_are_retained_and_keep_their_images():
    rec = build("services", protect=True)
    for repo in rec.of_type(REPO):
        assert repo.protect and repo.retain_on_delete and repo.inputs["forceDelete"] is False
        assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS"}]  # no key given: aws/ecr


def test_the_lifecycle_policy_expires_untagged_images_and_keeps_the_newest():
    assert lifecycle_policy() == {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images after {UNTAGGED_EXPIRE_DAYS} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 7,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the {KEEP_IMAGES} newest images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 100},
                "action": {"type": "expire"},
            },
        ]
    }
    assert lifecycle_policy_problems(lifecycle_policy()) == []


def _broken(edit: Any) -> dict[str, Any]:
    policy = copy.deepcopy(lifecycle_policy())
    edit(policy)
    return policy


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            {"rules": []},
            [
                "lifecycle policy: got 13 characters; allowed: 100 to 30720",
                "lifecycle policy: got keys ['rules']; allowed: exactly 'rules', a non-empty list",
            ],
        ),
        (
            _broken(lambda p: p["rules"][1].update(rulePriority=1)),
            ["lifecycle policy rulePriority: got [1, 1]; allowed: a unique value per rule"],
        ),
        (
            _broken(lambda p: (p["rules"][0].update(rulePriority=2), p["rules"][1].update(rulePriority=1))),
            [
                "rules[1].rulePriority: got 1 for tagStatus any; allowed: the highest priority of the policy (2), so "
                "it is evaluated last"
            ],
        ),
        (
            _broken(lambda p: p["rules"][1].update(rulePriority=0)),
            [
                "rules[1].rulePriority: got 0; allowed: an integer of at least 1",
                "rules[1].rulePriority: got 0 for tagStatus any; allowed: the highest priority of the policy (1), so "
                "it is evaluated last",
            ],
        ),
        (
            _broken(lambda p: p["rules"][0]["selection"].update(tagStatus="tagged")),
            [
                "rules[0].selection.tagStatus: got 'tagged' without a tag list; allowed: with tagPrefixList or "
                "tagPatternList"
            ],
        ),
        (
            _broken(lambda p: p["rules"][0]["selection"].update(tagPrefixList=["v"])),
            ["rules[0].selection.tagPrefixList: got a tag list with tagStatus 'untagged'; allowed: only with 'tagged'"],
        ),
        (
            _broken(lambda p: p["rules"][0]["selection"].update(tagStatus="tagged", tagPatternList=["*a*b*c*d*"])),
            ["rules[0].selection.tagPatternList: got ['*a*b*c*d*']; allowed: at most four wildcards per pattern"],
        ),
        (
            _broken(lambda p: p["rules"][0]["selection"].pop("countUnit")),
            ["rules[0].selection.countUnit: got None for sinceImagePushed; allowed: 'days'"],
        ),
        (
            _broken(lambda p: p["rules"][1]["selection"].update(countUnit="days")),
            ["rules[1].selection.countUnit: got 'days' for imageCountMoreThan; allowed: none"],
        ),
        (
            _broken(lambda p: p["rules"][1]["selection"].update(countType="sinceImagePulled", countNumber=True)),
            [
                "rules[1].selection.countType: got 'sinceImagePulled'; allowed: imageCountMoreThan, sinceImagePushed",
                "rules[1].selection.countNumber: got True; allowed: an integer of at least 1",
            ],
        ),
        (
            _broken(lambda p: p["rules"][0].update(action={"type": "transition"}, extra=1)),
            [
                "rules[0]: got keys ['action', 'description', 'extra', 'rulePriority', 'selection']; allowed: "
                "rulePriority, selection, action (required) and description",
                "rules[0].action: got {'type': 'transition'}; allowed: {'type': 'expire'}",
            ],
        ),
    ],
)
def test_lifecycle_policy_check_rejects_what_ecr_rejects(policy, expected):
    assert lifecycle_policy_problems(policy) == expected
