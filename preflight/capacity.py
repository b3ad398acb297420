"""Quotas the stack needs, and the instance, node and DB classes offered where it runs.

Quota codes are Service Quotas' own (``aws service-quotas list-service-quotas --service-code <code>`` lists them;
Service Quotas User Guide, "Viewing service quotas"). ``GetServiceQuota`` answers with the applied value; for a
quota never changed some accounts have only the default, so ``GetAWSDefaultServiceQuota`` is asked then.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

from preflight.checks import Clients, missing_azs
from preflight.needs import StackNeeds
from preflight.report import Result, Status

VPCS = ("vpc", "L-F678F1CE", "VPCs per Region")
NAT_PER_AZ = ("vpc", "L-FE5A380F", "NAT gateways per Availability Zone")
ELASTIC_IPS = ("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs")
LAMBDA_CONCURRENCY = ("lambda", "L-B99A9384", "Concurrent executions")
FARGATE_ON_DEMAND = ("fargate", "L-3032A538", "Fargate On-Demand vCPU resource count")
FARGATE_SPOT = ("fargate", "L-36FBB829", "Fargate Spot vCPU resource count")
EC2_ON_DEMAND = ("ec2", "L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances (vCPUs)")
EC2_SPOT = ("ec2", "L-34B43A08", "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests (vCPUs)")
ANOTHER_CLASS = "choose another streaming:dbInstanceClass"
LAMBDA_UNRESERVED_FLOOR = 100
"""Lambda keeps 100 of the account's concurrency unreserved (Lambda Developer Guide, "Configuring reserved
concurrency for a function")."""


