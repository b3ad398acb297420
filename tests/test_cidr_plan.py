"""Properties of the pure CIDR/AZ planner."""

from __future__ import annotations

import ipaddress
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streaming_platform.network.cidr_plan import CidrPlanError, Tier, az_block_prefix, max_azs, plan_subnets

AZS = [f"zone-{c}" for c in "abcdef"]


@st.composite
def layouts(draw):
    vpc_prefix = draw(st.integers(16, 24))
    base = draw(st.integers(0, 2**vpc_prefix - 1)) << (32 - vpc_prefix)
    vpc = ipaddress.IPv4Network((base, vpc_prefix))
    # Keep only RFC-valid subnet sizes; the planner must cope with any mix of them.
    prefixes = {t: draw(st.integers(max(vpc_prefix, 16), 28)) for t in Tier}
    return str(vpc), prefixes


@given(layouts(), st.integers(1, 6))
def test_plan_is_disjoint_inside_the_vpc_and_complete(layout, az_count):
    vpc_cidr, prefixes = layout
    azs = AZS[:az_count]
    if az_count > max_azs(vpc_cidr, prefixes):
        with pytest.raises(CidrPlanError):
            plan_subnets(vpc_cidr, azs, prefixes)
        return
    plan = plan_subnets(vpc_cidr, azs, prefixes)
    vpc = ipaddress.IPv4Network(vpc_cidr)
    nets = [ipaddress.IPv4Network(s.cidr) for s in plan.subnets]
    assert all(n.subnet_of(vpc) for n in nets)
    for a, b in itertools.combinations(nets, 2):
        assert not a.overlaps(b), (a, b)
    # Every AZ gets exactly one subnet of every tier, of the requested size.
    assert sorted((s.availability_zone, s.tier) for s in plan.subnets) == sorted(itertools.product(azs, Tier))
    assert all(ipaddress.IPv4Network(s.cidr).prefixlen == prefixes[s.tier] for s in plan.subnets)


@given(layouts(), st.integers(1, 5), st.integers(1, 5))
def test_adding_azs_never_renumbers_existing_subnets(layout, before, added):
    vpc_cidr, prefixes = layout
    after = min(before + added, 6)
    if after > max_azs(vpc_cidr, prefixes):
        return
    small = plan_subnets(vpc_cidr, AZS[:before], prefixes)
    large = plan_subnets(vpc_cidr, AZS[:after], prefixes)
    assert set(small.subnets) <= set(large.subnets)


def test_default_layout_of_a_16_is_stable():
    plan = plan_subnets("10.30.0.0/16", ["us-west-2a", "us-west-2b", "us-west-2c"])
    assert plan.az_block_prefix == 19
    assert [s.cidr for s in plan.for_tier(Tier.APP)] == ["10.30.0.0/20", "10.30.32.0/20", "10.30.64.0/20"]
    assert [s.cidr for s in plan.for_tier(Tier.PUBLIC)] == ["10.30.16.0/22", "10.30.48.0/22", "10.30.80.0/22"]
    assert [s.cidr for s in plan.for_tier(Tier.DATA)] == ["10.30.20.0/22", "10.30.52.0/22", "10.30.84.0/22"]


def test_az_block_is_the_smallest_power_of_two_holding_every_tier():
    assert az_block_prefix({Tier.PUBLIC: 24, Tier.APP: 24, Tier.DATA: 24}) == 22  # 3 x 256 -> 1024
    assert az_block_prefix({Tier.PUBLIC: 22, Tier.APP: 20, Tier.DATA: 22}) == 19


def test_plan_rejects_more_azs_than_the_vpc_holds():
    with pytest.raises(CidrPlanError, match=r"holds 1 AZ block\(s\) of /19, not the 2 requested"):
        plan_subnets("10.0.0.0/19", ["a", "b"])


def test_plan_rejects_repeated_azs():
    with pytest.raises(CidrPlanError, match="repeat"):
        plan_subnets("10.0.0.0/16", ["a", "a"])
