"""BucketPolicies alone: one policy per bucket, TLS-only deny first, every tier's statements, and its guards."""

from __future__ import annotations

import json

import pulumi
import pytest
from streaming_platform.data.bucket_policies import BucketPolicies, BucketPoliciesArgs, validate_args

from offline.engine import Recording, run_component

POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ARNS = {"uploads": "arn:aws:s3:::up", "logs": "arn:aws:s3:::logs", "renditions-dr": "arn:aws:s3:::out-dr"}
OAC = {"Sid": "CloudFrontReadsThroughOac", "Effect": "Allow", "Action": "s3:GetObject"}


def tls_deny(arn: str) -> dict:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def build(**overrides) -> Recording:
    def program() -> None:
        args = {
            "bucket_ids": {role: arn.split(":::")[1] for role, arn in ARNS.items()},
            "bucket_arns": ARNS,
            "bucket_regions": {"renditions-dr": "us-east-2"},
            "statements": {
                # plain lists and Outputs alike, several groups per bucket, in order
                "logs": [[{"Sid": "ElbWritesAccessLogs"}], pulumi.Output.from_input([{"Sid": "More"}])],
                "renditions-dr": [pulumi.Output.from_input("arn:aws:s3:::out-dr").apply(lambda a: [OAC])],
            },
            **overrides,
        }
        BucketPolicies("bucket-policies", BucketPoliciesArgs(**args))

    return run_component(program, preview=False)


def test_each_bucket_gets_exactly_one_policy_named_after_the_component():
    rec = build()
    assert sorted(r.name for r in rec.of_type(POLICY)) == [
        "bucket-policies-logs",
        "bucket-policies-renditions-dr",
        "bucket-policies-uploads",
    ]
    (component,) = rec.of_type("streaming:data:BucketPolicies")
    assert {r.parent for r in rec.of_type(POLICY)} == {component.urn}


def test_the_tls_only_deny_comes_first_then_every_group_in_order():
    rec = build()
    docs = {r.name.removeprefix("bucket-policies-"): json.loads(r.inputs["policy"]) for r in rec.of_type(POLICY)}
    assert docs["uploads"] == {"Version": "2012-10-17", "Statement": [tls_deny("arn:aws:s3:::up")]}
    assert docs["logs"]["Statement"] == [tls_deny("arn:aws:s3:::logs"), {"Sid": "ElbWritesAccessLogs"}, {"Sid": "More"}]
    assert docs["renditions-dr"]["Statement"] == [tls_deny("arn:aws:s3:::out-dr"), OAC]


def test_policies_of_buckets_in_another_region_are_created_there():
    rec = build()
    regions = {r.name: r.inputs.get("region") for r in rec.of_type(POLICY)}
    assert regions == {
        "bucket-policies-uploads": None,
        "bucket-policies-logs": None,
        "bucket-policies-renditions-dr": "us-east-2",
    }


def test_no_alias_on_a_new_stack():
    assert all(r.aliases == () for r in build().of_type(POLICY))


def test_a_stack_from_before_0_2_0_keeps_its_policies_through_aliases():
    def program() -> None:
        old = pulumi.ComponentResource("streaming:data:DataTier", "data")
        BucketPolicies(
            "bucket-policies",
            BucketPoliciesArgs(
                bucket_ids={"logs": "logs"},
                bucket_arns={"logs": "arn:aws:s3:::logs"},
                previous_parent=old,
                previous_child_prefix="data",
            ),
        )

    rec = run_component(program, preview=True, project="streaming", stack="prod")
    (policy,) = rec.of_type(POLICY)
    assert policy.aliases == (
        "urn:pulumi:prod::streaming::streaming:data:DataTier$aws:s3/bucketPolicy:BucketPolicy::data-logs",
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"bucket_arns": {"uploads": "arn:aws:s3:::up"}},
            "BucketPoliciesArgs.bucket_arns: got roles ['uploads']; "
            "allowed: exactly the roles of bucket_ids ['logs', 'renditions-dr', 'uploads']",
        ),
        (
            {"statements": {"videos": [[OAC]]}},
            "BucketPoliciesArgs.statements: got roles ['videos']; allowed: ['logs', 'renditions-dr', 'uploads']",
        ),
        (
            {"bucket_regions": {"replica": "us-east-2"}},
            "BucketPoliciesArgs.bucket_regions: got roles ['replica']; allowed: ['logs', 'renditions-dr', 'uploads']",
        ),
        (
            {"previous_child_prefix": "data"},
            "BucketPoliciesArgs.previous_parent/previous_child_prefix: got one without the other; "
            "allowed: both or neither",
        ),
    ],
)
def test_inconsistent_args_are_rejected_naming_the_field(overrides, expected):
    base = {"bucket_ids": {role: arn.split(":::")[1] for role, arn in ARNS.items()}, "bucket_arns": ARNS}
    args = BucketPoliciesArgs(**(base | overrides))
    assert validate_args(args) == [expected]


def test_rejected_args_register_no_policy():
    with pytest.raises(ValueError, match="invalid BucketPoliciesArgs") as raised:
        build(statements={"videos": [[OAC]]})
    assert raised.value.recording.of_type(POLICY) == []  # type: ignore[attr-defined]
