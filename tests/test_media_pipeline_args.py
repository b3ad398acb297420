"""MediaPipelineArgs: every contradiction is rejected naming the argument, the value and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest
from streaming_platform.media.pipeline import MediaPipelineArgs, TranscodeBackend, validate_args

# ---- argument validation -------------------------------------------------------------------------------------


def _args(**overrides: Any) -> MediaPipelineArgs:
    base: dict[str, Any] = {
        name: "x"
        for name in (
            "vpc_id",
            "uploads_bucket_name",
            "uploads_bucket_arn",
            "renditions_bucket_name",
            "renditions_bucket_arn",
            "media_key_arn",
            "data_key_arn",
            "logs_key_arn",
            "video_table_name",
            "video_table_arn",
        )
    }
    base |= {"app_subnet_ids": ["a", "b"], "availability_zones": ["az1", "az2"]}
    return MediaPipelineArgs(**(base | overrides))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"backend": TranscodeBackend.FFMPEG}, "ffmpeg_layer_zip: got None; allowed: the path of a layer zip"),
        (
            {"backend": TranscodeBackend.FFMPEG, "ffmpeg_layer_zip": "/nonexistent/layer.zip"},
            "ffmpeg_layer_zip: got '/nonexistent/layer.zip'; allowed: an existing file (make ffmpeg-layer builds it)",
        ),
        ({"upload_prefix": "layers/videos/"}, "upload_prefix: got 'layers/videos/'; allowed: a prefix outside layers/"),
        ({"upload_suffixes": [".mov", ".MOV"]}, "upload_suffixes: got ['.mov', '.MOV']; allowed: distinct suffixes"),
        ({"segment_duration_seconds": 1}, "segment_duration_seconds: got 1; allowed: 2 to 10"),
        ({"ffmpeg_layer_arn": "ffmpeg:1"}, "ffmpeg_layer_arn: got 'ffmpeg:1'; allowed: arn:aws:lambda:"),
        (
            {"availability_zones": ["az1"], "app_subnet_ids": ["a"]},
            "availability_zones: got ['az1']; allowed: at least 2",
        ),
        ({"maximum_concurrency": 1}, "maximum_concurrency: got 1; allowed: 2 to 1000"),
        ({"maximum_concurrency": 20}, "reserved_concurrency: got 10; allowed: at least maximum_concurrency (20)"),
        ({"function_timeout_seconds": 901}, "function_timeout_seconds: got 901; allowed: 60 to 900"),
        ({"upload_prefix": "uploads"}, "upload_prefix: got 'uploads'; allowed: a key prefix ending in '/'"),
        ({"upload_suffixes": ["mp4"]}, "upload_suffixes: got ['mp4']; allowed: one or more suffixes"),
        ({"ephemeral_storage_mb": 100}, "ephemeral_storage_mb: got 100; allowed: 512 to 10240"),
    ],
)
def test_contradictory_args_are_rejected_naming_the_argument(overrides, expected):
    assert any(expected in p for p in validate_args(_args(**overrides))), validate_args(_args(**overrides))


def test_default_args_are_valid():
    assert validate_args(_args()) == []
