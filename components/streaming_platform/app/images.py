"""Images: the ECR repository each service pulls its own image from, the repositories' lifecycle policy, and
the public default image every service runs until its team pushes one.

The default image is ``nginx-unprivileged`` from the NGINX maintainers' Amazon ECR Public repository (Debian
bookworm, NGINX stable, listens on 8080, built to run without root: its README, "NGINX Unprivileged Docker
Image"). It runs the shipped ``assets/default-server.conf``: ``/healthz`` answers 200 and every other path 503
with the service's name, so a service that has no application yet passes its health checks (deployments
and ``wait_for_steady_state`` complete) and cannot be mistaken for a deployed one. The configuration keeps
every path nginx writes (pid, temp files) under ``/tmp``, the one writable mount of the container contract.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.app.common import CONTAINER_PORT, HEALTH_CHECK_PATH

ASSETS = Path(__file__).resolve().parent / "assets"
DEFAULT_IMAGE = "public.ecr.aws/nginx/nginx-unprivileged:1.26.3-bookworm"
"""Pinned by version and distribution; any tag the maintainers publish for it (their debian-stable workflow:
``<major>.<minor>.<patch>-<distro>``) is a fixed release."""
DEFAULT_SERVER_CONFIG_ENV = "DEFAULT_SERVER_CONFIG"
TMP_INIT_CONTAINER = "tmp-init"
TMP_INIT_COMMAND = ("chmod", "1777", "/tmp")
"""What ``tmp-init`` runs (as root, every capability dropped) before the service's container starts. A Fargate
bind mount is root-owned with mode 0755 unless the image declares ``VOLUME`` for its path (Amazon ECS
Developer Guide, "Use bind mounts with Amazon ECS", considerations), so a container running as 10001 could not
write /tmp. Root owns the directory, so chmod needs no capability; the sticky bit keeps one process from
removing another's files."""

UNTAGGED_EXPIRE_DAYS = 7
KEEP_IMAGES = 100
"""Images a repository keeps (newest first). A service pinned to a tag older than the 100 newest pushes loses
its image; pin deployed tags well inside that window."""

_TAG_STATUS = ("tagged", "untagged", "any")
_COUNT_TYPES = ("imageCountMoreThan", "sinceImagePushed")
_RULE_KEYS = {"rulePriority", "description", "selection", "action"}
_SELECTION_KEYS = {"tagStatus", "tagPrefixList", "tagPatternList", "countType", "countUnit", "countNumber"}
_POLICY_TEXT_LENGTH = (100, 30720)  # botocore: ECR LifecyclePolicyText min/max


def default_server_config(service: str, *, port: int = CONTAINER_PORT, tmp_dir: str = "/tmp") -> str:
    """``assets/default-server.conf`` for ``service``. ``port`` and ``tmp_dir`` are the container contract's
    (8080, /tmp); a test running the real nginx outside a container moves them."""
    text = (ASSETS / "default-server.conf").read_text()
    for key, value in {
        "SERVICE": service,
        "PORT": str(port),
        "TMP": tmp_dir,
        "HEALTH_PATH": HEALTH_CHECK_PATH,
    }.items():
        text = text.replace(f"@@{key}@@", value)
    return text


def default_server_command(config_path: str = "/tmp/nginx.conf") -> list[str]:
    """The default image's command: write the configuration (from the environment) to the writable mount and
    run nginx in the foreground with it, logging errors to stderr (the image's own entrypoint would try to
    rewrite files under /etc/nginx, which the read-only root forbids)."""
    return [
        "/bin/sh",
        "-c",
        f'printf "%s" "${DEFAULT_SERVER_CONFIG_ENV}" > {config_path} && exec nginx -e stderr -c {config_path}',
    ]


