"""Lambda: VPC functions spread over AZs, environment variables under a KMS key.

Each rule carries its pillar (multi-az | waf | encryption | data-safety) as a tag; the registry
collects every module's ``RULES``.
"""

from __future__ import annotations

from pulumi_policy import Severity

from . import graph as g
from .checks import MIN_AZS, kms_ref, span
from .graph import Node
from .rule import Ctx, Rule


def _lambda_not_in_vpc(node: Node, _ctx: Ctx) -> str | None:
    subnets = node.get("vpcConfig", "subnetIds")
    return None if subnets else "not attached to a VPC"


LAMBDA_MULTI_AZ: Rule = Rule(
    name="lambda-vpc-multi-az",
    description="Every VPC-attached Lambda function has subnets in at least minAzs AZs.",
    pillar="multi-az",
    types=(g.LAMBDA,),
    scope="stack",
    check=lambda n, c: span(
        c, LAMBDA_MULTI_AZ, n, ("vpcConfig",), "Lambda function", ids=lambda x: x.get("vpcConfig", "subnetIds")
    ),
    exempt=_lambda_not_in_vpc,
    options=(MIN_AZS,),
    fsbp=("Lambda.5",),
    why="A VPC Lambda can only run in the AZs of its subnets.",
    remediation="Set vpcConfig.subnetIds to the app-tier subnets of every AZ.",
)


def _no_env(node: Node, _ctx: Ctx) -> str | None:
    variables = node.get("environment", "variables")
    return None if variables else "no environment variables"


LAMBDA_ENV_KMS = Rule(
    name="lambda-env-kms",
    description="Every Lambda function with environment variables encrypts them with a KMS key (kmsKeyArn).",
    pillar="encryption",
    types=(g.LAMBDA,),
    check=lambda n, c: kms_ref(c, n, "kmsKeyArn", n.get("kmsKeyArn"), "kmsKeyArn"),
    exempt=_no_env,
    severity=Severity.MEDIUM,
    why="Environment variables are readable by anyone with lambda:GetFunctionConfiguration unless under our key.",
    remediation="Set kms_key_arn=key.arn on functions that set environment.variables.",
)


RULES = (
    LAMBDA_MULTI_AZ,
    LAMBDA_ENV_KMS,
)
