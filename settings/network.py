"""Network tier keys (MultiAzNetwork): AZ count, VPC CIDR, subnet sizes, NAT strategy, endpoints, flow logs."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Annotated, Any

from streaming_platform.network.cidr_plan import (
    DEFAULT_PREFIX_LENGTHS,
    MAX_SUBNET_PREFIX,
    MIN_SUBNET_PREFIX,
    Tier,
    az_block_prefix,
    max_azs,
)
from streaming_platform.network.multi_az import MultiAzNetworkArgs, NatGatewayStrategy

from settings._base import Reader, TierModel, arg_default, distinct, each, key, rule

# Retention periods CloudWatch Logs accepts (CloudWatch Logs API Reference, PutRetentionPolicy retentionInDays).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
# What ECS tasks on private subnets need without a NAT gateway: pull images (ECR API and registry, plus the
# S3 gateway endpoint the network always creates), write logs, read secrets (Amazon ECR User Guide, "Amazon
# ECR interface VPC endpoints (AWS PrivateLink)": ecr.api, ecr.dkr, logs; ECS Developer Guide for secrets).
ENDPOINTS_WITHOUT_NAT = ("ecr.api", "ecr.dkr", "logs", "secretsmanager")
VPC_PREFIX_RANGE = (16, 24)  # Amazon VPC User Guide, "VPC CIDR blocks": /16 to /28; the plan needs /24 for AZ blocks
_PRIVATE_RANGES = tuple(ipaddress.IPv4Network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_CIDR_TEXT = re.compile(r"\d{1,3}(\.\d{1,3}){3}/\d{1,2}")
_ENDPOINT_SERVICE = re.compile(r"[a-z0-9][a-z0-9-]*(\.[a-z0-9-]+)*")
# Zone IDs of Availability Zones proper (use1-az1, usw2-az4, apne1-az4); Local and Wavelength Zones
# (usw2-lax1-az1) are opt-in and never part of the plan (EC2 DescribeAvailabilityZones, ZoneId).
ZONE_ID = re.compile(r"[a-z]{2,5}[0-9]-az[0-9]{1,2}")
RETENTION_TEXT = "one of " + ", ".join(map(str, LOG_RETENTION_DAYS))


def private_network(text: str) -> ipaddress.IPv4Network | None:
    """An RFC 1918 network in a.b.c.d/len form with no host bits set, else None."""
    if not _CIDR_TEXT.fullmatch(text):
        return None  # also refuses the netmask form 10.0.0.0/255.255.0.0, which ipaddress would accept
    try:
        net = ipaddress.IPv4Network(text, strict=True)
    except ValueError:
        return None
    return net if any(net.subnet_of(r) for r in _PRIVATE_RANGES) else None


def _endpoint_ok(service: str) -> bool:
    # The component prefixes com.amazonaws.<region>.; a full service name would be doubled.
    full = service.startswith(("com.amazonaws.", "aws.api.", "cn.com.amazonaws."))
    return bool(_ENDPOINT_SERVICE.fullmatch(service)) and service not in ("s3", "dynamodb") and not full


def _endpoint_allowed(bad: str) -> str:
    if bad.startswith("com.amazonaws."):
        short = bad.split(".", 3)[-1] if bad.count(".") >= 3 else bad
        return f"the short service name without com.amazonaws.<region>. (for example {short}); the prefix is added"
    return "short AWS service names such as ecr.api or logs (s3 and dynamodb are gateway endpoints)"


RetentionDays = Annotated[int, rule(lambda v: v in LOG_RETENTION_DAYS, RETENTION_TEXT)]


class NetworkSettings(TierModel):
    """Plain settings of MultiAzNetworkArgs; defaults are the component's own."""

    az_count: int = key(
        2,
        alias="azCount",
        ge=2,
        le=6,
        description=(
            "How many Availability Zones to span, 2 to 6 and at most what the region offers; which ones is "
            "availabilityZoneIds (as many as this)."
        ),
    )
    availability_zone_ids: Annotated[
        tuple[str, ...],
        each(lambda v: bool(ZONE_ID.fullmatch(v)), "zone ids such as usw2-az1 (not names such as us-west-2a)"),
        rule(distinct, "each zone once"),
    ] = key(
        (),
        alias="availabilityZoneIds",
        description=(
            "Zone IDs of the AZs to span (for example usw2-az1), azCount of them, in CIDR-block order: the i-th zone "
            "owns the i-th AZ block of the VPC, so its subnets keep their CIDRs whatever the region lists. A pinned "
            "zone that is not available at deploy time is a warning, never a renumbering. Empty: the first azCount "
            "zones the region lists as available (a warning; required when environment is prod)."
        ),
    )
    vpc_cidr: Annotated[
        str,
        rule(
            lambda v: private_network(v) is not None,
            ("an IPv4 network a.b.c.d/len inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with no host bits set"),
        ),
    ] = key(
        arg_default(MultiAzNetworkArgs, "vpc_cidr"),
        alias="vpcCidr",
        description=(
            "IPv4 CIDR of the VPC: an RFC 1918 range from /16 to /24 in a.b.c.d/len form, large enough for one AZ "
            "block per AZ (see the subnet prefix lengths)."
        ),
    )
    public_prefix: int = key(
        DEFAULT_PREFIX_LENGTHS[Tier.PUBLIC],
        alias="publicSubnetPrefixLength",
        ge=MIN_SUBNET_PREFIX,
        le=MAX_SUBNET_PREFIX,
        description="Prefix length of each public subnet (load balancers, NAT gateways).",
    )
    app_prefix: int = key(
        DEFAULT_PREFIX_LENGTHS[Tier.APP],
        alias="appSubnetPrefixLength",
        ge=MIN_SUBNET_PREFIX,
        le=MAX_SUBNET_PREFIX,
        description="Prefix length of each private-app subnet (EC2 fleet, ECS tasks, Lambda ENIs).",
    )
    data_prefix: int = key(
        DEFAULT_PREFIX_LENGTHS[Tier.DATA],
        alias="dataSubnetPrefixLength",
        ge=MIN_SUBNET_PREFIX,
        le=MAX_SUBNET_PREFIX,
        description=("Prefix length of each private-data subnet (RDS, ElastiCache); these have no internet route."),
    )
    nat_gateway_strategy: NatGatewayStrategy = key(
        arg_default(MultiAzNetworkArgs, "nat_gateway_strategy"),
        alias="natGatewayStrategy",
        description=(
            "ONE_PER_AZ keeps egress up when an AZ fails; SINGLE saves cost but loses egress for every AZ when its AZ "
            "fails; NONE leaves private subnets without internet egress (then interfaceEndpoints must include "
            + ", ".join(ENDPOINTS_WITHOUT_NAT)
            + ")."
        ),
    )
    interface_endpoints: Annotated[
        tuple[str, ...], each(_endpoint_ok, _endpoint_allowed), rule(distinct, "each service once")
    ] = key(
        tuple(arg_default(MultiAzNetworkArgs, "interface_endpoints")),
        alias="interfaceEndpoints",
        description=(
            "AWS services to reach through interface VPC endpoints in the private-app subnets, by short name (for "
            "example ecr.api, ecr.dkr, logs, secretsmanager). S3 and DynamoDB always get gateway endpoints."
        ),
    )
    flow_log_retention_days: RetentionDays = key(
        arg_default(MultiAzNetworkArgs, "flow_log_retention_days"),
        alias="flowLogRetentionDays",
        description="Days to keep VPC flow logs; one of the retention periods CloudWatch Logs accepts.",
    )

    @property
    def subnet_prefix_lengths(self) -> dict[Tier, int]:
        return {Tier.PUBLIC: self.public_prefix, Tier.APP: self.app_prefix, Tier.DATA: self.data_prefix}

    def to_args(self, *, availability_zones: list[str], **wiring: Any) -> MultiAzNetworkArgs:
        return MultiAzNetworkArgs(
            availability_zones=availability_zones,
            vpc_cidr=self.vpc_cidr,
            subnet_prefix_lengths=self.subnet_prefix_lengths,
            nat_gateway_strategy=self.nat_gateway_strategy,
            interface_endpoints=self.interface_endpoints,
            flow_log_retention_days=self.flow_log_retention_days,
            **wiring,
        )


