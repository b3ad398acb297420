"""Buckets: S3 uploads, renditions and logs, and their replicas in the DR region.

Every bucket blocks public access, enforces bucket ownership (the log bucket keeps ACLs for CloudFront's log
delivery), is versioned, encrypted (SSE-KMS with the media key; SSE-S3 for the log bucket, the only encryption
log delivery writes to) and ages out incomplete uploads and old versions. The buckets' policies are not created
here: ``BucketPolicies`` takes the ``bucket_ids``, ``bucket_arns`` and ``bucket_regions`` this part exposes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.data.common import LOGS, RENDITIONS, REPLICATED_BUCKETS, UPLOADS
from streaming_platform.iam import policy_document

# Tag the policy pack reads to allow SSE-S3 (instead of SSE-KMS) on the access-log bucket only.
LOG_DELIVERY_TAG = ("LogDelivery", "sse-s3")
# S3 Intelligent-Tiering never tiers objects under 128 KiB but bills monitoring for them, so
# HLS manifests and small segments stay in STANDARD.
INTELLIGENT_TIERING_MIN_OBJECT_BYTES = 131072
ABORT_MULTIPART_DAYS = 7
REPLICATION_EVENT_MINUTES = 15
NONCURRENT_VERSION_DAYS = 30

_Rule = aws.s3.BucketLifecycleConfigurationRuleArgsDict


@dataclass(frozen=True)
class BucketOptions:
    """Lifecycles and browser access of the buckets."""

    raw_to_glacier_ir_days: int = 30
    """Days before raw uploads (and their replicas) move to Glacier Instant Retrieval. Default: 30."""
    log_bucket_expiration_days: int = 365
    """Days the log bucket keeps access logs. Default: one year."""
    cors_allowed_origins: Sequence[str] = ()
    """Origins allowed to PUT to presigned upload URLs from a browser. Default: none (no CORS rule; browsers cannot
    upload directly)."""


@dataclass(frozen=True)
class BucketReplication:
    """Where the replicated buckets copy to, and with what."""

    dr_region: str
    """Region of the replicas (``uploads-dr``, ``renditions-dr``)."""
    role_arn: pulumi.Input[str]
    """Role S3 replicates as (trusted by s3.amazonaws.com); this part gives it its replication policy."""
    role_id: pulumi.Input[str]
    """The same role's name, for its role policy."""
    replica_key_arn: pulumi.Input[str]
    """KMS key in ``dr_region`` that encrypts the replicas."""


@dataclass(frozen=True)
class ReplicationRule:
    """One replication rule as CloudWatch names it: the AWS/S3 replication metrics' dimensions."""

    source_bucket: pulumi.Output[str]
    destination_bucket: pulumi.Output[str]
    rule_id: str


@dataclass
class BucketsArgs:
    """Inputs of Buckets."""

    media_key_arn: pulumi.Input[str]
    """KMS key of the uploads and renditions buckets."""
    replication: BucketReplication | None = None
    """Default: None; no replicas and no replication (a region outage loses access to media)."""
    options: BucketOptions = field(default_factory=BucketOptions)
    """Default: ``BucketOptions()``."""
    protect: bool = False
    """Protect and retain the buckets. Default: off; buckets are then created with ``force_destroy`` so dev can be
    torn down with its objects."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every bucket, with ``Name`` and ``BucketRole`` added. Default: none."""


