"""S3: SSE-KMS default encryption, public access block, TLS-only policy, versioning of video buckets.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from . import graph as g
from .checks import aws_managed_alias
from .graph import Node, is_unknown, truthy
from .rule import Ctx, Finding, Option, Rule, Unknown

SSE_EXCEPTION_TAG = Option(
    "sseS3ExceptionTag",
    {"type": "object", "default": {"key": "LogDelivery", "value": "sse-s3"}},
    "Buckets carrying this tag may use SSE-S3 (AES256) instead of SSE-KMS.",
)


def _bucket_sse_ok(rule_: Any, allow_aes: bool) -> Any:
    algo = g.dig(rule_, "applyServerSideEncryptionByDefault", "sseAlgorithm")
    if is_unknown(algo):
        return g.UNKNOWN
    if algo in ("aws:kms", "aws:kms:dsse"):
        key = g.dig(rule_, "applyServerSideEncryptionByDefault", "kmsMasterKeyId")
        if not key:
            return "kmsMasterKeyId is not set (S3 uses the AWS-managed key aws/s3)"
        if aws_managed_alias(key):
            return f"kmsMasterKeyId is the AWS-managed key {key}; a customer-managed key is required"
        return truthy(g.dig(rule_, "bucketKeyEnabled")) or "bucketKeyEnabled is not true"
    if algo == "AES256" and allow_aes:
        return True
    return f"sseAlgorithm is {algo!r}, not aws:kms"


LOG_WRITERS = ((g.LOAD_BALANCERS, "accessLogs"), ((g.DISTRIBUTION,), "loggingConfig"))


def _log_deliveries(ctx: Ctx, bucket: Node) -> list[Node]:
    """Load balancers and distributions whose access-log input depends on ``bucket`` (SSE-S3-only writers)."""
    assert ctx.graph is not None
    out: list[Node] = []
    for types, prop in LOG_WRITERS:
        out.extend(ctx.graph.referrers(bucket, types, prop))
    return out


def _check_bucket_sse(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    exc = ctx.opt("sseS3ExceptionTag", S3_SSE)
    tagged = bool(exc) and node.tag(exc.get("key", "")) == exc.get("value")
    allow_aes = tagged and bool(_log_deliveries(ctx, node))
    if tagged and not allow_aes:
        # Fail closed: the tag alone proves nothing; only a log delivery that needs SSE-S3 does.
        yield (
            f"tagged {exc.get('key')}={exc.get('value')} but no load balancer accessLogs or CloudFront "
            "loggingConfig of this stack writes to it, so SSE-S3 is not allowed"
        )
        return
    configs = ctx.graph.referrers(node, g.BUCKET_SSE, "bucket")
    if not configs:
        yield "no BucketServerSideEncryptionConfiguration references this bucket"
        return
    problems: list[str] = []
    for cfg in configs:
        rules = cfg.get("rules")
        if is_unknown(rules):
            yield Unknown(f"{cfg.name}.rules")
            return
        for r in g.as_list(rules):
            verdict = _bucket_sse_ok(r, allow_aes)
            if verdict is True:
                return
            if is_unknown(verdict):
                yield Unknown(f"{cfg.name}.rules.sseAlgorithm")
                return
            problems.append(verdict)
    yield "default encryption is not SSE-KMS with a bucket key: " + ("; ".join(problems) or "no rules")


S3_SSE = Rule(
    name="s3-bucket-sse-kms",
    description="Every S3 bucket has a default-encryption configuration using SSE-KMS with a customer-managed key "
    "and the bucket key enabled.",
    pillar="encryption",
    types=g.BUCKETS,
    scope="stack",
    check=_check_bucket_sse,
    options=(SSE_EXCEPTION_TAG,),
    fsbp=("S3.17",),
    why="SSE-KMS puts object access under a key policy and CloudTrail; the bucket key keeps KMS cost flat.",
    remediation="Add aws.s3.BucketServerSideEncryptionConfiguration(bucket=b.id, rules=[{"
    "apply_server_side_encryption_by_default: {sse_algorithm: 'aws:kms', kms_master_key_id: key.arn}, "
    "bucket_key_enabled: True}]). Log buckets that AWS services deliver to with SSE-S3 only may be tagged "
    "LogDelivery=sse-s3 and use AES256.",
    notes="Exception: a bucket tagged LogDelivery=sse-s3 (configurable) may use AES256, because some AWS log "
    "deliveries (e.g. ELB access logs) only support SSE-S3; the tag is honoured only when a load balancer's "
    "accessLogs or a distribution's loggingConfig of this stack depends on the bucket (fails closed).",
)


def _check_public_access_block(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    blocks = ctx.graph.referrers(node, (g.BUCKET_PUBLIC_ACCESS_BLOCK,), "bucket")
    if not blocks:
        yield "no BucketPublicAccessBlock references this bucket"
        return
    missing: list[str] = []
    for b in blocks:
        values = {f: b.get(f) for f in flags}
        if any(is_unknown(v) for v in values.values()):
            yield Unknown(f"{b.name} flags")
            return
        missing = [f for f, v in values.items() if v is not True]
        if not missing:
            return
    yield "public access block does not set " + ", ".join(missing) + " to true"


S3_PAB = Rule(
    name="s3-bucket-public-access-block",
    description="Every S3 bucket has a public access block with all four settings true.",
    pillar="encryption",
    types=g.BUCKETS,
    scope="stack",
    check=_check_public_access_block,
    fsbp=("S3.8",),
    why="Video and user data must never become public through an ACL or policy mistake; CloudFront reads "
    "through origin access control instead.",
    remediation="Add aws.s3.BucketPublicAccessBlock(bucket=b.id, block_public_acls=True, block_public_policy=True, "
    "ignore_public_acls=True, restrict_public_buckets=True).",
)


def _all_principals(principal: Any) -> bool:
    return principal == "*" or (isinstance(principal, dict) and "*" in g.as_list(principal.get("AWS")))


def _covers_bucket_and_objects(resources: list[Any]) -> bool:
    """Some ARN and that ARN + ``/*`` are both listed (the bucket and every object in it)."""
    arns = {r for r in resources if isinstance(r, str)}
    return any(not r.endswith("/*") and f"{r}/*" in arns for r in arns)


def _denies_insecure_transport(policy: Any) -> bool:
    """A statement denies every S3 action, to every principal, on the bucket and all its objects,
    when aws:SecureTransport is false (the intent; a Deny narrowed to one action, principal or
    prefix leaves the rest reachable over plain HTTP)."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return False
    if not isinstance(policy, dict):
        return False
    for st in g.as_list(policy.get("Statement")):
        if not isinstance(st, dict) or st.get("Effect") != "Deny":
            continue
        if "NotAction" in st or "NotPrincipal" in st or "NotResource" in st:
            continue
        if not set(g.as_list(st.get("Action"))) & {"s3:*", "*"} or not _all_principals(st.get("Principal")):
            continue
        if not _covers_bucket_and_objects(g.as_list(st.get("Resource"))):
            continue
        cond = st.get("Condition") or {}
        if not isinstance(cond, dict):
            continue
        for op in ("Bool", "BoolIfExists"):
            value = (cond.get(op) or {}).get("aws:SecureTransport")
            if value is False or (isinstance(value, str) and value.lower() == "false"):
                return True
            if isinstance(value, list) and any(str(v).lower() == "false" for v in value):
                return True
    return False


def _check_tls_only(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    policies = ctx.graph.referrers(node, (g.BUCKET_POLICY,), "bucket")
    if not policies:
        yield "no BucketPolicy references this bucket (TLS-only access is not enforced)"
        return
    unknown = False
    for p in policies:
        doc = p.get("policy")
        if is_unknown(doc):
            unknown = True
        elif _denies_insecure_transport(doc):
            return
    if unknown:
        yield Unknown("bucket policy document")
    else:
        yield (
            "bucket policy has no Deny of s3:* to Principal * on the bucket and bucket/* when "
            "aws:SecureTransport = false"
        )


S3_TLS = Rule(
    name="s3-bucket-tls-only",
    description="Every S3 bucket has a bucket policy that denies s3:* to every principal on the bucket and its "
    "objects where aws:SecureTransport is false.",
    pillar="encryption",
    types=g.BUCKETS,
    scope="stack",
    check=_check_tls_only,
    fsbp=("S3.5",),
    why="Without it, S3 accepts plain-HTTP requests and data can cross the network unencrypted.",
    remediation="Add aws.s3.BucketPolicy(bucket=b.id, policy=...) with a statement {Effect: Deny, Principal: '*', "
    "Action: 's3:*', Resource: [arn, arn/*], Condition: {Bool: {'aws:SecureTransport': 'false'}}}.",
    notes="The existence of the BucketPolicy is checked at preview; its JSON usually embeds the bucket ARN and is "
    "therefore unknown on a new stack, so its content is verified on update (advisory at preview).",
)


UNVERSIONED_ROLES = Option(
    "unversionedBucketRoles",
    {"type": "array", "items": {"type": "string"}, "default": []},
    "Values of the bucket's BucketRole tag that may stay unversioned (none by default: every bucket is judged).",
)
ROLE_TAG = "BucketRole"


def _unversioned_role(node: Node, ctx: Ctx) -> str | None:
    # Fail closed: only a known role that the config lists is out of scope; an untagged bucket is judged.
    role = node.tag(ROLE_TAG)
    if isinstance(role, str) and not is_unknown(role) and role in ctx.opt("unversionedBucketRoles", VIDEO_VERSIONED):
        return f"{ROLE_TAG}={role} is listed in unversionedBucketRoles"
    return None


def _check_versioning(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    statuses = []
    for v in ctx.graph.referrers(node, g.BUCKET_VERSIONING, "bucket"):
        status = v.get("versioningConfiguration", "status")
        if is_unknown(status):
            yield Unknown(f"{v.name}.versioningConfiguration.status")
            return
        if status == "Enabled":
            return
        statuses.append(f"{v.name} is {status or 'unset'}")
    if statuses:
        yield "versioning is not Enabled: " + "; ".join(statuses)
    else:
        yield "no BucketVersioning with status Enabled references this bucket"


VIDEO_VERSIONED = Rule(
    name="video-buckets-versioned",
    description="Every S3 bucket (uploads, renditions, their DR copies, logs) has versioning Enabled.",
    pillar="data-safety",
    types=g.BUCKETS,
    scope="stack",
    check=_check_versioning,
    exempt=_unversioned_role,
    options=(UNVERSIONED_ROLES,),
    fsbp=("S3.14",),
    why="Uploaded originals are irreplaceable; versioning turns overwrites and deletes into recoverable events "
    "(and S3 replication to the DR region requires it on both sides).",
    remediation="Add aws.s3.BucketVersioning(bucket=b.id, versioning_configuration={status: 'Enabled'}) "
    "(with a lifecycle rule expiring noncurrent versions).",
    notes="The name is kept for compatibility; it used to select buckets tagged DataClass=video, a tag the "
    "components never set, so it judged nothing. Now every bucket is judged unless its BucketRole tag is listed "
    "in unversionedBucketRoles.",
)


BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
REPLICATED_ROLES = Option(
    "replicatedBucketRoles",
    {"type": "array", "items": {"type": "string"}, "default": []},
    "Values of the BucketRole tag whose buckets must replicate to the DR region (a stack with a DR region "
    "lists them; none by default).",
)


def _missing_roles(ctx: Ctx) -> list[str]:
    """Listed roles that no bucket of the stack carries (computed once per request)."""
    assert ctx.graph is not None
    key = ("missing-replicated-roles", tuple(ctx.opt("replicatedBucketRoles", DR_REPLICATION)))
    if key not in ctx.graph.cache:
        present = {b.tag(ROLE_TAG) for b in ctx.graph.of_types(*g.BUCKETS)}
        ctx.graph.cache[key] = [r for r in key[1] if r not in present and g.UNKNOWN not in present]
    return ctx.graph.cache[key]


def _first_bucket(ctx: Ctx, node: Node) -> bool:
    assert ctx.graph is not None
    return min(b.urn for b in ctx.graph.of_types(*g.BUCKETS)) == node.urn


def _not_replicated_role(node: Node, ctx: Ctx) -> str | None:
    role = node.tag(ROLE_TAG)
    if is_unknown(role) or role in ctx.opt("replicatedBucketRoles", DR_REPLICATION):
        return None
    if _missing_roles(ctx) and _first_bucket(ctx, node):
        return None  # fail closed: a listed role without a bucket is reported here
    return f"{ROLE_TAG}={role or '(none)'} is not listed in replicatedBucketRoles"


def _whole_bucket(rule_: Any) -> bool:
    """The rule's filter selects every object (no filter, an empty one, or an empty prefix)."""
    if g.dig(rule_, "prefix"):
        return False
    flt = g.dig(rule_, "filter")
    return not flt or (isinstance(flt, dict) and all(not v for v in flt.values()))


def _check_replication(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    if _first_bucket(ctx, node):
        for role in _missing_roles(ctx):
            yield f"replicatedBucketRoles lists {role!r} but no bucket of this stack is tagged {ROLE_TAG}={role}"
    role = node.tag(ROLE_TAG)
    if is_unknown(role):
        yield Unknown(f"tags.{ROLE_TAG}")
        return
    if role not in ctx.opt("replicatedBucketRoles", DR_REPLICATION):
        return
    configs = ctx.graph.referrers(node, (BUCKET_REPLICATION,), "bucket")
    if not configs:
        yield "no BucketReplicationConfig references this bucket: a region outage loses it"
        return
    for cfg in configs:
        rules = cfg.get("rules")
        if is_unknown(rules):
            yield Unknown(f"{cfg.name}.rules")
            return
        for r in g.as_list(rules):
            status, dest = g.dig(r, "status"), g.dig(r, "destination", "bucket")
            if is_unknown(status):
                yield Unknown(f"{cfg.name}.rules.status")
                return
            if status == "Enabled" and dest and _whole_bucket(r):
                return
    yield "no replication rule is Enabled for the whole bucket with a destination bucket"


DR_REPLICATION = Rule(
    name="s3-bucket-dr-replication",
    description="Every bucket whose BucketRole is listed in replicatedBucketRoles has an Enabled replication rule "
    "covering the whole bucket.",
    pillar="data-safety",
    types=g.BUCKETS,
    scope="stack",
    check=_check_replication,
    exempt=_not_replicated_role,
    options=(REPLICATED_ROLES,),
    fsbp=("S3.7",),
    why="Uploads are the only copy of the originals and the edge fails over to the renditions replica; a deleted "
    "replication configuration leaves the DR region silently stale.",
    remediation="Create aws.s3.BucketReplicationConfig(bucket=b.id, role=role.arn, rules=[{status: 'Enabled', "
    "filter: {}, destination: {bucket: replica.arn, ...}, delete_marker_replication: {status: 'Enabled'}}]); "
    "list the roles that must replicate in the stack's policy config.",
    notes="Which buckets must replicate is per stack (replicatedBucketRoles, matched against the BucketRole tag "
    "the Buckets component sets); a listed role that no bucket carries is a violation, reported on one bucket.",
)


RULES = (
    S3_SSE,
    S3_PAB,
    S3_TLS,
    VIDEO_VERSIONED,
    DR_REPLICATION,
)
