"""Rules that judge every public entry point at once: nothing the internet can call sits where
AWS WAF cannot be put in front of it.

AWS WAF protects CloudFront distributions, ALBs, API Gateway REST API stages, AppSync, Cognito user
pools, App Runner and Verified Access (AWS WAF Developer Guide, "Resources that you can protect with
AWS WAF"). An API Gateway v2 (HTTP or WebSocket) API and a Lambda function URL are not on that
list, so a public one is an entry point without WAF whatever else the stack does. (Internet-facing
network load balancers are judged by ``alb-waf-attached``; multi-tenant distributions by
``cloudfront-waf-attached``.)

Each rule carries its pillar as a tag; the registry collects every module's ``RULES``.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from .graph import Node, is_unknown, truthy
from .rule import Ctx, Finding, Rule, Unknown

HTTP_API = "aws:apigatewayv2/api:Api"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"


def _check_entry_point(node: Node, _ctx: Ctx) -> Iterator[Finding]:
    if node.type == FUNCTION_URL:
        auth = node.get("authorizationType")
        if is_unknown(auth):
            yield Unknown("authorizationType")
        elif auth != "AWS_IAM":
            yield f"function URL with authorizationType {auth or 'unset'}: a public endpoint AWS WAF cannot protect"
        return
    disabled = node.get("disableExecuteApiEndpoint")
    if is_unknown(disabled):
        yield Unknown("disableExecuteApiEndpoint")
        return
    kind = node.get("protocolType") or "HTTP"
    yield f"API Gateway v2 {kind} API: AWS WAF cannot be associated with it" + (
        "" if truthy(disabled) else " (and its execute-api endpoint is public)"
    )


ENTRY_POINTS = Rule(
    name="no-entry-points-without-waf",
    description="No API Gateway v2 API and no unauthenticated Lambda function URL: every public entry point is one "
    "AWS WAF can protect.",
    pillar="waf",
    types=(HTTP_API, FUNCTION_URL),
    check=_check_entry_point,
    severity=Severity.HIGH,
    why="WAF on the distribution, the ALB and the REST stage is only a guardrail if there is no other door; an "
    "HTTP API or a function URL is reachable from the internet with no web ACL in front of it.",
    remediation="Serve the API through the REST API (apigateway.RestApi + a REGIONAL web ACL) or behind CloudFront "
    "with an origin that only CloudFront can reach; give function URLs authorization_type='AWS_IAM'.",
)


RULES = (ENTRY_POINTS,)
