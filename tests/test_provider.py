"""The component provider, through the engine's own protocol: the plugin started as the CLI starts it, GetSchema, and
Construct for MultiAzNetwork under a recording resource monitor (offline.provider_engine), compared with the Python
path (tests/test_network.py's MultiAzNetwork alone). Expectations are derived from the components' types, so a new
component or Args field shows up here without editing this file."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import subprocess
import sys
import typing
from collections.abc import Iterator
from enum import Enum
from typing import Any

import pulumi
import pytest
import streaming_platform
from pulumi.provider.experimental.util import camel_case
from streaming_platform.provider import PACKAGE, SDK_NAMES, type_token

from offline.engine import Recording, ResourceRecord
from offline.provider_engine import PLUGIN_DIR, ProviderProcess, start_provider
from tests.test_network import STACK_ARGS, build_network

NETWORK = f"{PACKAGE}:network:MultiAzNetwork"


@pytest.fixture(scope="module")
def provider() -> Iterator[ProviderProcess]:
    with start_provider() as running:
        yield running


@pytest.fixture(scope="module")
def schema(provider: ProviderProcess) -> dict[str, Any]:
    return provider.schema()


def exported_components() -> list[type]:
    return [
        value
        for value in (getattr(streaming_platform, name) for name in streaming_platform.__all__)
        if inspect.isclass(value) and issubclass(value, pulumi.ComponentResource)
    ]


def args_type(component: type) -> type:
    hints = typing.get_type_hints(typing.cast(Any, component).__init__, localns=SDK_NAMES)
    return typing.cast(type, hints["args"])


def mentions_resource(tp: Any) -> bool:
    if inspect.isclass(tp) and issubclass(tp, pulumi.Resource):
        return True
    return any(mentions_resource(a) for a in typing.get_args(tp))


def has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def field_docstrings(cls: type) -> dict[str, str]:
    """The string literal under each annotated field, read from the class's source."""
    (node,) = ast.parse(inspect.getsource(cls).strip()).body
    assert isinstance(node, ast.ClassDef)
    docs = {}
    for stmt, after in zip(node.body, node.body[1:], strict=False):
        is_doc = isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and is_doc:
            value = after.value.value  # type: ignore[attr-defined]
            if isinstance(value, str):
                docs[stmt.target.id] = value
    return docs


def mentions_own_component(tp: Any) -> bool:
    """A resource without a type token of its own (one of this package's components, handed to Python code)."""
    if inspect.isclass(tp) and issubclass(tp, pulumi.Resource):
        return not isinstance(getattr(tp, "pulumi_type", None), str)
    return any(mentions_own_component(a) for a in typing.get_args(tp))


def public_outputs(component: type) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for cls in reversed(component.__mro__):
        if cls is object or cls.__module__.split(".")[0] == "pulumi":
            continue
        found.update(inspect.get_annotations(cls))
    return {k: v for k, v in found.items() if not k.startswith("_")}


def schema_outputs(component: type) -> list[str]:
    """The public attributes less the Python-only ones: a sub-component object (``DataTier.keys``)."""
    found: dict[str, Any] = {}
    for cls in reversed(component.__mro__):
        if cls is object or cls.__module__.split(".")[0] == "pulumi":
            continue
        found.update(inspect.get_annotations(cls, eval_str=True, locals=SDK_NAMES))
    return [k for k in public_outputs(component) if not mentions_own_component(found[k])]


def owner_of(component: type, name: str) -> type:
    return next(cls for cls in component.__mro__ if name in inspect.get_annotations(cls))


def has_alternative(tp: Any) -> bool:
    """A union of a resource object and a type with a schema form (``PublicZone | PublicZoneOutputs``)."""
    return any(not mentions_resource(a) and a is not type(None) for a in typing.get_args(tp))


def hosted_and_not() -> tuple[list[type], list[type]]:
    hosted: list[type] = []
    not_hosted: list[type] = []
    for component in exported_components():
        args = args_type(component)
        hints = typing.get_type_hints(args, localns=SDK_NAMES)
        blocked = any(
            mentions_resource(hints[f.name]) and not has_default(f) and not has_alternative(hints[f.name])
            for f in dataclasses.fields(args)
        )
        (not_hosted if blocked else hosted).append(component)
    return hosted, not_hosted


# --- The plugin as the CLI runs it ---------------------------------------------------------------------------------


