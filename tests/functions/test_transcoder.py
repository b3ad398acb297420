"""The transcoder and status functions against S3, SQS and DynamoDB served by moto over loopback HTTP."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from streaming_platform.media.transcoder import status
from streaming_platform.media.transcoder.events import PoisonMessage, S3Object, parse_body, video_id_for
from streaming_platform.media.transcoder.mediaconvert_backend import create_job_request
from streaming_platform.media.transcoder.store import VideoStore

from tests.functions.helpers import PREFIX, deliver, history, item, notify_queue, pipeline, receive, s3_event, upload

# ---- parsing -------------------------------------------------------------------------------------


def test_parse_decodes_url_encoded_keys():
    body = s3_event("b", "uploads/vid-1/my clip+final (1).mp4")
    assert "my+clip%2Bfinal+%281%29.mp4" in body
    (obj,) = parse_body(body)
    assert obj.key == "uploads/vid-1/my clip+final (1).mp4"
    assert obj.token == "v:v1"
    assert video_id_for(obj.key, PREFIX) == "vid-1"


def test_parse_uses_the_etag_when_the_bucket_is_unversioned_and_ignores_other_events():
    (obj,) = parse_body(s3_event("b", "uploads/x.mp4", etag="e1", version=None))
    assert (obj.token, video_id_for(obj.key, PREFIX)) == ("e:e1", "x")
    removed = json.loads(s3_event("b", "uploads/x.mp4"))
    removed["Records"][0]["eventName"] = "ObjectRemoved:Delete"
    assert parse_body(json.dumps(removed)) == []


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1]",
        '{"Records": "x"}',
        '{"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}',
    ],
)
def test_parse_rejects_what_no_retry_can_fix(body):
    with pytest.raises(PoisonMessage):
        parse_body(body)


def test_s3_test_event_from_the_real_notification_setup_is_acknowledged(env):
    notify_queue(env)
    records = receive(env)
    assert [json.loads(r["body"])["Event"] for r in records] == ["s3:TestEvent"]
    assert deliver(env, pipeline(env), records) == {"batchItemFailures": []}
    assert env.dynamodb.scan(TableName=env.table)["Count"] == 0
    assert receive(env) == []


# ---- the ffmpeg backend end to end -----------------------------------------------------------------


def test_ffmpeg_backend_turns_an_upload_into_hls_and_a_duplicate_does_nothing(env, ffmpeg_exe, sample_clip):
    notify_queue(env)
    receive(env)  # drop the s3:TestEvent
    env.sqs.purge_queue(QueueUrl=env.queue_url)
    key = "uploads/vid-e2e/holiday clip.mp4"
    upload(env, key, sample_clip.read_bytes())
    records = receive(env)
    assert len(records) == 1 and "holiday+clip.mp4" in records[0]["body"]
    p = pipeline(env, ffmpeg_exe)

    assert deliver(env, p, records) == {"batchItemFailures": []}

    it = item(env, "vid-e2e")
    assert it["status"]["S"] == "READY"
    assert history(it) == ["UPLOADED", "PROCESSING", "READY"]
    assert all(it[k]["S"].endswith("Z") for k in ("uploadedAt", "processingStartedAt", "readyAt"))
    master_key = it["masterPlaylistKey"]["S"]
    master = env.s3.get_object(Bucket=env.renditions, Key=master_key)["Body"].read().decode()
    assert master.startswith("#EXTM3U")
    stream_infs = [line for line in master.splitlines() if line.startswith("#EXT-X-STREAM-INF:")]
    assert len(stream_infs) >= 3
    assert all("BANDWIDTH=" in s and "RESOLUTION=" in s for s in stream_infs)
    renditions = [r["M"] for r in it["renditions"]["L"]]
    assert [(r["name"]["S"], r["height"]["N"]) for r in renditions] == [
        ("360p", "360"),
        ("240p", "240"),
        ("144p", "144"),
    ]
    listed = env.s3.list_objects_v2(Bucket=env.renditions, Prefix=master_key.rsplit("/", 1)[0])["Contents"]
    keys = {o["Key"] for o in listed}
    for r in renditions:
        variant = env.s3.get_object(Bucket=env.renditions, Key=r["playlistKey"]["S"])["Body"].read().decode()
        segments = [line for line in variant.splitlines() if line.endswith(".ts")]
        assert segments and "#EXT-X-ENDLIST" in variant
        assert {r["playlistKey"]["S"].rsplit("/", 1)[0] + "/" + s for s in segments} <= keys
    head = env.s3.head_object(Bucket=env.renditions, Key=master_key)
    assert head["ContentType"] == "application/vnd.apple.mpegurl"

    # S3 delivers at least once: the same notification again, and the same upload's event re-sent.
    count_before = len(keys)
    (obj,) = parse_body(records[0]["body"])
    assert p.process_object(obj) == "duplicate"
    assert deliver(env, p, [{**records[0], "messageId": "again"}]) == {"batchItemFailures": []}
    again = item(env, "vid-e2e")
    assert again["attempts"]["N"] == "1" and history(again) == ["UPLOADED", "PROCESSING", "READY"]
    assert len(env.s3.list_objects_v2(Bucket=env.renditions)["Contents"]) == count_before

    # A new upload to the same key is processed again. (moto's notifications omit versionId, so the
    # token here is the ETag: the new upload differs by one trailing byte.)
    upload(env, key, sample_clip.read_bytes() + b"\0")
    (new,) = receive(env)
    assert deliver(env, p, [new]) == {"batchItemFailures": []}
    newer = item(env, "vid-e2e")
    assert newer["attempts"]["N"] == "2" and newer["status"]["S"] == "READY"
    assert newer["sourceToken"]["S"] != again["sourceToken"]["S"]


# ---- bad input ends FAILED, never in a crash loop -------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("not-a-video", "not a video container"),
        ("zero-bytes", "is empty (0 bytes)"),
        ("too-large", "the limit is 1000 bytes"),
        ("vanished", "no longer exists"),
        ("undecodable", "no decodable video stream"),
    ],
)
def test_bad_input_ends_failed_with_a_reason_and_the_message_is_acknowledged(env, ffmpeg_exe, case, reason):
    key = f"{PREFIX}{case}/file.mp4"
    body = {
        "not-a-video": b"hello, this is a text file named .mp4\n" * 10,
        "zero-bytes": b"",
        "too-large": b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000,
        "vanished": b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100,
        "undecodable": b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100,
    }[case]
    upload(env, key, body)
    version = env.s3.head_object(Bucket=env.uploads, Key=key)["VersionId"]
    if case == "vanished":
        env.s3.delete_object(Bucket=env.uploads, Key=key, VersionId=version)
    env.sqs.send_message(QueueUrl=env.queue_url, MessageBody=s3_event(env.uploads, key, len(body), version=version))
    p = pipeline(env, ffmpeg_exe, max_upload_bytes=1000)

    assert deliver(env, p) == {"batchItemFailures": []}

    it = item(env, case)
    assert it["status"]["S"] == "FAILED"
    assert reason in it["failureReason"]["S"]
    assert history(it) == ["UPLOADED", "PROCESSING", "FAILED"]
    assert receive(env) == []  # acknowledged: no retry can fix it


def test_partial_batch_failure_reports_only_the_transient_failure(env, ffmpeg_exe):
    text_key, clip_key = f"{PREFIX}textfile/file.mp4", f"{PREFIX}no-ffmpeg/clip.mp4"
    upload(env, text_key, b"plain text")
    upload(env, clip_key, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    env.sqs.send_message(QueueUrl=env.queue_url, MessageBody=s3_event(env.uploads, text_key, 10, version=None))
    env.sqs.send_message(QueueUrl=env.queue_url, MessageBody=s3_event(env.uploads, clip_key, 10, version=None))
    env.sqs.send_message(QueueUrl=env.queue_url, MessageBody="{not json")
    env.sqs.send_message(QueueUrl=env.queue_url, MessageBody=json.dumps({"Event": "s3:TestEvent"}))
    records = receive(env)
    transient = next(r["messageId"] for r in records if "no-ffmpeg" in r["body"])

    # The default ffmpeg path does not exist: running it raises, which no input check explains (transient).
    assert deliver(env, pipeline(env), records) == {"batchItemFailures": [{"itemIdentifier": transient}]}
    assert item(env, "textfile")["status"]["S"] == "FAILED"
    assert (item(env, "no-ffmpeg")["status"]["S"], item(env, "no-ffmpeg")["leaseExpiresAt"]["N"]) == ("PROCESSING", "0")
    assert [r["body"] for r in receive(env, env.dlq_url)] == ["{not json"]  # acknowledged, in the DLQ at once


def test_a_poison_message_goes_to_the_dlq_at_once_marked_failed_and_is_acknowledged(env):
    env.sqs.send_message(QueueUrl=env.queue_url, MessageBody="definitely not an S3 event")
    (record,) = receive(env)

    assert deliver(env, pipeline(env), [record]) == {"batchItemFailures": []}

    assert receive(env) == []  # not redelivered: no maxReceiveCount x visibility timeout wait
    dead = env.sqs.receive_message(QueueUrl=env.dlq_url, MessageAttributeNames=["All"], MaxNumberOfMessages=10)
    (message,) = dead["Messages"]
    assert message["Body"] == "definitely not an S3 event"
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes == {
        "status": "FAILED",
        "failureReason": "message body is not JSON: 'definitely not an S3 event'",
        "sourceMessageId": record["messageId"],
    }


def test_a_key_without_a_usable_video_id_goes_to_the_dlq_and_the_batch_goes_on(env):
    key = f"{PREFIX}bad id!/clip.mp4"
    env.sqs.send_message(QueueUrl=env.queue_url, MessageBody=s3_event(env.uploads, key))
    assert deliver(env, pipeline(env)) == {"batchItemFailures": []}
    dead = env.sqs.receive_message(QueueUrl=env.dlq_url, MessageAttributeNames=["All"])["Messages"]
    assert [m["MessageAttributes"]["failureReason"]["StringValue"] for m in dead] == [
        "cannot derive a video id from key 'uploads/bad id!/clip.mp4' (got 'bad id!')"
    ]
    assert env.dynamodb.scan(TableName=env.table)["Count"] == 0


def test_a_transient_error_is_retried_and_the_last_attempt_records_failed_before_the_dlq(env, ffmpeg_exe, sample_clip):
    key = f"{PREFIX}flaky/clip.mp4"
    upload(env, key, sample_clip.read_bytes())
    version = env.s3.head_object(Bucket=env.uploads, Key=key)["VersionId"]
    env.sqs.send_message(QueueUrl=env.queue_url, MessageBody=s3_event(env.uploads, key, 1, version=version))
    broken = pipeline(replace(env, renditions="no-such-bucket"), ffmpeg_exe)  # uploads of renditions fail

    first = deliver(env, broken)
    assert len(first["batchItemFailures"]) == 1
    it = item(env, "flaky")
    assert (it["status"]["S"], it["leaseExpiresAt"]["N"]) == ("PROCESSING", "0")  # lease released for the retry
    assert "NoSuchBucket" in it["lastError"]["S"]

    second = deliver(env, broken)  # receive 2 of 2: SQS moves it to the DLQ after this
    assert len(second["batchItemFailures"]) == 1
    it = item(env, "flaky")
    assert it["status"]["S"] == "FAILED" and "gave up after 2 attempts" in it["failureReason"]["S"]
    assert receive(env) == []
    (dead,) = receive(env, env.dlq_url)

    # An operator fixes the cause and redrives the DLQ to the queue: the upload is claimed again and completes.
    env.sqs.send_message(QueueUrl=env.queue_url, MessageBody=dead["body"])
    env.sqs.delete_message(QueueUrl=env.dlq_url, ReceiptHandle=dead["receiptHandle"])
    assert deliver(env, pipeline(env, ffmpeg_exe)) == {"batchItemFailures": []}
    assert item(env, "flaky")["status"]["S"] == "READY"


def test_a_live_claim_is_not_taken_twice_but_an_expired_one_is(env):
    store = VideoStore(env.dynamodb, env.table)
    obj = S3Object(
        env.uploads, f"{PREFIX}lease/x.mp4", 1, "etag", None, "2026-11-22T10:00:00.000Z", "ObjectCreated:Put"
    )
    assert store.claim("lease", obj, lease_seconds=600)
    assert not store.claim("lease", obj, lease_seconds=600)  # a concurrent duplicate while the worker lives
    env.dynamodb.update_item(
        TableName=env.table,
        Key={"videoId": {"S": "lease"}},
        UpdateExpression="SET leaseExpiresAt = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )
    assert store.claim("lease", obj, lease_seconds=600)  # the worker died: the redelivery takes over
    older = replace(obj, etag="older", event_time="2026-11-22T09:00:00.000Z")
    assert not store.claim("lease", older, lease_seconds=600)  # a late event of an older upload


# ---- the MediaConvert backend ------------------------------------------------------------------------

ROLE = "arn:aws:iam::111122223333:role/mediaconvert-transcode"
MEDIA_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def expected_output(name: str, width: int, height: int, max_bitrate: int, quality: int) -> dict[str, Any]:
    return {
        "NameModifier": f"_{name}",
        "ContainerSettings": {"Container": "M3U8", "M3u8Settings": {}},
        "VideoDescription": {
            "Width": width,
            "Height": height,
            "ScalingBehavior": "DEFAULT",
            "CodecSettings": {
                "Codec": "H_264",
                "H264Settings": {
                    "RateControlMode": "QVBR",
                    "QvbrSettings": {"QvbrQualityLevel": quality},
                    "MaxBitrate": max_bitrate,
                    "GopSize": 2,
                    "GopSizeUnits": "SECONDS",
                    "SceneChangeDetect": "TRANSITION_DETECTION",
                    "CodecProfile": "HIGH" if height >= 720 else "MAIN",
                },
            },
        },
        "AudioDescriptions": [
            {
                "AudioSourceName": "Audio Selector 1",
                "CodecSettings": {
                    "Codec": "AAC",
                    "AacSettings": {"Bitrate": 96000, "CodingMode": "CODING_MODE_2_0", "SampleRate": 48000},
                },
            }
        ],
    }


def test_mediaconvert_backend_submits_the_exact_hls_abr_job_and_the_status_function_finishes_it(env):
    key = f"{PREFIX}mc-1/feature film.mov"
    body = b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 64
    upload(env, key, body)
    version = env.s3.head_object(Bucket=env.uploads, Key=key)["VersionId"]
    (obj,) = parse_body(s3_event(env.uploads, key, len(body), version=version))
    prefix = f"hls/mc-1/{__import__('hashlib').sha256(obj.token.encode()).hexdigest()[:12]}"
    expected = {
        "Role": ROLE,
        "UserMetadata": {"videoId": "mc-1", "sourceToken": obj.token},
        "StatusUpdateInterval": "SECONDS_60",
        "Settings": {
            "TimecodeConfig": {"Source": "ZEROBASED"},
            "Inputs": [
                {
                    "FileInput": f"s3://{env.uploads}/{key}",
                    "TimecodeSource": "ZEROBASED",
                    "VideoSelector": {},
                    "AudioSelectors": {"Audio Selector 1": {"DefaultSelection": "DEFAULT"}},
                }
            ],
            "OutputGroups": [
                {
                    "Name": "HLS",
                    "OutputGroupSettings": {
                        "Type": "HLS_GROUP_SETTINGS",
                        "HlsGroupSettings": {
                            "Destination": f"s3://{env.renditions}/{prefix}/master",
                            "SegmentLength": 6,
                            "MinSegmentLength": 0,
                            "SegmentControl": "SEGMENTED_FILES",
                            "DirectoryStructure": "SINGLE_DIRECTORY",
                            "ManifestDurationFormat": "INTEGER",
                            "OutputSelection": "MANIFESTS_AND_SEGMENTS",
                            "StreamInfResolution": "INCLUDE",
                            "CodecSpecification": "RFC_4281",
                            "ProgramDateTime": "EXCLUDE",
                            "DestinationSettings": {
                                "S3Settings": {
                                    "Encryption": {
                                        "EncryptionType": "SERVER_SIDE_ENCRYPTION_KMS",
                                        "KmsKeyArn": MEDIA_KEY,
                                    }
                                }
                            },
                        },
                    },
                    "Outputs": [
                        expected_output("1080p", 1920, 1080, 6_000_000, 8),
                        expected_output("720p", 1280, 720, 3_500_000, 7),
                        expected_output("540p", 960, 540, 2_000_000, 7),
                        expected_output("360p", 640, 360, 1_000_000, 6),
                        expected_output("240p", 426, 240, 500_000, 6),
                    ],
                }
            ],
        },
    }
    request = create_job_request("mc-1", obj, role_arn=ROLE, renditions_bucket=env.renditions, kms_key_arn=MEDIA_KEY)
    assert request == expected
    group = request["Settings"]["OutputGroups"][0]
    assert 3 <= group["OutputGroupSettings"]["HlsGroupSettings"]["SegmentLength"] <= 6
    assert len(group["Outputs"]) >= 4 and max(o["VideoDescription"]["Height"] for o in group["Outputs"]) == 1080

    mediaconvert = boto3.client(
        "mediaconvert",
        region_name="us-east-1",
        endpoint_url="https://abcd1234.mediaconvert.us-east-1.amazonaws.com",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(mediaconvert) as stub:
        # The Stubber checks the call equals `expected` and validates it against the real API model.
        stub.add_response(
            "create_job",
            {"Job": {"Id": "1700000000000-abc123", "Role": ROLE, "Settings": {}, "Status": "SUBMITTED"}},
            expected,
        )
        p = pipeline(
            env,
            backend="mediaconvert",
            segment_seconds=6,  # the stack's segmentDurationSeconds
            mediaconvert_role_arn=ROLE,
            media_kms_key_arn=MEDIA_KEY,
            mediaconvert_client=mediaconvert,
        )
        assert p.process_object(obj) == "submitted"
        assert p.process_object(obj) == "duplicate"  # the job owns the upload: no second job
        stub.assert_no_pending_responses()
    it = item(env, "mc-1")
    assert (it["status"]["S"], it["mediaConvertJobId"]["S"]) == ("PROCESSING", "1700000000000-abc123")

    store = VideoStore(env.dynamodb, env.table)
    complete = {
        "source": "aws.mediaconvert",
        "detail-type": "MediaConvert Job State Change",
        "detail": {
            "status": "COMPLETE",
            "jobId": "1700000000000-abc123",
            "userMetadata": {"videoId": "mc-1", "sourceToken": obj.token},
            "outputGroupDetails": [
                {
                    "type": "HLS_GROUP",
                    "playlistFilePaths": [f"s3://{env.renditions}/{prefix}/master.m3u8"],
                    "outputDetails": [
                        {
                            "outputFilePaths": [f"s3://{env.renditions}/{prefix}/master_{n}.m3u8"],
                            "durationInMs": 60000,
                            "videoDetails": {"widthInPx": w, "heightInPx": h},
                        }
                        for n, w, h in (
                            ("1080p", 1920, 1080),
                            ("720p", 1280, 720),
                            ("540p", 960, 540),
                            ("360p", 640, 360),
                        )
                    ],
                }
            ],
        },
    }
    assert status.handle(complete, store) == "updated"
    it = item(env, "mc-1")
    assert it["status"]["S"] == "READY" and it["masterPlaylistKey"]["S"] == f"{prefix}/master.m3u8"
    assert [r["M"]["name"]["S"] for r in it["renditions"]["L"]] == ["1080p", "720p", "540p", "360p"]
    assert history(it) == ["UPLOADED", "PROCESSING", "READY"]
    assert status.handle(complete, store) == "superseded"  # EventBridge delivers at least once


def test_a_mediaconvert_error_event_ends_failed_with_the_reason(env):
    store = VideoStore(env.dynamodb, env.table)
    obj = S3Object(
        env.uploads, f"{PREFIX}mc-2/x.mp4", 10, "etag", "v9", "2026-11-22T10:00:00.000Z", "ObjectCreated:Put"
    )
    assert store.claim("mc-2", obj, 600)
    error = {
        "detail": {
            "status": "ERROR",
            "jobId": "job-2",
            "errorCode": 1010,
            "errorMessage": "Unable to open input file",
            "userMetadata": {"videoId": "mc-2", "sourceToken": obj.token},
        }
    }
    assert status.handle(error, store) == "updated"
    it = item(env, "mc-2")
    assert it["status"]["S"] == "FAILED"
    assert it["failureReason"]["S"] == "MediaConvert job job-2 failed: 1010 Unable to open input file"
