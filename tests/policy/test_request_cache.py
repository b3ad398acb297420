"""The per-request machinery of streaming_policies.request, piece by piece, against the unwrapped SDK.

The whole-pack comparison (every verdict with and without it) is test_stack_analysis's
``test_cached_and_uncached_verdicts_are_the_same``; these pin each shortcut on its own. Nothing here calls
``request.install()``: the SDK of this process stays unwrapped for that comparison.
"""

from __future__ import annotations

import contextvars
import gc
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pulumi_policy import policy as sdk
from streaming_policies import request
from streaming_policies.registry import PACK_NAME, all_rules, build_policies


def _servicer(policies: list[Any] | None = None) -> Any:
    return sdk._PolicyAnalyzerServicer(
        PACK_NAME,
        "0.0.1",
        policies if policies is not None else build_policies(),
        EnforcementLevel.MANDATORY,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    )


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(value)
    return s


BUCKET = "aws:s3/bucketV2:BucketV2"


def test_analyze_runs_exactly_the_rules_that_cover_the_type_in_pack_order() -> None:
    servicer = _servicer()
    picked = [p.name for p in request._resource_policies(sdk, servicer, BUCKET)]
    expected = [r.name for r in all_rules() if r.scope == "resource" and BUCKET in r.types]
    assert picked == expected
    assert len(expected) >= 1
    assert request._resource_policies(sdk, servicer, "aws:nothing/none:None") == []


def test_analyze_keeps_every_policy_that_is_not_a_rule() -> None:
    seen: list[str] = []
    foreign = ResourceValidationPolicy(name="foreign", description="d", validate=lambda args, report: seen.append(1))
    servicer = _servicer([foreign, *build_policies()])
    assert [p.name for p in request._resource_policies(sdk, servicer, "aws:nothing/none:None")] == ["foreign"]


def test_stack_resources_share_one_provider_object_per_distinct_provider() -> None:
    def provider(name: str, region: str) -> analyzer_pb2.AnalyzerProviderResource:
        return analyzer_pb2.AnalyzerProviderResource(
            type="pulumi:providers:aws",
            properties=_struct({"region": region}),
            urn=f"urn:pulumi:prod::streaming::pulumi:providers:aws::{name}",
            name=name,
        )

    req = analyzer_pb2.AnalyzeStackRequest()
    for i, prov in enumerate([provider("a", "us-west-2"), provider("a", "us-west-2"), provider("b", "us-east-1")]):
        r = req.resources.add(type=BUCKET, urn=f"urn:pulumi:prod::streaming::{BUCKET}::b{i}", name=f"b{i}")
        r.properties.CopyFrom(_struct({"bucket": f"b{i}"}))
        r.provider.CopyFrom(prov)
    req.resources.add(type=BUCKET, urn=f"urn:pulumi:prod::streaming::{BUCKET}::none", name="none")
    servicer = _servicer()
    resources = request._stack_resources(sdk, servicer, req)
    a0, a1, b, none = (r.provider for r in resources)
    assert a0 is a1 and a0 is not b and none is None
    for got, msg in zip((a0, b), (req.resources[0], req.resources[2]), strict=True):
        want = servicer._get_provider_resource(msg)
        assert (got.resource_type, got.urn, got.name, dict(got.props)) == (
            want.resource_type,
            want.urn,
            want.name,
            dict(want.props),
        )
    assert dict(b.props) == {"region": "us-east-1"}


def test_gc_paused_while_any_request_runs_and_restored_after() -> None:
    assert gc.isenabled()
    with request._no_gc():
        assert not gc.isenabled()
        with request._no_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer request still runs
    assert gc.isenabled()
    with pytest.raises(RuntimeError), request._no_gc():
        raise RuntimeError("a failing request")
    assert gc.isenabled()


def test_runtime_settings_are_the_sdks(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    monkeypatch.setenv("PULUMI_PROJECT", "streaming")
    monkeypatch.setenv("PULUMI_STACK", "prod")
    monkeypatch.setenv("PULUMI_DRY_RUN", "false")
    monkeypatch.setenv("PULUMI_CONFIG", '{"aws:region": "us-west-2", "streaming:x": "1"}')
    servicer = _servicer()

    def settings(configure: Any) -> tuple[Any, ...]:
        def run() -> tuple[Any, ...]:
            configure(servicer)
            s = pulumi.runtime.settings
            return (
                s.get_project(),
                s.get_stack(),
                s.is_dry_run(),
                s.get_organization(),
                pulumi.Config("aws").get("region"),
                pulumi.Config("streaming").get("x"),
            )

        return contextvars.Context().run(run)  # as gRPC runs every call in a fresh context

    ours = settings(request._configure_runtime_settings(sdk))
    assert ours == settings(sdk._PolicyAnalyzerServicer._configure_runtime_settings)
    assert ours == ("streaming", "prod", False, "organization", "us-west-2", "1")