def lifecycle_policy(
    untagged_expire_days: int = UNTAGGED_EXPIRE_DAYS, keep_images: int = KEEP_IMAGES
) -> dict[str, Any]:
    """Untagged images (left behind by interrupted pushes) expire after ``untagged_expire_days``; of the rest,
    the ``keep_images`` newest stay."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Expire untagged images after {untagged_expire_days} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": untagged_expire_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"Keep the {keep_images} newest images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                "action": {"type": "expire"},
            },
        ]
    }


def lifecycle_policy_problems(policy: Mapping[str, Any]) -> list[str]:
    """What AWS would reject in ``policy`` (Amazon ECR User Guide, "Lifecycle policy properties in Amazon ECR";
    the text length is botocore's ``LifecyclePolicyText``). Covers the expire rules this module writes."""
    problems: list[str] = []
    text = json.dumps(policy)
    low, high = _POLICY_TEXT_LENGTH
    if not low <= len(text) <= high:
        problems.append(f"lifecycle policy: got {len(text)} characters; allowed: {low} to {high}")
    rules = policy.get("rules")
    if set(policy) != {"rules"} or not isinstance(rules, list) or not rules:
        return [*problems, f"lifecycle policy: got keys {sorted(policy)}; allowed: exactly 'rules', a non-empty list"]
    priorities: list[int] = []
    for i, rule in enumerate(rules):
        problems += _rule_problems(f"rules[{i}]", rule)
        if isinstance(rule.get("rulePriority"), int):
            priorities.append(rule["rulePriority"])
    if len(set(priorities)) != len(priorities):
        problems.append(f"lifecycle policy rulePriority: got {priorities}; allowed: a unique value per rule")
    for i, rule in enumerate(rules):
        selection = rule.get("selection") or {}
        if selection.get("tagStatus") == "any" and priorities and rule.get("rulePriority") != max(priorities):
            problems.append(
                f"rules[{i}].rulePriority: got {rule.get('rulePriority')} for tagStatus any; allowed: the highest "
                f"priority of the policy ({max(priorities)}), so it is evaluated last"
            )
    return problems


def _rule_problems(where: str, rule: Mapping[str, Any]) -> list[str]:
    problems = []
    extra = sorted(set(rule) - _RULE_KEYS)
    missing = sorted({"rulePriority", "selection", "action"} - set(rule))
    if extra or missing:
        problems.append(
            f"{where}: got keys {sorted(rule)}; allowed: rulePriority, selection, action (required) and description"
        )
    priority = rule.get("rulePriority")
    if "rulePriority" in rule and (not isinstance(priority, int) or isinstance(priority, bool) or priority < 1):
        problems.append(f"{where}.rulePriority: got {priority!r}; allowed: an integer of at least 1")
    if "action" in rule and rule["action"] != {"type": "expire"}:
        problems.append(f"{where}.action: got {rule['action']!r}; allowed: {{'type': 'expire'}}")
    selection = rule.get("selection")
    if "selection" in rule:
        problems += _selection_problems(f"{where}.selection", selection)
    return problems


def _selection_problems(where: str, selection: Any) -> list[str]:
    if not isinstance(selection, Mapping):
        return [f"{where}: got {selection!r}; allowed: an object"]
    problems = []
    extra = sorted(set(selection) - _SELECTION_KEYS)
    if extra:
        problems.append(f"{where}: got keys {extra}; allowed: {', '.join(sorted(_SELECTION_KEYS))}")
    status = selection.get("tagStatus")
    lists = [k for k in ("tagPrefixList", "tagPatternList") if k in selection]
    if status not in _TAG_STATUS:
        problems.append(f"{where}.tagStatus: got {status!r}; allowed: {', '.join(_TAG_STATUS)}")
    elif status == "tagged" and not lists:
        problems.append(
            f"{where}.tagStatus: got 'tagged' without a tag list; allowed: with tagPrefixList or tagPatternList"
        )
    elif status != "tagged" and lists:
        problems.append(f"{where}.{lists[0]}: got a tag list with tagStatus {status!r}; allowed: only with 'tagged'")
    for key in lists:
        values = selection[key]
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
            problems.append(f"{where}.{key}: got {values!r}; allowed: a non-empty list of non-empty strings")
        elif key == "tagPatternList" and any(v.count("*") > 4 for v in values):
            problems.append(f"{where}.tagPatternList: got {values!r}; allowed: at most four wildcards per pattern")
    count_type, unit, number = selection.get("countType"), selection.get("countUnit"), selection.get("countNumber")
    if count_type not in _COUNT_TYPES:
        problems.append(f"{where}.countType: got {count_type!r}; allowed: {', '.join(_COUNT_TYPES)}")
    elif count_type == "sinceImagePushed" and unit != "days":
        problems.append(f"{where}.countUnit: got {unit!r} for sinceImagePushed; allowed: 'days'")
    elif count_type == "imageCountMoreThan" and "countUnit" in selection:
        problems.append(f"{where}.countUnit: got {unit!r} for imageCountMoreThan; allowed: none")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        problems.append(f"{where}.countNumber: got {number!r}; allowed: an integer of at least 1")
    return problems


def service_repositories(
    component: StreamingComponent,
    name: str,
    services: Sequence[str],
    *,
    resource_prefix: str,
    kms_key_arn: pulumi.Input[str] | None,
    protect: bool,
) -> dict[str, aws.ecr.Repository]:
    """One private repository per service, ``<prefix>/<service>``: scan on push, immutable tags, encrypted
    under ``kms_key_arn`` (Default None: the AWS managed ``aws/ecr`` key), and the lifecycle policy. Protected
    repositories are retained and refuse deletion while they hold images; unprotected ones go with their images."""
    policy = lifecycle_policy()
    problems = lifecycle_policy_problems(policy)
    if problems:  # a change to lifecycle_policy() that AWS would reject fails here, before registering
        raise ValueError("invalid ECR lifecycle policy:\n" + "\n".join(f"  - {p}" for p in problems))
    repositories = {}
    for service in services:
        repo = aws.ecr.Repository(
            f"{name}-{service}-repo",
            name=f"{resource_prefix}/{service}",
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[
                {"encryption_type": "KMS", **({"kms_key": kms_key_arn} if kms_key_arn is not None else {})}
            ],
            force_delete=not protect,
            tags=component.tags(f"{name}-{service}-repo"),
            opts=component.stateful(new=True),  # new after 0.1, like its lifecycle policy: nothing to alias
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-{service}-repo", repository=repo.name, policy=json.dumps(policy), opts=component.child(new=True)
        )
        repositories[service] = repo
    return repositories
