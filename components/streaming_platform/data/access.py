"""Access contracts of the data tier: the S3 replication role, and the references other tiers' contracts use to
name the data tier's resources (tables, keys, buckets, Redis, PostgreSQL) the way ``DataTier`` names them."""

from __future__ import annotations

from dataclasses import dataclass

from streaming_platform.access import ACCOUNT, PARTITION, REGION, Expect, Part, Ref, Request, Value, Workload, assume
from streaming_platform.access import bucket_ref as _bucket
from streaming_platform.access import key_ref as _key
from streaming_platform.access import role_ref as _role
from streaming_platform.data.tier import LOGS, RENDITIONS, REPLICATED_BUCKETS, UPLOADS

TABLE_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey")
"""What DynamoDB asks KMS for, as the caller, on a table encrypted with a customer managed key ("How Amazon
DynamoDB uses AWS KMS")."""


@dataclass(frozen=True)
class DataRefs:
    """The data tier named ``name``, as references to what it registers."""

    name: str

    def key(self, data_class: str, region: str | None = None) -> Ref:
        return _key(f"{self.name}-{data_class}-{region}-key" if region else f"{self.name}-{data_class}-key")

    def table(self, table: str) -> Ref:
        return Ref("aws:dynamodb/table:Table", f"{self.name}-{table}")

    def bucket(self, role: str) -> Ref:
        return _bucket(f"{self.name}-{role}")

    def object(self, role: str, key: str) -> tuple[Ref, str]:
        return (self.bucket(role), f"/{key}")

    @property
    def redis_group(self) -> Ref:
        return Ref("aws:elasticache/replicationGroup:ReplicationGroup", f"{self.name}-redis")

    def redis_user(self, which: str = "app") -> Ref:
        return Ref("aws:elasticache/user:User", f"{self.name}-redis-{which}-user")

    @property
    def postgres(self) -> Ref:
        return Ref("aws:rds/instance:Instance", f"{self.name}-postgres")

    def db_user(self, user: str) -> Value:
        """``rds-db:connect``'s resource: the instance's resource id and the database user."""
        instance = Ref(self.postgres.type, self.postgres.name, "resourceId")
        return ("arn:", PARTITION, ":rds-db:", REGION, ":", ACCOUNT, ":dbuser:", instance, f"/{user}")

    @property
    def replication_role(self) -> Ref:
        return _role(f"{self.name}-replication")


def via(service: str, region: Part = REGION) -> dict[str, Value]:
    """``kms:ViaService`` as KMS sees it when ``service`` in ``region`` calls it for the caller."""
    return {"kms:ViaService": (f"{service}.", region, ".amazonaws.com")}


def s3_key_context(bucket: Ref, region: Part = REGION) -> dict[str, Value]:
    """What KMS sees when S3 uses a bucket's key for the caller: with S3 Bucket Keys the encryption context is the
    bucket's ARN, not the object's (S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys")."""
    return {**via("s3", region), "kms:EncryptionContext:aws:s3:arn": bucket}


def data_workloads(name: str, *, dr_region: str | None) -> list[Workload]:
    """The replication role, when the tier replicates to ``dr_region``."""
    if not dr_region:
        return []
    d = DataRefs(name)
    role = d.replication_role
    requests: list[Request] = []
    for source_role in REPLICATED_BUCKETS:
        source, replica = d.bucket(source_role), d.bucket(f"{source_role}-dr")
        requests += [
            assume(
                "s3.amazonaws.com",
                role,
                context={"aws:SourceAccount": ACCOUNT, "aws:SourceArn": source},
                label=f"S3 assumes the role for {source_role}",
            ),
            Request(
                label=f"read {source_role}'s replication configuration",
                action="s3:GetReplicationConfiguration",
                resource=source,
            ),
            Request(
                label=f"read a {source_role} object version",
                action="s3:GetObjectVersionForReplication",
                resource=d.object(source_role, "raw/v1.mp4"),
            ),
            Request(
                label=f"decrypt a {source_role} object",
                action="kms:Decrypt",
                resource=d.key("media"),
                context=s3_key_context(source),
            ),
            Request(
                label=f"write the {source_role} replica",
                action="s3:ReplicateObject",
                resource=d.object(f"{source_role}-dr", "raw/v1.mp4"),
            ),
            Request(
                label=f"encrypt the {source_role} replica",
                action="kms:Encrypt",
                resource=d.key("media", dr_region),
                context=s3_key_context(replica, dr_region),
            ),
            # S3 User Guide, "Replicating encrypted objects", section "Amazon S3 Bucket Keys and replication": with a
            # Bucket Key the replication role also needs kms:Decrypt on the replica's key (integrity of the Bucket Key).
            Request(
                label=f"verify the {source_role} replica's Bucket Key",
                action="kms:Decrypt",
                resource=d.key("media", dr_region),
                context=s3_key_context(replica, dr_region),
            ),
            Request(
                label=f"overwrite a {source_role} source object",
                action="s3:PutObject",
                resource=d.object(source_role, "raw/v1.mp4"),
                expect=Expect.DENIED,
            ),
            Request(
                label=f"delete a {source_role} replica version",
                action="s3:DeleteObjectVersion",
                resource=d.object(f"{source_role}-dr", "raw/v1.mp4"),
                expect=Expect.DENIED,
            ),
        ]
    requests += [
        Request(
            label="decrypt with the data key (DynamoDB, RDS)",
            action="kms:Decrypt",
            resource=d.key("data"),
            context=via("dynamodb"),
            expect=Expect.DENIED,
        ),
        Request(
            label="read the log bucket",
            action="s3:GetObject",
            resource=d.object(LOGS, "alb/x.log.gz"),
            expect=Expect.DENIED,
        ),
    ]
    return [Workload(name="s3-replication", principal=role, requests=tuple(requests))]


__all__ = ["LOGS", "RENDITIONS", "TABLE_KEY_ACTIONS", "UPLOADS", "DataRefs", "data_workloads", "s3_key_context", "via"]
