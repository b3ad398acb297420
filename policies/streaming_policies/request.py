"""One cache per Analyzer request, shared by every policy that runs in it.

The SDK (pulumi_policy 1.x, ``_PolicyAnalyzerServicer``) runs each policy of the pack in turn for
one ``Analyze`` (one resource) or ``AnalyzeStack`` (the whole stack) request, and for every policy
converts every resource of the request again: protobuf ``Struct`` to dict, secrets and assets
deserialized, unknown-checking proxies, resource options and provider. On top of that each stack
policy rebuilt the same :class:`~streaming_policies.graph.StackGraph` and each resource policy the
same plain copy of the inputs. The cost grew with policies x resources.

:func:`install` wraps the SDK's two handlers so that a request opens a scope (thread-local: the gRPC
server handles one request per thread). Inside it, the SDK's conversions are memoised by the identity
of the protobuf message they convert (the request owns its messages, and the memo holds a reference to
each, so an identity is never reused within a scope), and :func:`node_for` / :func:`graph_for` return
the value the first policy of the request computed. Outside a scope (a rule called directly, the
``Configure`` call, or an SDK this cannot wrap) everything is computed afresh, so correctness never
depends on the cache. Every converted value is read-only to the rules.

``AnalyzeStack`` itself is replaced by the same loop over the stack policies (levels, diagnostics,
"can't run during preview" advisories and not-applicable answers as the SDK gives them) that builds
the request's ``PolicyResource`` list once instead of once per policy: that per-policy rebuild, not
the rules, was most of the pack's cost. A test compares every verdict with the unwrapped SDK.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .graph import Node, StackGraph

_local = threading.local()


class _Scope:
    __slots__ = ("graph", "memo", "node")

    def __init__(self) -> None:
        self.node: Node | None = None
        self.graph: StackGraph | None = None
        self.memo: dict[tuple[str, int], tuple[Any, Any]] = {}


@contextmanager
def scope() -> Iterator[_Scope]:
    """Open a request scope (nesting replaces, then restores, the outer one)."""
    outer = getattr(_local, "scope", None)
    _local.scope = current = _Scope()
    try:
        yield current
    finally:
        _local.scope = outer


def _current() -> _Scope | None:
    return getattr(_local, "scope", None)


def node_for(args: Any) -> Node:
    """The plain :class:`Node` of an ``Analyze`` request's resource, converted once per request."""
    s = _current()
    if s is None:
        return Node.from_args(args)
    if s.node is None or s.node.urn != args.urn:
        s.node = Node.from_args(args)
    return s.node


def graph_for(resources: Any) -> StackGraph:
    """The :class:`StackGraph` of an ``AnalyzeStack`` request, built once per request."""
    s = _current()
    if s is None:
        return StackGraph.from_resources(resources)
    if s.graph is None or len(s.graph.nodes) != len(resources):
        s.graph = StackGraph.from_resources(resources)
    return s.graph


