"""A moto server with IAM enforcement on, for the transcoder's tests under its real role policy.

Run as a separate process (``python -m tests.functions.iam_moto_server``): moto's authorization switch and its
request counter are process-wide, so an in-process server would enforce IAM on every other test too. The
environment sets ``INITIAL_NO_AUTH_ACTION_COUNT`` (moto authorizes every request after that many) and
``MOTO_ACCOUNT_ID`` (the stack's account, so the ARNs moto gives match the recorded policy's).

One shim: moto authorizes DynamoDB calls against Resource ``*`` (its DynamoDB handler names no resource), which
no resource-scoped statement matches. AWS authorizes them against the table's ARN (Service Authorization
Reference, Amazon DynamoDB: the ``table`` resource type), so the handler is given that ARN here.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from moto.dynamodb.responses import DynamoHandler
from moto.server import ThreadedMotoServer


def _table_arn(self: Any) -> str:
    table = (getattr(self, "params", None) or {}).get("TableName", "*")
    return f"arn:aws:dynamodb:{self.region}:{self.current_account}:table/{table}"


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    DynamoHandler._determine_resource = _table_arn  # type: ignore[attr-defined]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    sys.stdin.read()  # until the test closes our stdin
    server.stop()


if __name__ == "__main__":
    main()
