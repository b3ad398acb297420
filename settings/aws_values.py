"""Values AWS accepts, read from the enums botocore's service models and endpoint data already carry.

Nothing here is copied by hand: a region is one of botocore's endpoint partitions' regions, an instance type
one of the EC2 ``InstanceType`` enum (EC2 API Reference, DescribeInstanceTypes / RunInstances ``InstanceType``),
a WAF country code one of the WAFV2 ``CountryCode`` enum (AWS WAF API Reference, GeoMatchStatement).
"""

from __future__ import annotations

import functools

import botocore.session


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def regions() -> frozenset[str]:
    """Every region of every AWS partition botocore knows (aws, aws-cn, aws-us-gov, ...)."""
    s = _session()
    return frozenset(r for p in s.get_available_partitions() for r in s.get_available_regions("ec2", partition_name=p))


@functools.cache
def ec2_instance_types() -> frozenset[str]:
    return frozenset(_session().get_service_model("ec2").shape_for("InstanceType").enum)


@functools.cache
def waf_country_codes() -> frozenset[str]:
    return frozenset(_session().get_service_model("wafv2").shape_for("CountryCode").enum)


def is_region(value: str) -> bool:
    return value in regions()


def is_instance_type(value: str, prefix: str = "") -> bool:
    """An EC2 instance type; ElastiCache node types and RDS classes are EC2 types behind ``cache.`` / ``db.``."""
    return value.startswith(prefix) and value[len(prefix) :] in ec2_instance_types()


def region_example() -> str:
    return "an AWS region such as us-west-2 (one of botocore's endpoint regions)"