def _wrap(handler: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(self: Any, request: Any, context: Any) -> Any:
        with scope():
            return handler(self, request, context)

    wrapped.__wrapped__ = handler  # type: ignore[attr-defined]
    wrapped.__name__ = handler.__name__
    return wrapped


def _lookup(kind: str, arg: Any, compute: Callable[[Any], Any]) -> Any:
    s = getattr(_local, "scope", None)
    if s is None:
        return compute(arg)
    key = (kind, id(arg))
    hit = s.memo.get(key)
    if hit is not None and hit[0] is arg:
        return hit[1]
    out = compute(arg)
    s.memo[key] = (arg, out)
    return out


def memoised(kind: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(arg)`` computed once per request scope for the same ``arg`` object; extra arguments bypass it."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if kwargs or len(args) != 1:
            return fn(*args, **kwargs)
        return _lookup(kind, args[0], fn)

    wrapped.__wrapped__ = fn  # type: ignore[attr-defined]
    return wrapped


def _memoised_method(kind: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(self: Any, message: Any) -> Any:
        s = getattr(_local, "scope", None)
        if s is None:
            return method(self, message)
        key = (kind, id(message))
        hit = s.memo.get(key)
        if hit is not None and hit[0] is message:
            return hit[1]
        out = method(self, message)
        s.memo[key] = (message, out)
        return out

    wrapped.__wrapped__ = method  # type: ignore[attr-defined]
    return wrapped


class _JsonFormat:
    """``google.protobuf.json_format`` as the SDK module sees it, with ``MessageToDict`` memoised."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.MessageToDict = memoised("MessageToDict", module.MessageToDict)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


_SDK_NAMES = (
    "deserialize_properties",
    "unknown_checking_proxy",
    "json_format",
    "_PolicyAnalyzerServicer",
    "_NotApplicableError",
    "PolicyResource",
    "StackValidationArgs",
    "StackValidationPolicy",
    "EnforcementLevel",
    "UnknownValueError",
    "proto",
)
_PRIVATE = ("policies", "policy_pack_name", "policy_pack_version", "stack_tags")


def _private(servicer: Any, name: str) -> Any:
    return getattr(servicer, f"_PolicyAnalyzerServicer__{name}")


def _stack_resources(sdk: Any, servicer: Any, request: Any) -> list[Any]:
    """The request's resources as the SDK builds them for each stack policy, built once: the same
    ``PolicyResource`` objects (read-only to the rules) are handed to every stack policy."""
    resources = []
    pending = []
    for r in request.resources:
        props = sdk.unknown_checking_proxy(sdk.deserialize_properties(sdk.json_format.MessageToDict(r.properties)))
        opts = servicer._get_resource_options(r)
        provider = servicer._get_provider_resource(r)
        res = sdk.PolicyResource(r.type, props, r.urn, r.name, opts, provider, None, [], {})
        deps = {k: list(v.urns) for k, v in r.propertyDependencies.items()}
        pending.append((res, r.parent, list(r.dependencies), deps))
        resources.append(res)
    by_urn = {res.urn: res for res in resources}
    for res, parent, dependencies, prop_deps in pending:
        if parent is not None and parent in by_urn:
            res.parent = by_urn[parent]
        res.dependencies.extend(by_urn[d] for d in dependencies if d in by_urn)
        for k, urns in prop_deps.items():
            res.property_dependencies[k] = [by_urn[d] for d in urns if d in by_urn]
    return resources


def _analyze_stack(sdk: Any, original: Callable[..., Any]) -> Callable[..., Any]:
    """The SDK's ``AnalyzeStack`` (pulumi_policy 1.21, same levels, diagnostics and not-applicable answers),
    except that the resources are converted once per request instead of once per stack policy. A servicer
    without the state this reads (another SDK version) gets the SDK's own handler."""

    def analyze_stack(self: Any, request: Any, context: Any) -> Any:
        if not all(hasattr(self, f"_PolicyAnalyzerServicer__{n}") for n in _PRIVATE):
            return original(self, request, context)
        self._configure_runtime_settings()
        response = sdk.proto.AnalyzeResponse()
        resources: list[Any] | None = None
        name, version = _private(self, "policy_pack_name"), _private(self, "policy_pack_version")
        for policy in _private(self, "policies"):
            level = self._get_enforcement_level(policy)
            if level == sdk.EnforcementLevel.DISABLED or not isinstance(policy, sdk.StackValidationPolicy):
                continue
            if level == sdk.EnforcementLevel.REMEDIATE:
                level = sdk.EnforcementLevel.MANDATORY
            report = self._create_report_violation(response, policy.name, policy.description, level, policy.severity)
            if resources is None:
                resources = _stack_resources(sdk, self, request)
            args = sdk.StackValidationArgs(
                resources, self._get_policy_config(policy.name), _private(self, "stack_tags")
            )
            try:
                result = policy.validate(args, report)
                if inspect.isawaitable(result):
                    loop = asyncio.new_event_loop()
                    try:
                        loop.run_until_complete(result)
                    finally:
                        loop.close()
            except sdk.UnknownValueError as e:
                response.diagnostics.append(
                    sdk.proto.AnalyzeDiagnostic(
                        policyName=policy.name,
                        policyPackName=name,
                        policyPackVersion=version,
                        message=(
                            f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during "
                            f"preview: {e.message}"
                        ),
                        urn="",
                        description=policy.description,
                        enforcementLevel=self._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
                    )
                )
            except sdk._NotApplicableError as e:
                response.not_applicable.append(
                    sdk.proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or "")
                )
        return response

    return analyze_stack


def install() -> bool:
    """Wrap the SDK's ``Analyze``/``AnalyzeStack`` handlers in a request scope, memoise its per-policy
    conversions within it, and build AnalyzeStack's resources once (idempotent).

    Returns False, changing nothing, when the SDK no longer has the names this wraps; the pack then
    still works, only without the shared cache.
    """
    from pulumi_policy import policy as sdk

    if not all(hasattr(sdk, n) for n in _SDK_NAMES):
        return False
    servicer = sdk._PolicyAnalyzerServicer
    if getattr(servicer.AnalyzeStack, "__wrapped__", None) is not None:
        return True
    servicer.Analyze = _wrap(servicer.Analyze)
    analyze_stack = _wrap(_analyze_stack(sdk, servicer.AnalyzeStack))
    analyze_stack.__wrapped__ = servicer.AnalyzeStack  # type: ignore[attr-defined]
    servicer.AnalyzeStack = analyze_stack
    for name in ("_get_resource_options", "_get_provider_resource"):
        setattr(servicer, name, _memoised_method(name, getattr(servicer, name)))
    sdk.deserialize_properties = memoised("deserialize_properties", sdk.deserialize_properties)
    sdk.unknown_checking_proxy = memoised("unknown_checking_proxy", sdk.unknown_checking_proxy)
    sdk.json_format = _JsonFormat(sdk.json_format)
    return True
