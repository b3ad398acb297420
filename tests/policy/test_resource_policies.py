"""What counts as public, as full admin, and as an entry point's access log: table tests on the pure functions,
and the alternatives the rules accept, through the real pack process."""

from __future__ import annotations

import pytest

from .platform import platform

ACCOUNT = "123456789012"


def _allow_all(condition: dict | None = None, principal: object = "*", effect: str = "Allow") -> dict:
    st: dict = {"Sid": "s", "Effect": effect, "Principal": principal, "Action": "sqs:SendMessage", "Resource": "*"}
    if condition is not None:
        st["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [st]}


@pytest.mark.parametrize(
    "doc,public",
    [
        (_allow_all(), True),
        (_allow_all(principal={"AWS": "*"}), True),
        (_allow_all(principal={"AWS": [f"arn:aws:iam::{ACCOUNT}:root", "*"]}), True),
        (_allow_all(effect="Deny", condition={"Bool": {"aws:SecureTransport": "false"}}), False),
        (_allow_all(principal={"Service": "s3.amazonaws.com"}), False),
        (_allow_all({"StringEquals": {"aws:SourceAccount": ACCOUNT}}), False),
        (_allow_all({"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}), False),
        (_allow_all({"StringEquals": {"kms:CallerAccount": ACCOUNT}}), False),
        (_allow_all({"ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:us-west-2:{ACCOUNT}:alarm:*"}}), False),
        (_allow_all({"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::uploads"}}), False),
        # wildcards, variables, operators and keys that do not restrict
        (_allow_all({"StringEquals": {"aws:SourceAccount": "*"}}), True),
        (_allow_all({"StringEquals": {"aws:SourceAccount": "12345678901?"}}), True),
        (_allow_all({"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}}), True),
        (_allow_all({"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-west-2:*:alarm:*"}}), True),
        (_allow_all({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}), True),
        (_allow_all({"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}), True),
        (_allow_all({"StringNotEquals": {"aws:SourceAccount": ACCOUNT}}), True),
        (_allow_all({"StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}}), True),
        (_allow_all({"StringEquals": {"aws:SourceAccount": []}}), True),
        (
            {"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "sqs:*", "Resource": "*"}]},
            True,
        ),
    ],
)
def test_public_grants(doc: dict, public: bool) -> None:
    from streaming_policies.resource_policies import public_grants

    assert bool(public_grants(doc)) is public, public_grants(doc)


@pytest.mark.parametrize(
    "statement,admin",
    [
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, True),
        ({"Effect": "Allow", "Action": ["s3:GetObject", "*:*"], "Resource": "*"}, True),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, True),
        ({"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}, False),
        ({"Effect": "Deny", "Action": "*", "Resource": "*"}, False),
        ({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, False),  # service-wide: not judged by this rule
        ({"Effect": "Allow", "Action": ["sqs:ReceiveMessage"], "Resource": "*"}, False),
    ],
)
def test_full_admin(statement: dict, admin: bool) -> None:
    from streaming_policies.iam import full_admin

    assert bool(full_admin({"Statement": [statement]})) is admin


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_cloudfront_standard_logging_v2_is_access_logging(run_pack, preview: bool) -> None:
    """A v2 log delivery (source for the distribution's ACCESS_LOGS, and a delivery from it) replaces
    loggingConfig; a source without a delivery, or for another log type, does not."""
    b = platform("prod", preview)
    b.set("cdn", loggingConfig=None)
    src = b.add(
        "aws:cloudwatch/logDeliverySource:LogDeliverySource",
        "cdn-logs-source",
        name="cdn-access",
        logType="ACCESS_LOGS",
        resourceArn=b.ref(b["cdn"], "arn"),
    )
    # The distribution no longer logs to the log bucket: its SSE-S3 exception then rests on the ALB alone.
    delivery = b.add(
        "aws:cloudwatch/logDelivery:LogDelivery",
        "cdn-logs-delivery",
        deliverySourceName=b.ref(src, "name"),
        deliveryDestinationArn=f"arn:aws:logs:us-east-1:{ACCOUNT}:delivery-destination:cdn",
    )
    assert run_pack(b).for_policy("entry-point-access-logs") == []
    b.remove(delivery.name)
    (d,) = run_pack(b).for_policy("entry-point-access-logs")
    assert d.level == "mandatory" and d.resource_name == "cdn"
    b.set(src.name, logType="CONNECTION_LOGS")
    b.add(
        "aws:cloudwatch/logDelivery:LogDelivery",
        "cdn-logs-delivery",
        deliverySourceName=b.ref(src, "name"),
        deliveryDestinationArn=f"arn:aws:logs:us-east-1:{ACCOUNT}:delivery-destination:cdn",
    )
    (d,) = run_pack(b).for_policy("entry-point-access-logs")
    assert "no loggingConfig bucket and no ACCESS_LOGS log delivery source" in d.detail


def test_a_key_policy_unknown_in_preview_is_advisory_not_a_pass(run_pack) -> None:
    """A policy computed from outputs is unknown on a new stack: "can't run during preview", never compliant."""
    b = platform("prod", True)
    b.set("data-key", policy=b.computed(lambda arn: arn, b.ref(b["data-key"], "arn")))
    report = run_pack(b)
    (d,) = report.for_policy("resource-policies-not-public")
    assert d.unknown and d.level == "advisory" and "data-key.policy" in d.message
