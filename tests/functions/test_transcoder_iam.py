"""The transcoder under its real role policy: moto server with IAM enforcement on, and the pipeline (and the SQS
event source mapping, which polls with the function's role) using credentials of a role that carries exactly the
policy document the dev stack's recording gives ``media-transcoder``.

The resources are created under the ARNs that document names (queue, DLQ, buckets, table), in the stack's region
and account, so every real call of the real code is checked against the real statements. What moto cannot check:
KMS (its S3, SQS and DynamoDB never call KMS, so the key statements go unexercised) and conditions on keys moto
does not supply.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from streaming_platform.media.transcoder.handler import Config, Pipeline
from streaming_platform.media.transcoder.store import VideoStore

from offline.engine import PROJECT_DIR, Recording
from offline.fakes import ACCOUNT_ID
from tests.functions.helpers import history, s3_event

REGION = "us-east-2"  # the dev stack's


def _resource(statements: list[dict[str, Any]], sid: str) -> str:
    (statement,) = [s for s in statements if s["Sid"] == sid]
    return str(statement["Resource"])


@pytest.fixture(scope="module")
def recorded(recording: Any) -> dict[str, Any]:
    """The dev stack's transcoder: its role policy document and environment, as the real program records them."""
    rec: Recording = recording("dev", preview=False)
    (policy,) = [r for r in rec.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "media-transcoder"]
    (function,) = [r for r in rec.of_type("aws:lambda/function:Function") if r.name == "media-transcoder"]
    document = policy.inputs["policy"]
    statements = json.loads(document)["Statement"]
    names = {
        "queue": _resource(statements, "ConsumeUploadQueue").rsplit(":", 1)[1],
        "dlq": _resource(statements, "MovePoisonMessagesToTheDlq").rsplit(":", 1)[1],
        "uploads": _resource(statements, "ReadUploadsPrefix").removeprefix("arn:aws:s3:::").split("/")[0],
        "renditions": _resource(statements, "WriteRenditions").removeprefix("arn:aws:s3:::").split("/")[0],
        # The offline engine's table ARN ends in the table's id, not its name: the table is named so that its
        # ARN is the one the policy names.
        "table": _resource(statements, "UpdateVideoItems").rsplit("/", 1)[1],
    }
    variables = function.inputs["environment"]["variables"]
    assert variables["RENDITIONS_BUCKET"] == names["renditions"]  # the document and the function agree
    return {"document": document, "names": names, "variables": variables}


@pytest.fixture(scope="module")
def enforced_endpoint() -> Iterator[str]:
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3", "MOTO_ACCOUNT_ID": ACCOUNT_ID}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.functions.iam_moto_server"],
        cwd=PROJECT_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    endpoint = proc.stdout.readline().strip()
    yield endpoint
    proc.stdin.close()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def world(enforced_endpoint: str, recorded: dict[str, Any]) -> dict[str, Any]:
    """An administrator (the first 3 requests, before enforcement starts), the stack's resources, and the
    transcoder's role with the recorded document as its one inline policy."""
    bootstrap = boto3.Session(aws_access_key_id="bootstrap", aws_secret_access_key="x", region_name=REGION)
    iam = bootstrap.client("iam", endpoint_url=enforced_endpoint)
    iam.create_user(UserName="admin")
    iam.put_user_policy(
        UserName="admin",
        PolicyName="admin",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )
    key = iam.create_access_key(UserName="admin")["AccessKey"]  # request 3: enforcement starts after it
    admin = boto3.Session(key["AccessKeyId"], key["SecretAccessKey"], region_name=REGION)

    def client(session: boto3.Session, name: str) -> Any:
        return session.client(name, endpoint_url=enforced_endpoint)

    names = recorded["names"]
    s3, sqs, dynamodb = client(admin, "s3"), client(admin, "sqs"), client(admin, "dynamodb")
    for bucket in (names["uploads"], names["renditions"]):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=names["uploads"], VersioningConfiguration={"Status": "Enabled"})
    dynamodb.create_table(
        TableName=names["table"],
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "videoId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "videoId", "AttributeType": "S"}],
    )
    dlq_url = sqs.create_queue(QueueName=names["dlq"])["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    statements = json.loads(recorded["document"])["Statement"]
    assert dlq_arn == _resource(statements, "MovePoisonMessagesToTheDlq")
    queue_url = sqs.create_queue(
        QueueName=names["queue"],
        Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
        },
    )["QueueUrl"]
    # Lambda assumes the role in AWS (its trust policy names lambda.amazonaws.com); here the administrator does.
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/admin"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = client(admin, "iam").create_role(RoleName="media-transcoder", AssumeRolePolicyDocument=json.dumps(trust))
    client(admin, "iam").put_role_policy(
        RoleName="media-transcoder", PolicyName="media-transcoder", PolicyDocument=recorded["document"]
    )
    creds = client(admin, "sts").assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="transcoder")["Credentials"]
    as_role = boto3.Session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], region_name=REGION)
    return {
        "admin": {name: client(admin, name) for name in ("s3", "sqs", "dynamodb")},
        "role": {name: client(as_role, name) for name in ("s3", "sqs", "dynamodb")},
        "names": names,
        "queue_url": queue_url,
        "dlq_url": dlq_url,
    }


