"""API Gateway: WAF on REST stages.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from . import graph as g
from .checks import associated
from .rule import Rule

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


RULES = (APIGW_WAF,)
