"""LoadBalancer: the internet-facing ALB behind the edge, its REGIONAL WAF, listeners, rules and target groups.

- TLS 1.3 policy on 443; port 80 only redirects to HTTPS.
- Listener rules forward only requests carrying the edge's secret ``X-Origin-Verify`` header; everything else
  gets a fixed 403 from the default action.
- The ALB's security group admits 443 from CloudFront's origin-facing managed prefix list only.
- The ALB's own web ACL (managed common + known-bad-inputs rules, a per-connecting-IP rate limit on requests
  without the origin secret; see ``regional_waf``) is associated with the ALB. The REST API stage has its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform.app.common import (
    ORIGIN_VERIFY_HEADER,
    AppPart,
    LogSettings,
    raise_problems,
    target_group,
)
from streaming_platform.app.regional_waf import RegionalAclNames, rate_limit_problems, regional_web_acl

ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
ALB_LOG_PREFIX = "alb"
CATCH_ALL = ("/*",)

# Regions that opened before August 2022 deliver ALB access logs as an ELB account of the region; newer
# regions use the log-delivery service principal. (Elastic Load Balancing User Guide, "Enable access logs".)
ELB_LOG_DELIVERY_ACCOUNTS: Mapping[str, str] = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-south-1": "718504428378",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-south-1": "635631232127",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
}


def alb_access_log_statements(bucket_arn: str, region: str, account: str, partition: str) -> list[dict[str, Any]]:
    """Bucket-policy statements that let Elastic Load Balancing write this account's ALB logs under ``alb/``."""
    elb_account = ELB_LOG_DELIVERY_ACCOUNTS.get(region)
    principal = (
        {"AWS": f"arn:{partition}:iam::{elb_account}:root"}
        if elb_account
        else {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}
    )
    return [
        {
            "Sid": "ElbWritesAccessLogs",
            "Effect": "Allow",
            "Principal": principal,
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn}/{ALB_LOG_PREFIX}/AWSLogs/{account}/*",
        }
    ]


def alb_access_log_policy(bucket_arn: pulumi.Input[str]) -> pulumi.Output[list[dict[str, Any]]]:
    """``alb_access_log_statements`` for this stack's region and account, as an Output."""
    return pulumi.Output.all(
        bucket_arn,
        aws.get_region_output().region,
        aws.get_caller_identity_output().account_id,
        aws.get_partition_output().partition,
    ).apply(lambda a: alb_access_log_statements(*a))


@dataclass(frozen=True, kw_only=True)
class AlbRoute:
    """Requests for ``paths`` (with the origin header) go to the target group ``<name>-<target>-tg``."""

    target: str
    """Names the target group and rule; the target's registered-output key (``fleet``, a service name)."""
    paths: tuple[str, ...]
    """ALB path patterns; ``("/*",)`` is the catch-all and always gets the last priority."""
    target_type: str = "ip"
    """Default: ``ip`` (Fargate tasks); ``instance`` for an Auto Scaling fleet."""


@dataclass(frozen=True)
class AccessLogs:
    """Where the ALB writes its access logs."""

    bucket: pulumi.Input[str]
    """Bucket (SSE-S3) for access logs under ``alb/``; its policy must already grant delivery
    (``alb_access_log_statements``)."""
    dependencies: Sequence[pulumi.Resource] = ()
    """Resources the ALB waits for, typically the log bucket's policy: ELB checks delivery permission when
    access logging is turned on. Default: none; the ALB may fail to create if the policy lands later."""


@dataclass(frozen=True)
class LoadBalancerOptions:
    """Plain settings of the ALB and its web ACL."""

    waf_rate_limit: int = 2000
    """Requests per 5 minutes per connecting IP, counting only requests without the edge's origin secret (anything
    reaching the ALB other than through this stack's distribution), before WAF blocks. Viewers are limited per
    address by the edge's own web ACL. Default: 2000."""


@dataclass
class LoadBalancerArgs:
    vpc_id: pulumi.Input[str]
    """The VPC of the target groups and the ALB's security group."""
    public_subnet_ids: Sequence[pulumi.Input[str]]
    """One public subnet per AZ: the ALB spans all of them."""
    certificate_arn: pulumi.Input[str]
    """The validated regional certificate of the 443 listener."""
    origin_verify_secret: pulumi.Input[str]
    """Value the edge sends in ``X-Origin-Verify``; listener rules forward only requests that carry it."""
    routes: Sequence[AlbRoute]
    """One listener rule and target group per route; the catch-all ``/*`` route is placed last. At least one."""
    access_logs: AccessLogs
    """The access-log bucket and what the ALB waits for before turning logging on."""
    logs: LogSettings
    """Key and retention of the WAF's log group."""
    options: LoadBalancerOptions = field(default_factory=LoadBalancerOptions)
    """Default: ``LoadBalancerOptions()`` (rate limit 2000 per 5 minutes per client IP)."""
    resource_prefix: str = "streaming"
    """Prefix of the WAF's metric names and its log group. Default: ``streaming``; two stacks in one account
    need different prefixes."""
    protect: bool = False
    """Turn on the ALB's deletion protection and protect the WAF log group. Default: off (dev can be torn down)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable child, with ``Name`` added. Default: none."""


def validate_load_balancer_args(args: LoadBalancerArgs) -> list[str]:
    problems = []
    if len(args.public_subnet_ids) < 2:
        problems.append(
            f"LoadBalancerArgs.public_subnet_ids: got {len(args.public_subnet_ids)} subnets; "
            "allowed: at least 2 (an ALB spans at least two AZs)"
        )
    targets = [r.target for r in args.routes]
    if not targets or len(set(targets)) != len(targets):
        problems.append(f"LoadBalancerArgs.routes: got targets {targets}; allowed: at least one, each once")
    problems += rate_limit_problems("LoadBalancerOptions.waf_rate_limit", args.options.waf_rate_limit)
    return problems


class LoadBalancer(AppPart):
    """The public ALB, its REGIONAL web ACL, the 443/80 listeners and one rule + target group per route."""

    security_group_id: pulumi.Output[str]
    alb_arn: pulumi.Output[str]
    alb_arn_suffix: pulumi.Output[str]
    alb_dns_name: pulumi.Output[str]
    alb_zone_id: pulumi.Output[str]
    https_listener_arn: pulumi.Output[str]
    http_listener_arn: pulumi.Output[str]
    web_acl_arn: pulumi.Output[str]
    target_group_arns: dict[str, pulumi.Output[str]]
    target_group_arn_suffixes: dict[str, pulumi.Output[str]]
    """By route target, as CloudWatch dimensions."""
    listener_rules: list[aws.lb.ListenerRule]
    """The forwarding rules, for ``depends_on``: a target group only takes targets once a rule uses it."""

    def __init__(
        self,
        name: str,
        args: LoadBalancerArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        moved_from: pulumi.Resource | None = None,
    ) -> None:
        raise_problems("LoadBalancerArgs", validate_load_balancer_args(args))
        super().__init__(
            "streaming:app:LoadBalancer", name, protect=args.protect, tags=args.tags, moved_from=moved_from, opts=opts
        )
        sg = aws.ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=args.vpc_id,
            # No apostrophe: EC2 allows only a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$* (CreateSecurityGroup).
            description="Public ALB: HTTPS from the CloudFront origin-facing prefix list only",
            tags=self.tags(f"{name}-alb"),
            opts=self.child(),
        )
        self.security_group_id = sg.id
        prefix_list = aws.ec2.get_managed_prefix_list_output(
            name=CLOUDFRONT_ORIGIN_FACING_PREFIX_LIST, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        # The prefix list counts as its max entries (~55) against the rules-per-group quota: keep this group small.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-alb-https-from-cloudfront",
            security_group_id=sg.id,
            prefix_list_id=prefix_list.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS from CloudFront origin-facing servers",
            opts=self.child(),
        )
        acl = self._web_acl(name, args)
        self.web_acl_arn = acl.arn
        alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            subnets=list(args.public_subnet_ids),
            security_groups=[sg.id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="strictest",
            enable_deletion_protection=args.protect,
            access_logs={"bucket": args.access_logs.bucket, "prefix": ALB_LOG_PREFIX, "enabled": True},
            tags=self.tags(f"{name}-alb"),
            opts=self.child(depends_on=list(args.access_logs.dependencies)),
        )
        self.alb_arn, self.alb_dns_name = alb.arn, alb.dns_name
        self.alb_zone_id, self.alb_arn_suffix = alb.zone_id, alb.arn_suffix
        aws.wafv2.WebAclAssociation(f"{name}-alb-waf", resource_arn=alb.arn, web_acl_arn=acl.arn, opts=self.child())
        https = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=ALB_TLS_POLICY,
            certificate_arn=args.certificate_arn,
            # Anything without the edge's secret header (a direct hit on the ALB) is refused.
            default_actions=[
                {
                    "type": "fixed-response",
                    "fixed_response": {"content_type": "text/plain", "message_body": "Forbidden", "status_code": "403"},
                }
            ],
            tags=self.tags(f"{name}-https"),
            opts=self.child(),
        )
        http = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}
            ],
            tags=self.tags(f"{name}-http"),
            opts=self.child(),
        )
        self.https_listener_arn, self.http_listener_arn = https.arn, http.arn
        groups: dict[str, aws.lb.TargetGroup] = {}
        self.listener_rules = []
        # Most specific first; the catch-all "/*" is the last rule.
        ordered = [r for r in args.routes if r.paths != CATCH_ALL] + [r for r in args.routes if r.paths == CATCH_ALL]
        for priority, route in enumerate(ordered, start=1):
            tg = target_group(self, f"{name}-{route.target}-tg", args.vpc_id, "HTTP", route.target_type)
            groups[route.target] = tg
            self.listener_rules.append(
                aws.lb.ListenerRule(
                    f"{name}-{route.target}-rule",
                    listener_arn=https.arn,
                    priority=priority * 10,
                    conditions=[
                        {
                            "http_header": {
                                "http_header_name": ORIGIN_VERIFY_HEADER,
                                "values": [args.origin_verify_secret],
                            }
                        },
                        {"path_pattern": {"values": list(route.paths)}},
                    ],
                    actions=[{"type": "forward", "target_group_arn": tg.arn}],
                    tags=self.tags(f"{name}-{route.target}-rule"),
                    opts=self.child(),
                )
            )
        self.target_group_arns = {target: tg.arn for target, tg in groups.items()}
        self.target_group_arn_suffixes = {target: tg.arn_suffix for target, tg in groups.items()}
        self.register_outputs(
            {
                "securityGroupId": self.security_group_id,
                "albArn": self.alb_arn,
                "albArnSuffix": self.alb_arn_suffix,
                "albDnsName": self.alb_dns_name,
                "albZoneId": self.alb_zone_id,
                "httpsListenerArn": self.https_listener_arn,
                "httpListenerArn": self.http_listener_arn,
                "webAclArn": self.web_acl_arn,
                "targetGroupArns": self.target_group_arns,
                "targetGroupArnSuffixes": self.target_group_arn_suffixes,
            }
        )

    def _web_acl(self, name: str, args: LoadBalancerArgs) -> aws.wafv2.WebAcl:
        prefix = args.resource_prefix
        return regional_web_acl(
            self,
            RegionalAclNames(
                acl=f"{name}-waf",
                description=f"{name}: ALB, reached through CloudFront only",
                metric_prefix=prefix,
                acl_metric=f"{prefix}-regional-waf",
                log_group_name=f"aws-waf-logs-{prefix}-regional",
            ),
            args.options.waf_rate_limit,
            args.origin_verify_secret,
            args.logs,
            redacted_headers=(ORIGIN_VERIFY_HEADER.lower(), "authorization"),
        )
