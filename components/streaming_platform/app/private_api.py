"""PrivateApi: the REST API in front of the services, reaching them privately.

An internal NLB in the private-app subnets with one TCP listener and target group per routed service, a VPC
link to it, a REGIONAL REST API with a Cognito user-pool authorizer on every method, a stage with throttling,
X-Ray and KMS-encrypted access logs, the stage's own regional web ACL, and the custom domain (TLS 1.2) with the
stage mapped under ``/api``. This is the one path to the services' API: CloudFront routes ``/api/*`` here too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from streaming_platform.app.common import (
    ORIGIN_VERIFY_HEADER,
    AppPart,
    LogSettings,
    log_group,
    raise_problems,
    target_group,
)
from streaming_platform.app.regional_waf import RegionalAclNames, rate_limit_problems, regional_web_acl

API_DOMAIN_TLS_POLICY = "TLS_1_2"
API_BASE_PATH = "api"
"""The custom domain maps the stage under ``/api``, the prefix CloudFront routes to it, so a client calls the same
paths at ``https://api.<domain>/api/...`` and ``https://<domain>/api/...``; the services see the path after it."""
INTEGRATION_TIMEOUT_MS = 29000  # REST API integrations time out after 29 s by default (API Gateway quotas)


@dataclass(frozen=True, kw_only=True)
class PrivateRoute:
    """``service`` is served on the NLB's ``nlb_port``, under the API resource ``path_part``."""

    service: str
    """Names the NLB target group and listener; its registered-output key."""
    nlb_port: int
    """The NLB listener port of this service (one port per route)."""
    path_part: str | None = None
    """Default: None, the root proxy (/{proxy+}); otherwise /<path_part> and /<path_part>/{proxy+}."""


@dataclass(frozen=True)
class PrivateApiOptions:
    """Plain settings of the REST API stage."""

    api_throttle_rate_limit: int = 100
    """Stage-wide steady-state requests per second. Default: 100; requests above it get 429."""
    api_throttle_burst_limit: int = 200
    """Stage-wide burst. Default: 200."""
    waf_rate_limit: int = 2000
    """Requests per 5 minutes per connecting IP from clients that call ``api.<domain>`` directly, before the
    stage's web ACL blocks. Requests through CloudFront are limited per viewer by the edge's web ACL instead.
    Default: 2000."""

    def problems(self) -> list[str]:
        problems = rate_limit_problems("PrivateApiOptions.waf_rate_limit", self.waf_rate_limit)
        if not 0 < self.api_throttle_rate_limit <= self.api_throttle_burst_limit:
            problems.append(
                f"PrivateApiOptions.api_throttle_rate_limit/api_throttle_burst_limit: got "
                f"{self.api_throttle_rate_limit}/{self.api_throttle_burst_limit}; allowed: 0 < rate <= burst"
            )
        return problems


@dataclass
class PrivateApiArgs:
    vpc_id: pulumi.Input[str]
    """The VPC of the NLB's target groups and security group."""
    app_subnet_ids: Sequence[pulumi.Input[str]]
    """One private-app subnet per AZ: the internal NLB spans all of them."""
    routes: Sequence[PrivateRoute]
    """One NLB listener + target group and one API resource tree per route. At least one."""
    user_pool_arn: pulumi.Input[str]
    """The Cognito user pool whose tokens the authorizer accepts."""
    origin_verify_secret: pulumi.Input[str]
    """Value the edge sends in ``X-Origin-Verify``: the stage's web ACL rate-limits, per connecting IP, only the
    requests without it (clients calling ``api.<domain>`` directly)."""
    certificate_arn: pulumi.Input[str]
    """Validated regional certificate of ``domain_name``."""
    domain_name: str
    """The API's custom domain (``api.<domain>``); the execute-api hostname is turned off."""
    logs: LogSettings
    """Key and retention of the stage's access-log group."""
    options: PrivateApiOptions = field(default_factory=PrivateApiOptions)
    """Default: ``PrivateApiOptions()`` (100 requests per second, burst 200)."""
    stage_dependencies: Sequence[pulumi.Resource] = ()
    """What the stage waits for before turning access logging on: the region's API Gateway account setting
    (``ApiGatewayAccount.account_setting``) when this stack manages it. Default: none; the account must then already
    have a CloudWatch Logs role for the region, set by another stack or by hand, or the stage fails to create."""
    routes_digest: str | None = None
    """The deployment's trigger. Default: None, a digest of ``routes``; AppTier passes the digest 0.1 used."""
    resource_prefix: str = "streaming"
    """Prefix of the API's, the VPC link's and the access-log group's names. Default: ``streaming``."""
    protect: bool = False
    """Turn on the NLB's deletion protection and protect the access-log group. Default: off."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable child, with ``Name`` added. Default: none."""


