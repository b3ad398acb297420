"""examples/minimal-stack: another team's program reusing MultiAzNetwork and DataTier, run offline.

It is run exactly like the platform's own stack (its own Pulumi.yaml and Pulumi.example.yaml), and it
must pass the policy pack with the dev enforcement levels.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from offline.engine import Recording, run_program
from offline.policy_driver import analyze, load_policy_config
from tests.graph import dep, tag

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "minimal-stack"
AZS = ["eu-west-1a", "eu-west-1b"]


@cache
def example(preview: bool = True) -> Recording:
    return run_program("example", preview=preview, project_dir=EXAMPLE)


def test_example_is_its_own_project_reading_its_own_config():
    rec = example()
    assert (rec.project, rec.stack) == ("streaming-example", "example")
    assert rec.config["aws:region"] == "eu-west-1"
    assert rec.config["streaming-example:vpcCidr"] == "10.60.0.0/16"  # the declared default


def test_example_imports_only_the_public_component_api():
    tree = ast.parse((EXAMPLE / "__main__.py").read_text())
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imports = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert modules == {"streaming_platform"}
    assert imports == {"pulumi"}  # no settings package, no pulumi_aws: everything comes through the components


def test_example_registers_one_network_and_one_data_tier():
    counts = example().counts_by_type()
    assert counts["streaming:network:MultiAzNetwork"] == 1
    assert counts["streaming:data:DataTier"] == 1
    assert not [t for t in counts if t.startswith("streaming:") and t.split(":")[1] not in {"network", "data"}]


def test_example_places_three_subnet_tiers_and_a_nat_gateway_in_each_of_its_two_azs():
    rec = example()
    subnets = rec.of_type("aws:ec2/subnet:Subnet")
    assert sorted((tag(s, "Tier"), s.inputs["availabilityZone"]) for s in subnets) == sorted(
        (tier, az) for tier in ("public", "app", "data") for az in AZS
    )
    nats = rec.of_type("aws:ec2/natGateway:NatGateway")
    assert sorted(dep(rec, n, "subnetId").inputs["availabilityZone"] for n in nats) == AZS
    assert all(tag(dep(rec, n, "subnetId"), "Tier") == "public" for n in nats)


def test_example_exact_resource_counts():
    counts = example().counts_by_type()
    assert {t: counts[t] for t in sorted(counts)} == {
        "aws:cloudwatch/logGroup:LogGroup": 4,
        "aws:dynamodb/table:Table": 2,
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": 1,
        "aws:ec2/eip:Eip": 2,
        "aws:ec2/flowLog:FlowLog": 1,
        "aws:ec2/internetGateway:InternetGateway": 1,
        "aws:ec2/natGateway:NatGateway": 2,
        "aws:ec2/route:Route": 3,
        "aws:ec2/routeTable:RouteTable": 5,
        "aws:ec2/routeTableAssociation:RouteTableAssociation": 6,
        "aws:ec2/securityGroup:SecurityGroup": 3,
        "aws:ec2/subnet:Subnet": 6,
        "aws:ec2/vpc:Vpc": 1,
        "aws:ec2/vpcEndpoint:VpcEndpoint": 2,
        "aws:elasticache/parameterGroup:ParameterGroup": 1,
        "aws:elasticache/replicationGroup:ReplicationGroup": 1,
        "aws:elasticache/subnetGroup:SubnetGroup": 1,
        "aws:elasticache/user:User": 2,
        "aws:elasticache/userGroup:UserGroup": 1,
        "aws:iam/role:Role": 2,
        "aws:iam/rolePolicy:RolePolicy": 1,
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
        "aws:kms/alias:Alias": 3,
        "aws:kms/key:Key": 4,
        "aws:rds/instance:Instance": 1,
        "aws:rds/parameterGroup:ParameterGroup": 1,
        "aws:rds/subnetGroup:SubnetGroup": 1,
        "aws:s3/bucket:Bucket": 3,
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": 3,
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": 3,
        "aws:s3/bucketPolicy:BucketPolicy": 3,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 3,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 3,
        "aws:s3/bucketVersioning:BucketVersioning": 3,
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 2,
        "streaming:data:DataTier": 1,
        # DataTier's parts
        "streaming:data:Buckets": 1,
        "streaming:data:Cache": 1,
        "streaming:data:DataKeys": 1,
        "streaming:data:Database": 1,
        "streaming:data:Tables": 1,
        "streaming:data:BucketPolicies": 1,
        "streaming:network:MultiAzNetwork": 1,
    }


def test_example_database_and_cache_span_both_azs():
    rec = example()
    (db,) = rec.of_type("aws:rds/instance:Instance")
    assert db.inputs["multiAz"] is True
    (redis,) = rec.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    assert sorted(redis.inputs["preferredCacheClusterAzs"]) == AZS
    assert redis.inputs["multiAzEnabled"] is True and redis.inputs["automaticFailoverEnabled"] is True


def test_example_seals_exactly_one_tls_only_bucket_policy_per_bucket():
    rec = example(preview=False)
    buckets = {b.urn for b in rec.of_type("aws:s3/bucket:Bucket")}
    policies = rec.of_type("aws:s3/bucketPolicy:BucketPolicy")
    assert sorted(dep(rec, p, "bucket").urn for p in policies) == sorted(buckets)


def test_example_exports_its_outputs():
    assert set(example().outputs) == {
        "vpcId",
        "appSubnetIds",
        "dataClientSecurityGroupId",
        "dbEndpoint",
        "redisPrimaryEndpoint",
        "bucketNames",
    }


@pytest.mark.xfail(
    strict=True,
    reason="s3-bucket-sse-kms now honours LogDelivery=sse-s3 only when a load balancer or distribution logs to the "
    "bucket; DataTier always creates the SSE-S3 log bucket, and this example has no log deliverer. DataTier must "
    "make the log bucket optional (or KMS-encrypt it when nothing delivers to it): open in issue 16's notes.",
)
@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_example_passes_the_policy_pack_with_the_dev_levels(preview: bool):
    rec = example(preview)
    report = analyze(
        rec.resources,
        project=rec.project,
        stack=rec.stack,
        preview=rec.preview,
        config=rec.config,
        policy_config=load_policy_config("dev"),
    )
    assert report.mandatory == []
    if not preview:
        # Everything the pack can see is compliant except what dev deliberately leaves off: deletion protection.
        assert {d.policy for d in report.advisory} == {
            "dynamodb-deletion-protection",
            "rds-deletion-protection",
            "stateful-resources-protected",
        }