class Buckets(StreamingComponent):
    """The platform's buckets and, with ``replication``, their DR replicas."""

    bucket_names: dict[str, pulumi.Output[str]]
    bucket_ids: dict[str, pulumi.Output[str]]
    bucket_arns: dict[str, pulumi.Output[str]]
    bucket_regions: dict[str, str | None]
    """Region by role; None for buckets in the provider's region, the DR region for the replicas."""
    bucket_ownership_controls: dict[str, aws.s3.BucketOwnershipControls]
    """By bucket role, for ``depends_on``: CloudFront's standard logging needs the log bucket's ACLs enabled first."""
    replication_rules: list[ReplicationRule]
    """One per replicated bucket (empty without ``replication``), for the replication alarms."""

    def __init__(
        self,
        name: str,
        args: BucketsArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: pulumi.Resource | None = None,
    ) -> None:
        super().__init__(
            "streaming:data:Buckets", name, protect=args.protect, tags=args.tags, opts=opts, moved_from=moved_from
        )
        self._args = args
        self._buckets: dict[str, aws.s3.Bucket] = {}
        self.bucket_ownership_controls = {}
        self._regions: dict[str, str | None] = {}
        self.replication_rules = []
        options = args.options
        raw_rules: list[_Rule] = [
            {
                "id": "raw-to-glacier-ir",
                "status": "Enabled",
                "filter": {},
                "transitions": [{"days": options.raw_to_glacier_ir_days, "storage_class": "GLACIER_IR"}],
            }
        ]
        renditions_rules: list[_Rule] = [
            {
                "id": "renditions-to-intelligent-tiering",
                "status": "Enabled",
                "filter": {"object_size_greater_than": INTELLIGENT_TIERING_MIN_OBJECT_BYTES},
                "transitions": [{"days": 0, "storage_class": "INTELLIGENT_TIERING"}],
            }
        ]
        sources = {
            UPLOADS: (*self._bucket(UPLOADS, kms_key_arn=args.media_key_arn, lifecycle_rules=raw_rules), raw_rules),
            RENDITIONS: (
                *self._bucket(RENDITIONS, kms_key_arn=args.media_key_arn, lifecycle_rules=renditions_rules),
                renditions_rules,
            ),
        }
        # CloudFront standard logs and ALB access logs only deliver to SSE-S3 buckets, and CloudFront
        # standard logging writes through an ACL grant, so this bucket keeps ACLs (BucketOwnerPreferred).
        self._bucket(
            LOGS,
            kms_key_arn=None,
            ownership="BucketOwnerPreferred",
            extra_tags=dict([LOG_DELIVERY_TAG]),
            lifecycle_rules=[
                {
                    "id": "expire-logs",
                    "status": "Enabled",
                    "filter": {},
                    "expiration": {"days": options.log_bucket_expiration_days},
                }
            ],
        )
        if options.cors_allowed_origins:
            aws.s3.BucketCorsConfiguration(
                f"{name}-{UPLOADS}",
                bucket=sources[UPLOADS][0].id,
                cors_rules=[
                    {
                        "id": "browser-presigned-put",
                        "allowed_methods": ["PUT"],
                        "allowed_origins": list(options.cors_allowed_origins),
                        "allowed_headers": ["content-type", "content-md5", "x-amz-*"],
                        "expose_headers": ["ETag"],
                        "max_age_seconds": 3000,
                    }
                ],
                opts=self.child(),
            )
        if args.replication is not None:
            self._replicate(args.replication, {role: sources[role] for role in REPLICATED_BUCKETS})
        self.bucket_names = {role: b.bucket for role, b in self._buckets.items()}
        self.bucket_ids = {role: b.id for role, b in self._buckets.items()}
        self.bucket_arns = {role: b.arn for role, b in self._buckets.items()}
        self.bucket_regions = dict(self._regions)
        self.register_outputs(
            {
                "bucketNames": self.bucket_names,
                "bucketIds": self.bucket_ids,
                "bucketArns": self.bucket_arns,
                "bucketRegions": self.bucket_regions,
                "bucketOwnershipControlIds": {role: c.id for role, c in self.bucket_ownership_controls.items()},
                "replicationRules": [
                    {"sourceBucket": r.source_bucket, "destinationBucket": r.destination_bucket, "ruleId": r.rule_id}
                    for r in self.replication_rules
                ],
            }
        )

    def _bucket(
        self,
        role: str,
        *,
        kms_key_arn: pulumi.Input[str] | None,
        lifecycle_rules: list[_Rule],
        region: str | None = None,
        ownership: str = "BucketOwnerEnforced",
        extra_tags: Mapping[str, str] | None = None,
    ) -> tuple[aws.s3.Bucket, aws.s3.BucketVersioning]:
        resource = f"{self._name}-{role}"
        bucket = aws.s3.Bucket(
            resource,
            force_destroy=not self._args.protect,
            region=region,
            tags=self.tags(resource, BucketRole=role, **(extra_tags or {})),
            opts=self.stateful(),
        )
        self._buckets[role], self._regions[role] = bucket, region
        aws.s3.BucketPublicAccessBlock(
            resource,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            region=region,
            opts=self.child(),
        )
        self.bucket_ownership_controls[role] = aws.s3.BucketOwnershipControls(
            resource, bucket=bucket.id, rule={"object_ownership": ownership}, region=region, opts=self.child()
        )
        encryption: aws.s3.BucketServerSideEncryptionConfigurationRuleArgsDict = (
            {
                "apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms",
                    "kms_master_key_id": kms_key_arn,
                },
                "bucket_key_enabled": True,
            }
            if kms_key_arn is not None
            else {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            resource, bucket=bucket.id, rules=[encryption], region=region, opts=self.child()
        )
        versioning = aws.s3.BucketVersioning(
            resource, bucket=bucket.id, versioning_configuration={"status": "Enabled"}, region=region, opts=self.child()
        )
        rules: list[_Rule] = [
            {
                "id": "abort-incomplete-multipart-uploads",
                "status": "Enabled",
                "filter": {},
                "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_MULTIPART_DAYS},
            },
            {
                "id": "expire-noncurrent-versions",
                "status": "Enabled",
                "filter": {},
                "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_VERSION_DAYS},
            },
            *lifecycle_rules,
        ]
        aws.s3.BucketLifecycleConfiguration(
            resource, bucket=bucket.id, rules=rules, region=region, opts=self.child(depends_on=[versioning])
        )
        return bucket, versioning

    def _replicate(
        self,
        replication: BucketReplication,
        sources: Mapping[str, tuple[aws.s3.Bucket, aws.s3.BucketVersioning, list[_Rule]]],
    ) -> None:
        name, dr_region = self._name, replication.dr_region
        destinations = {
            role: self._bucket(
                f"{role}-dr",
                kms_key_arn=replication.replica_key_arn,
                region=dr_region,
                lifecycle_rules=lifecycle_rules,  # the replica ages like its source
            )
            for role, (_, _, lifecycle_rules) in sources.items()
        }
        statements: list[pulumi.Output[list[dict[str, Any]]]] = []
        for n, (role, (source, _, _)) in enumerate(sources.items()):
            sfx = role.title() if n else ""  # Sids are unique per policy: the first source keeps plain names
            statements.append(
                pulumi.Output.all(source.arn, destinations[role][0].arn).apply(
                    lambda a, sfx=sfx: [  # type: ignore[misc]
                        {
                            "Sid": f"ReadReplicationConfiguration{sfx}",
                            "Effect": "Allow",
                            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                            "Resource": a[0],
                        },
                        {
                            "Sid": f"ReadSourceObjectVersions{sfx}",
                            "Effect": "Allow",
                            "Action": [
                                "s3:GetObjectVersionForReplication",
                                "s3:GetObjectVersionAcl",
                                "s3:GetObjectVersionTagging",
                            ],
                            "Resource": f"{a[0]}/*",
                        },
                        {
                            "Sid": f"WriteReplicas{sfx}",
                            "Effect": "Allow",
                            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                            "Resource": f"{a[1]}/*",
                        },
                    ]
                )
            )
        kms_statements = pulumi.Output.all(self._args.media_key_arn, replication.replica_key_arn, self.region).apply(
            lambda a: [
                {
                    "Sid": "DecryptSourceObjects",
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": a[0],
                    "Condition": {"StringLike": {"kms:ViaService": f"s3.{a[2]}.amazonaws.com"}},
                },
                {
                    # kms:Decrypt too: the replicas use S3 Bucket Keys, and S3 verifies the Bucket Key with the
                    # role's kms:Decrypt on the replica key (S3 User Guide, "Replicating encrypted objects",
                    # "Amazon S3 Bucket Keys and replication"); without it every replica is FAILED.
                    "Sid": "EncryptReplicas",
                    "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:Decrypt"],
                    "Resource": a[1],
                    "Condition": {"StringLike": {"kms:ViaService": f"s3.{dr_region}.amazonaws.com"}},
                },
            ]
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-replication",
            role=replication.role_id,
            policy=pulumi.Output.all(*statements, kms_statements).apply(
                lambda groups: policy_document([s for group in groups for s in group])
            ),
            opts=self.child(),
        )
        self.replication_rules = []
        for role, (source, source_versioning, _) in sources.items():
            destination, destination_versioning = destinations[role]
            rule_id = f"{role}-to-{dr_region}"
            aws.s3.BucketReplicationConfig(
                f"{name}-{role}-replication",
                bucket=source.id,
                role=replication.role_arn,
                rules=[
                    {
                        "id": rule_id,
                        "status": "Enabled",
                        "priority": 1,
                        "filter": {},
                        "delete_marker_replication": {"status": "Enabled"},
                        "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                        "destination": {
                            "bucket": destination.arn,
                            "storage_class": "STANDARD",
                            "encryption_configuration": {"replica_kms_key_id": replication.replica_key_arn},
                            # S3 publishes ReplicationLatency, OperationsFailedReplication and the pending counts
                            # per rule only with metrics on (S3 User Guide, "Monitoring progress with replication
                            # metrics"); 15 minutes is the only EventThreshold S3 accepts (S3 API Reference,
                            # ReplicationTimeValue). No Replication Time Control: its SLA costs per GB, and the
                            # latency alarm on these metrics is what pages.
                            "metrics": {"status": "Enabled", "event_threshold": {"minutes": REPLICATION_EVENT_MINUTES}},
                        },
                    }
                ],
                # After both buckets are versioned and the role may replicate: PutBucketReplication checks the
                # versioning, and S3 replicates as the role from the first object on.
                opts=self.child(depends_on=[source_versioning, destination_versioning, role_policy]),
            )
            self.replication_rules.append(
                ReplicationRule(source_bucket=source.bucket, destination_bucket=destination.bucket, rule_id=rule_id)
            )