def validate_private_api_args(args: PrivateApiArgs) -> list[str]:
    problems = args.options.problems()
    names = [r.service for r in args.routes]
    ports = [r.nlb_port for r in args.routes]
    paths = [r.path_part for r in args.routes]
    if not names or len(set(names)) != len(names) or len(set(ports)) != len(ports) or len(set(paths)) != len(paths):
        problems.append(
            f"PrivateApiArgs.routes: got {[(r.service, r.nlb_port, r.path_part) for r in args.routes]}; "
            "allowed: at least one route, each service, port and path once"
        )
    if len(args.app_subnet_ids) < 2:
        problems.append(f"PrivateApiArgs.app_subnet_ids: got {len(args.app_subnet_ids)}; allowed: at least 2")
    return problems


class PrivateApi(AppPart):
    """Internal NLB, VPC link, REST API with the Cognito authorizer, stage, WAF association and domain."""

    security_group_id: pulumi.Output[str]
    """The NLB's group; the services admit it on the container port."""
    nlb_arn: pulumi.Output[str]
    target_group_arns: dict[str, pulumi.Output[str]]
    """NLB target group by service."""
    listeners: list[aws.lb.Listener]
    """The NLB listeners, for ``depends_on``: ECS fails a service whose target group has no listener."""
    api_id: pulumi.Output[str]
    stage_arn: pulumi.Output[str]
    web_acl_arn: pulumi.Output[str]
    """The stage's own REGIONAL web ACL."""
    regional_domain_name: pulumi.Output[str]
    regional_zone_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: PrivateApiArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: pulumi.Resource | None = None,
    ) -> None:
        raise_problems("PrivateApiArgs", validate_private_api_args(args))
        super().__init__(
            "streaming:app:PrivateApi", name, protect=args.protect, tags=args.tags, moved_from=moved_from, opts=opts
        )
        self._nlb(name, args)
        self._api(name, args)
        self.register_outputs(
            {
                "securityGroupId": self.security_group_id,
                "nlbArn": self.nlb_arn,
                "targetGroupArns": self.target_group_arns,
                "apiId": self.api_id,
                "stageArn": self.stage_arn,
                "webAclArn": self.web_acl_arn,
                "regionalDomainName": self.regional_domain_name,
                "regionalZoneId": self.regional_zone_id,
            }
        )

    def _nlb(self, name: str, args: PrivateApiArgs) -> None:
        sg = aws.ec2.SecurityGroup(
            f"{name}-nlb-sg",
            vpc_id=args.vpc_id,
            description="Internal NLB behind the API Gateway VPC Link (PrivateLink traffic is not filtered inbound)",
            tags=self.tags(f"{name}-nlb"),
            opts=self.child(),
        )
        self.security_group_id = sg.id
        nlb = aws.lb.LoadBalancer(
            f"{name}-nlb",
            load_balancer_type="network",
            internal=True,
            subnets=list(args.app_subnet_ids),
            security_groups=[sg.id],
            # VPC Link traffic arrives over PrivateLink; the group then only governs the NLB's egress to tasks.
            enforce_security_group_inbound_rules_on_private_link_traffic="off",
            enable_cross_zone_load_balancing=True,
            enable_deletion_protection=args.protect,
            tags=self.tags(f"{name}-nlb"),
            opts=self.child(),
        )
        self._nlb_resource = nlb
        self.nlb_arn = nlb.arn
        self.target_group_arns, self.listeners = {}, []
        for route in args.routes:
            tg = target_group(self, f"{name}-{route.service}-nlb-tg", args.vpc_id, "TCP", "ip")
            self.target_group_arns[route.service] = tg.arn
            self.listeners.append(
                aws.lb.Listener(
                    f"{name}-{route.service}-nlb-listener",
                    load_balancer_arn=nlb.arn,
                    port=route.nlb_port,
                    protocol="TCP",
                    default_actions=[{"type": "forward", "target_group_arn": tg.arn}],
                    tags=self.tags(f"{name}-{route.service}-nlb-listener"),
                    opts=self.child(),
                )
            )

    def _api(self, name: str, args: PrivateApiArgs) -> None:
        api = aws.apigateway.RestApi(
            f"{name}-api",
            name=f"{args.resource_prefix}-api",
            description=f"{name}: Cognito-authorized API in front of the ECS services",
            endpoint_configuration={"types": "REGIONAL"},
            # Reached only as api.<domain> (and through the edge); the execute-api hostname is off.
            disable_execute_api_endpoint=True,
            tags=self.tags(f"{name}-api"),
            opts=self.child(),
        )
        self.api_id = api.id
        authorizer = aws.apigateway.Authorizer(
            f"{name}-cognito",
            rest_api=api.id,
            name="cognito",
            type="COGNITO_USER_POOLS",
            provider_arns=[args.user_pool_arn],
            identity_source="method.request.header.Authorization",
            opts=self.child(),
        )
        vpc_link = aws.apigateway.VpcLink(
            f"{name}-vpc-link",
            name=f"{args.resource_prefix}-services",
            target_arn=self._nlb_resource.arn,
            tags=self.tags(f"{name}-vpc-link"),
            opts=self.child(),
        )
        routed: list[pulumi.Resource] = []
        for route in args.routes:
            base: pulumi.Input[str] = api.root_resource_id
            targets: list[tuple[str, pulumi.Input[str], str, bool]] = []
            if route.path_part is not None:
                section = aws.apigateway.Resource(
                    f"{name}-{route.service}-resource",
                    rest_api=api.id,
                    parent_id=api.root_resource_id,
                    path_part=route.path_part,
                    opts=self.child(),
                )
                base = section.id
                targets.append((f"{name}-{route.service}-root", section.id, f"/{route.path_part}", False))
            proxy = aws.apigateway.Resource(
                f"{name}-{route.service}-proxy",
                rest_api=api.id,
                parent_id=base,
                path_part="{proxy+}",
                opts=self.child(),
            )
            prefix = f"/{route.path_part}" if route.path_part is not None else ""
            targets.append((f"{name}-{route.service}-proxy", proxy.id, f"{prefix}/{{proxy}}", True))
            for resource_name, resource_id, path, is_proxy in targets:
                method = aws.apigateway.Method(
                    resource_name,
                    rest_api=api.id,
                    resource_id=resource_id,
                    http_method="ANY",
                    authorization="COGNITO_USER_POOLS",
                    authorizer_id=authorizer.id,
                    request_parameters={"method.request.path.proxy": True} if is_proxy else None,
                    opts=self.child(),
                )
                integration = aws.apigateway.Integration(
                    resource_name,
                    rest_api=api.id,
                    resource_id=resource_id,
                    http_method=method.http_method,
                    type="HTTP_PROXY",
                    integration_http_method="ANY",
                    connection_type="VPC_LINK",
                    connection_id=vpc_link.id,
                    uri=pulumi.Output.concat("http://", self._nlb_resource.dns_name, f":{route.nlb_port}{path}"),
                    request_parameters={"integration.request.path.proxy": "method.request.path.proxy"}
                    if is_proxy
                    else None,
                    timeout_milliseconds=INTEGRATION_TIMEOUT_MS,
                    opts=self.child(),
                )
                routed += [method, integration]
        digest = (
            args.routes_digest
            or hashlib.sha256(
                json.dumps([(r.service, r.path_part, r.nlb_port) for r in args.routes]).encode()
            ).hexdigest()
        )
        deployment = aws.apigateway.Deployment(
            f"{name}-api-deployment", rest_api=api.id, triggers={"routes": digest}, opts=self.child(depends_on=routed)
        )
        self._stage(name, args, api, deployment)

    def _stage(
        self,
        name: str,
        args: PrivateApiArgs,
        api: aws.apigateway.RestApi,
        deployment: aws.apigateway.Deployment,
    ) -> None:
        access_logs = log_group(
            self, f"{name}-api-access-logs", f"/aws/apigateway/{args.resource_prefix}-api", args.logs
        )
        stage = aws.apigateway.Stage(
            f"{name}-api-stage",
            rest_api=api.id,
            deployment=deployment.id,
            stage_name="v1",
            xray_tracing_enabled=True,
            access_log_settings={
                "destination_arn": access_logs.arn,
                "format": json.dumps(
                    {
                        "requestId": "$context.requestId",
                        "ip": "$context.identity.sourceIp",
                        "user": "$context.authorizer.claims.sub",
                        "requestTime": "$context.requestTime",
                        "httpMethod": "$context.httpMethod",
                        "resourcePath": "$context.resourcePath",
                        "status": "$context.status",
                        "responseLength": "$context.responseLength",
                        "integrationLatency": "$context.integrationLatency",
                    }
                ),
            },
            tags=self.tags(f"{name}-api-stage"),
            # Access logging needs the region's API Gateway CloudWatch role (ApiGatewayAccount, a stack-level opt-in).
            opts=self.child(depends_on=list(args.stage_dependencies)),
        )
        self.stage_arn = stage.arn
        aws.apigateway.MethodSettings(
            f"{name}-api-throttling",
            rest_api=api.id,
            stage_name=stage.stage_name,
            method_path="*/*",
            settings={
                "metrics_enabled": True,
                "logging_level": "ERROR",
                "data_trace_enabled": False,
                "throttling_rate_limit": args.options.api_throttle_rate_limit,
                "throttling_burst_limit": args.options.api_throttle_burst_limit,
            },
            opts=self.child(),
        )
        # WAF descriptions allow only letters, digits, spaces and +=:#@/-,. (botocore wafv2 EntityDescription).
        prefix = args.resource_prefix
        acl = regional_web_acl(
            self,
            RegionalAclNames(
                acl=f"{name}-api-acl",
                description=f"{name}: REST API stage, {args.domain_name} and /api through CloudFront",
                metric_prefix=f"{prefix}-api",
                acl_metric=f"{prefix}-api-waf",
                log_group_name=f"aws-waf-logs-{prefix}-api",
            ),
            args.options.waf_rate_limit,
            args.origin_verify_secret,
            args.logs,
            redacted_headers=(ORIGIN_VERIFY_HEADER.lower(), "authorization"),
            new=True,  # the API's own ACL is new after 0.1 (the stage shared the ALB's then)
        )
        self.web_acl_arn = acl.arn
        aws.wafv2.WebAclAssociation(f"{name}-api-waf", resource_arn=stage.arn, web_acl_arn=acl.arn, opts=self.child())
        custom_domain = aws.apigateway.DomainName(
            f"{name}-api-domain",
            domain_name=args.domain_name,
            regional_certificate_arn=args.certificate_arn,
            endpoint_configuration={"types": "REGIONAL"},
            security_policy=API_DOMAIN_TLS_POLICY,
            tags=self.tags(f"{name}-api-domain"),
            opts=self.child(),
        )
        aws.apigateway.BasePathMapping(
            f"{name}-api-mapping",
            rest_api=api.id,
            base_path=API_BASE_PATH,
            stage_name=stage.stage_name,
            domain_name=custom_domain.domain_name,
            opts=self.child(),
        )
        self.regional_domain_name = custom_domain.regional_domain_name
        self.regional_zone_id = custom_domain.regional_zone_id
