"""Pillar 3: encryption at rest (customer-managed KMS where it matters) and in transit.

"Uses a KMS key" is decided from the graph when the key ARN is unknown at preview: the
input's property dependencies must include a ``aws:kms`` key/alias resource. S3 settings
live in separate v7 resources and are joined by their ``bucket`` property dependency.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pulumi_policy import Severity

from . import graph as g
from .graph import Node, is_unknown, truthy
from .rule import Ctx, Finding, Option, Rule, Unknown


def kms_ref(ctx: Ctx, node: Node, prop: str, value: Any, label: str) -> Iterator[Finding]:
    """``value`` (read from input ``prop``) names a KMS key: a known ARN/id/alias, or an unknown
    that depends on a KMS key/alias resource of this stack."""
    if not value:
        yield f"{label} is not set"
    elif is_unknown(value) and (ctx.graph is None or not ctx.graph.deps(node, prop, g.KMS_KEY_REFS)):
        yield Unknown(label)


# --- S3 --------------------------------------------------------------------------------------

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
        return truthy(g.dig(rule_, "bucketKeyEnabled")) or "bucketKeyEnabled is not true"
    if algo == "AES256" and allow_aes:
        return True
    return f"sseAlgorithm is {algo!r}, not aws:kms"


def _check_bucket_sse(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    exc = ctx.opt("sseS3ExceptionTag", S3_SSE)
    allow_aes = bool(exc) and node.tag(exc.get("key", "")) == exc.get("value")
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
    description="Every S3 bucket has a default-encryption configuration using SSE-KMS with the bucket key enabled.",
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
    "deliveries (e.g. ELB access logs) only support SSE-S3.",
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


def _denies_insecure_transport(policy: Any) -> bool:
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
        yield "bucket policy has no Deny statement for aws:SecureTransport = false"


S3_TLS = Rule(
    name="s3-bucket-tls-only",
    description="Every S3 bucket has a bucket policy that denies requests where aws:SecureTransport is false.",
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


# --- data stores -----------------------------------------------------------------------------


def _check_dynamodb_cmk(node: Node, ctx: Ctx) -> Iterator[Finding]:
    sse = node.get("serverSideEncryption")
    if is_unknown(sse):
        yield Unknown("serverSideEncryption")
        return
    if not sse or g.dig(sse, "enabled") is not True:
        yield "serverSideEncryption.enabled is not true (table uses an AWS owned key)"
        return
    yield from kms_ref(ctx, node, "serverSideEncryption", g.dig(sse, "kmsKeyArn"), "serverSideEncryption.kmsKeyArn")


DYNAMODB_CMK = Rule(
    name="dynamodb-cmk-encryption",
    description="Every DynamoDB table is encrypted with a customer-managed KMS key.",
    pillar="encryption",
    types=(g.DYNAMODB_TABLE,),
    scope="stack",
    check=_check_dynamodb_cmk,
    why="A customer-managed key gives key-policy control, audit of every decrypt and the ability to revoke.",
    remediation="Set server_side_encryption={enabled: True, kms_key_arn: key.arn}.",
)


def _replica(node: Node, _ctx: Ctx) -> str | None:
    return "read replica (inherits encryption and settings from its source)" if node.get("replicateSourceDb") else None


def _check_rds_encrypted(node: Node, ctx: Ctx) -> Iterator[Finding]:
    enc = node.get("storageEncrypted")
    if is_unknown(enc):
        yield Unknown("storageEncrypted")
    elif enc is not True:
        yield "storageEncrypted is not true"
    yield from kms_ref(ctx, node, "kmsKeyId", node.get("kmsKeyId"), "kmsKeyId")


RDS_ENCRYPTED = Rule(
    name="rds-storage-encrypted",
    description="Every RDS DB instance has storageEncrypted with a customer-managed kmsKeyId.",
    pillar="encryption",
    types=(g.RDS_INSTANCE,),
    scope="stack",
    check=_check_rds_encrypted,
    exempt=_replica,
    fsbp=("RDS.3",),
    why="Encryption at rest cannot be turned on after creation; the CMK keeps snapshots under our key policy.",
    remediation="Set storage_encrypted=True and kms_key_id=key.arn (requires replacement on an existing instance).",
)

SSL_PARAMS = {"rds.force_ssl": ("1",), "require_secure_transport": ("1", "ON", "on", "true")}


def _check_rds_force_ssl(node: Node, ctx: Ctx) -> Iterator[Finding]:
    assert ctx.graph is not None
    groups = ctx.graph.deps(node, "parameterGroupName", (g.RDS_PARAMETER_GROUP,))
    if not groups:
        name = node.get("parameterGroupName")
        if is_unknown(name):
            yield Unknown("parameterGroupName")
        else:
            shown = name or "(default)"
            yield f"parameter group {shown} is not managed in this stack, so rds.force_ssl=1 is not enforced"
        return
    for pg in groups:
        params = pg.get("parameters")
        if is_unknown(params):
            yield Unknown(f"{pg.name}.parameters")
            return
        for p in g.as_list(params):
            if not isinstance(p, dict):
                continue
            allowed = SSL_PARAMS.get(str(p.get("name")))
            if allowed and str(p.get("value")) in allowed:
                return
    yield f"parameter group {groups[0].name} does not set rds.force_ssl=1"


RDS_FORCE_SSL = Rule(
    name="rds-force-ssl",
    description="Every RDS DB instance uses a parameter group of this stack that sets rds.force_ssl=1.",
    pillar="encryption",
    types=(g.RDS_INSTANCE,),
    scope="stack",
    check=_check_rds_force_ssl,
    why="Without it PostgreSQL accepts unencrypted client connections inside the VPC.",
    remediation="Create aws.rds.ParameterGroup(family='postgres16', parameters=[{name: 'rds.force_ssl', value: "
    "'1'}]) and pass its name as parameter_group_name. (MySQL: require_secure_transport=1.)",
)


def _check_cache_encryption(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    for prop in ("atRestEncryptionEnabled", "transitEncryptionEnabled"):
        v = node.get(prop)
        if is_unknown(v):
            yield Unknown(prop)
        elif not truthy(v):
            yield f"{prop} is not true"


CACHE_ENCRYPTION = Rule(
    name="elasticache-encrypted",
    description="Every ElastiCache replication group encrypts data at rest and in transit.",
    pillar="encryption",
    types=(g.CACHE_REPLICATION_GROUP,),
    check=_check_cache_encryption,
    fsbp=("ElastiCache.4", "ElastiCache.5"),
    why="Session and catalogue data in Redis is user data; TLS also protects the AUTH token on the wire.",
    remediation="Set at_rest_encryption_enabled=True and transit_encryption_enabled=True (with kms_key_id).",
)


def _check_sqs(node: Node, ctx: Ctx) -> Iterator[Finding]:
    if node.get("sqsManagedSseEnabled") is True:
        return
    key = node.get("kmsMasterKeyId")
    if not key:
        yield "neither kmsMasterKeyId nor sqsManagedSseEnabled is set"
    else:
        yield from kms_ref(ctx, node, "kmsMasterKeyId", key, "kmsMasterKeyId")


SQS_ENCRYPTED = Rule(
    name="sqs-queue-encrypted",
    description="Every SQS queue is encrypted at rest (SSE-KMS via kmsMasterKeyId, or SSE-SQS).",
    pillar="encryption",
    types=(g.SQS_QUEUE,),
    scope="stack",
    check=_check_sqs,
    fsbp=("SQS.1",),
    severity=Severity.MEDIUM,
    why="Transcode job messages carry object keys and user ids.",
    remediation="Set kms_master_key_id=key.arn (preferred) or sqs_managed_sse_enabled=True.",
)


def _kms_prop_rule(
    name: str, types: tuple[str, ...], prop: str, description: str, why: str, remediation: str, **kw: Any
) -> Rule:
    return Rule(
        name=name,
        description=description,
        pillar="encryption",
        types=types,
        scope="stack",
        check=lambda n, c: kms_ref(c, n, prop, n.get(prop), prop),
        why=why,
        remediation=remediation,
        **kw,
    )


SNS_ENCRYPTED = _kms_prop_rule(
    "sns-topic-encrypted",
    (g.SNS_TOPIC,),
    "kmsMasterKeyId",
    "Every SNS topic is encrypted with KMS (kmsMasterKeyId).",
    "Alarm and pipeline notifications can carry resource names and user data.",
    "Set kms_master_key_id=key.arn (or 'alias/aws/sns').",
    fsbp=("SNS.1",),
    severity=Severity.MEDIUM,
)

LOG_GROUP_KMS = _kms_prop_rule(
    "log-group-kms",
    (g.LOG_GROUP,),
    "kmsKeyId",
    "Every CloudWatch log group is encrypted with a KMS key (kmsKeyId).",
    "Application and WAF logs contain IPs, user ids and request data.",
    "Set kms_key_id=key.arn and allow logs.<region>.amazonaws.com in the key policy.",
    severity=Severity.MEDIUM,
)


def _no_env(node: Node, _ctx: Ctx) -> str | None:
    variables = node.get("environment", "variables")
    return None if variables else "no environment variables"


LAMBDA_ENV_KMS = Rule(
    name="lambda-env-kms",
    description="Every Lambda function with environment variables encrypts them with a KMS key (kmsKeyArn).",
    pillar="encryption",
    types=(g.LAMBDA,),
    scope="stack",
    check=lambda n, c: kms_ref(c, n, "kmsKeyArn", n.get("kmsKeyArn"), "kmsKeyArn"),
    exempt=_no_env,
    severity=Severity.MEDIUM,
    why="Environment variables are readable by anyone with lambda:GetFunctionConfiguration unless under our key.",
    remediation="Set kms_key_arn=key.arn on functions that set environment.variables.",
)


def _check_launch_template_ebs(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    mappings = node.get("blockDeviceMappings")
    if is_unknown(mappings):
        yield Unknown("blockDeviceMappings")
        return
    ebs = [m for m in g.as_list(mappings) if isinstance(m, dict) and m.get("ebs") is not None]
    if not ebs:
        yield "no blockDeviceMappings with an ebs block: volume encryption is left to the AMI / account default"
        return
    for m in ebs:
        v = g.dig(m, "ebs", "encrypted")
        if is_unknown(v):
            yield Unknown(f"blockDeviceMappings[{m.get('deviceName')}].ebs.encrypted")
        elif not truthy(v):
            yield f'volume {m.get("deviceName", "?")} has ebs.encrypted={v!r}, not "true"'


LT_EBS = Rule(
    name="launch-template-ebs-encrypted",
    description='Every launch template maps its EBS volumes with ebs.encrypted = "true".',
    pillar="encryption",
    types=(g.LAUNCH_TEMPLATE,),
    check=_check_launch_template_ebs,
    fsbp=("EC2.181",),
    why="Unencrypted root volumes leak data through snapshots and AMIs.",
    remediation="Add block_device_mappings=[{device_name: '/dev/xvda', ebs: {encrypted: 'true', kms_key_id: key.arn, "
    "volume_size: ..., volume_type: 'gp3'}}]. Note `encrypted` is a string in pulumi-aws.",
)


def _asymmetric(node: Node, _ctx: Ctx) -> str | None:
    spec = node.get("customerMasterKeySpec", default="SYMMETRIC_DEFAULT")
    return None if spec in ("SYMMETRIC_DEFAULT", g.UNKNOWN) else f"{spec} keys do not support rotation"


def _check_rotation(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    v = node.get("enableKeyRotation")
    if is_unknown(v):
        yield Unknown("enableKeyRotation")
    elif v is not True:
        yield "enableKeyRotation is not true"


KMS_ROTATION = Rule(
    name="kms-key-rotation",
    description="Every symmetric customer-managed KMS key has automatic rotation enabled.",
    pillar="encryption",
    types=(g.KMS_KEY,),
    check=_check_rotation,
    exempt=_asymmetric,
    fsbp=("KMS.4",),
    severity=Severity.MEDIUM,
    why="Rotation limits the amount of data protected by one key version.",
    remediation="Set enable_key_rotation=True.",
)


# --- in transit: CloudFront and ALB ----------------------------------------------------------


def _check_viewer_protocol(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    behaviors = [("default", node.get("defaultCacheBehavior"))]
    ordered = node.get("orderedCacheBehaviors")
    if is_unknown(ordered):
        yield Unknown("orderedCacheBehaviors")
    else:
        behaviors += [(str(b.get("pathPattern", i)), b) for i, b in enumerate(g.as_list(ordered))]
    for label, b in behaviors:
        policy = g.dig(b, "viewerProtocolPolicy")
        if is_unknown(policy):
            yield Unknown(f"{label}.viewerProtocolPolicy")
        elif policy not in ("redirect-to-https", "https-only"):
            yield f"cache behavior {label} has viewerProtocolPolicy={policy!r}"


CLOUDFRONT_HTTPS = Rule(
    name="cloudfront-viewer-https",
    description="Every CloudFront cache behavior uses viewerProtocolPolicy redirect-to-https or https-only.",
    pillar="encryption",
    types=(g.DISTRIBUTION,),
    check=_check_viewer_protocol,
    fsbp=("CloudFront.3",),
    why="allow-all serves video manifests, signed URLs and cookies over plain HTTP.",
    remediation="Set viewer_protocol_policy='redirect-to-https' on the default and every ordered cache behavior.",
)

TLS_VERSIONS = Option(
    "allowedMinimumProtocolVersions",
    {"type": "array", "items": {"type": "string"}, "default": ["TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"]},
    "Accepted viewerCertificate.minimumProtocolVersion values.",
)


def _check_cf_tls(node: Node, ctx: Ctx) -> Iterator[Finding]:
    cert = node.get("viewerCertificate")
    if is_unknown(cert):
        yield Unknown("viewerCertificate")
        return
    if truthy(g.dig(cert, "cloudfrontDefaultCertificate")):
        yield "uses the *.cloudfront.net default certificate, which allows TLSv1"
        return
    v = g.dig(cert, "minimumProtocolVersion")
    if is_unknown(v):
        yield Unknown("viewerCertificate.minimumProtocolVersion")
    elif v not in ctx.opt("allowedMinimumProtocolVersions", CLOUDFRONT_TLS):
        yield f"minimumProtocolVersion is {v!r}; use TLSv1.2_2021 or newer"


CLOUDFRONT_TLS = Rule(
    name="cloudfront-tls-policy",
    description="Every CloudFront distribution uses its own certificate with minimumProtocolVersion "
    "TLSv1.2_2021 or newer.",
    pillar="encryption",
    types=(g.DISTRIBUTION,),
    check=_check_cf_tls,
    options=(TLS_VERSIONS,),
    fsbp=("CloudFront.15",),
    why="Older TLS policies allow TLS 1.0/1.1 and weak ciphers.",
    remediation="Use an ACM certificate (us-east-1) with ssl_support_method='sni-only' and "
    "minimum_protocol_version='TLSv1.2_2021'.",
)


def _check_origins(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    origins = node.get("origins")
    if is_unknown(origins):
        yield Unknown("origins")
        return
    for o in g.as_list(origins):
        custom = g.dig(o, "customOriginConfig")
        if not custom:
            continue
        label = g.dig(o, "originId", default="?")
        policy = g.dig(custom, "originProtocolPolicy")
        if is_unknown(policy):
            yield Unknown(f"origin {label}.originProtocolPolicy")
        elif policy != "https-only":
            yield f"custom origin {label} has originProtocolPolicy={policy!r}, not https-only"
        protocols = g.dig(custom, "originSslProtocols", default=[])
        if not is_unknown(protocols):
            weak = [p for p in g.as_list(protocols) if p in ("SSLv3", "TLSv1", "TLSv1.1")]
            if weak:
                yield f"custom origin {label} allows deprecated protocols {', '.join(weak)}"


CLOUDFRONT_ORIGINS = Rule(
    name="cloudfront-origin-https",
    description="Every CloudFront custom origin is reached with https-only and TLSv1.2 (no SSLv3/TLSv1/TLSv1.1).",
    pillar="encryption",
    types=(g.DISTRIBUTION,),
    check=_check_origins,
    fsbp=("CloudFront.9", "CloudFront.10"),
    why="Traffic between the edge and the ALB / API origin crosses the internet.",
    remediation="Set custom_origin_config.origin_protocol_policy='https-only' and origin_ssl_protocols=['TLSv1.2'].",
)


def _listener_protocol(node: Node) -> Any:
    return node.get("protocol", default="HTTP")


def _not_http(node: Node, _ctx: Ctx) -> str | None:
    p = _listener_protocol(node)
    return None if p in ("HTTP", g.UNKNOWN) else f"{p} listener"


def _check_http_redirect(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    if is_unknown(_listener_protocol(node)):
        yield Unknown("protocol")
        return
    actions = node.get("defaultActions")
    if is_unknown(actions):
        yield Unknown("defaultActions")
        return
    for a in g.as_list(actions):
        kind = g.dig(a, "type")
        if kind != "redirect":
            yield f"HTTP listener default action is {kind!r}, not a redirect to HTTPS"
        elif g.dig(a, "redirect", "protocol") != "HTTPS":
            yield "HTTP listener redirects without switching protocol to HTTPS"
    if not actions:
        yield "HTTP listener has no default action"


ALB_HTTP_REDIRECT = Rule(
    name="alb-http-redirects-to-https",
    description="Every HTTP load-balancer listener only redirects to HTTPS.",
    pillar="encryption",
    types=g.LISTENERS,
    check=_check_http_redirect,
    exempt=_not_http,
    fsbp=("ELB.1",),
    why="An HTTP listener that forwards serves the application in clear text.",
    remediation="Make the port-80 listener's only default action {type: 'redirect', redirect: {protocol: 'HTTPS', "
    "port: '443', status_code: 'HTTP_301'}}.",
)

TLS13_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
]

SSL_POLICIES = Option(
    "allowedSslPolicies",
    {"type": "array", "items": {"type": "string"}, "default": TLS13_POLICIES},
    "Accepted sslPolicy values for HTTPS/TLS listeners.",
)


def _not_tls(node: Node, _ctx: Ctx) -> str | None:
    p = _listener_protocol(node)
    return None if p in ("HTTPS", "TLS", g.UNKNOWN) else f"{p} listener"


def _check_tls_policy(node: Node, ctx: Ctx) -> Iterator[Finding]:
    if is_unknown(_listener_protocol(node)):
        yield Unknown("protocol")
        return
    policy = node.get("sslPolicy")
    if is_unknown(policy):
        yield Unknown("sslPolicy")
    elif policy not in ctx.opt("allowedSslPolicies", ALB_TLS_POLICY):
        yield f"sslPolicy is {policy or 'unset (ELBSecurityPolicy-2016-08)'}; use a TLS13-1-2 policy"


ALB_TLS_POLICY = Rule(
    name="alb-https-tls-policy",
    description="Every HTTPS/TLS load-balancer listener uses an allowed TLS 1.2+/1.3 security policy.",
    pillar="encryption",
    types=g.LISTENERS,
    check=_check_tls_policy,
    exempt=_not_tls,
    options=(SSL_POLICIES,),
    fsbp=("ELB.17",),
    why="The default policy still negotiates TLS 1.0/1.1.",
    remediation="Set ssl_policy='ELBSecurityPolicy-TLS13-1-2-2021-06'.",
)

RULES = (
    S3_SSE,
    S3_PAB,
    S3_TLS,
    DYNAMODB_CMK,
    RDS_ENCRYPTED,
    RDS_FORCE_SSL,
    CACHE_ENCRYPTION,
    SQS_ENCRYPTED,
    SNS_ENCRYPTED,
    LOG_GROUP_KMS,
    LAMBDA_ENV_KMS,
    LT_EBS,
    KMS_ROTATION,
    CLOUDFRONT_HTTPS,
    CLOUDFRONT_TLS,
    CLOUDFRONT_ORIGINS,
    ALB_HTTP_REDIRECT,
    ALB_TLS_POLICY,
)
