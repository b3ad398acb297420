"""BucketPolicies: exactly one ``aws.s3.BucketPolicy`` per bucket, from every tier's statements at once.

S3 holds one policy per bucket (``PutBucketPolicy`` replaces it whole), so statements from several
components (the edge's Origin Access Control read, the ALB's access-log delivery, ...) must land in one
document. They arrive here as arguments, all at once, the way CDK's ``addToResourcePolicy`` returns the
dependable policy: the program builds this component after the components whose statements it needs and
before the ones that need the policy in place (the ALB turns on access logging only once the log bucket's
policy grants delivery), and nothing depends on call order.

Every policy starts with the TLS-only deny (``s3:*`` for ``Principal *`` on the bucket and ``bucket/*``
when ``aws:SecureTransport`` is false; S3 User Guide, "Enforce encryption of data in transit").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent, reject_invalid
from streaming_platform.iam import policy_document

TYPE = "streaming:data:BucketPolicies"

Statements = pulumi.Input[Sequence[Mapping[str, Any]]]


def tls_only_statement(bucket_arn: str) -> dict[str, Any]:
    """Deny every S3 action on the bucket and its objects over plain HTTP."""
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


@dataclass
class BucketPoliciesArgs:
    """The buckets (by role, as DataTier exposes them) and the statements each tier grants on them."""

    bucket_ids: Mapping[str, pulumi.Input[str]]
    """Bucket id (its name) by role: DataTier ``bucket_ids``. Every bucket gets a policy."""
    bucket_arns: Mapping[str, pulumi.Input[str]]
    """Bucket ARN by role: DataTier ``bucket_arns``; the TLS-only deny names it."""
    bucket_regions: Mapping[str, str | None] = field(default_factory=dict)
    """Region by role for buckets outside the provider's region (the DR replicas): DataTier
    ``bucket_regions``. Default: the provider's region."""
    statements: Mapping[str, Sequence[Statements]] = field(default_factory=dict)
    """Extra statements by bucket role, each entry a list of statements (plain or an Output). Default: none,
    each bucket's policy is the TLS-only deny alone."""
    previous_parent: pulumi.Resource | None = None
    previous_child_prefix: str | None = None
    """For stacks deployed before 0.2.0, where DataTier created these policies as ``<data name>-<role>``: that
    DataTier and its name, so each policy carries an ``Alias`` to its old URN and is not replaced.
    Default: None (a new stack)."""


def validate_args(args: BucketPoliciesArgs) -> list[str]:
    """Every problem, each as: what, the value given, what is allowed."""
    problems = []
    roles = set(args.bucket_ids)
    if set(args.bucket_arns) != roles:
        problems.append(
            f"BucketPoliciesArgs.bucket_arns: got roles {sorted(args.bucket_arns)}; "
            f"allowed: exactly the roles of bucket_ids {sorted(roles)}"
        )
    for what, given in (("statements", args.statements), ("bucket_regions", args.bucket_regions)):
        unknown = sorted(set(given) - roles)
        if unknown:
            problems.append(f"BucketPoliciesArgs.{what}: got roles {unknown}; allowed: {sorted(roles)}")
    if (args.previous_parent is None) != (args.previous_child_prefix is None):
        problems.append(
            "BucketPoliciesArgs.previous_parent/previous_child_prefix: got one without the other; "
            "allowed: both or neither"
        )
    return problems


def bucket_policy_document(bucket_arn: str, groups: Sequence[Sequence[Mapping[str, Any]]]) -> str:
    """The one policy of a bucket: the TLS-only deny first, then every group's statements in order."""
    return policy_document([tls_only_statement(bucket_arn), *(dict(s) for group in groups for s in group)])


class BucketPolicies(StreamingComponent):
    """One BucketPolicy per bucket role; ``policies[role]`` is what others depend on."""

    policies: dict[str, aws.s3.BucketPolicy]

    def __init__(self, name: str, args: BucketPoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_args(args)
        reject_invalid("BucketPoliciesArgs", problems)
        super().__init__(TYPE, name, opts=opts)
        self.policies = {}
        for role, bucket_id in args.bucket_ids.items():
            groups = list(args.statements.get(role, ()))
            aliases = None
            if args.previous_parent is not None:
                aliases = [pulumi.Alias(name=f"{args.previous_child_prefix}-{role}", parent=args.previous_parent)]
            self.policies[role] = aws.s3.BucketPolicy(
                f"{name}-{role}",
                bucket=bucket_id,
                policy=pulumi.Output.all(args.bucket_arns[role], *groups).apply(
                    lambda a: bucket_policy_document(a[0], a[1:])
                ),
                region=args.bucket_regions.get(role),
                opts=self.child(aliases=aliases),
            )
        self.register_outputs({"policyIds": {role: p.id for role, p in self.policies.items()}})
