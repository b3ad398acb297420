"""StreamingEdge through the component provider: a program in another language hands it the site's zone as the zone's
outputs (``PublicZoneOutputs``), and Construct registers what the Python path registers with the PublicZone object
(the zone's own registrations aside, which that program made when it created the zone)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from pulumi.provider.experimental.util import camel_case
from streaming_platform import PublicZone, PublicZoneArgs, StreamingEdge, StreamingEdgeArgs
from streaming_platform.edge.distribution import EdgeCacheOptions, EdgeOrigins, EdgeWafOptions, PriceClass

from offline.engine import Recording, run_component
from offline.provider_engine import ProviderProcess, output_value, start_provider
from tests.test_provider import same_registrations, wire_value

EDGE = "streaming:edge:StreamingEdge"
ZONE = "streaming:edge:PublicZone"
DOMAIN = "video.example.com"
EDGE_ARGS: dict[str, Any] = dict(
    origin_verify_secret="origin-verify-secret",
    origins=EdgeOrigins(
        renditions_bucket_name="renditions",
        renditions_bucket_region="us-west-2",
        log_bucket_name="edge-logs",
        replica_bucket_name="renditions-replica",
        replica_bucket_region="us-east-2",
    ),
    caching=EdgeCacheOptions(price_class=PriceClass.ALL),
    waf=EdgeWafOptions(waf_geo_block_countries=["KP"]),
    tags={"team": "video"},
)
ZONES = {
    # A zone this stack creates, delegated by its parent zone in the account: validations wait for the NS record.
    "by-parent": PublicZoneArgs(domain_name=DOMAIN, parent_zone_name="example.com"),
    # An existing, delegated zone adopted by id: nothing to wait for.
    "adopted": PublicZoneArgs(domain_name=DOMAIN, hosted_zone_id="Z0123456789ABCDEFGHIJ"),
}


@pytest.fixture(scope="module")
def provider() -> Iterator[ProviderProcess]:
    with start_provider() as running:
        yield running


def build_edge(zone_args: PublicZoneArgs) -> Recording:
    def program() -> None:
        zone = PublicZone("zone", zone_args)
        StreamingEdge("edge", StreamingEdgeArgs(zone=zone, **EDGE_ARGS))

    return run_component(program, project="streaming", stack="prod")


def without_zone(python: Recording) -> Recording:
    """The Python path less what the PublicZone registered and looked up (the parent zone), which a program in another
    language does when it creates the zone, before it constructs StreamingEdge."""
    (zone,) = python.of_type(ZONE)
    own = {zone.urn} | {r.urn for r in python.resources if r.parent == zone.urn}
    return Recording(
        project=python.project,
        stack=python.stack,
        preview=python.preview,
        config=python.config,
        resources=[r for r in python.resources if r.urn not in own],
        invokes=[i for i in python.invokes if i[0] != "aws:route53/getZone:getZone"],
    )


def zone_outputs(python: Recording) -> dict[str, Any]:
    """``zone`` as a program in another language writes it from the PublicZone's outputs (``${zone.zoneId}``...):
    in a preview of a new stack the zone id and the delegation record's name are still unknown, and carry the
    resources they come from."""
    (zone,) = python.of_type(ZONE)
    children = {r.type: r for r in python.resources if r.parent == zone.urn}
    if "aws:route53/zone:Zone" not in children:  # adopted: the id is the one given, known at once
        return {"zoneId": ZONES["adopted"].hosted_zone_id, "domainName": DOMAIN, "delegation": "ADOPTED"}
    return {
        "zoneId": output_value(dependencies=[children["aws:route53/zone:Zone"].urn]),
        "domainName": DOMAIN,
        "delegation": "BY_PARENT_IN_ACCOUNT",
        "delegationRecordFqdn": output_value(dependencies=[children["aws:route53/record:Record"].urn]),
    }


def wire_group(value: Any) -> Any:
    """An option group as an object of its fields set away from their defaults, names camelCase."""
    if not dataclasses.is_dataclass(value):
        return wire_value(value)
    return {
        camel_case(f.name): wire_value(getattr(value, f.name))
        for f in dataclasses.fields(value)
        if f.default is dataclasses.MISSING or getattr(value, f.name) != f.default
    }


def construct_edge(provider: ProviderProcess, zone: dict[str, Any]) -> Any:
    inputs = {camel_case(k): wire_group(v) for k, v in EDGE_ARGS.items()}
    return provider.construct(EDGE, "edge", {**inputs, "zone": zone}, project="streaming", stack="prod")


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_construct_edge_with_the_zones_outputs_registers_the_children_of_the_python_path(provider, zone):
    python = build_edge(ZONES[zone])
    result = construct_edge(provider, zone_outputs(python))
    same_registrations(without_zone(python), result.recording)
    (component,) = python.of_type(EDGE)
    assert result.urn == component.urn
    assert len(result.recording.resources) == 16  # the component and its children, either zone
    certificate = result.recording.named("edge-cert")
    assert certificate.inputs["domainName"] == DOMAIN
    records = [r for r in result.recording.of_type("aws:route53/record:Record") if r.name != "edge-cert-validation-0"]
    assert sorted(r.name for r in records) == ["edge-site-a", "edge-site-aaaa"]


def test_certificate_validation_waits_for_the_delegation_record_it_was_handed(provider):
    python = build_edge(ZONES["by-parent"])
    result = construct_edge(provider, zone_outputs(python))
    delegation = python.named("zone-delegation").urn
    validation = result.recording.named("edge-cert-validation")
    assert delegation in validation.dependencies
    assert sorted(python.named("edge-cert-validation").dependencies) == sorted(validation.dependencies)
    record = result.recording.named("edge-cert-validation-0")
    assert record.property_dependencies["zoneId"] == (python.named("zone-zone").urn,)


def test_construct_edge_refuses_a_zone_whose_delegation_is_pending(provider):
    zone = {"zoneId": output_value(), "domainName": DOMAIN, "delegation": "PENDING"}
    with pytest.raises(grpc.RpcError) as raised:
        construct_edge(provider, zone)
    assert "PublicZone.certificate('edge-cert'): got a zone whose delegation is PENDING" in str(raised.value.details())


def test_construct_edge_names_a_missing_zone_field(provider):
    from tests.test_provider import property_errors

    with pytest.raises(grpc.RpcError) as raised:
        construct_edge(provider, {"zoneId": "Z1", "delegation": "ADOPTED"})
    assert property_errors(raised.value) == [
        ("zone.domainName", "Missing required input 'zone.domainName' on 'StreamingEdge'")
    ]
