"""The default image's contract, under the real nginx binary (Debian's nginx-light): the shipped configuration,
started by the task definition's own command as the container user 10001, on a layout where the only writable
path is the task's /tmp mount. It answers the health path with 200 and everything else with 503, writes only
under /tmp, and, on a root-owned 0755 mount (what Fargate gives a bind mount when the image declares no
VOLUME), cannot start until tmp-init's command (run as root with every capability dropped) has opened it.

The default image itself (nginx-unprivileged, NGINX 1.26 on Debian bookworm) is not pulled here (no registry in
the test environment); Debian bookworm's nginx 1.22 reads the same configuration language, and the image's
differences from the Debian package (its own nginx.conf, entrypoint scripts) are bypassed by the command.
Needs ``nginx`` on PATH or unpacked by ``make nginx`` into build/nginx (``make test`` does); the ownership cases
also need root (to create a root-owned mount and to switch to 10001), as a container runtime does.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from streaming_platform.app.common import CONTAINER_PORT, CONTAINER_USER, HEALTH_CHECK_PATH
from streaming_platform.app.images import (
    DEFAULT_SERVER_CONFIG_ENV,
    TMP_INIT_COMMAND,
    default_server_command,
    default_server_config,
)

_UNPACKED = Path(__file__).resolve().parents[1] / "build" / "nginx" / "usr" / "sbin" / "nginx"  # `make nginx`
NGINX = shutil.which("nginx") or next((str(p) for p in (Path("/usr/sbin/nginx"), _UNPACKED) if p.exists()), None)
UID, GID = (int(part) for part in CONTAINER_USER.split(":"))
ROOT = os.geteuid() == 0

if NGINX is None and os.environ.get("CI"):  # CI runs `make test`, which unpacks it: a skip there would hide a loss
    raise RuntimeError("nginx is missing: `make nginx` unpacks Debian's nginx into build/nginx")
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (`make nginx` unpacks Debian's)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_container_user() -> None:  # pragma: no cover - runs in the child
    os.setgroups([])
    os.setgid(GID)
    os.setuid(UID)


def _start(tmp: Path, port: int, service: str = "frontend") -> subprocess.Popen[bytes]:
    """The container's command (``default_server_command``), with its config in the environment as the task
    definition passes it; /tmp and 8080 moved to ``tmp`` and ``port``."""
    command = default_server_command(f"{tmp}/nginx.conf")
    env = {
        "PATH": f"{Path(NGINX or 'nginx').parent}:/usr/bin:/bin",
        DEFAULT_SERVER_CONFIG_ENV: default_server_config(service, port=port, tmp_dir=str(tmp)),
    }
    return subprocess.Popen(
        command,
        env=env,
        cwd="/",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_as_container_user if ROOT else None,  # the runtime's user switch
    )


def _wait_listening(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"nginx exited {server.returncode}: {server.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nginx did not listen within 10 s")


def _get(port: int, path: str) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


@pytest.fixture
def task_root() -> Iterator[Path]:
    """A directory under /tmp the container user can traverse (pytest's tmp_path sits under a 0700 parent)."""
    root = Path(tempfile.mkdtemp(prefix="default-image-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root)


@pytest.fixture
def tmp_mount(task_root: Path) -> Path:
    """The task's /tmp once writable: empty, mode 1777."""
    mount = task_root / "tmp"
    mount.mkdir()
    mount.chmod(0o1777)
    return mount


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=10)


def test_the_shipped_config_is_the_container_contract():
    config = default_server_config("api")
    assert f"listen {CONTAINER_PORT} default_server;" in config
    assert f"location = {HEALTH_CHECK_PATH} {{" in config
    assert "pid /tmp/nginx.pid;" in config and "daemon off;" in config
    assert "@@" not in config.replace("@@PLACEHOLDERS@@", "")


def test_default_server_answers_health_with_200_and_everything_else_with_503(tmp_mount):
    port = _free_port()
    server = _start(tmp_mount, port)
    try:
        _wait_listening(port, server)
        assert _get(port, HEALTH_CHECK_PATH)[:2] == (200, "ok\n")
        for path in ("/", "/stream/x.m3u8", "/watch/abc", "/api/videos"):
            status, body, headers = _get(port, path)
            assert (status, body) == (503, "frontend: no application image deployed yet\n"), path
            assert headers["Retry-After"] == "300"
            assert "nginx/" not in headers.get("Server", "")  # server_tokens off
    finally:
        _stop(server)
    assert server.returncode == 0


def test_default_server_writes_only_under_tmp(tmp_mount):
    port = _free_port()
    server = _start(tmp_mount, port)
    try:
        _wait_listening(port, server)
        _get(port, HEALTH_CHECK_PATH)
        written = sorted(p.name for p in tmp_mount.iterdir())
        owners = {p.stat().st_uid for p in tmp_mount.iterdir()}
    finally:
        _stop(server)
    assert written == [
        "client_temp",
        "fastcgi_temp",
        "nginx.conf",
        "nginx.pid",
        "proxy_temp",
        "scgi_temp",
        "uwsgi_temp",
    ]
    assert owners == ({UID} if ROOT else {os.geteuid()})


@pytest.mark.skipif(not ROOT, reason="needs root to create a root-owned mount and to run as 10001")
def test_a_root_owned_tmp_mount_stops_the_server_until_tmp_init_opens_it(task_root):
    mount = task_root / "tmp"
    mount.mkdir()
    os.chown(mount, 0, 0)
    mount.chmod(0o755)  # Fargate's bind mount without a VOLUME in the image
    port = _free_port()
    refused = _start(mount, port)
    refused.wait(timeout=10)
    assert refused.returncode != 0 and b"Permission denied" in refused.stderr.read()  # type: ignore[union-attr]

    # tmp-init: root, every capability dropped (the container's linuxParameters), the task definition's command.
    setpriv = shutil.which("setpriv")
    assert setpriv, "util-linux setpriv is needed to drop capabilities"
    subprocess.run(
        [setpriv, "--bounding-set=-all", "--inh-caps=-all", TMP_INIT_COMMAND[0], *TMP_INIT_COMMAND[1:-1], str(mount)],
        check=True,
        timeout=10,
    )
    assert mount.stat().st_mode & 0o7777 == 0o1777 and mount.stat().st_uid == 0

    server = _start(mount, port)
    try:
        _wait_listening(port, server)
        assert _get(port, HEALTH_CHECK_PATH)[0] == 200
    finally:
        _stop(server)
