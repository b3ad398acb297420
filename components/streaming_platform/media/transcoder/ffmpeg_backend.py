"""Transcode inside the function with an ffmpeg binary from a Lambda layer (``/opt/bin/ffmpeg``).

Fits short uploads only: the function and its layers must unzip to at most 250 MB (a static ffmpeg is
~80-170 MB), the source and every rendition must fit in ``/tmp`` (512 MB to 10 GB of ephemeral
storage) and the whole run in 15 minutes. Longer or larger inputs belong to the MediaConvert backend.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from .events import S3Object
from .ladder import AUDIO_BITRATE, PermanentError, Rung, rungs_for
from .store import Rendition

CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t"}
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: .*?(\d{2,5})x(\d{2,5})")
_STREAM_INF = re.compile(r"#EXT-X-STREAM-INF:(.*)")


@dataclass(frozen=True)
class Probe:
    width: int
    height: int
    duration_seconds: float
    has_audio: bool


@dataclass(frozen=True)
class HlsResult:
    master_key: str
    renditions: list[Rendition]
    segment_count: int


def output_prefix(video_id: str, token: str) -> str:
    """Renditions of each upload live under their own prefix, so a re-upload never mixes segments."""
    return f"hls/{video_id}/{hashlib.sha256(token.encode()).hexdigest()[:12]}"


def probe(ffmpeg: str, path: str, timeout: float = 60) -> Probe:
    """Read duration, video size and audio presence from ``ffmpeg -i`` (the layer carries no ffprobe)."""
    proc = subprocess.run(
        [ffmpeg, "-hide_banner", "-nostdin", "-i", path], capture_output=True, text=True, timeout=timeout
    )
    info = proc.stderr
    video = _VIDEO.search(info)
    if "Invalid data found" in info or video is None:
        raise PermanentError("no decodable video stream in the upload")
    duration = _DURATION.search(info)
    seconds = (
        int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3)) if duration else 0.0
    )
    return Probe(
        int(video.group(1)), int(video.group(2)), seconds, re.search(r"Stream #\S+.*?: Audio:", info) is not None
    )


def hls_command(
    ffmpeg: str, source: str, out_dir: str, rungs: list[Rung], has_audio: bool, segment_seconds: int, preset: str
) -> list[str]:
    """One decode, one encode per rung, and ffmpeg's HLS muxer writing every variant plus master.m3u8."""
    n = len(rungs)
    graph = (
        f"[0:v]split={n}"
        + "".join(f"[s{i}]" for i in range(n))
        + ";"
        + ";".join(f"[s{i}]scale=-2:{r.height}[v{i}]" for i, r in enumerate(rungs))
    )
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", source, "-filter_complex", graph]
    for i in range(n):
        cmd += ["-map", f"[v{i}]"]
        if has_audio:
            cmd += ["-map", "0:a:0"]
    cmd += ["-c:v", "libx264", "-preset", preset, "-profile:v", "main", "-pix_fmt", "yuv420p", "-sc_threshold", "0"]
    cmd += ["-force_key_frames", f"expr:gte(t,n_forced*{segment_seconds})"]
    for i, r in enumerate(rungs):
        cmd += [
            f"-b:v:{i}",
            str(r.bitrate),
            f"-maxrate:v:{i}",
            str(r.max_bitrate),
            f"-bufsize:v:{i}",
            str(2 * r.max_bitrate),
        ]
    if has_audio:
        cmd += ["-c:a", "aac", "-b:a", str(AUDIO_BITRATE), "-ac", "2"]
    streams = " ".join(f"v:{i}{f',a:{i}' if has_audio else ''},name:{r.name}" for i, r in enumerate(rungs))
    cmd += [
        "-f", "hls",
        "-hls_time", str(segment_seconds),
        "-hls_playlist_type", "vod",
        "-hls_flags", "independent_segments",
        "-hls_segment_filename", os.path.join(out_dir, "%v", "segment_%05d.ts"),
        "-master_pl_name", "master.m3u8",
        "-var_stream_map", streams,
        os.path.join(out_dir, "%v", "index.m3u8"),
    ]  # fmt: skip
    return cmd


