"""examples/yaml-network: a Pulumi YAML program using MultiAzNetwork through the component provider. Every property
and output reference is checked against the provider's GetSchema, and Construct with the program's properties
registers exactly what a Python program with the same MultiAzNetworkArgs registers."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.provider.experimental.util import camel_case
from streaming_platform.network.multi_az import MultiAzNetwork, MultiAzNetworkArgs, NatGatewayStrategy

from offline.engine import run_component
from offline.provider_engine import PLUGIN_DIR, ProviderProcess, start_provider
from tests.test_provider import same_registrations

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "yaml-network"


@pytest.fixture(scope="module")
def program() -> dict[str, Any]:
    return dict(yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text()))


@pytest.fixture(scope="module")
def provider() -> Iterator[ProviderProcess]:
    with start_provider() as running:
        yield running


@pytest.fixture(scope="module")
def schema(provider: ProviderProcess) -> dict[str, Any]:
    return provider.schema()


def test_program_names_the_plugin_directory_of_this_repository(program):
    assert program["runtime"] == "yaml"
    assert (EXAMPLE / program["packages"]["streaming"]).resolve() == PLUGIN_DIR.resolve()
    assert (PLUGIN_DIR / "PulumiPlugin.yaml").is_file()


def test_every_property_is_a_schema_input_with_an_allowed_value(program, schema):
    resources = program["resources"]
    assert [r["type"] for r in resources.values()] == ["streaming:network:MultiAzNetwork"]
    for resource in resources.values():
        spec = schema["resources"][resource["type"]]
        properties = resource["properties"]
        assert set(properties) <= set(spec["inputProperties"])
        assert set(spec["requiredInputs"]) <= set(properties)
        for key, value in properties.items():
            declared = spec["inputProperties"][key]
            if "$ref" in declared:
                enum = schema["types"][declared["$ref"].removeprefix("#/types/")]["enum"]
                assert value in [m["value"] for m in enum], key
            else:
                kind = {"array": list, "object": dict, "string": str, "integer": int, "boolean": bool}
                assert isinstance(value, kind[declared["type"]]), key


def test_every_output_reference_names_a_schema_output(program, schema):
    outputs = schema["resources"]["streaming:network:MultiAzNetwork"]["properties"]
    references = [re.fullmatch(r"\$\{network\.(\w+)\}", v) for v in program["outputs"].values()]
    assert all(references)
    assert {m.group(1) for m in references if m} <= set(outputs)
    assert len(references) == 6


def python_args(properties: dict[str, Any]) -> MultiAzNetworkArgs:
    """The same values as the Python program passes them (schema names back to field names)."""
    by_schema_name = {camel_case(f.name): f.name for f in dataclasses.fields(MultiAzNetworkArgs)}
    values = {by_schema_name[k]: v for k, v in properties.items()}
    values["nat_gateway_strategy"] = NatGatewayStrategy(values["nat_gateway_strategy"])
    return MultiAzNetworkArgs(**values)


def test_construct_with_the_programs_properties_matches_the_python_program(program, provider):
    region = yaml.safe_load((EXAMPLE / "Pulumi.example.yaml").read_text())["config"]["aws:region"]
    resource = program["resources"]["network"]
    args = python_args(resource["properties"])

    def python_program() -> None:
        MultiAzNetwork("network", args)

    python = run_component(python_program, config={"aws:region": region}, project=program["name"], stack="example")
    result = provider.construct(
        resource["type"],
        "network",
        resource["properties"],
        project=program["name"],
        stack="example",
        config={"aws:region": region},
    )
    same_registrations(python, result.recording)
    # One NAT gateway (SINGLE), the logs interface endpoint with its security group, the program's tag on the VPC.
    assert len(result.recording.of_type("aws:ec2/natGateway:NatGateway")) == 1
    endpoints = result.recording.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert sorted(e.name for e in endpoints) == [
        "network-dynamodb-endpoint",
        "network-logs-endpoint",
        "network-s3-endpoint",
    ]
    vpc = result.recording.named("network-vpc")
    assert vpc.inputs["cidrBlock"] == "10.40.0.0/16"
    assert vpc.inputs["tags"] == {"team": "video-yaml", "Name": "network-vpc"}
    assert result.recording.named("network-flow-logs").inputs["retentionInDays"] == 90