def quota_value(sq: Any, quota: tuple[str, str, str]) -> float:
    service, code, _ = quota
    try:
        return float(sq.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"])
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") != "NoSuchResourceException":
            raise
        return float(sq.get_aws_default_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"])


def _row(quota: tuple[str, str, str], used: float, need: float, limit: float, what: str) -> Result:
    service, code, name = quota
    subject = f"{service}/{code}"
    detail = f"{name}: {what}: {used:g} in use + {need:g} for the stack = {used + need:g} of {limit:g}"
    if used + need <= limit:
        return Result("quota", subject, Status.PASS, detail)
    return Result(
        "quota",
        subject,
        Status.FAIL,
        detail,
        f"aws service-quotas request-service-quota-increase --service-code {service} --quota-code {code} "
        f"--desired-value {used + need:g}",
    )


def quotas(needs: StackNeeds, clients: Clients) -> list[Result]:
    sq, ec2 = clients("service-quotas"), clients("ec2")
    out = []
    vpcs = sum(len(p["Vpcs"]) for p in ec2.get_paginator("describe_vpcs").paginate())
    out.append(_row(VPCS, vpcs, needs.vpcs, quota_value(sq, VPCS), "VPCs"))
    eips = len(ec2.describe_addresses()["Addresses"])
    out.append(_row(ELASTIC_IPS, eips, needs.elastic_ips, quota_value(sq, ELASTIC_IPS), "Elastic IPs (NAT gateways)"))
    if needs.nat_gateways_per_az:
        subnets = [
            n["SubnetId"]
            for p in ec2.get_paginator("describe_nat_gateways").paginate(
                Filters=[{"Name": "state", "Values": ["pending", "available"]}]
            )
            for n in p["NatGateways"]
        ]
        per_az: Counter[str] = Counter()
        if subnets:
            for s in ec2.describe_subnets(SubnetIds=sorted(set(subnets)))["Subnets"]:
                per_az[s["AvailabilityZone"]] += subnets.count(s["SubnetId"])
        busiest = max(needs.availability_zones, key=lambda az: per_az[az])
        out.append(
            _row(
                NAT_PER_AZ,
                per_az[busiest],
                needs.nat_gateways_per_az,
                quota_value(sq, NAT_PER_AZ),
                f"NAT gateways in {busiest}",
            )
        )
    if needs.lambda_reserved_concurrency:
        settings = clients("lambda").get_account_settings()
        limit = settings["AccountLimit"]["ConcurrentExecutions"]
        unreserved = settings["AccountLimit"]["UnreservedConcurrentExecutions"]
        service, code, name = LAMBDA_CONCURRENCY
        need = needs.lambda_reserved_concurrency
        detail = (
            f"{name}: reserving {need} leaves {unreserved - need} of {limit} unreserved; Lambda keeps at least "
            f"{LAMBDA_UNRESERVED_FLOOR}"
        )
        out.append(
            Result("quota", f"{service}/{code}", Status.PASS, detail)
            if unreserved - need >= LAMBDA_UNRESERVED_FLOOR
            else Result(
                "quota",
                f"{service}/{code}",
                Status.FAIL,
                detail,
                f"aws service-quotas request-service-quota-increase --service-code {service} --quota-code {code} "
                f"--desired-value {limit - unreserved + need + LAMBDA_UNRESERVED_FLOOR}",
            )
        )
    for quota, need in ((FARGATE_ON_DEMAND, needs.fargate_on_demand_vcpus), (FARGATE_SPOT, needs.fargate_spot_vcpus)):
        if need:
            out.append(_row(quota, 0, need, quota_value(sq, quota), "vCPUs at every service's maximum task count"))
    if needs.fleet_instance_types:
        described = ec2.describe_instance_types(InstanceTypes=list(needs.fleet_instance_types))["InstanceTypes"]
        vcpus = max(t["VCpuInfo"]["DefaultVCpus"] for t in described)
        for quota, count in ((EC2_ON_DEMAND, needs.fleet_on_demand_instances), (EC2_SPOT, needs.fleet_spot_instances)):
            if count:
                what = f"vCPUs of the fleet at its maximum ({count} x {vcpus})"
                out.append(_row(quota, 0, count * vcpus, quota_value(sq, quota), what))
    return out


def offerings(needs: StackNeeds, clients: Clients) -> list[Result]:
    """The fleet's instance types in every AZ (EC2 DescribeInstanceTypeOfferings), the DB class for the engine
    version in every AZ and Multi-AZ capable (RDS DescribeOrderableDBInstanceOptions), the cache node type sold in
    the region (ElastiCache DescribeReservedCacheNodesOfferings; ElastiCache has no per-AZ offering API)."""
    azs = list(needs.availability_zones)
    out = []
    if needs.fleet_instance_types:
        pages = (
            clients("ec2")
            .get_paginator("describe_instance_type_offerings")
            .paginate(
                LocationType="availability-zone",
                Filters=[
                    {"Name": "instance-type", "Values": list(needs.fleet_instance_types)},
                    {"Name": "location", "Values": azs},
                ],
            )
        )
        offered: dict[str, set[str]] = {}
        for p in pages:
            for o in p["InstanceTypeOfferings"]:
                offered.setdefault(o["InstanceType"], set()).add(o["Location"])
        for t in needs.fleet_instance_types:
            gone = missing_azs(azs, offered.get(t, set()))
            out.append(
                Result("offering", f"ec2 {t}", Status.PASS, f"offered in {', '.join(azs)}")
                if not gone
                else Result(
                    "offering",
                    f"ec2 {t}",
                    Status.FAIL,
                    f"not offered in {', '.join(gone)}",
                    "choose fleet types offered in every AZ (streaming:instanceType, streaming:asgExtraInstanceTypes)",
                )
            )
    major = needs.db_engine_major_version
    options = [
        o
        for p in clients("rds")
        .get_paginator("describe_orderable_db_instance_options")
        .paginate(Engine="postgres", DBInstanceClass=needs.db_instance_class)
        for o in p["OrderableDBInstanceOptions"]
        if str(o.get("EngineVersion", "")).split(".")[0] == major
    ]
    db_azs = {az["Name"] for o in options for az in o.get("AvailabilityZones", [])}
    multi_az = any(o.get("MultiAZCapable") for o in options)
    subject = f"rds {needs.db_instance_class}"
    if not options:
        out.append(
            Result(
                "offering",
                subject,
                Status.FAIL,
                f"not orderable for PostgreSQL {major} in {needs.region}",
                "choose another streaming:dbInstanceClass or streaming:dbEngineMajorVersion",
            )
        )
    elif gone := missing_azs(azs, db_azs):
        out.append(
            Result(
                "offering",
                subject,
                Status.FAIL,
                f"PostgreSQL {major}: not in {', '.join(gone)}",
                "choose another class",
            )
        )
    elif needs.db_multi_az and not multi_az:
        out.append(
            Result(
                "offering", subject, Status.FAIL, f"PostgreSQL {major}: not Multi-AZ capable", "choose another class"
            )
        )
    else:
        out.append(Result("offering", subject, Status.PASS, f"PostgreSQL {major} in {', '.join(azs)}"))
    cache = clients("elasticache").describe_reserved_cache_nodes_offerings(
        CacheNodeType=needs.cache_node_type, MaxRecords=20
    )
    out.append(
        Result("offering", f"elasticache {needs.cache_node_type}", Status.PASS, f"sold in {needs.region}")
        if cache["ReservedCacheNodesOfferings"]
        else Result(
            "offering",
            f"elasticache {needs.cache_node_type}",
            Status.FAIL,
            f"no offering in {needs.region}",
            "choose another streaming:cacheNodeType",
        )
    )
    return out
