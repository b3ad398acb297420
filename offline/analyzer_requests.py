"""The Analyzer requests the CLI sends for a set of recorded resources, built before any call is made.

``Analyze`` gets one request per custom resource (its inputs, options and provider); ``AnalyzeStack`` one
request with every resource, the root stack resource included, its outputs (``step_generator.go``; see
:mod:`offline.stack_outputs`), parents and dependencies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from offline.engine import ResourceRecord
from offline.stack_outputs import stack_properties

STACK_TYPE = "pulumi:pulumi:Stack"


def struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(value)
    return s


def _provider_urn(ref: str) -> str:
    return ref.rsplit("::", 1)[0]


@dataclass
class Requests:
    customs: list[ResourceRecord]  # the resources of ``analyze``, in order
    analyze: list[analyzer_pb2.AnalyzeRequest]
    stack: analyzer_pb2.AnalyzeStackRequest


def build_requests(
    resources: Sequence[ResourceRecord],
    *,
    project: str,
    stack: str,
    preview: bool,
    region: str,
    by_urn: Mapping[str, ResourceRecord],
) -> Requests:
    stack_urn = f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"
    providers: dict[str, analyzer_pb2.AnalyzerProviderResource | None] = {}

    def provider_for(r: ResourceRecord) -> analyzer_pb2.AnalyzerProviderResource | None:
        if r.type.startswith("pulumi:providers:") or not r.custom:
            return None
        key = r.provider or ""
        if key in providers:
            return providers[key]
        out = None
        if r.provider:
            p = by_urn.get(_provider_urn(r.provider))
            if p is not None and p.type.startswith("pulumi:providers:"):
                out = analyzer_pb2.AnalyzerProviderResource(
                    type=p.type, properties=struct(p.inputs), urn=p.urn, name=p.name
                )
        if out is None:
            pkg = r.type.split(":", 1)[0]
            default = f"default:{pkg}"
            if default not in providers:
                props = {"region": region} if pkg == "aws" else {}
                providers[default] = analyzer_pb2.AnalyzerProviderResource(
                    type=f"pulumi:providers:{pkg}",
                    properties=struct(props),
                    urn=f"urn:pulumi:{stack}::{project}::pulumi:providers:{pkg}::default",
                    name="default",
                )
            out = providers[default]
        if r.provider:
            providers[key] = out
        return out

    def options(r: ResourceRecord) -> analyzer_pb2.AnalyzerResourceOptions:
        return analyzer_pb2.AnalyzerResourceOptions(
            protect=r.protect, ignoreChanges=list(r.ignore_changes), parent=r.parent or ""
        )

    customs = [r for r in resources if r.custom]
    analyze = []
    for r in customs:
        req = analyzer_pb2.AnalyzeRequest(
            type=r.type, properties=struct(r.inputs), urn=r.urn, name=r.name, options=options(r)
        )
        prov = provider_for(r)
        if prov is not None:
            req.provider.CopyFrom(prov)
        analyze.append(req)

    stack_req = analyzer_pb2.AnalyzeStackRequest()
    if stack_urn not in by_urn:
        stack_req.resources.append(
            analyzer_pb2.AnalyzerResource(
                type=STACK_TYPE, urn=stack_urn, name=f"{project}-{stack}", properties=struct({})
            )
        )
    for r in resources:
        res = analyzer_pb2.AnalyzerResource(
            type=r.type,
            properties=struct(stack_properties(r, preview=preview, region=region, by_urn=by_urn)),
            urn=r.urn,
            name=r.name,
            options=options(r),
            parent=r.parent or (stack_urn if r.type != STACK_TYPE else ""),
            dependencies=list(r.dependencies),
        )
        for k, urns in r.property_dependencies.items():
            res.propertyDependencies[k].urns.extend(urns)
        prov = provider_for(r)
        if prov is not None:
            res.provider.CopyFrom(prov)
        stack_req.resources.append(res)
    return Requests(customs, analyze, stack_req)
