"""DataKeys: one customer-managed KMS key per data class, in the tier's region and where its replicas live.

``data`` (RDS, DynamoDB, ElastiCache, Secrets Manager), ``logs`` (the tier's CloudWatch log groups) and
``media`` (the S3 uploads and renditions); with a DR region a ``media`` key there for the bucket replicas, and
a ``data`` key in every DynamoDB replica region. Each key rotates yearly, keeps a 30-day deletion window and
has the alias ``alias/<resource_prefix>-<data class>`` in its region.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.iam import account_admin_statement, cloudwatch_logs_statement, policy_document


@dataclass
class DataKeysArgs:
    """Inputs of DataKeys."""

    resource_prefix: str = "streaming"
    """Prefix of the aliases (``alias/<prefix>-<data class>``). Default: ``streaming``; make it unique per account
    and region, since two stacks with the same prefix cannot both own an alias."""
    replication_role_arn: pulumi.Input[str] | None = None
    """The S3 replication role; the media key lets it decrypt source objects through S3. Default: None; no
    replication grant (set it together with ``dr_region``)."""
    dr_region: str | None = None
    """Region of the bucket replicas: a ``media`` key there that CloudFront may decrypt with (the edge fails over
    to the replica). Default: None; no key outside the tier's region for media."""
    dynamodb_replica_regions: Sequence[str] = ()
    """One ``data`` key per global-table replica region. Default: none."""
    protect: bool = False
    """Protect and retain every key. Default: off (dev can be torn down; KMS still waits 30 days to delete)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every key, with ``Name`` and ``DataClass`` added. Default: none."""


def _cloudfront_decrypt(partition: str, account: str) -> dict[str, Any]:
    return {
        "Sid": "CloudFrontReadsThroughOriginAccessControl",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "kms:Decrypt",
        "Resource": "*",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudfront::{account}:distribution/*"}},
    }


class DataKeys(StreamingComponent):
    """The tier's KMS keys and their aliases."""

    key_arns: dict[str, pulumi.Output[str]]
    """By data class (``data``, ``logs``, ``media``); keys in other regions as f"{class}-{region}"."""

    def __init__(
        self,
        name: str,
        args: DataKeysArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: pulumi.Resource | None = None,
    ) -> None:
        super().__init__(
            "streaming:data:DataKeys", name, protect=args.protect, tags=args.tags, opts=opts, moved_from=moved_from
        )
        self._prefix = args.resource_prefix
        self.key_arns = {}
        media = [self._cloudfront_decrypt_statement()]
        if args.replication_role_arn is not None:
            media.append(
                pulumi.Output.all(args.replication_role_arn, self.region).apply(
                    lambda a: {
                        "Sid": "S3ReplicationReadsSourceObjects",
                        "Effect": "Allow",
                        "Principal": {"AWS": a[0]},
                        "Action": "kms:Decrypt",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{a[1]}.amazonaws.com"}},
                    }
                )
            )
        logs = pulumi.Output.all(self.partition, self.account, self.region).apply(
            lambda a: cloudwatch_logs_statement(*a)
        )
        self._key("data", "RDS, DynamoDB, ElastiCache and Secrets Manager", [])
        self._key("logs", "CloudWatch Logs of the data tier", [logs])
        self._key("media", "S3 uploads and renditions", media)
        for region in args.dynamodb_replica_regions:
            self._key("data", f"DynamoDB replica in {region}", [], region)
        if args.dr_region:
            # CloudFront reads the renditions replica when the edge's origin group fails over.
            self._key(
                "media", f"S3 replicas in {args.dr_region}", [self._cloudfront_decrypt_statement()], args.dr_region
            )
        self.register_outputs({"keyArns": self.key_arns})

    def _cloudfront_decrypt_statement(self) -> pulumi.Output[dict[str, Any]]:
        return pulumi.Output.all(self.partition, self.account).apply(lambda a: _cloudfront_decrypt(*a))

    def _key(
        self,
        data_class: str,
        purpose: str,
        statements: Sequence[pulumi.Input[dict[str, Any]]],
        region: str | None = None,
    ) -> None:
        name = self._name
        suffix = f"{data_class}-{region}" if region else data_class
        admin = pulumi.Output.all(self.partition, self.account).apply(lambda a: account_admin_statement(*a))
        key = aws.kms.Key(
            f"{name}-{suffix}-key",
            description=f"{name}: {purpose}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(admin, *statements).apply(lambda s: policy_document(list(s))),
            region=region,
            tags=self.tags(f"{name}-{suffix}", DataClass=data_class),
            opts=self.stateful(),
        )
        aws.kms.Alias(
            f"{name}-{suffix}-alias",
            name=f"alias/{self._prefix}-{data_class}",
            target_key_id=key.key_id,
            region=region,
            opts=self.child(),
        )
        self.key_arns[suffix] = key.arn
