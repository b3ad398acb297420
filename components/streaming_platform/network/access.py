"""Access contract of the network: the VPC flow log's delivery role."""

from __future__ import annotations

from streaming_platform.access import ACCOUNT, PARTITION, REGION, Expect, Ref, Request, Workload, assume, role_ref


def network_workloads(name: str) -> list[Workload]:
    role = role_ref(f"{name}-flow-log-role")
    group = Ref("aws:cloudwatch/logGroup:LogGroup", f"{name}-flow-logs")
    flow_log = Ref("aws:ec2/flowLog:FlowLog", f"{name}-flow-log", "id")
    other_group = ("arn:", PARTITION, ":logs:", REGION, ":", ACCOUNT, ":log-group:/aws/lambda/another-function")
    return [
        Workload(
            name="vpc-flow-logs",
            principal=role,
            requests=(
                assume(
                    "vpc-flow-logs.amazonaws.com",
                    role,
                    context={
                        "aws:SourceAccount": ACCOUNT,
                        "aws:SourceArn": ("arn:", PARTITION, ":ec2:", REGION, ":", ACCOUNT, ":vpc-flow-log/", flow_log),
                    },
                ),
                Request(
                    label="create a log stream", action="logs:CreateLogStream", resource=(group, ":log-stream:eni-1")
                ),
                Request(
                    label="deliver flow records", action="logs:PutLogEvents", resource=(group, ":log-stream:eni-1")
                ),
                Request(
                    label="write another log group",
                    action="logs:PutLogEvents",
                    resource=(*other_group, ":log-stream:x"),
                    expect=Expect.DENIED,
                ),
                Request(
                    label="delete its log group", action="logs:DeleteLogGroup", resource=group, expect=Expect.DENIED
                ),
            ),
        )
    ]