def parse_master(text: str, prefix: str) -> list[Rendition]:
    lines = text.splitlines()
    renditions = []
    for i, line in enumerate(lines):
        match = _STREAM_INF.match(line)
        if not match:
            continue
        attrs = dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', match.group(1)))
        width, height = (int(v) for v in attrs["RESOLUTION"].split("x"))
        uri = lines[i + 1].strip()
        renditions.append(Rendition(uri.split("/")[0], width, height, int(attrs["BANDWIDTH"]), f"{prefix}/{uri}"))
    return renditions


class FfmpegBackend:
    def __init__(
        self,
        s3: Any,
        renditions_bucket: str,
        ffmpeg_path: str = "/opt/bin/ffmpeg",
        work_dir: str = "/tmp",
        segment_seconds: int = 6,
        preset: str = "veryfast",
        seconds_per_video_second: float = 1.0,
    ) -> None:
        self.s3 = s3
        self.bucket = renditions_bucket
        self.ffmpeg = ffmpeg_path
        self.work_dir = work_dir
        self.segment_seconds = segment_seconds
        self.preset = preset
        self.seconds_per_video_second = seconds_per_video_second

    def transcode(self, video_id: str, obj: S3Object, time_budget: Callable[[], float]) -> HlsResult:
        """Download, probe, then encode within ``time_budget()``: the seconds ffmpeg may still run, asked
        after the download (which can take minutes for a large upload). A source whose probed duration
        cannot be encoded in that time, at ``seconds_per_video_second``, fails before any encoding."""
        work = tempfile.mkdtemp(prefix="transcode-", dir=self.work_dir)
        try:
            source = os.path.join(work, "source")
            extra = {"VersionId": obj.version_id} if obj.version_id else None
            try:
                self.s3.download_file(obj.bucket, obj.key, source, ExtraArgs=extra)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NoSuchVersion"):
                    raise PermanentError(f"the upload s3://{obj.bucket}/{obj.key} no longer exists") from exc
                raise
            info = probe(self.ffmpeg, source)
            budget = time_budget()
            needed = info.duration_seconds * self.seconds_per_video_second
            if budget <= 0 or needed > budget:
                raise PermanentError(
                    f"{info.duration_seconds:.0f}s of video needs about {needed:.0f}s to transcode; the function "
                    f"has {max(budget, 0):.0f}s left after the download; use the mediaconvert backend for long uploads"
                )
            rungs = rungs_for(info.height)
            out = os.path.join(work, "hls")
            os.makedirs(out)
            cmd = hls_command(self.ffmpeg, source, out, rungs, info.has_audio, self.segment_seconds, self.preset)
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=budget)
            except subprocess.TimeoutExpired as exc:
                raise PermanentError(
                    f"transcoding {info.duration_seconds:.0f}s of video did not finish within the function's "
                    f"time budget ({budget:.0f}s); use the mediaconvert backend for long uploads"
                ) from exc
            if proc.returncode != 0:
                raise PermanentError(f"ffmpeg failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
            prefix = output_prefix(video_id, obj.token)
            segments = 0
            # Variant playlists and segments first, the master last: a player never sees a master
            # playlist whose variants are missing.
            files = sorted(Path(out).rglob("*"), key=lambda p: p.name == "master.m3u8")
            for path in files:
                if not path.is_file():
                    continue
                key = f"{prefix}/{path.relative_to(out).as_posix()}"
                segments += path.suffix == ".ts"
                self.s3.upload_file(
                    str(path),
                    self.bucket,
                    key,
                    ExtraArgs={"ContentType": CONTENT_TYPES.get(path.suffix, "application/octet-stream")},
                )
            master = (Path(out) / "master.m3u8").read_text()
            return HlsResult(f"{prefix}/master.m3u8", parse_master(master, prefix), segments)
        finally:
            shutil.rmtree(work, ignore_errors=True)
