"""MediaPipeline, as the dev (ffmpeg) and prod (mediaconvert) stacks register it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline.engine import Recording, ResourceRecord
from offline.fakes import ACCOUNT_ID, computed_outputs
from tests.graph import dep, deps, only_component

COMPONENT = "streaming:media:MediaPipeline"
QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY = "aws:kms/key:Key"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
NOTIFICATION = "aws:s3/bucketNotification:BucketNotification"
ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"
SUBNET = "aws:ec2/subnet:Subnet"

COMMON_COUNTS = {
    COMPONENT: 1,
    KEY: 1,
    "aws:kms/alias:Alias": 1,
    "aws:sqs/queuePolicy:QueuePolicy": 1,
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": 1,
    NOTIFICATION: 1,
    "aws:ec2/securityGroup:SecurityGroup": 1,
    ESM: 1,
    ALARM: 2,
}
LAYER, LAYER_ZIP = "aws:lambda/layerVersion:LayerVersion", "aws:s3/bucketObjectv2:BucketObjectv2"
DEV_COUNTS = {
    **COMMON_COUNTS,
    QUEUE: 2,
    FUNCTION: 1,
    ROLE: 1,
    ROLE_POLICY: 1,
    "aws:cloudwatch/logGroup:LogGroup": 1,
    LAYER: 1,  # ffmpeg, published from build/ffmpeg-layer.zip
    LAYER_ZIP: 1,
}
PROD_COUNTS = {
    **COMMON_COUNTS,
    QUEUE: 3,  # uploads, DLQ, status-function DLQ
    FUNCTION: 2,  # transcoder, MediaConvert status
    ROLE: 3,  # transcoder, status, MediaConvert
    ROLE_POLICY: 3,
    "aws:cloudwatch/logGroup:LogGroup": 2,
    "aws:cloudwatch/eventRule:EventRule": 1,
    "aws:cloudwatch/eventTarget:EventTarget": 1,
    "aws:lambda/permission:Permission": 1,
}
TIMEOUT = {"dev": 900, "prod": 300}
RECEIVES = {"dev": 3, "prod": 5}


def media(rec: Recording) -> Recording:
    return only_component(rec, COMPONENT)


def one(rec: Recording, type_: str, name: str) -> ResourceRecord:
    (r,) = [r for r in rec.resources if r.type == type_ and r.name == name]
    return r


def arn(rec: Recording, record: ResourceRecord) -> str:
    """The ARN the offline engine gives ``record`` in update mode."""
    region = rec.config["aws:region"]
    return computed_outputs(record.type, record.name, record.urn, dict(record.inputs), region)[1]["arn"]


def bucket(rec: Recording, role: str) -> ResourceRecord:
    (b,) = [r for r in rec.of_type("aws:s3/bucket:Bucket") if (r.inputs.get("tags") or {}).get("BucketRole") == role]
    return b


def policy_of(rec: Recording, name: str) -> list[dict[str, Any]]:
    return json.loads(one(rec, ROLE_POLICY, name).inputs["policy"])["Statement"]


# ---- shape --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "expected"), [("dev", DEV_COUNTS), ("prod", PROD_COUNTS)])
@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_exact_resource_counts(recording, stack, expected, preview):
    assert dict(media(recording(stack, preview=preview)).counts_by_type()) == expected


def test_children_are_parented_and_named_after_the_component(recording):
    rec = recording("prod")
    (component,) = rec.of_type(COMPONENT)
    children = [r for r in media(rec).resources if r is not component]
    assert all(r.parent == component.urn and r.name.startswith("media-") for r in children)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stateful_children_are_protected_in_prod_only(recording, stack):
    rec = media(recording(stack))
    stateful = [r for r in rec.resources if r.type in (KEY, QUEUE, "aws:cloudwatch/logGroup:LogGroup")]
    assert stateful and all(r.protect is (stack == "prod") for r in stateful)


# ---- S3 -> SQS --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_uploads_bucket_notifies_the_queue_for_each_suffix_under_the_prefix(recording, preview):
    rec = recording("dev", preview=preview)
    notification = one(rec, NOTIFICATION, "media-uploads-notification")
    assert dep(rec, notification, "bucket").urn == bucket(rec, "uploads").urn
    # One rule for the whole prefix: S3's suffix filters are literal, the transcoder matches suffixes ignoring case.
    (rule,) = notification.inputs["queues"]
    assert {k: v for k, v in rule.items() if k != "queueArn"} == {
        "id": "transcode-uploads",
        "events": ["s3:ObjectCreated:*"],
        "filterPrefix": "uploads/",
    }
    function = one(rec, FUNCTION, "media-transcoder")
    assert function.inputs["environment"]["variables"]["UPLOAD_SUFFIXES"] == ".mp4,.mov,.mkv,.webm"
    assert dep(rec, notification, "queues").name == "media-queue"
    # S3 validates the destination when the notification is saved: the queue policy must exist first.
    assert one(rec, "aws:sqs/queuePolicy:QueuePolicy", "media-queue-policy").urn in notification.dependencies


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_queues_are_encrypted_with_the_pipelines_rotating_key(recording, stack):
    rec = recording(stack)
    key = one(rec, KEY, "media-queue-key")
    assert key.inputs["enableKeyRotation"] is True
    for queue in media(rec).of_type(QUEUE):
        assert dep(rec, queue, "kmsMasterKeyId").urn == key.urn


def test_queue_key_lets_only_the_uploads_bucket_of_this_account_use_it(recording):
    rec = recording("prod", preview=False)
    statements = json.loads(one(rec, KEY, "media-queue-key").inputs["policy"])["Statement"]
    assert statements[1] == {
        "Sid": "UploadsBucketNotifiesThroughSqs",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
            "ArnEquals": {"aws:SourceArn": arn(rec, bucket(rec, "uploads"))},
        },
    }
    assert statements[0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"} and len(statements) == 2


def test_queue_policy_allows_only_the_uploads_bucket_of_this_account(recording):
    rec = recording("prod", preview=False)
    policy = one(rec, "aws:sqs/queuePolicy:QueuePolicy", "media-queue-policy")
    queue = one(rec, QUEUE, "media-queue")
    fresh = recording("prod")  # (update mode: the offline engine computes no queue url to depend on)
    assert (
        dep(fresh, one(fresh, "aws:sqs/queuePolicy:QueuePolicy", "media-queue-policy"), "queueUrl").name == queue.name
    )
    assert json.loads(policy.inputs["policy"])["Statement"] == [
        {
            "Sid": "UploadsBucketNotifies",
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": arn(rec, queue),
            "Condition": {
                "ArnEquals": {"aws:SourceArn": arn(rec, bucket(rec, "uploads"))},
                "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
            },
        },
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:*",
            "Resource": arn(rec, queue),
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_queue_visibility_redrive_and_dlq_retention(recording, stack):
    rec = recording(stack, preview=False)
    queue, dlq = one(rec, QUEUE, "media-queue"), one(rec, QUEUE, "media-dlq")
    function = one(rec, FUNCTION, "media-transcoder")
    assert function.inputs["timeout"] == TIMEOUT[stack]
    assert queue.inputs["visibilityTimeoutSeconds"] >= 6 * function.inputs["timeout"]
    assert json.loads(queue.inputs["redrivePolicy"]) == {
        "deadLetterTargetArn": arn(rec, dlq),
        "maxReceiveCount": RECEIVES[stack],
    }
    assert dlq.inputs["messageRetentionSeconds"] == 1209600
    assert queue.inputs["messageRetentionSeconds"] < dlq.inputs["messageRetentionSeconds"]


# ---- the transcoder -------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "prod"])
@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_transcoder_runs_in_the_app_subnet_of_every_az(recording, stack, preview):
    rec = recording(stack, preview=preview)
    function = one(rec, FUNCTION, "media-transcoder")
    subnets = [r for r in deps(rec, function, "vpcConfig") if r.type == SUBNET]
    app = [s for s in rec.of_type(SUBNET) if s.inputs["tags"]["Tier"] == "app"]
    assert sorted(s.urn for s in subnets) == sorted(s.urn for s in app)
    azs = sorted(s.inputs["availabilityZone"] for s in subnets)
    assert azs == sorted(rec.outputs["availabilityZones"]) and len(azs) == {"dev": 2, "prod": 3}[stack]
    assert len(function.inputs["vpcConfig"]["subnetIds"]) == len(azs)
    (sg,) = [r for r in deps(rec, function, "vpcConfig") if r.type == "aws:ec2/securityGroup:SecurityGroup"]
    assert sg.inputs["ingress"] == []
    assert [(e["protocol"], e["fromPort"], e["toPort"]) for e in sg.inputs["egress"]] == [("tcp", 443, 443)]


@pytest.mark.parametrize(("stack", "reserved", "backend"), [("dev", 2, "ffmpeg"), ("prod", 50, "mediaconvert")])
def test_transcoder_settings(recording, stack, reserved, backend):
    rec = recording(stack)
    function = one(rec, FUNCTION, "media-transcoder")
    assert function.inputs["reservedConcurrentExecutions"] == reserved
    assert function.inputs["tracingConfig"] == {"mode": "Active"}
    assert dep(rec, function, "kmsKeyArn").name == "media-queue-key"
    assert function.inputs["environment"]["variables"]["BACKEND"] == backend
    assert function.inputs["handler"] == "transcoder.handler.handler"
    log_group = dep(rec, function, "loggingConfig")
    assert dep(rec, log_group, "kmsKeyId").name == "data-logs-key"
    if backend == "ffmpeg":
        assert dep(rec, function, "layers").type == LAYER
        assert function.inputs["ephemeralStorage"] == {"size": 10240}
    else:
        assert "layers" not in function.inputs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_transcoder_backs_off_on_its_queue_and_moves_poison_to_its_dlq(recording, stack):
    rec = recording(stack)
    function = one(rec, FUNCTION, "media-transcoder")
    env_deps = {r.name for r in deps(rec, function, "environment")}
    assert {"media-queue", "media-dlq"} <= env_deps  # QUEUE_URL and DLQ_URL
    assert set(function.inputs["environment"]["variables"]) >= {"QUEUE_URL", "DLQ_URL"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_one_segment_length_from_one_setting_reaches_the_transcoder(stack):
    from offline.engine import run_program

    rec = run_program(stack, config_overrides={"streaming:segmentDurationSeconds": "4"})
    variables = one(rec, FUNCTION, "media-transcoder").inputs["environment"]["variables"]
    assert variables["SEGMENT_SECONDS"] == "4"  # ffmpeg's -hls_time, or MediaConvert's SegmentLength


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_dev_publishes_the_built_ffmpeg_layer_from_the_uploads_bucket_outside_the_upload_prefix(recording, preview):
    import base64
    import hashlib

    from settings.media import FFMPEG_LAYER_ZIP

    rec = recording("dev", preview=preview)
    layer, code = one(rec, LAYER, "media-ffmpeg"), one(rec, LAYER_ZIP, "media-ffmpeg-layer-zip")
    digest = hashlib.sha256(FFMPEG_LAYER_ZIP.read_bytes())
    assert code.inputs["key"] == f"layers/ffmpeg-{digest.hexdigest()[:16]}.zip"
    assert code.inputs["source"]["path"] == str(FFMPEG_LAYER_ZIP)
    assert dep(rec, code, "bucket").urn == bucket(rec, "uploads").urn
    assert dep(rec, layer, "s3Key").urn == dep(rec, layer, "s3Bucket").urn == code.urn
    assert layer.inputs["sourceCodeHash"] == base64.b64encode(digest.digest()).decode()
    assert (layer.inputs["compatibleArchitectures"], layer.inputs["compatibleRuntimes"]) == (["x86_64"], ["python3.12"])
    assert one(rec, FUNCTION, "media-transcoder").inputs["architectures"] == ["x86_64"]
    assert not media(recording("prod", preview=preview)).of_type(LAYER)  # MediaConvert needs no ffmpeg


def test_an_ffmpeg_layer_arn_overrides_the_published_layer():
    from offline.engine import run_program

    arn_ = "arn:aws:lambda:us-east-2:123456789012:layer:team-ffmpeg:7"
    rec = run_program("dev", config_overrides={"streaming:ffmpegLayerArn": arn_})
    assert one(rec, FUNCTION, "media-transcoder").inputs["layers"] == [arn_]
    assert not rec.of_type(LAYER) and not rec.of_type(LAYER_ZIP)


@pytest.mark.parametrize(("stack", "concurrency"), [("dev", 2), ("prod", 50)])
def test_event_source_mapping_reports_batch_item_failures(recording, stack, concurrency):
    rec = recording(stack)
    (esm,) = rec.of_type(ESM)
    assert esm.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert esm.inputs["batchSize"] == 1
    assert esm.inputs["scalingConfig"] == {"maximumConcurrency": concurrency}
    assert dep(rec, esm, "eventSourceArn").name == "media-queue"
    assert dep(rec, esm, "functionName").name == "media-transcoder"


def _common_statements(rec: Recording, write: bool) -> list[dict[str, Any]]:
    uploads, renditions = arn(rec, bucket(rec, "uploads")), arn(rec, bucket(rec, "renditions"))
    media_key = arn(rec, one(rec, KEY, "data-media-key"))
    region = rec.config["aws:region"]
    s3 = [
        {
            "Sid": "ReadUploadsPrefix",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": f"{uploads}/uploads/*",
        },
        {
            "Sid": "ListUploadsPrefix",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": uploads,
            "Condition": {"StringLike": {"s3:prefix": "uploads/*"}},
        },
        {
            "Sid": "DecryptUploads",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": media_key,
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
        },
    ]
    if write:
        s3 += [
            {"Sid": "WriteRenditions", "Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{renditions}/hls/*"},
            {
                "Sid": "EncryptRenditions",
                "Effect": "Allow",
                "Action": "kms:GenerateDataKey",
                "Resource": media_key,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
        ]
    return s3


def _table_statements(rec: Recording) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "UpdateVideoItems",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
            "Resource": arn(rec, one(rec, "aws:dynamodb/table:Table", "data-videos")),
        },
        {
            "Sid": "UseTableKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            "Resource": arn(rec, one(rec, KEY, "data-data-key")),
            "Condition": {"StringEquals": {"kms:ViaService": f"dynamodb.{rec.config['aws:region']}.amazonaws.com"}},
        },
    ]


STAR_SIDS = {"AttachToVpcRequiresStar", "XRayRequiresStar"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_transcoder_iam_is_exactly_least_privilege(recording, stack):
    rec = recording(stack, preview=False)
    statements = policy_of(rec, "media-transcoder")
    queue_key = arn(rec, one(rec, KEY, "media-queue-key"))
    expected = [
        {
            "Sid": "ConsumeUploadQueue",
            "Effect": "Allow",
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
            ],
            "Resource": arn(rec, one(rec, QUEUE, "media-queue")),
        },
        {
            "Sid": "MovePoisonMessagesToTheDlq",
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": arn(rec, one(rec, QUEUE, "media-dlq")),
        },
        {
            "Sid": "UseQueueAndEnvironmentKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": queue_key,
        },
        *_common_statements(rec, write=stack == "dev"),  # with MediaConvert, the job's role writes renditions
        *_table_statements(rec),
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": arn(rec, one(rec, "aws:cloudwatch/logGroup:LogGroup", "media-transcoder")) + ":*",
        },
        {
            "Sid": "AttachToVpcRequiresStar",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            "Resource": "*",
        },
        {
            "Sid": "XRayRequiresStar",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",
        },
    ]
    if stack == "prod":
        expected += [
            {
                "Sid": "SubmitJobsToTheDefaultQueue",
                "Effect": "Allow",
                "Action": "mediaconvert:CreateJob",
                "Resource": f"arn:aws:mediaconvert:us-west-2:{ACCOUNT_ID}:queues/Default",
            },
            {
                "Sid": "PassOnlyTheMediaConvertRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": arn(rec, one(rec, ROLE, "media-mediaconvert")),
                "Condition": {"StringEquals": {"iam:PassedToService": "mediaconvert.amazonaws.com"}},
            },
        ]
    assert statements == expected


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_wildcard_action_and_star_resources_only_where_aws_requires_them(recording, stack):
    rec = recording(stack, preview=False)
    for policy in media(rec).of_type(ROLE_POLICY):
        for s in json.loads(policy.inputs["policy"])["Statement"]:
            actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
            assert all("*" not in a for a in actions), (policy.name, s)
            assert (s["Resource"] == "*") == (s["Sid"] in STAR_SIDS), (policy.name, s)


def test_mediaconvert_role_reads_uploads_writes_renditions_and_trusts_only_mediaconvert(recording):
    rec = recording("prod", preview=False)
    assert policy_of(rec, "media-mediaconvert") == _common_statements(rec, write=True)
    trust = json.loads(one(rec, ROLE, "media-mediaconvert").inputs["assumeRolePolicy"])["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "mediaconvert.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
        }
    ]
    function = one(rec, FUNCTION, "media-transcoder")
    assert "media-mediaconvert" in {r.name for r in deps(rec, function, "environment")}


# ---- alarms and MediaConvert events ------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "age"), [("dev", 3600), ("prod", 1800)])
def test_alarms_watch_dlq_depth_and_the_oldest_upload(recording, stack, age):
    rec = recording(stack)
    depth = one(rec, ALARM, "media-dlq-depth")
    oldest = one(rec, ALARM, "media-oldest-upload-age")
    assert (depth.inputs["metricName"], depth.inputs["threshold"]) == ("ApproximateNumberOfMessagesVisible", 1)
    assert depth.inputs["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert dep(rec, depth, "dimensions").name == "media-dlq"
    assert (oldest.inputs["metricName"], oldest.inputs["threshold"]) == ("ApproximateAgeOfOldestMessage", age)
    assert dep(rec, oldest, "dimensions").name == "media-queue"
    # Both notify the stack's alarm topic (AlarmTopics), on alarm and on recovery.
    for alarm in (depth, oldest):
        assert dep(rec, alarm, "alarmActions").name == dep(rec, alarm, "okActions").name == "alarms-topic"


def test_mediaconvert_job_state_changes_reach_the_status_function(recording):
    rec = recording("prod")
    rule = one(rec, "aws:cloudwatch/eventRule:EventRule", "media-job-state")
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.mediaconvert"],
        "detail-type": ["MediaConvert Job State Change"],
        "detail": {"status": ["COMPLETE", "ERROR"], "userMetadata": {"videoId": [{"exists": True}]}},
    }
    target = one(rec, "aws:cloudwatch/eventTarget:EventTarget", "media-job-state-to-status")
    status = one(rec, FUNCTION, "media-status")
    assert dep(rec, target, "arn").urn == status.urn and dep(rec, target, "rule").urn == rule.urn
    permission = one(rec, "aws:lambda/permission:Permission", "media-status-from-events")
    assert permission.inputs["principal"] == "events.amazonaws.com"
    assert dep(rec, permission, "sourceArn").urn == rule.urn
    assert dep(rec, status, "deadLetterConfig").name == "media-status-dlq"
    assert not media(recording("dev")).of_type("aws:cloudwatch/eventRule:EventRule")  # ffmpeg: no jobs
