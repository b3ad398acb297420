"""API Gateway: WAF on REST stages.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import graph as g
from .checks import associated
from .graph import Node, is_unknown
from .rule import Ctx, Finding, Rule, Unknown

API_METHOD = "aws:apigateway/method:Method"

APIGW_WAF = Rule(
    name="apigateway-stage-waf-attached",
    description="Every API Gateway REST stage has a WebAclAssociation to a REGIONAL wafv2 WebAcl.",
    pillar="waf",
    types=(g.API_STAGE,),
    scope="stack",
    check=lambda n, c: associated(c, n, "API stage"),
    fsbp=("APIGateway.4",),
    why="REST APIs are public by default; WAF is the only L7 filter in front of them.",
    remediation="Create aws.wafv2.WebAclAssociation(resource_arn=stage.arn, web_acl_arn=regional_acl.arn).",
    notes="resourceArn must be built from the Stage resource (e.g. `stage.arn`) so the association depends on it.",
)


def _preflight(node: Node, _ctx: Ctx) -> str | None:
    return "OPTIONS (CORS preflight) method" if node.get("httpMethod") == "OPTIONS" else None


def _check_method_authorized(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    auth = node.get("authorization")
    if is_unknown(auth):
        yield Unknown("authorization")
    elif not auth or str(auth).upper() == "NONE":
        yield f"{node.get('httpMethod') or '?'} method has authorization {auth or 'unset'}: anyone may call it"


APIGW_AUTHORIZED = Rule(
    name="apigateway-methods-authorized",
    description="Every API Gateway REST method (except OPTIONS preflight) has an authorizer (authorization is not "
    "NONE).",
    pillar="hardening",
    types=(API_METHOD,),
    check=_check_method_authorized,
    exempt=_preflight,
    why="One method left at NONE exposes its integration (the private services behind the VPC link) to the "
    "internet with only WAF in front of it.",
    remediation="Set authorization='COGNITO_USER_POOLS' (or AWS_IAM / CUSTOM) with authorizer_id on every method.",
)


RULES = (APIGW_WAF, APIGW_AUTHORIZED)
