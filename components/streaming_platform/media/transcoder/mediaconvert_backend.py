"""Submit the transcode to AWS Elemental MediaConvert: an HLS ABR ladder with QVBR rate control.

For long or large uploads (beyond what fits the function's 15 minutes and ``/tmp``). The job runs under
its own IAM role (read uploads, write renditions, use the media key); the function only needs
``mediaconvert:CreateJob`` and ``iam:PassRole`` on that role. The job's COMPLETE / ERROR event reaches
``status.handler`` through EventBridge, which moves the video to READY or FAILED.
"""

from __future__ import annotations

from typing import Any

from .events import S3Object
from .ffmpeg_backend import output_prefix
from .ladder import AUDIO_BITRATE, MEDIACONVERT_LADDER, Rung

SEGMENT_SECONDS = 6  # the stack passes its one segment length (SEGMENT_SECONDS in the environment)
AUDIO_SELECTOR = "Audio Selector 1"


def gop_seconds(segment_seconds: int) -> int:
    """2 s GOPs when they divide the segment, else 1 s: every segment then starts on a GOP boundary."""
    return 2 if segment_seconds % 2 == 0 else 1


def _output(rung: Rung, segment_seconds: int) -> dict[str, Any]:
    return {
        "NameModifier": f"_{rung.name}",
        "ContainerSettings": {"Container": "M3U8", "M3u8Settings": {}},
        "VideoDescription": {
            "Width": rung.width,
            "Height": rung.height,
            "ScalingBehavior": "DEFAULT",
            "CodecSettings": {
                "Codec": "H_264",
                "H264Settings": {
                    "RateControlMode": "QVBR",
                    "QvbrSettings": {"QvbrQualityLevel": rung.qvbr_quality},
                    "MaxBitrate": rung.max_bitrate,
                    "GopSize": gop_seconds(segment_seconds),
                    "GopSizeUnits": "SECONDS",
                    "SceneChangeDetect": "TRANSITION_DETECTION",
                    "CodecProfile": "HIGH" if rung.height >= 720 else "MAIN",
                },
            },
        },
        "AudioDescriptions": [
            {
                "AudioSourceName": AUDIO_SELECTOR,
                "CodecSettings": {
                    "Codec": "AAC",
                    "AacSettings": {"Bitrate": AUDIO_BITRATE, "CodingMode": "CODING_MODE_2_0", "SampleRate": 48000},
                },
            }
        ],
    }


def create_job_request(
    video_id: str,
    obj: S3Object,
    *,
    role_arn: str,
    renditions_bucket: str,
    kms_key_arn: str | None,
    queue_arn: str | None = None,
    segment_seconds: int = SEGMENT_SECONDS,
) -> dict[str, Any]:
    """The exact CreateJob parameters for one upload (pure, so tests can pin them)."""
    destination = f"s3://{renditions_bucket}/{output_prefix(video_id, obj.token)}/master"  # + .m3u8
    group: dict[str, Any] = {
        "Type": "HLS_GROUP_SETTINGS",
        "HlsGroupSettings": {
            "Destination": destination,
            "SegmentLength": segment_seconds,
            "MinSegmentLength": 0,
            "SegmentControl": "SEGMENTED_FILES",
            "DirectoryStructure": "SINGLE_DIRECTORY",
            "ManifestDurationFormat": "INTEGER",
            "OutputSelection": "MANIFESTS_AND_SEGMENTS",
            "StreamInfResolution": "INCLUDE",
            "CodecSpecification": "RFC_4281",
            "ProgramDateTime": "EXCLUDE",
        },
    }
    if kms_key_arn:
        group["HlsGroupSettings"]["DestinationSettings"] = {
            "S3Settings": {"Encryption": {"EncryptionType": "SERVER_SIDE_ENCRYPTION_KMS", "KmsKeyArn": kms_key_arn}}
        }
    source = f"s3://{obj.bucket}/{obj.key}"
    request: dict[str, Any] = {
        "Role": role_arn,
        "UserMetadata": {"videoId": video_id, "sourceToken": obj.token},
        "StatusUpdateInterval": "SECONDS_60",
        "Settings": {
            "TimecodeConfig": {"Source": "ZEROBASED"},
            "Inputs": [
                {
                    "FileInput": source,
                    "TimecodeSource": "ZEROBASED",
                    "VideoSelector": {},
                    "AudioSelectors": {AUDIO_SELECTOR: {"DefaultSelection": "DEFAULT"}},
                }
            ],
            "OutputGroups": [
                {
                    "Name": "HLS",
                    "OutputGroupSettings": group,
                    "Outputs": [_output(r, segment_seconds) for r in MEDIACONVERT_LADDER],
                }
            ],
        },
    }
    if queue_arn:
        request["Queue"] = queue_arn
    return request


class MediaConvertBackend:
    def __init__(
        self,
        client: Any,
        role_arn: str,
        renditions_bucket: str,
        kms_key_arn: str | None,
        queue_arn: str | None = None,
        segment_seconds: int = SEGMENT_SECONDS,
    ) -> None:
        self.client = client
        self.role_arn = role_arn
        self.bucket = renditions_bucket
        self.kms_key_arn = kms_key_arn
        self.queue_arn = queue_arn
        self.segment_seconds = segment_seconds

    def submit(self, video_id: str, obj: S3Object) -> str:
        request = create_job_request(
            video_id,
            obj,
            role_arn=self.role_arn,
            renditions_bucket=self.bucket,
            kms_key_arn=self.kms_key_arn,
            queue_arn=self.queue_arn,
            segment_seconds=self.segment_seconds,
        )
        return str(self.client.create_job(**request)["Job"]["Id"])
