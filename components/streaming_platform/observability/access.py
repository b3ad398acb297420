"""Access contract of the alarm topics: CloudWatch alarms publishing to the encrypted topics."""

from __future__ import annotations

from streaming_platform.access import ACCOUNT, PARTITION, Expect, Ref, Request, Value, Workload, key_ref

OTHER_ACCOUNT = "444455556666"


def observability_workloads(name: str, *, topics: dict[str, str]) -> list[Workload]:
    """``topics``: the topic's kind prefix (``""`` regional, ``"edge-"`` us-east-1) -> the region it lives in."""
    requests: list[Request] = []
    for kind, region in topics.items():
        topic = Ref("aws:sns/topic:Topic", f"{name}-{kind}topic")
        alarm: Value = ("arn:", PARTITION, f":cloudwatch:{region}:", ACCOUNT, ":alarm:some-alarm")
        source = {"aws:SourceArn": alarm, "aws:SourceAccount": ACCOUNT}
        label = kind.rstrip("-") or "regional"
        requests += [
            Request(label=f"publish an alarm ({label})", action="sns:Publish", resource=topic, context=source),
            *(
                Request(
                    label=f"{a} on the {label} topic key",
                    action=a,
                    resource=key_ref(f"{name}-{kind}key"),
                    context={**source, "kms:ViaService": f"sns.{region}.amazonaws.com"},
                )
                for a in ("kms:GenerateDataKey", "kms:Decrypt")
            ),
            Request(
                label=f"publish for another account ({label})",
                action="sns:Publish",
                resource=topic,
                context={
                    "aws:SourceArn": f"arn:aws:cloudwatch:{region}:{OTHER_ACCOUNT}:alarm:x",
                    "aws:SourceAccount": OTHER_ACCOUNT,
                },
                expect=Expect.DENIED,
            ),
            Request(
                label=f"publish over plain HTTP ({label})",
                action="sns:Publish",
                resource=topic,
                context={**source, "aws:SecureTransport": "false"},
                expect=Expect.DENIED,
            ),
        ]
    return [Workload(name="cloudwatch-alarms", principal="cloudwatch.amazonaws.com", requests=tuple(requests))]