def _zones_text(zone_ids: Mapping[str, str]) -> str:
    """The region's zone IDs with their names; a zone whose ID is not known (blank) is no choice to offer."""
    return ", ".join(f"{zone_id} ({name})" for name, zone_id in zone_ids.items() if zone_id) or "none known"


def availability_zones(
    r: Reader, zone_ids: Mapping[str, str], available: Collection[str], region: str | None, prod: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The AZ names to span, in CIDR-block order, and the warnings about them.

    ``zone_ids`` maps every AZ name of the region (any state) to its zone ID; ``available`` names the AZs in state
    ``available`` now. Pinned zones (``availabilityZoneIds``) are used in their order whatever their state: AZ *i*
    owns CIDR block *i* (network/cidr_plan.py), so an impaired or missing-from-the-list zone never shifts another
    zone's block. Unpinned, the first azCount available zones are used, which is what renumbers when one is out."""
    pins, count, where = r.value("availabilityZoneIds"), r.value("azCount"), region or "the region"
    if not r.ok("availabilityZoneIds", "azCount"):
        return (), ()
    if not pins:
        names = tuple(n for n in zone_ids if n in available)[:count]
        if prod:
            r.problem("availabilityZoneIds", [], f"{count} zone ids when environment is prod ({_zones_text(zone_ids)})")
            return (), ()
        pin = [zone_ids[n] for n in names]
        return names, (
            f"streaming:availabilityZoneIds: not set; the first {count} available AZs of {where} are used "
            f"({', '.join(names)}), and an AZ outage would renumber the subnets; pin them: {pin}",
        )
    by_id = {zone_id: name for name, zone_id in zone_ids.items()}
    unknown = [p for p in pins if p not in by_id]
    if unknown:
        r.problem("availabilityZoneIds", list(pins), f"zone ids of {where}: {_zones_text(zone_ids)}")
    if len(pins) != count:
        r.problem("azCount", count, f"{len(pins)}, the number of availabilityZoneIds ({', '.join(pins)})")
    if unknown or len(pins) != count:
        return (), ()
    names = tuple(by_id[p] for p in pins)
    warnings = tuple(
        f"streaming:availabilityZoneIds: {p} ({by_id[p]}) is not available in {where} now; its subnets keep their "
        "CIDR blocks (nothing is renumbered), but resources placed there may fail to create until it recovers"
        for p in pins
        if by_id[p] not in available
    )
    return names, warnings


def check(r: Reader, region_azs: Sequence[str], region: str | None) -> None:
    """The network's checks that span keys (each key's own range is its field's)."""
    endpoints = r.value("interfaceEndpoints")
    az_count = r.value("azCount")
    r.check(
        "azCount",
        az_count,
        lambda v: v <= len(region_azs),
        f"at most {len(region_azs)}, the AZs {region or 'the region'} offers ({', '.join(region_azs)})",
    )
    vpc_text = r.value("vpcCidr")
    vpc = private_network(vpc_text) if vpc_text else None
    lo, hi = VPC_PREFIX_RANGE
    if vpc is not None:
        r.check("vpcCidr", vpc_text, lambda v: lo <= vpc.prefixlen <= hi, f"a prefix length from /{lo} to /{hi}")
    names = ("publicSubnetPrefixLength", "appSubnetPrefixLength", "dataSubnetPrefixLength")
    if vpc is not None and r.ok("vpcCidr", "azCount", *names):
        prefixes = {t: r.value(n) for t, n in zip((Tier.PUBLIC, Tier.APP, Tier.DATA), names, strict=True)}
        fits = max_azs(str(vpc), prefixes)
        if fits < az_count:
            block = az_block_prefix(prefixes)
            needed = block - (az_count - 1).bit_length()
            sizes = (
                f"{az_count} AZs need {az_count} blocks of /{block} for the public /{prefixes[Tier.PUBLIC]}, "
                f"app /{prefixes[Tier.APP]} and data /{prefixes[Tier.DATA]} subnets"
            )
            if needed < lo:
                shortest = min(prefixes, key=lambda t: prefixes[t])
                r.problem(
                    dict(zip((Tier.PUBLIC, Tier.APP, Tier.DATA), names, strict=True))[shortest],
                    prefixes[shortest],
                    f"longer subnet prefixes: {sizes} (a /{needed} in all), more than the largest VPC, a /{lo}, holds",
                )
            else:
                r.problem(
                    "vpcCidr", vpc_text, f"a network of /{needed} or larger: {sizes}, and {vpc_text} holds {fits}"
                )
    nat = r.value("natGatewayStrategy")
    if nat is NatGatewayStrategy.NONE and endpoints is not None:
        missing = [s for s in ENDPOINTS_WITHOUT_NAT if s not in endpoints]
        if missing:
            r.problem(
                "interfaceEndpoints",
                list(endpoints),
                f"with natGatewayStrategy NONE, endpoints for what tasks need without internet egress: "
                f"add {', '.join(missing)}",
            )
