"""Tables: the DynamoDB tables of the platform, encrypted with the tier's data key.

``videos`` (the catalogue, with a stream for the media pipeline and optional global-table replicas) and
``sessions`` (expiring by TTL). Both bill per request and keep point-in-time recovery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent


@dataclass
class TablesArgs:
    """Inputs of Tables."""

    data_key_arn: pulumi.Input[str]
    """KMS key of both tables (the tier's ``data`` key)."""
    replica_key_arns: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Global-table replicas of ``videos``: region -> the KMS key there. Default: none; a single-region table."""
    protect: bool = False
    """Protect and retain both tables and turn on their deletion protection (replicas' too). Default: off."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of both tables (replicas inherit them), with ``Name`` added. Default: none."""


class Tables(StreamingComponent):
    """DynamoDB ``videos`` and ``sessions``."""

    video_table_name: pulumi.Output[str]
    video_table_arn: pulumi.Output[str]
    video_table_stream_arn: pulumi.Output[str]
    session_table_name: pulumi.Output[str]
    session_table_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: TablesArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: pulumi.Resource | None = None,
    ) -> None:
        super().__init__(
            "streaming:data:Tables", name, protect=args.protect, tags=args.tags, opts=opts, moved_from=moved_from
        )
        replicas: list[aws.dynamodb.TableReplicaArgsDict] = [
            {
                "region_name": region,
                "kms_key_arn": key_arn,
                "point_in_time_recovery": True,
                "propagate_tags": True,
                "deletion_protection_enabled": args.protect,
            }
            for region, key_arn in args.replica_key_arns.items()
        ]
        # Videos: videoId is the item key. byOwner lists a channel's videos newest first. byUploadTime
        # lists recent uploads across owners: uploadDay (UTC date, "2026-11-22") partitions one day's
        # uploads, uploadedAt (ISO-8601) sorts them; a feed reads today's partition, then yesterday's.
        videos = aws.dynamodb.Table(
            f"{name}-videos",
            billing_mode="PAY_PER_REQUEST",
            hash_key="videoId",
            attributes=[
                {"name": "videoId", "type": "S"},
                {"name": "ownerId", "type": "S"},
                {"name": "uploadedAt", "type": "S"},
                {"name": "uploadDay", "type": "S"},
            ],
            global_secondary_indexes=[
                {
                    "name": "byOwner",
                    "key_schemas": [
                        {"attribute_name": "ownerId", "key_type": "HASH"},
                        {"attribute_name": "uploadedAt", "key_type": "RANGE"},
                    ],
                    "projection_type": "ALL",
                },
                {
                    "name": "byUploadTime",
                    "key_schemas": [
                        {"attribute_name": "uploadDay", "key_type": "HASH"},
                        {"attribute_name": "uploadedAt", "key_type": "RANGE"},
                    ],
                    "projection_type": "ALL",
                },
            ],
            server_side_encryption={"enabled": True, "kms_key_arn": args.data_key_arn},
            point_in_time_recovery={"enabled": True},
            deletion_protection_enabled=args.protect,
            stream_enabled=True,
            stream_view_type="NEW_AND_OLD_IMAGES",
            replicas=replicas or None,
            tags=self.tags(f"{name}-videos"),
            opts=self.stateful(),
        )
        sessions = aws.dynamodb.Table(
            f"{name}-sessions",
            billing_mode="PAY_PER_REQUEST",
            hash_key="sessionId",
            attributes=[{"name": "sessionId", "type": "S"}],
            ttl={"attribute_name": "expiresAt", "enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": args.data_key_arn},
            point_in_time_recovery={"enabled": True},
            deletion_protection_enabled=args.protect,
            tags=self.tags(f"{name}-sessions"),
            opts=self.stateful(),
        )
        self.video_table_name, self.video_table_arn = videos.name, videos.arn
        self.video_table_stream_arn = videos.stream_arn
        self.session_table_name, self.session_table_arn = sessions.name, sessions.arn
        self.register_outputs(
            {
                "videoTableName": self.video_table_name,
                "videoTableArn": self.video_table_arn,
                "videoTableStreamArn": self.video_table_stream_arn,
                "sessionTableName": self.session_table_name,
                "sessionTableArn": self.session_table_arn,
            }
        )
