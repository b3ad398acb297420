"""Access contracts: the requests each workload makes at runtime, and the ones it must not be able to make.

A contract names resources the way the component that creates them does (resource type + logical name), never
by physical ARN: a contract is declared next to its component (``<package>/access.py``) before any id exists, and
whoever holds the stack's state (the offline engine's recording, or a deployed stack's export) resolves the
references to ARNs and evaluates every request with an IAM policy simulator over the identity policies of the
principal and the resource policy of the resource (key, bucket, queue, topic, secret, function, trust policy).

A request's context holds the keys AWS adds to that request (``kms:ViaService`` when a service calls KMS on the
caller's behalf, ``aws:SourceArn``/``aws:SourceAccount`` when a service principal acts for a resource,
``kms:EncryptionContext:*``, ``aws:SecureTransport``), so conditions are evaluated as AWS would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class Ref:
    """An attribute of a resource the stack registers: ``type``/``name`` as registered, ``attr`` its output
    (``arn``, ``id``, ``name``, ``resourceId``...). ``type`` ``stack`` names the stack's own ``account``,
    ``region`` and ``partition``."""

    type: str
    name: str
    attr: str = "arn"


ACCOUNT = Ref("stack", "", "account")
REGION = Ref("stack", "", "region")
PARTITION = Ref("stack", "", "partition")

Part = str | Ref
Value = Part | tuple[Part, ...]
"""A string, a reference, or the concatenation of several."""


class Expect(StrEnum):
    ALLOWED = "allowed"
    """The workload needs it: denied is a defect (the platform breaks at run time)."""
    DENIED = "denied"
    """The workload must not be able to do it: allowed is a defect (too broad a grant)."""


@dataclass(frozen=True, kw_only=True)
class Request:
    """One API request, as AWS authorizes it."""

    label: str
    """What the request is for, in the table (``read a rendition``)."""
    action: str
    resource: Value
    """The ARN the request names. Its first reference (not a stack value) is the resource whose policy applies."""
    context: Mapping[str, Value] = field(default_factory=dict)
    """Keys AWS adds to the request context. ``aws:SecureTransport`` is ``true`` unless given."""
    expect: Expect = Expect.ALLOWED
    resource_owner: Ref | None = None
    """The resource whose policy applies, when it is not the first reference in ``resource``."""
    principal: str | None = None
    """Who makes this request when it is not the workload's principal: the service that assumes the workload's
    role (``ec2.amazonaws.com``). Default: the workload's principal."""


@dataclass(frozen=True, kw_only=True)
class Workload:
    """Who makes the requests: a role the stack creates (its identity policies and, for ``sts:AssumeRole``, its
    trust policy apply) or a principal outside the stack (a service principal such as
    ``cloudfront.amazonaws.com``, or an AWS account's root), for which only resource policies apply."""

    name: str
    """Unique in the stack, such as ``ecs:api`` or ``cloudfront-oac``."""
    principal: Ref | str
    requests: tuple[Request, ...]
    external_account: bool = False
    """The principal is another AWS account (Elastic Load Balancing's log-delivery account): its own identity
    policies are outside the stack and taken to allow the request, so the stack's resource policy decides.
    Default: off."""


def role_ref(name: str) -> Ref:
    return Ref("aws:iam/role:Role", name)


def key_ref(name: str) -> Ref:
    return Ref("aws:kms/key:Key", name)


def bucket_ref(name: str) -> Ref:
    return Ref("aws:s3/bucket:Bucket", name)


def assume(service: str, role: Ref, *, context: Mapping[str, Value] | None = None, label: str = "") -> Request:
    """``service`` assumes ``role`` with the context it sends: its trust policy decides."""
    return Request(
        label=label or f"{service} assumes the role",
        action="sts:AssumeRole",
        resource=role,
        context=dict(context or {}),
        principal=service,
    )
