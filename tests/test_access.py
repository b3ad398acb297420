"""Runtime access: every workload's contract, evaluated by the IAM simulator over the synthesized stack.

The fixed defects each have a request here that the simulator denied before the fix (task roles and the table key,
Redis and PostgreSQL IAM authentication, the replica key with S3 Bucket Keys, the EC2 and API Gateway trusts).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from streaming_platform.access import Ref, Request, Workload

from offline.access import DOC_PATH, AccessError, Outcome, evaluate, render_markdown, stack_contracts, totals
from offline.engine import Recording


@pytest.fixture(scope="module")
def prod(recording: Callable[..., Recording]) -> Recording:
    return recording("prod", preview=False)


@pytest.fixture(scope="module")
def prod_outcomes(prod: Recording) -> list[Outcome]:
    return evaluate(prod, stack_contracts(prod))


def outcome(outcomes: list[Outcome], workload: str, label: str) -> Outcome:
    found = [o for o in outcomes if o.workload == workload and o.request.label == label]
    assert len(found) == 1, f"{len(found)} requests {label!r} of {workload}"
    return found[0]


def copy(recording: Recording) -> Recording:
    return Recording.from_json(json.loads(json.dumps(recording.to_json())))


def replace_inputs(recording: Recording, type_: str, name: str, **inputs: Any) -> Recording:
    out = copy(recording)
    i = next(i for i, r in enumerate(out.resources) if r.type == type_ and r.name == name)
    record = out.resources[i]
    out.resources[i] = type(record)(**{**record.__dict__, "inputs": {**record.inputs, **inputs}})
    return out


def test_prod_every_contract_holds(prod_outcomes):
    assert totals(prod_outcomes) == {"requests": 270, "workloads": 24, "allowed": 165, "denied": 105, "unexpected": 0}


def test_dev_every_contract_holds(recording):
    dev = recording("dev", preview=False)
    outcomes = evaluate(dev, stack_contracts(dev))
    assert totals(outcomes) == {"requests": 211, "workloads": 19, "allowed": 131, "denied": 80, "unexpected": 0}
    # dev builds no fleet and no replication; its transcoder is ffmpeg, so no MediaConvert workloads.
    assert {o.workload for o in outcomes} >= {"lambda:transcoder", "s3-notifications", "cloudfront-oac"}
    assert not {o.workload for o in outcomes} & {"fleet", "s3-replication", "mediaconvert-jobs"}


TABLE_SERVICES = ("api", "video", "user", "comment")
DATA_TIER_SERVICES = (*TABLE_SERVICES, "notification")
TABLE_SERVICE_KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey")


@pytest.mark.parametrize("service", TABLE_SERVICES)
@pytest.mark.parametrize("action", ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"])
def test_task_roles_may_use_the_table_key_through_dynamodb(prod_outcomes, service, action):
    o = outcome(prod_outcomes, f"ecs:{service}", f"{action} on the table key through DynamoDB")
    assert o.decision == "Allowed"
    assert o.request.context == {"kms:ViaService": ("dynamodb.", Ref("stack", "", "region"), ".amazonaws.com")}


@pytest.mark.parametrize("function", ["lambda:transcoder", "lambda:transcode-status"])
@pytest.mark.parametrize("action", ["kms:GenerateDataKey", "kms:DescribeKey"])
def test_functions_may_use_the_table_key_for_writes(prod_outcomes, function, action):
    assert outcome(prod_outcomes, function, f"{action} on the table key through DynamoDB").decision == "Allowed"


@pytest.mark.parametrize("service", DATA_TIER_SERVICES)
def test_data_tier_services_connect_to_redis_and_postgres_with_iam(prod_outcomes, service):
    group = outcome(prod_outcomes, f"ecs:{service}", "Redis: connect to the replication group")
    user = outcome(prod_outcomes, f"ecs:{service}", "Redis: connect as the app user")
    db = outcome(prod_outcomes, f"ecs:{service}", "PostgreSQL: connect as streaming_app")
    assert (group.decision, user.decision, db.decision) == ("Allowed",) * 3
    assert group.resource.startswith("arn:aws:elasticache:us-west-2:111122223333:replicationgroup:")
    assert user.resource == "arn:aws:elasticache:us-west-2:111122223333:user:streaming-prod-app"
    assert db.resource.startswith("arn:aws:rds-db:us-west-2:111122223333:dbuser:db-")
    assert db.resource.endswith("/streaming_app")
    # ...but never as the master user or Redis's default user.
    assert not outcome(
        prod_outcomes, f"ecs:{service}", "PostgreSQL: connect as the master user streaming_admin"
    ).allowed
    assert not outcome(prod_outcomes, f"ecs:{service}", "Redis: connect as the default user").allowed


def test_frontend_reaches_no_data_store(prod_outcomes):
    assert not outcome(prod_outcomes, "ecs:frontend", "Redis: connect").allowed
    assert not outcome(prod_outcomes, "ecs:frontend", "PostgreSQL: connect as the master user streaming_admin").allowed
    # The frontend serves /stream/* and /watch/* (on the fleet in prod): it reads renditions and nothing else.
    assert [o.request.label for o in prod_outcomes if o.workload == "ecs:frontend" and o.allowed] == [
        "ecs-tasks.amazonaws.com assumes the role",
        "s3:GetObject in renditions",
        "kms:Decrypt for renditions through S3",
    ]


def test_containers_get_their_data_store_users(prod):
    env_by_service = {}
    for task in prod.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        # each task: the service's container and the non-essential tmp-init that makes /tmp writable
        (container,) = [c for c in json.loads(task.inputs["containerDefinitions"]) if c["essential"]]
        env_by_service[container["name"]] = {e["name"]: e["value"] for e in container["environment"]}
    for service in DATA_TIER_SERVICES:
        assert env_by_service[service]["REDIS_USER"] == "streaming-prod-app"
        assert env_by_service[service]["DB_USER"] == "streaming_app"
    assert "REDIS_USER" not in env_by_service["frontend"] and "DB_USER" not in env_by_service["frontend"]


@pytest.mark.parametrize("source", ["uploads", "renditions"])
def test_replication_role_may_decrypt_with_the_replica_key(prod_outcomes, source):
    o = outcome(prod_outcomes, "s3-replication", f"verify the {source} replica's Bucket Key")
    assert o.decision == "Allowed"
    assert o.resource.startswith("arn:aws:kms:us-east-2:111122223333:key/")
    assert outcome(prod_outcomes, "s3-replication", f"encrypt the {source} replica").allowed


@pytest.mark.parametrize(
    ("workload", "label"),
    [("fleet", "EC2 assumes the instance role"), ("apigateway-cloudwatch", "API Gateway assumes the CloudWatch role")],
)
def test_services_that_send_no_source_account_can_assume_their_roles(prod_outcomes, workload, label):
    o = outcome(prod_outcomes, workload, label)
    assert o.request.context == {}
    assert o.decision == "Allowed"


def test_the_other_trusts_still_require_this_account(prod):
    """The ECS, Lambda and replication trusts keep aws:SourceAccount: a request from another account is denied."""
    role = "app-api-task"
    other = Workload(
        name="other-account",
        principal="ecs-tasks.amazonaws.com",
        requests=(
            Request(
                label="assume from another account",
                action="sts:AssumeRole",
                resource=Ref("aws:iam/role:Role", role),
                context={"aws:SourceAccount": "444455556666"},
            ),
        ),
    )
    assert evaluate(prod, [other])[0].decision == "ImplicitlyDenied"


def test_a_broader_grant_shows_as_unexpected(prod):
    """The contract catches a grant that is too broad: dynamodb:* on the comment service lets it delete a table."""
    task_policy = next(r for r in prod.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "app-comment-task").inputs[
        "policy"
    ]
    document = json.loads(task_policy)
    document["Statement"].append({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"})
    mutated = replace_inputs(prod, "aws:iam/rolePolicy:RolePolicy", "app-comment-task", policy=json.dumps(document))
    comment = [w for w in stack_contracts(mutated) if w.name == "ecs:comment"]
    unexpected = [o.request.label for o in evaluate(mutated, comment) if not o.expected]
    assert unexpected == ["read another service's table (sessions)", "delete the videos table"]


def test_key_policies_are_evaluated(prod):
    """Without the key policy's delegation to the account, the task role's own grant on the table key is useless."""
    key = next(r for r in prod.of_type("aws:kms/key:Key") if r.name == "data-data-key")
    document = json.loads(key.inputs["policy"])
    document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != "AccountAdministersKeyThroughIam"]
    mutated = replace_inputs(prod, "aws:kms/key:Key", "data-data-key", policy=json.dumps(document))
    api = [w for w in stack_contracts(mutated) if w.name == "ecs:api"]
    unexpected = sorted(o.request.label for o in evaluate(mutated, api) if not o.expected)
    assert unexpected == [f"{a} on the table key through DynamoDB" for a in sorted(TABLE_SERVICE_KEY_ACTIONS)]


def test_a_contract_naming_a_missing_resource_is_rejected(prod):
    ghost = Workload(
        name="ghost",
        principal=Ref("aws:iam/role:Role", "app-ghost-task"),
        requests=(Request(label="x", action="s3:GetObject", resource="arn:aws:s3:::b/k"),),
    )
    with pytest.raises(AccessError, match=r"the stack registers no aws:iam/role:Role named 'app-ghost-task'"):
        evaluate(prod, [ghost])


def test_a_preview_recording_is_rejected(recording):
    with pytest.raises(AccessError, match="need an update-mode recording"):
        evaluate(recording("dev"), [])


def test_access_doc_is_up_to_date(prod_outcomes):
    assert DOC_PATH.read_text() == render_markdown("prod", prod_outcomes), "run `make docs`"
