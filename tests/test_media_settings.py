"""Every media-pipeline settings rule rejects a bad value naming the key, the value and what is allowed."""

from __future__ import annotations

import pytest
from streaming_platform.media.pipeline import TranscodeBackend

from settings import parse
from settings.media import FFMPEG_LAYER_ZIP
from tests.test_settings import US_EAST_2, US_WEST_2, problems, raw_config


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"transcodeBackend": "elastic"}, "streaming:transcodeBackend: got 'elastic'; allowed: mediaconvert | ffmpeg"),
        (
            {"ffmpegLayerArn": "ffmpeg:1"},
            "streaming:ffmpegLayerArn: got 'ffmpeg:1'; allowed: a Lambda layer version ARN",
        ),
        (
            {"ffmpegLayerArn": "arn:aws:lambda:us-east-2:111122223333:layer:ffmpeg"},
            "streaming:ffmpegLayerArn: got 'arn:aws:lambda:us-east-2:111122223333:layer:ffmpeg'; allowed: a Lambda",
        ),
        ({"uploadPrefix": "uploads"}, "streaming:uploadPrefix: got 'uploads'; allowed: a key prefix ending in '/'"),
        ({"uploadPrefix": "/uploads/"}, "streaming:uploadPrefix: got '/uploads/'; allowed: a key prefix"),
        ({"uploadSuffixes": ["mp4"]}, "streaming:uploadSuffixes: got ['mp4']; allowed: one or more suffixes such as"),
        ({"uploadSuffixes": []}, "streaming:uploadSuffixes: got []; allowed: one or more suffixes such as .mp4"),
        ({"uploadSuffixes": [".mp4", ".mp4"]}, "streaming:uploadSuffixes: got ['.mp4', '.mp4']; allowed: one or more"),
        (
            {"uploadSuffixes": [".mov", ".MOV"]},
            "streaming:uploadSuffixes: got ['.mov', '.MOV']; allowed: one or more suffixes such as .mp4 (a dot, then "
            "1-10 letters or digits), distinct ignoring case",
        ),
        ({"segmentDurationSeconds": 1}, "streaming:segmentDurationSeconds: got 1; allowed: an integer from 2 to 10"),
        ({"segmentDurationSeconds": 11}, "streaming:segmentDurationSeconds: got 11; allowed: an integer from 2 to 10"),
        (
            {"segmentDurationSeconds": 4, "edgeManifestTtlSeconds": 3},
            "streaming:edgeManifestTtlSeconds: got 3; allowed: at most half of segmentDurationSeconds (4 -> 2)",
        ),
        ({"maxUploadSizeMb": 0}, "streaming:maxUploadSizeMb: got 0; allowed: an integer from 1 to 102400"),
        ({"maxUploadSizeMb": 4096}, "streaming:maxUploadSizeMb: got 4096; allowed: at most 3072 when transcodeBackend"),
        ({"transcodeBatchSize": 0}, "streaming:transcodeBatchSize: got 0; allowed: an integer from 1 to 10"),
        ({"transcodeBatchSize": 11}, "streaming:transcodeBatchSize: got 11; allowed: an integer from 1 to 10"),
        (
            {"transcodeMaxConcurrency": 1},
            "streaming:transcodeMaxConcurrency: got 1; allowed: an integer from 2 to 1000",
        ),
        ({"transcodeMaxConcurrency": 1001}, "streaming:transcodeMaxConcurrency: got 1001; allowed: an integer from 2"),
        (
            {"transcodeReservedConcurrency": 1},
            "streaming:transcodeReservedConcurrency: got 1; allowed: an integer from 2 to 1000",
        ),
        (
            {"transcodeReservedConcurrency": 1001},
            "streaming:transcodeReservedConcurrency: got 1001; allowed: an integer",
        ),
        (
            {"transcodeTimeoutSeconds": 59},
            "streaming:transcodeTimeoutSeconds: got 59; allowed: an integer from 60 to 900",
        ),
        ({"transcodeTimeoutSeconds": 901}, "streaming:transcodeTimeoutSeconds: got 901; allowed: an integer from 60"),
        ({"transcodeMemoryMb": 64}, "streaming:transcodeMemoryMb: got 64; allowed: an integer from 128 to 10240"),
        (
            {"transcodeMaxReceiveCount": 0},
            "streaming:transcodeMaxReceiveCount: got 0; allowed: an integer from 1 to 100",
        ),
        ({"dlqDepthAlarmThreshold": 0}, "streaming:dlqDepthAlarmThreshold: got 0; allowed: an integer of 1 or more"),
        (
            {"oldestUploadAgeAlarmSeconds": 30},
            "streaming:oldestUploadAgeAlarmSeconds: got 30; allowed: an integer from 60",
        ),
    ],
)
def test_each_media_rule_rejects_a_bad_value_naming_the_key(overrides, expected):
    found = problems("dev", **overrides)
    assert any(p.startswith(expected) for p in found), found


def test_mediaconvert_accepts_large_uploads_and_needs_no_layer():
    settings = parse(
        raw_config("dev", transcodeBackend="mediaconvert", ffmpegLayerArn=None, maxUploadSizeMb=51200),
        stack="dev",
        region_azs=US_EAST_2,
    )
    assert settings.media.backend is TranscodeBackend.MEDIACONVERT
    transcode = settings.media.plain_args()["transcode"]
    assert transcode.ffmpeg_layer_arn is None and transcode.max_upload_bytes == 51200 * 1024**2


def test_dev_and_prod_media_settings(recording):
    dev = parse(raw_config("dev"), stack="dev", region_azs=US_EAST_2).media
    assert dev.backend is TranscodeBackend.FFMPEG
    assert dev.ffmpeg_layer_arn == ""  # the stack publishes build/ffmpeg-layer.zip
    assert dev.plain_args()["transcode"].ffmpeg_layer_zip == str(FFMPEG_LAYER_ZIP) and dev.segment_duration_seconds == 6
    assert (dev.maximum_concurrency, dev.reserved_concurrency, dev.function_timeout_seconds) == (2, 2, 900)
    prod = parse(raw_config("prod"), stack="prod", region_azs=US_WEST_2).media
    assert prod.backend is TranscodeBackend.MEDIACONVERT
    assert (prod.maximum_concurrency, prod.reserved_concurrency, prod.function_timeout_seconds) == (50, 50, 300)
    assert prod.upload_suffixes == (".mp4", ".mov", ".mkv", ".webm") and prod.max_receive_count == 5
    assert prod.plain_args()["transcode"].ffmpeg_layer_zip is None


def test_the_ffmpeg_backend_without_an_arn_needs_the_built_layer_zip(monkeypatch, tmp_path):
    import settings.media

    monkeypatch.setattr(settings.media, "FFMPEG_LAYER_ZIP", tmp_path / "missing.zip")
    assert problems("dev", ffmpegLayerArn=None) == [
        "streaming:ffmpegLayerArn: got ''; allowed: a Lambda layer version ARN with bin/ffmpeg, or the layer zip the "
        "stack publishes (build/ffmpeg-layer.zip is missing: run make ffmpeg-layer) when transcodeBackend is ffmpeg"
    ]


def test_a_component_check_on_a_grouped_field_names_the_config_key():
    # MediaPipelineArgs checks upload_prefix under TranscodeOptions; the message still names the key that sets it.
    assert problems("dev", uploadPrefix="layers/x/") == [
        "streaming:uploadPrefix: got 'layers/x/'; allowed: a prefix outside layers/ (the ffmpeg layer's place)"
    ]
