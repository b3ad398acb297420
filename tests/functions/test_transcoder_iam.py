"""The transcoder under its real role policy: moto server with IAM enforcement on, and the pipeline (and the SQS
event source mapping, which polls with the function's role) using credentials of a role that carries exactly the
policy document the stack's recording gives ``media-transcoder`` (dev: ffmpeg; prod: MediaConvert), and the
status function under prod's ``media-status`` document.

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
from botocore.stub import Stubber
from streaming_platform.media.transcoder import status
from streaming_platform.media.transcoder.events import parse_body
from streaming_platform.media.transcoder.handler import Config, Pipeline
from streaming_platform.media.transcoder.store import VideoStore

from offline.engine import PROJECT_DIR, Recording
from offline.fakes import ACCOUNT_ID
from tests.functions.helpers import history, s3_event

REGIONS = {"dev": "us-east-2", "prod": "us-west-2"}  # the stacks' regions
ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _resource(statements: list[dict[str, Any]], sid: str) -> str:
    (statement,) = [s for s in statements if s["Sid"] == sid]
    return str(statement["Resource"])


def _recorded(recording: Any, stack: str) -> dict[str, Any]:
    """A stack's media roles as the real program records them: each role policy's document, and the
    transcoder's environment."""
    rec: Recording = recording(stack, preview=False)
    documents = {
        r.name: r.inputs["policy"]
        for r in rec.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name in ("media-transcoder", "media-status")
    }
    (function,) = [r for r in rec.of_type("aws:lambda/function:Function") if r.name == "media-transcoder"]
    variables = function.inputs["environment"]["variables"]
    statements = json.loads(documents["media-transcoder"])["Statement"]
    names = {
        "queue": _resource(statements, "ConsumeUploadQueue").rsplit(":", 1)[1],
        "dlq": _resource(statements, "MovePoisonMessagesToTheDlq").rsplit(":", 1)[1],
        "uploads": _resource(statements, "ReadUploadsPrefix").removeprefix("arn:aws:s3:::").split("/")[0],
        "renditions": variables["RENDITIONS_BUCKET"],
        # The offline engine's table ARN ends in the table's id, not its name: the table is named so that its
        # ARN is the one the policy names.
        "table": _resource(statements, "UpdateVideoItems").rsplit("/", 1)[1],
    }
    if stack == "dev":  # ffmpeg writes renditions itself: the document and the function name the same bucket
        assert _resource(statements, "WriteRenditions") == f"arn:aws:s3:::{names['renditions']}/hls/*"
    return {"documents": documents, "names": names, "variables": variables}


@pytest.fixture(scope="module")
def enforced_endpoint() -> Iterator[tuple[str, boto3.Session]]:
    """The enforced server and an administrator, created by its first 3 requests (enforcement starts after)."""
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
    iam = boto3.Session("bootstrap", "x", region_name="us-east-1").client("iam", endpoint_url=endpoint)
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="admin", PolicyDocument=json.dumps(ADMIN_POLICY))
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    yield endpoint, boto3.Session(key["AccessKeyId"], key["SecretAccessKey"])
    proc.stdin.close()
    proc.wait(timeout=30)


def _world(enforced: tuple[str, boto3.Session], recorded: dict[str, Any], stack: str) -> dict[str, Any]:
    """The stack's resources under the recorded ARNs, and one role per recorded document (its one inline policy)."""
    endpoint, admin_session = enforced
    region = REGIONS[stack]

    def client(session: boto3.Session, name: str) -> Any:
        return session.client(name, endpoint_url=endpoint, region_name=region)

    names = recorded["names"]
    s3, sqs, dynamodb, iam = (client(admin_session, n) for n in ("s3", "sqs", "dynamodb", "iam"))
    for bucket in (names["uploads"], names["renditions"]):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=names["uploads"], VersioningConfiguration={"Status": "Enabled"})
    dynamodb.create_table(
        TableName=names["table"],
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "videoId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "videoId", "AttributeType": "S"}],
    )
    dlq_url = sqs.create_queue(QueueName=names["dlq"])["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    statements = json.loads(recorded["documents"]["media-transcoder"])["Statement"]
    assert dlq_arn == _resource(statements, "MovePoisonMessagesToTheDlq")  # moto's ARN is the recorded one
    queue_url = sqs.create_queue(
        QueueName=names["queue"],
        Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
        },
    )["QueueUrl"]
    # Lambda assumes the roles in AWS (their trust policies name lambda.amazonaws.com); here the administrator does.
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
    roles = {}
    for name, document in recorded["documents"].items():
        role_name = f"{stack}-{name}"
        arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName=role_name, PolicyName=name, PolicyDocument=document)
        creds = client(admin_session, "sts").assume_role(RoleArn=arn, RoleSessionName=name)["Credentials"]
        session = boto3.Session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        roles[name] = {n: client(session, n) for n in ("s3", "sqs", "dynamodb")}
    return {
        "admin": {"s3": s3, "sqs": sqs, "dynamodb": dynamodb},
        "role": roles["media-transcoder"],
        "roles": roles,
        "names": names,
        "queue_url": queue_url,
        "dlq_url": dlq_url,
    }