def test_the_cli_entrypoint_falls_through_to_the_package_main():
    # pulumi.run.plugin hosts the module's own component classes when it finds any, bypassing the layer that makes
    # the Args readable; the lazily-importing package must expose none so it runs streaming_platform/__main__.py.
    # In a fresh interpreter, as the CLI starts the plugin: in this test session other tests have already pulled
    # component classes into the package's namespace through its lazy attributes.
    code = (
        "import streaming_platform\n"
        "from pulumi.provider.experimental.host import components_from_module\n"
        "print(len(components_from_module(streaming_platform)))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "0", found.stderr
    assert (PLUGIN_DIR / "streaming_platform" / "__main__.py").is_file()


def test_plugin_project_names_the_python_runtime_and_installs_this_package():
    import yaml

    plugin = yaml.safe_load((PLUGIN_DIR / "PulumiPlugin.yaml").read_text())
    assert plugin == {"runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}}
    requirements = [
        line for line in (PLUGIN_DIR / "requirements.txt").read_text().splitlines() if not line.startswith("#")
    ]
    assert requirements == ["-c ../constraints.txt", "-e ."]
    assert (PLUGIN_DIR / "../constraints.txt").resolve().is_file()


def test_plugin_reports_the_library_version(provider):
    from importlib.metadata import version

    assert provider.plugin_version() == version("streaming-platform")


# --- GetSchema -----------------------------------------------------------------------------------------------------


def test_schema_has_every_component_whose_args_can_cross_languages(schema):
    hosted, not_hosted = hosted_and_not()
    assert sorted(schema["resources"]) == sorted(type_token(c) for c in hosted)
    # AppTier and StreamingEdge take the zone's outputs where a Python program passes the PublicZone: all served.
    assert not_hosted == []
    assert len(hosted) == 22
    assert all(r["isComponent"] for r in schema["resources"].values())
    assert schema["name"] == PACKAGE
    assert schema["dependencies"] == [{"name": "aws", "version": pulumi_aws_version()}]


def pulumi_aws_version() -> str:
    from importlib.metadata import version

    return version("pulumi_aws")


def test_schema_inputs_are_the_args_fields_with_their_docs(schema):
    hosted, _ = hosted_and_not()
    for component in hosted:
        resource = schema["resources"][type_token(component)]
        args = args_type(component)
        hints = typing.get_type_hints(args, localns=SDK_NAMES)
        fields = [f for f in dataclasses.fields(args) if not (mentions_resource(hints[f.name]) and has_default(f))]
        where = component.__name__
        assert sorted(resource["inputProperties"]) == sorted(camel_case(f.name) for f in fields), where
        required = sorted(camel_case(f.name) for f in fields if not has_default(f))
        assert sorted(resource.get("requiredInputs", [])) == required, where
        docs = field_docstrings(args)
        for f in fields:
            assert resource["inputProperties"][camel_case(f.name)].get("description") == docs.get(f.name), (where, f)
        assert resource["description"] == (component.__doc__ or "").strip(), where


def test_schema_outputs_are_the_annotated_attributes_with_their_docs(schema):
    hosted, _ = hosted_and_not()
    for component in hosted:
        resource = schema["resources"][type_token(component)]
        outputs = schema_outputs(component)
        assert sorted(resource["properties"]) == sorted(camel_case(k) for k in outputs), component.__name__
        for name in outputs:
            doc = field_docstrings(owner_of(component, name)).get(name)
            assert resource["properties"][camel_case(name)].get("description") == doc, (component.__name__, name)


def test_schema_enums_list_every_member(schema):
    enums = {t.split(":")[-1]: t for t, spec in schema["types"].items() if "enum" in spec}
    for name, token in enums.items():
        python_enum = next(
            e for e in _enums_in_args() if e.__name__ == name
        )  # every schema enum is an Args enum of that name
        assert [m["value"] for m in schema["types"][token]["enum"]] == [m.value for m in python_enum], name
    assert "NatGatewayStrategy" in enums


def _enums_in_args() -> set[type[Enum]]:
    found: set[type[Enum]] = set()

    def walk(tp: Any) -> None:
        if inspect.isclass(tp) and issubclass(tp, Enum):
            found.add(tp)
        elif dataclasses.is_dataclass(tp) and isinstance(tp, type):
            for hint in typing.get_type_hints(tp, localns=SDK_NAMES).values():
                walk(hint)
        for a in typing.get_args(tp):
            walk(a)

    for component in hosted_and_not()[0]:
        walk(args_type(component))
    return found


def test_schema_tokens_are_the_types_the_python_components_register(schema, recording):
    # The prod stack registers every exported component; a program in another language gets the same URN types.
    registered = {r.type for r in recording("prod").resources if r.type.startswith(f"{PACKAGE}:")}
    assert sorted(schema["resources"]) == sorted(registered)
    by_name = {t.rsplit(":", 1)[1]: t for t in registered}
    assert len(by_name) == len(registered) == 22
    assert {c.__name__: type_token(c) for c in hosted_and_not()[0]} == by_name


def test_schema_pins_the_components_that_take_the_zone(schema):
    tier, edge = (schema["resources"][f"{PACKAGE}:{t}"] for t in ("app:AppTier", "edge:StreamingEdge"))
    assert sorted(tier["inputProperties"]) == [
        "accessLogs", "autoscalingServiceRoleArn", "computeMode", "data", "fleet", "identity", "loadBalancer", "logs",
        "network", "originVerifySecret", "privateApi", "protect", "publishOriginRecord", "resourcePrefix", "services",
        "tags", "zone",
    ]  # fmt: skip
    assert sorted(tier["requiredInputs"]) == ["accessLogs", "data", "logs", "network", "originVerifySecret", "zone"]
    assert sorted(tier["properties"]) == [
        "albArn", "albArnSuffix", "albDnsName", "albTargetGroupArnSuffixes", "albZoneId", "apiDomainName",
        "apiEndpoint", "apiId", "asgName", "clusterName", "computeKeyArn", "httpListenerArn", "httpsListenerArn",
        "originDomainName", "repositoryUrls", "securityGroupIds", "serviceNames", "userPoolClientId", "userPoolDomain",
        "userPoolId", "webAclArn",
    ]  # fmt: skip
    assert sorted(edge["inputProperties"]) == [
        "caching", "logRetentionDays", "originVerifySecret", "origins", "protect", "resourcePrefix",
        "signedUrlsPublicKeyPem", "tags", "waf", "zone",
    ]  # fmt: skip
    assert sorted(edge["requiredInputs"]) == ["originVerifySecret", "origins", "zone"]
    groups = {"origins": "EdgeOrigins", "caching": "EdgeCacheOptions", "waf": "EdgeWafOptions"}
    assert {g: edge["inputProperties"][g]["$ref"] for g in groups} == {
        g: f"#/types/{PACKAGE}:index:{t}" for g, t in groups.items()
    }
    origins = schema["types"][f"{PACKAGE}:index:EdgeOrigins"]
    # log_bucket_dependencies (Python resources) has no schema form: the same six as before the grouping.
    assert sorted(origins["properties"]) == [
        "apiDomainName", "logBucketName", "renditionsBucketName", "renditionsBucketRegion", "replicaBucketName",
        "replicaBucketRegion",
    ]  # fmt: skip
    assert sorted(origins["required"]) == ["logBucketName", "renditionsBucketName", "renditionsBucketRegion"]
    assert sorted(schema["types"][f"{PACKAGE}:index:EdgeCacheOptions"]["properties"]) == [
        "errorCachingSeconds", "manifestTtlSeconds", "originShieldRegion", "priceClass", "segmentDurationSeconds",
        "segmentTtlSeconds",
    ]  # fmt: skip
    assert sorted(schema["types"][f"{PACKAGE}:index:EdgeWafOptions"]["properties"]) == [
        "shieldAdvanced", "wafAnonymousIpList", "wafGeoBlockCountries", "wafMediaRateLimit", "wafRateLimit"
    ]  # fmt: skip
    assert sorted(edge["properties"]) == [
        "apiDomainName", "apiUrl", "certificateArn", "distributionArn", "distributionDomainName", "distributionId",
        "originDomainName", "shieldProtectionId", "siteDomainName", "siteUrl", "usEast1", "webAclArn",
        "webAclCapacity", "zoneId",
    ]  # fmt: skip
    # Python passes the PublicZone; the schema takes its outputs, the names of PublicZone's own outputs.
    zone_outputs = f"#/types/{PACKAGE}:index:PublicZoneOutputs"
    assert tier["inputProperties"]["zone"]["$ref"] == edge["inputProperties"]["zone"]["$ref"] == zone_outputs
    spec = schema["types"][f"{PACKAGE}:index:PublicZoneOutputs"]
    assert sorted(spec["properties"]) == ["delegation", "delegationRecordFqdn", "domainName", "zoneId"]
    assert set(spec["properties"]) <= set(schema["resources"][f"{PACKAGE}:edge:PublicZone"]["properties"])
    assert sorted(spec["required"]) == ["delegation", "domainName", "zoneId"]
    assert spec["properties"]["domainName"]["plain"] and spec["properties"]["delegation"]["plain"]
    assert "plain" not in spec["properties"]["zoneId"] and "plain" not in spec["properties"]["delegationRecordFqdn"]


def test_media_pipeline_schema_pins_its_groups(schema):
    # MediaPipelineArgs groups its inputs: the storage and keys it is wired to, and three option groups.
    media = schema["resources"][f"{PACKAGE}:media:MediaPipeline"]
    assert sorted(media["inputProperties"]) == [
        "alarmTopicArn", "appSubnetIds", "availabilityZones", "function", "keys", "logRetentionDays", "protect",
        "queue", "resourcePrefix", "storage", "tags", "transcode", "vpcId",
    ]  # fmt: skip
    assert sorted(media["requiredInputs"]) == ["appSubnetIds", "availabilityZones", "keys", "storage", "vpcId"]
    groups = {
        "storage": ("MediaStorage", 6, 6),
        "keys": ("MediaKeys", 3, 3),
        "transcode": ("TranscodeOptions", 8, 0),
        "function": ("TranscoderFunctionOptions", 7, 0),
        "queue": ("UploadQueueOptions", 3, 0),
    }
    for name, (type_name, count, required) in groups.items():
        token = f"{PACKAGE}:index:{type_name}"
        assert media["inputProperties"][name]["$ref"] == f"#/types/{token}"
        spec = schema["types"][token]
        assert (len(spec["properties"]), len(spec.get("required", []))) == (count, required), name
    assert sorted(schema["types"][f"{PACKAGE}:index:MediaKeys"]["properties"]) == [
        "dataKeyArn", "logsKeyArn", "mediaKeyArn"
    ]  # fmt: skip


def test_network_schema_pins_the_plain_and_wired_inputs(schema):
    inputs = schema["resources"][NETWORK]["inputProperties"]
    # Values the component computes on are plain (the CIDR planner needs them at construction); the KMS key is wired.
    assert inputs["availabilityZones"] == {
        "description": "AZ names, in the order subnets are planned. Appending an AZ never renumbers existing subnets.",
        "type": "array",
        "items": {
            "description": "AZ names, in the order subnets are planned. Appending an AZ never renumbers existing "
            "subnets.",
            "type": "string",
            "plain": True,
        },
        "plain": True,
    }
    assert inputs["natGatewayStrategy"]["$ref"] == f"#/types/{PACKAGE}:index:NatGatewayStrategy"
    assert inputs["subnetPrefixLengths"]["additionalProperties"]["type"] == "integer"  # Mapping[Tier, int]: str keys
    assert "plain" not in inputs["logKmsKeyArn"] and inputs["logKmsKeyArn"]["type"] == "string"
    assert schema["resources"][NETWORK]["requiredInputs"] == ["availabilityZones"]


# --- Construct -----------------------------------------------------------------------------------------------------


def wire_value(value: Any) -> Any:
    """A Python Args value as a program in another language writes it (enum members by value, names camelCase)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(wire_value(k)): wire_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wire_value(v) for v in value]
    return value


def normalised(record: ResourceRecord) -> dict[str, Any]:
    data = record.to_json()
    data["dependencies"] = sorted(data["dependencies"])
    data["propertyDependencies"] = {k: sorted(v) for k, v in data["propertyDependencies"].items()}
    return data


def same_registrations(python: Recording, through_provider: Recording) -> None:
    # The same registrations; their order is the order the SDK's event loop happened to send them in.
    theirs = {(r.type, r.name): r for r in through_provider.resources}
    assert sorted(theirs) == sorted((r.type, r.name) for r in python.resources)
    for ours in python.resources:
        assert normalised(theirs[ours.type, ours.name]) == normalised(ours), (ours.type, ours.name)
    assert sorted(json.dumps(i, sort_keys=True) for i in through_provider.invokes) == sorted(
        json.dumps(i, sort_keys=True) for i in python.invokes
    )


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_construct_network_registers_the_children_of_the_python_path(provider, schema, stack):
    args = dict(STACK_ARGS[stack])
    region = args.pop("region")
    python = build_network(stack)
    result = provider.construct(
        NETWORK,
        "network",
        {camel_case(k): wire_value(v) for k, v in args.items()},
        project="streaming",
        stack=stack,
        config={"aws:region": region},
    )
    same_registrations(python, result.recording)
    component = python.named("network")
    assert component.type == NETWORK  # the public type token is the schema's token
    assert result.urn == component.urn
    counts = {"dev": 33, "prod": 52}[stack]  # the component and its children
    assert len(result.recording.resources) == counts
    # What the component registers and what the engine gets back are the schema's outputs.
    outputs = schema["resources"][NETWORK]["properties"]
    absent = {"dev": {"endpointSecurityGroupId"}, "prod": set()}[stack]  # None: no interface endpoints in dev
    assert sorted(result.registered_outputs[component.urn]) == sorted(set(outputs) - absent)
    assert sorted(result.state) == sorted(set(outputs) - absent)
    plan = result.state["cidrPlan"]
    subnet_fields = schema["types"][f"{PACKAGE}:index:SubnetPlan"]["properties"]
    assert all(sorted(s) == sorted(subnet_fields) for s in plan["subnets"])
    azs = typing.cast(list[str], args["availability_zones"])
    assert sorted((s["tier"], s["availabilityZone"]) for s in plan["subnets"]) == sorted(
        (tier, az) for tier in ("public", "app", "data") for az in azs
    )


def test_construct_takes_a_wired_key_from_another_resource_and_keeps_its_dependency(provider):
    # A program in another language passes another resource's output: the engine sends the value and the URN it
    # came from. The flow logs must use that key (no key of their own) and wait for the resource that made it.
    key_arn = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    key_urn = "urn:pulumi:test::component::aws:kms/key:Key::shared-logs-key"
    result = provider.construct(
        NETWORK,
        "network",
        {"availabilityZones": ["us-west-2a", "us-west-2b"], "logKmsKeyArn": key_arn},
        input_dependencies={"logKmsKeyArn": [key_urn]},
    )
    rec = result.recording
    assert rec.of_type("aws:kms/key:Key") == []
    log_group = rec.named("network-flow-logs")
    assert log_group.inputs["kmsKeyId"] == key_arn
    assert log_group.property_dependencies["kmsKeyId"] == (key_urn,)
    assert result.state["logKmsKeyArn"] == key_arn


def property_errors(error: Any) -> list[tuple[str, str]]:
    """The (property path, reason) pairs of the InputPropertiesError a provider returns, as the engine reads them."""
    from pulumi.runtime.proto import errors_pb2, status_pb2

    (details,) = [v for k, v in error.trailing_metadata() if k == "grpc-status-details-bin"]
    status = status_pb2.Status.FromString(details)
    found = []
    for packed in status.details:
        errors = errors_pb2.InputPropertiesError()
        packed.Unpack(errors)
        found += [(e.property_path, e.reason) for e in errors.errors]
    return found


def test_construct_rejects_an_unknown_enum_value_naming_the_input(provider):
    import grpc

    with pytest.raises(grpc.RpcError) as raised:
        provider.construct(NETWORK, "network", {"availabilityZones": ["a", "b"], "natGatewayStrategy": "TWO"})
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert property_errors(raised.value) == [
        ("natGatewayStrategy", "Invalid value TWO of type <class 'str'> for enum 'NatGatewayStrategy'")
    ]


def test_construct_rejects_a_missing_required_input(provider):
    import grpc

    with pytest.raises(grpc.RpcError) as raised:
        provider.construct(NETWORK, "network", {"vpcCidr": "10.0.0.0/16"})
    assert property_errors(raised.value) == [
        ("availabilityZones", "Missing required input 'availabilityZones' on 'MultiAzNetwork'")
    ]


def test_construct_reports_the_components_own_validation(provider):
    import grpc

    with pytest.raises(grpc.RpcError) as raised:
        provider.construct(NETWORK, "network", {"availabilityZones": ["us-west-2a"]})
    assert "MultiAzNetworkArgs.availability_zones: got ['us-west-2a']; allowed: at least 2 AZs" in str(
        raised.value.details()
    )


def test_construct_builds_the_component_of_each_token_and_registers_that_type(provider, schema):
    for token, resource in schema["resources"].items():
        component = token.rsplit(":", 1)[1]
        if resource.get("requiredInputs"):  # no inputs: the host names what the component it picked requires
            import grpc

            with pytest.raises(grpc.RpcError) as raised:
                provider.construct(token, "c", {})
            errors = property_errors(raised.value)
            assert errors and all(reason.endswith(f"on '{component}'") for _, reason in errors), token
        else:  # nothing required: the component is built with its defaults
            result = provider.construct(token, "c", {})
            assert result.recording.named("c").type == token
            assert result.urn == result.recording.named("c").urn
    assert [t for t, r in schema["resources"].items() if not r.get("requiredInputs")] == [
        f"{PACKAGE}:app:ApiGatewayAccount",
        f"{PACKAGE}:app:Cluster",
        f"{PACKAGE}:data:DataKeys",
    ]


def test_construct_refuses_the_sdk_hosts_index_token(provider):
    import grpc

    with pytest.raises(grpc.RpcError) as raised:
        provider.construct(f"{PACKAGE}:index:MultiAzNetwork", "network", {"availabilityZones": ["a", "b"]})
    assert f"Construct: got resource type '{PACKAGE}:index:MultiAzNetwork'; allowed: one of ['{PACKAGE}:app:" in str(
        raised.value.details()
    )
