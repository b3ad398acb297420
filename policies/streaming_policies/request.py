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
the request's ``PolicyResource`` list once instead of once per policy (and one provider object per
distinct provider, not per resource): that per-policy rebuild, not the rules, was most of the pack's
cost. ``Analyze`` is replaced by the same loop over only the resource policies whose rule covers the
resource's type (a rule returns at once, reporting nothing, for any other type, so skipping it changes
no answer): a resource is checked by a handful of the pack's resource policies, not all of them. The
cyclic garbage collector is paused while a request runs, and the SDK's per-request runtime settings
skip their repeated ``inspect.signature``. A test compares every verdict with the unwrapped SDK.
"""

from __future__ import annotations

import asyncio
import gc
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


_gc_lock = threading.Lock()
_gc_holds = [0]


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while any request runs (reference counting still frees almost
    everything a request allocates). A request allocates tens of thousands of containers that live until it
    ends, so the collector would otherwise traverse them, and the botocore models loaded at the first
    requests, again and again for nothing to free; it runs again as soon as no request is in flight."""
    with _gc_lock:
        _gc_holds[0] += 1
        if _gc_holds[0] == 1:
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holds[0] -= 1
            if _gc_holds[0] == 0:
                gc.enable()


def _wrap(handler: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(self: Any, request: Any, context: Any) -> Any:
        with _no_gc(), scope():
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
    "ResourceValidationArgs",
    "ResourceValidationPolicy",
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
    # Every resource carries its own copy of its provider's message: one PolicyProviderResource per distinct
    # provider (same type, URN, name and properties), not one per resource.
    providers: dict[bytes, Any] = {}
    for r in request.resources:
        props = sdk.unknown_checking_proxy(sdk.deserialize_properties(sdk.json_format.MessageToDict(r.properties)))
        opts = servicer._get_resource_options(r)
        if r.HasField("provider"):
            key = r.provider.SerializeToString(deterministic=True)
            provider = providers.get(key)
            if provider is None:
                provider = providers[key] = servicer._get_provider_resource(r)
        else:
            provider = None
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
            _run_policy(sdk, self, response, policy, args, report)
        return response

    return analyze_stack


def _resource_policies(sdk: Any, servicer: Any, type_: str) -> list[Any]:
    """The resource policies that can say anything about a resource of ``type_``, in pack order (cached).

    A :class:`~streaming_policies.rule.Rule` policy returns at once, reporting nothing, for a type outside its
    ``types``; skipping it gives the same response without building its arguments. Any other policy is kept."""
    from .rule import Rule

    cache = servicer.__dict__.setdefault("_streaming_resource_policies", {})
    hit = cache.get(type_)
    if hit is None:
        hit = []
        for policy in _private(servicer, "policies"):
            if not isinstance(policy, sdk.ResourceValidationPolicy):
                continue
            validate = getattr(policy, "_ResourceValidationPolicy__validate", None)
            rule = getattr(validate, "__self__", None)
            if (
                isinstance(rule, Rule)
                and getattr(validate, "__func__", None) is Rule._validate_resource
                and type_ not in rule.types
            ):
                continue
            hit.append(policy)
        cache[type_] = hit
    return hit


def _run_policy(sdk: Any, servicer: Any, response: Any, policy: Any, args: Any, report: Any) -> None:
    """``policy.validate`` as the SDK runs it: awaitables run to completion, the preview advisory for an
    ``UnknownValueError`` and the not-applicable answer for ``args.not_applicable``."""
    name, version = _private(servicer, "policy_pack_name"), _private(servicer, "policy_pack_version")
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
                    f"can't run policy '{policy.name}' from policy pack '{name}@v{version}' during preview: {e.message}"
                ),
                urn="",
                description=policy.description,
                enforcementLevel=servicer._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
            )
        )
    except sdk._NotApplicableError as e:
        response.not_applicable.append(sdk.proto.PolicyNotApplicable(policy_name=policy.name, reason=e.reason or ""))


