"""Transcode the test suite's sample clip with the ffmpeg backend's exact command and print the figures.

    .venv/bin/python -m benchmarks.transcode_sample [--seconds 3] [--size 640x360] [--preset ultrafast]

Prints the wall time of the transcode and every rendition of the master playlist. Not a test: timings
depend on the machine (a Lambda function gets 1 vCPU per 1769 MB of memory).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
from streaming_platform.media.transcoder.ffmpeg_backend import hls_command, parse_master, probe
from streaming_platform.media.transcoder.ladder import rungs_for


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--preset", default="ultrafast")
    parser.add_argument("--segment-seconds", type=int, default=2)
    args = parser.parse_args()
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    with tempfile.TemporaryDirectory() as work:
        clip = Path(work) / "sample.mp4"
        subprocess.run(
            [
                ffmpeg, "-hide_banner", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", f"testsrc2=size={args.size}:rate=24:duration={args.seconds}",
                "-f", "lavfi", "-i", f"sine=frequency=440:duration={args.seconds}",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(clip),
            ],
            check=True,
        )  # fmt: skip
        info = probe(ffmpeg, str(clip))
        out = Path(work) / "hls"
        out.mkdir()
        cmd = hls_command(
            ffmpeg, str(clip), str(out), rungs_for(info.height), info.has_audio, args.segment_seconds, args.preset
        )
        started = time.perf_counter()
        subprocess.run(cmd, check=True)
        elapsed = time.perf_counter() - started
        renditions = parse_master((out / "master.m3u8").read_text(), "hls")
        segments = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.ts"))
        print(f"ffmpeg {imageio_ffmpeg.get_ffmpeg_version()}, preset {args.preset}")
        print(f"source: {info.width}x{info.height}, {info.duration_seconds:.2f} s, audio={info.has_audio}")
        print(f"transcode wall time: {elapsed:.2f} s ({info.duration_seconds / elapsed:.1f}x real time)")
        for r in renditions:
            print(f"  {r.name:>5}: {r.width}x{r.height}, BANDWIDTH={r.bandwidth}")
        print(f"segments: {len(segments)} ({', '.join(segments)})")


if __name__ == "__main__":
    main()