def _pipeline(world: dict[str, Any], recorded: dict[str, Any], ffmpeg: str) -> Pipeline:
    v, role = recorded["variables"], world["role"]
    config = Config(
        table_name=world["names"]["table"],
        renditions_bucket=v["RENDITIONS_BUCKET"],
        upload_prefix=v["UPLOAD_PREFIX"],
        upload_suffixes=tuple(v["UPLOAD_SUFFIXES"].split(",")),
        max_receive_count=int(v["MAX_RECEIVE_COUNT"]),
        segment_seconds=int(v["SEGMENT_SECONDS"]),
        ffmpeg_path=ffmpeg,
        ffmpeg_preset="ultrafast",
        queue_url=world["queue_url"],  # the recording has no URL (the offline engine computes none)
        dlq_url=world["dlq_url"],
        retry_base_seconds=0,
    )
    return Pipeline(config, role["s3"], role["dynamodb"], None, role["sqs"])


def _poll_and_deliver(world: dict[str, Any], p: Pipeline) -> dict[str, Any]:
    """The event source mapping, with the function's role: receive, invoke, delete the successes."""
    sqs = world["role"]["sqs"]
    messages = sqs.receive_message(QueueUrl=world["queue_url"], MaxNumberOfMessages=10, AttributeNames=["All"])
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m["Attributes"],
        }
        for m in messages.get("Messages", [])
    ]
    assert records, "nothing to deliver"
    result = p.handle({"Records": records})
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    for r in records:
        if r["messageId"] not in failed:
            sqs.delete_message(QueueUrl=world["queue_url"], ReceiptHandle=r["receiptHandle"])
    return result


def test_enforcement_is_on_and_the_role_gets_only_what_its_document_grants(world):
    role, names = world["role"], world["names"]
    denied = [
        lambda: role["s3"].put_object(Bucket=names["renditions"], Key="not-hls/x", Body=b"x"),
        lambda: role["s3"].put_object(Bucket=names["uploads"], Key="uploads/x/y.mp4", Body=b"x"),
        lambda: role["dynamodb"].delete_item(TableName=names["table"], Key={"videoId": {"S": "x"}}),
        lambda: role["sqs"].send_message(QueueUrl=world["queue_url"], MessageBody="x"),
    ]
    for call in denied:
        with pytest.raises(ClientError) as info:
            call()
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert "AccessDenied" in str(info.value.response["Error"]), info.value.response


def test_an_upload_becomes_hls_under_the_recorded_role_policy(world, recorded, ffmpeg_exe, sample_clip):
    admin, names = world["admin"], world["names"]
    key = "uploads/iam-e2e/clip.mp4"
    admin["s3"].put_object(Bucket=names["uploads"], Key=key, Body=sample_clip.read_bytes())
    version = admin["s3"].head_object(Bucket=names["uploads"], Key=key)["VersionId"]
    admin["sqs"].send_message(
        QueueUrl=world["queue_url"], MessageBody=s3_event(names["uploads"], key, 1, version=version)
    )

    assert _poll_and_deliver(world, _pipeline(world, recorded, ffmpeg_exe)) == {"batchItemFailures": []}

    it = VideoStore(admin["dynamodb"], names["table"]).get("iam-e2e")
    assert it is not None and history(it) == ["UPLOADED", "PROCESSING", "READY"]
    assert admin["s3"].head_object(Bucket=names["renditions"], Key=it["masterPlaylistKey"]["S"])["ContentLength"] > 0


def test_poison_and_transient_failures_under_the_recorded_role_policy(world, recorded):
    admin, names = world["admin"], world["names"]
    key = "uploads/iam-flaky/clip.mp4"
    admin["s3"].put_object(Bucket=names["uploads"], Key=key, Body=b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    admin["sqs"].send_message(QueueUrl=world["queue_url"], MessageBody=s3_event(names["uploads"], key, 1, version=None))
    admin["sqs"].send_message(QueueUrl=world["queue_url"], MessageBody="not an S3 event")
    p = _pipeline(world, recorded, "/nonexistent/ffmpeg")  # running ffmpeg fails: a transient error

    result = _poll_and_deliver(world, p)  # SendMessage to the DLQ, ChangeMessageVisibility, UpdateItem

    assert len(result["batchItemFailures"]) == 1
    it = VideoStore(admin["dynamodb"], names["table"]).get("iam-flaky")
    assert it is not None and (it["status"]["S"], it["leaseExpiresAt"]["N"]) == ("PROCESSING", "0")
    dead = admin["sqs"].receive_message(QueueUrl=world["dlq_url"], MessageAttributeNames=["All"])["Messages"]
    assert [(m["Body"], m["MessageAttributes"]["status"]["StringValue"]) for m in dead] == [
        ("not an S3 event", "FAILED")
    ]