def _analyze(sdk: Any, original: Callable[..., Any]) -> Callable[..., Any]:
    """The SDK's ``Analyze`` (pulumi_policy 1.21: same levels, diagnostics and not-applicable answers), except that
    only the policies that apply to the resource's type run, over one conversion of the resource."""

    def analyze(self: Any, request: Any, context: Any) -> Any:
        if not all(hasattr(self, f"_PolicyAnalyzerServicer__{n}") for n in _PRIVATE):
            return original(self, request, context)
        self._configure_runtime_settings()
        response = sdk.proto.AnalyzeResponse()
        converted: tuple[Any, Any, Any] | None = None
        for policy in _resource_policies(sdk, self, request.type):
            level = self._get_enforcement_level(policy)
            if level == sdk.EnforcementLevel.DISABLED:
                continue
            if not policy.has_validation():
                reason = "Policy does not implement validate"
                response.not_applicable.append(sdk.proto.PolicyNotApplicable(policy_name=policy.name, reason=reason))
                continue
            if level == sdk.EnforcementLevel.REMEDIATE:
                level = sdk.EnforcementLevel.MANDATORY
            report = self._create_report_violation(response, policy.name, policy.description, level, policy.severity)
            if converted is None:
                props = sdk.unknown_checking_proxy(
                    sdk.deserialize_properties(sdk.json_format.MessageToDict(request.properties))
                )
                converted = (props, self._get_resource_options(request), self._get_provider_resource(request))
            props, opts, provider = converted
            args = sdk.ResourceValidationArgs(
                request.type,
                props,
                request.urn,
                request.name,
                opts,
                provider,
                self._get_policy_config(policy.name),
                _private(self, "stack_tags"),
            )
            _run_policy(sdk, self, response, policy, args, report)
        return response

    return analyze


def _configure_runtime_settings(sdk: Any) -> Callable[[Any], None]:
    """The SDK's ``_configure_runtime_settings`` (pulumi_policy 1.21), run before every request as the SDK does
    (gRPC runs each call in a fresh ``contextvars.Context``, so the settings must be set again each time), with
    its one costly step, ``inspect.signature(pulumi.runtime.Settings)``, taken once: the signature of a class
    does not change while the process runs."""
    import os

    import pulumi

    has_organization = "organization" in inspect.signature(pulumi.runtime.Settings).parameters

    def configure(self: Any) -> None:
        for k, v in pulumi.runtime.get_config_env().items():
            pulumi.runtime.set_config(k, v)
        if "PULUMI_PROJECT" in os.environ and "PULUMI_STACK" in os.environ and "PULUMI_DRY_RUN" in os.environ:
            settings_args: dict[str, Any] = {
                "project": os.environ["PULUMI_PROJECT"],
                "stack": os.environ["PULUMI_STACK"],
                "dry_run": os.environ["PULUMI_DRY_RUN"] == "true",
            }
            if has_organization:
                settings_args["organization"] = os.environ.get("PULUMI_ORGANIZATION", "organization")
            pulumi.runtime.configure(pulumi.runtime.Settings(**settings_args))

    return configure


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
    analyze = _wrap(_analyze(sdk, servicer.Analyze))
    analyze.__wrapped__ = servicer.Analyze  # type: ignore[attr-defined]
    servicer.Analyze = analyze
    analyze_stack = _wrap(_analyze_stack(sdk, servicer.AnalyzeStack))
    analyze_stack.__wrapped__ = servicer.AnalyzeStack  # type: ignore[attr-defined]
    servicer.AnalyzeStack = analyze_stack
    configure = _configure_runtime_settings(sdk)
    configure.__wrapped__ = servicer._configure_runtime_settings  # type: ignore[attr-defined]
    servicer._configure_runtime_settings = configure
    for name in ("_get_resource_options", "_get_provider_resource"):
        setattr(servicer, name, _memoised_method(name, getattr(servicer, name)))
    sdk.deserialize_properties = memoised("deserialize_properties", sdk.deserialize_properties)
    sdk.unknown_checking_proxy = memoised("unknown_checking_proxy", sdk.unknown_checking_proxy)
    sdk.json_format = _JsonFormat(sdk.json_format)
    return True
