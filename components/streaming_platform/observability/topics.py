"""AlarmTopics: where the platform's alarms go.

A KMS-encrypted SNS topic in the stack's region, and a second one (with its own key) in us-east-1,
where CloudFront and Route 53 health-check metrics exist and so where their alarms must live. Email
subscriptions come from the caller. Key policy: CloudWatch of this account may use the key (an alarm
cannot publish to an encrypted topic otherwise). Topic policy: only CloudWatch alarms of this account
may publish; nothing may publish without TLS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform.iam import account_admin_statement, policy_document
from streaming_platform.observability.thresholds import EMAIL, US_EAST_1

# ---- policies -------------------------------------------------------------------------------------------


def cloudwatch_uses_key_statement(account: str) -> dict[str, Any]:
    """CloudWatch (alarms of this account) may use the topic key; without it publishing fails silently."""
    return {
        "Sid": "CloudWatchAlarmsUseKeyForEncryptedTopic",
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}},
    }


def alarm_key_policy(partition: str, account: str) -> str:
    return policy_document([account_admin_statement(partition, account), cloudwatch_uses_key_statement(account)])


def alarm_topic_policy(topic_arn: str, partition: str, region: str, account: str) -> str:
    """Only CloudWatch alarms of this account in the topic's region publish; no request without TLS."""
    return policy_document(
        [
            {
                "Sid": "CloudWatchAlarmsOfThisAccountPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account}:alarm:*"},
                },
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    )


# ---- AlarmTopics ----------------------------------------------------------------------------------------


@dataclass
class AlarmTopicsArgs:
    """Inputs of AlarmTopics."""

    region: str
    """The stack's region (``aws:region``). When it is us-east-1 the one topic serves the edge alarms too."""

    email_addresses: Sequence[str] = ()
    """Each address gets an email subscription on every topic; AWS mails a confirmation link first, and
    nothing is delivered until it is clicked. Default: none (alarms still show in CloudWatch)."""

    resource_prefix: str = "streaming"
    """Prefix of fixed physical names: topics ``<prefix>-alarms`` / ``<prefix>-edge-alarms``, key aliases."""

    protect: bool = False
    """Protect and retain the topic keys (a deleted key makes the topics unusable). Default: off."""

    tags: Mapping[str, str] = field(default_factory=dict)


def validate_topic_args(args: AlarmTopicsArgs) -> list[str]:
    problems = [
        f"AlarmTopicsArgs.email_addresses: got {e!r}; allowed: email addresses such as ops@example.com"
        for e in args.email_addresses
        if not EMAIL.match(e)
    ]
    if len(set(args.email_addresses)) != len(args.email_addresses):
        problems.append(f"AlarmTopicsArgs.email_addresses: got {list(args.email_addresses)}; allowed: each once")
    return problems


class AlarmTopics(pulumi.ComponentResource):
    """The SNS topics every alarm notifies: one in the stack's region, one in us-east-1 for edge alarms."""

    topic_arn: pulumi.Output[str]
    """Topic of the stack's region."""
    edge_topic_arn: pulumi.Output[str]
    """Topic in us-east-1 (the same topic when the stack runs there)."""
    key_arn: pulumi.Output[str]
    edge_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlarmTopicsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("streaming:observability:AlarmTopics", name, None, opts)
        problems = validate_topic_args(args)
        if problems:
            raise ValueError("; ".join(problems))
        self._name, self._args = name, args
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._account = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition
        self.key_arn, self.topic_arn = self._topic("", None)
        if args.region == US_EAST_1:
            self.edge_key_arn, self.edge_topic_arn = self.key_arn, self.topic_arn
        else:
            self.edge_key_arn, self.edge_topic_arn = self._topic("edge-", US_EAST_1)
        self.register_outputs(
            {
                "topicArn": self.topic_arn,
                "edgeTopicArn": self.edge_topic_arn,
                "keyArn": self.key_arn,
                "edgeKeyArn": self.edge_key_arn,
            }
        )

    def _topic(self, kind: str, region: str | None) -> tuple[pulumi.Output[str], pulumi.Output[str]]:
        """Key, alias, topic, topic policy and subscriptions in ``region`` (None: the provider's)."""
        name, a = self._name, self._args
        child = pulumi.ResourceOptions(parent=self)
        tags = {**a.tags, "Name": f"{a.resource_prefix}-{kind}alarms"}
        key = aws.kms.Key(
            f"{name}-{kind}key",
            description=f"{name}: {kind.rstrip('-') or 'regional'} alarm topic",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(self._partition, self._account).apply(lambda v: alarm_key_policy(*v)),
            region=region,
            tags={**tags, "DataClass": "alarms"},
            opts=pulumi.ResourceOptions(parent=self, protect=a.protect, retain_on_delete=a.protect),
        )
        aws.kms.Alias(
            f"{name}-{kind}key-alias",
            name=f"alias/{a.resource_prefix}-{kind}alarms",
            target_key_id=key.key_id,
            region=region,
            opts=child,
        )
        topic = aws.sns.Topic(
            f"{name}-{kind}topic",
            name=f"{a.resource_prefix}-{kind}alarms",
            display_name=f"{a.resource_prefix} alarms",
            kms_master_key_id=key.arn,
            region=region,
            tags=tags,
            opts=child,
        )
        region_name = region or aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        aws.sns.TopicPolicy(
            f"{name}-{kind}topic-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, self._partition, region_name, self._account).apply(
                lambda v: alarm_topic_policy(*v)
            ),
            region=region,
            opts=child,
        )
        for email in a.email_addresses:
            digest = hashlib.sha256(email.lower().encode()).hexdigest()[:8]
            aws.sns.TopicSubscription(
                f"{name}-{kind}email-{digest}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                region=region,
                opts=child,
            )
        return key.arn, topic.arn
