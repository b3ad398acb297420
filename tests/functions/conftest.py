"""Real HTTP: boto3 clients talk to moto's server on loopback (no in-process patching)."""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import imageio_ffmpeg
import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


class SerializedDynamoDb:
    """WSGI middleware: one DynamoDB request at a time, every other service concurrently.

    DynamoDB evaluates a conditional write atomically with the write (DynamoDB Developer Guide, "Condition
    expressions": the write succeeds only if the condition holds when it is applied). moto evaluates the
    condition and applies the update without a lock, so concurrent requests could interleave inside one
    update. Serializing DynamoDB requests gives the clients exactly DynamoDB's documented guarantee (writes
    to an item take effect one after another) and nothing more: which request wins is still decided by the
    real race between the client processes.
    """

    def __init__(self, app: Any) -> None:
        self.app, self.lock = app, threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return self.app(environ, start_response)
        with self.lock:
            return list(self.app(environ, start_response))


@pytest.fixture(scope="session")
def linearizable_endpoint(moto_endpoint: str) -> Iterator[str]:
    """A second, threaded endpoint onto the same in-process moto backends, with DynamoDB serialized."""
    app = SerializedDynamoDb(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def aws(moto_endpoint: str) -> Callable[[str], Any]:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    return lambda service: session.client(service, endpoint_url=moto_endpoint)


@pytest.fixture(scope="session")
def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


@pytest.fixture(scope="session")
def sample_clip(tmp_path_factory: pytest.TempPathFactory, ffmpeg_exe: str) -> Path:
    """3 s of 640x360 test pattern with a 440 Hz tone: the ladder allows 360p, 240p and 144p."""
    path = tmp_path_factory.mktemp("clip") / "sample.mp4"
    subprocess.run(
        [
            ffmpeg_exe, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=24:duration=3",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=3",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


@dataclass
class Env:
    """A fresh uploads bucket (versioned), renditions bucket, metadata table and queue pair per test."""

    s3: Any
    dynamodb: Any
    sqs: Any
    uploads: str
    renditions: str
    table: str
    queue_url: str
    queue_arn: str
    dlq_url: str
    max_receive_count: int = 2


@pytest.fixture
def env(aws: Callable[[str], Any]) -> Env:
    suffix = uuid.uuid4().hex[:10]
    s3, dynamodb, sqs = aws("s3"), aws("dynamodb"), aws("sqs")
    uploads, renditions, table = f"uploads-{suffix}", f"renditions-{suffix}", f"videos-{suffix}"
    for bucket in (uploads, renditions):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=uploads, VersioningConfiguration={"Status": "Enabled"})
    dynamodb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "videoId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "videoId", "AttributeType": "S"}],
    )
    dlq_url = sqs.create_queue(QueueName=f"dlq-{suffix}", Attributes={"MessageRetentionPeriod": "1209600"})["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName=f"uploads-{suffix}",
        Attributes={
            "VisibilityTimeout": "0",  # redeliver at once: the test plays the role of the event source mapping
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
        },
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Env(s3, dynamodb, sqs, uploads, renditions, table, queue_url, queue_arn, dlq_url)