@pytest.fixture(scope="module")
def recorded(recording: Any) -> dict[str, Any]:
    return _recorded(recording, "dev")


@pytest.fixture(scope="module")
def world(enforced_endpoint: tuple[str, boto3.Session], recorded: dict[str, Any]) -> dict[str, Any]:
    return _world(enforced_endpoint, recorded, "dev")


@pytest.fixture(scope="module")
def prod(enforced_endpoint: tuple[str, boto3.Session], recording: Any) -> dict[str, Any]:
    recorded = _recorded(recording, "prod")
    return {**_world(enforced_endpoint, recorded, "prod"), "recorded": recorded}


def _pipeline(world: dict[str, Any], recorded: dict[str, Any], ffmpeg: str, retry_base_seconds: int = 0) -> Pipeline:
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
        retry_base_seconds=retry_base_seconds,
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
    p = _pipeline(world, recorded, "/nonexistent/ffmpeg", retry_base_seconds=30)  # running ffmpeg fails: transient

    result = _poll_and_deliver(world, p)  # SendMessage to the DLQ, ChangeMessageVisibility, UpdateItem

    assert len(result["batchItemFailures"]) == 1
    # The queue's visibility timeout is 0: only an allowed ChangeMessageVisibility (the backoff) hides it now.
    assert admin["sqs"].receive_message(QueueUrl=world["queue_url"]).get("Messages", []) == []
    it = VideoStore(admin["dynamodb"], names["table"]).get("iam-flaky")
    assert it is not None and (it["status"]["S"], it["leaseExpiresAt"]["N"]) == ("PROCESSING", "0")
    dead = admin["sqs"].receive_message(QueueUrl=world["dlq_url"], MessageAttributeNames=["All"])["Messages"]
    assert [(m["Body"], m["MessageAttributes"]["status"]["StringValue"]) for m in dead] == [
        ("not an S3 event", "FAILED")
    ]


def test_prod_submits_to_mediaconvert_and_the_status_function_finishes_under_their_recorded_policies(prod):
    """Prod's transcoder (MediaConvert backend: the S3 checks, the claim, the job id) and the status function
    (READY), each under its own recorded document. CreateJob itself goes to botocore's Stubber: moto has no
    MediaConvert, so the CreateJob and PassRole statements stay unexercised here."""
    admin, names, v = prod["admin"], prod["names"], prod["recorded"]["variables"]
    key = "uploads/iam-mc/film.mov"
    admin["s3"].put_object(Bucket=names["uploads"], Key=key, Body=b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 64)
    version = admin["s3"].head_object(Bucket=names["uploads"], Key=key)["VersionId"]
    (obj,) = parse_body(s3_event(names["uploads"], key, 84, version=version))
    mediaconvert = boto3.client(
        "mediaconvert",
        region_name="us-west-2",
        endpoint_url="https://abcd1234.mediaconvert.us-west-2.amazonaws.com",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    role = prod["roles"]["media-transcoder"]
    config = Config(
        table_name=names["table"],
        renditions_bucket=v["RENDITIONS_BUCKET"],
        backend=v["BACKEND"],
        upload_prefix=v["UPLOAD_PREFIX"],
        segment_seconds=int(v["SEGMENT_SECONDS"]),
        mediaconvert_role_arn=v["MEDIACONVERT_ROLE_ARN"],
        media_kms_key_arn=v["MEDIA_KMS_KEY_ARN"],
    )
    with Stubber(mediaconvert) as stub:
        stub.add_response("create_job", {"Job": {"Id": "job-iam", "Role": v["MEDIACONVERT_ROLE_ARN"], "Settings": {}}})
        p = Pipeline(config, role["s3"], role["dynamodb"], mediaconvert, role["sqs"])
        assert p.process_object(obj) == "submitted"

    complete = {
        "detail": {
            "status": "COMPLETE",
            "jobId": "job-iam",
            "userMetadata": {"videoId": "iam-mc", "sourceToken": obj.token},
            "outputGroupDetails": [
                {
                    "playlistFilePaths": [f"s3://{names['renditions']}/hls/iam-mc/x/master.m3u8"],
                    "outputDetails": [
                        {
                            "outputFilePaths": [f"s3://{names['renditions']}/hls/iam-mc/x/master_720p.m3u8"],
                            "videoDetails": {"widthInPx": 1280, "heightInPx": 720},
                        }
                    ],
                }
            ],
        }
    }
    status_store = VideoStore(prod["roles"]["media-status"]["dynamodb"], names["table"])
    assert status.handle(complete, status_store) == "updated"
    it = VideoStore(admin["dynamodb"], names["table"]).get("iam-mc")
    assert it is not None and history(it) == ["UPLOADED", "PROCESSING", "READY"]
    with pytest.raises(ClientError) as info:  # the status role cannot read uploads: enforcement is on
        prod["roles"]["media-status"]["s3"].get_object(Bucket=names["uploads"], Key=key)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
