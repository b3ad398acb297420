"""moto server on loopback (real HTTP: boto3 reaches it through AWS_ENDPOINT_URL, as a user's would reach AWS),
reset before each test, and botocore Stubbers for the APIs moto 5.2.5 lacks."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.server import ThreadedMotoServer

REGION = "us-west-2"
MOTO_ACCOUNT = "123456789012"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def account(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> boto3.Session:
    """A fresh moto account (state reset), reached the way the CLI reaches AWS: the default credential chain and
    AWS_ENDPOINT_URL."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")).read()
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return boto3.Session()


class Stubs:
    """Stubbed clients by service; ``verify()`` checks each got exactly the calls queued."""

    def __init__(self, session: boto3.Session) -> None:
        self.session = session
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}

    def __call__(self, service: str) -> Stubber:
        if service not in self.stubbers:
            client = self.session.client(service, region_name=REGION)
            self.clients[service] = client
            self.stubbers[service] = Stubber(client)
            self.stubbers[service].activate()
        return self.stubbers[service]

    def verify(self) -> None:
        for s in self.stubbers.values():
            s.assert_no_pending_responses()


@pytest.fixture
def stubs(account: boto3.Session) -> Iterator[Stubs]:
    s = Stubs(account)
    yield s
    for stubber in s.stubbers.values():
        stubber.deactivate()
