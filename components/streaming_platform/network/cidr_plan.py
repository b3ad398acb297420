"""Pure CIDR and AZ planning for a multi-AZ VPC.

The VPC is cut into equal, power-of-two "AZ blocks", one per AZ, in AZ order.
Inside each block every tier gets one subnet, largest first, so every subnet is
aligned on its own size. Because AZ *i* always owns block *i*, adding an AZ
appends a block and never renumbers an existing subnet (renumbering a subnet
means replacing it, and everything in it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Tier(StrEnum):
    """The three subnet tiers; the value is the `Tier` tag the subnets carry."""

    PUBLIC = "public"
    APP = "app"
    DATA = "data"


DEFAULT_PREFIX_LENGTHS: Mapping[Tier, int] = {Tier.PUBLIC: 22, Tier.APP: 20, Tier.DATA: 22}

# AWS accepts subnets from /16 to /28.
MIN_SUBNET_PREFIX = 16
MAX_SUBNET_PREFIX = 28


class CidrPlanError(ValueError):
    """The requested tiers do not fit the VPC."""


@dataclass(frozen=True)
class SubnetPlan:
    tier: Tier
    az_index: int
    availability_zone: str
    cidr: str


@dataclass(frozen=True)
class CidrPlan:
    vpc_cidr: str
    az_block_prefix: int
    subnets: tuple[SubnetPlan, ...]

    def for_tier(self, tier: Tier) -> list[SubnetPlan]:
        """The tier's subnets, ordered by AZ."""
        return sorted((s for s in self.subnets if s.tier is tier), key=lambda s: s.az_index)

    def to_dict(self) -> dict[str, object]:
        return {
            "vpcCidr": self.vpc_cidr,
            "azBlockPrefix": self.az_block_prefix,
            "subnets": {tier.value: {s.availability_zone: s.cidr for s in self.for_tier(tier)} for tier in Tier},
        }


def az_block_prefix(prefix_lengths: Mapping[Tier, int]) -> int:
    """The prefix of the smallest power-of-two block that holds one subnet of every tier."""
    total = sum(2 ** (32 - prefix_lengths[t]) for t in Tier)
    return 32 - (total - 1).bit_length()


def max_azs(vpc_cidr: str, prefix_lengths: Mapping[Tier, int]) -> int:
    """How many AZ blocks the VPC can hold."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    block = az_block_prefix(prefix_lengths)
    return 0 if block < vpc.prefixlen else 2 ** (block - vpc.prefixlen)


def plan_subnets(
    vpc_cidr: str,
    availability_zones: Sequence[str],
    prefix_lengths: Mapping[Tier, int] = DEFAULT_PREFIX_LENGTHS,
) -> CidrPlan:
    """Give every tier one subnet in every AZ. Raises CidrPlanError when it cannot fit."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    for tier in Tier:
        length = prefix_lengths[tier]
        if not MIN_SUBNET_PREFIX <= length <= MAX_SUBNET_PREFIX:
            raise CidrPlanError(
                f"{tier.value} subnet prefix /{length} is outside /{MIN_SUBNET_PREFIX}../{MAX_SUBNET_PREFIX}"
            )
    if len(set(availability_zones)) != len(availability_zones):
        raise CidrPlanError(f"availability zones repeat: {list(availability_zones)}")
    capacity = max_azs(vpc_cidr, prefix_lengths)
    if len(availability_zones) > capacity:
        raise CidrPlanError(
            f"{vpc_cidr} holds {capacity} AZ block(s) of /{az_block_prefix(prefix_lengths)}, "
            f"not the {len(availability_zones)} requested"
        )
    block_size = 2 ** (32 - az_block_prefix(prefix_lengths))
    # Largest tier first keeps every subnet aligned; ties keep the Tier order.
    order = sorted(Tier, key=lambda t: (prefix_lengths[t], list(Tier).index(t)))
    subnets = []
    for index, az in enumerate(availability_zones):
        offset = int(vpc.network_address) + index * block_size
        for tier in order:
            length = prefix_lengths[tier]
            subnets.append(SubnetPlan(tier, index, az, str(ipaddress.IPv4Network((offset, length)))))
            offset += 2 ** (32 - length)
    return CidrPlan(str(vpc), az_block_prefix(prefix_lengths), tuple(subnets))
