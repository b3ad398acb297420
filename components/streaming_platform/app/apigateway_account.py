"""ApiGatewayAccount: the region's API Gateway account setting (its CloudWatch Logs role), as a stack-level opt-in.

``aws.apigateway.Account`` is not a resource of one API: it is the account's single setting for the region, so two
stacks that each manage it overwrite each other's role, and destroying either one clears it for both. It used to be
a child of ``PrivateApi``; a reusable component must not own a region-wide singleton (CDK's ``RestApi`` has
``cloudWatchRole`` for the same reason). The stack builds this component only when its settings opt in, and hands
it to ``PrivateApiArgs.stage_dependencies`` so the stage turns access logging on after the role is set: API Gateway
refuses stage logging while the account has no CloudWatch Logs role (API Gateway Developer Guide, "Set up
CloudWatch logging for REST APIs in API Gateway", permissions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from streaming_platform._component import StreamingComponent
from streaming_platform.app.common import attach_managed, service_role

TYPE = "streaming:app:ApiGatewayAccount"
PUSH_TO_CLOUDWATCH_POLICY = "service-role/AmazonAPIGatewayPushToCloudWatchLogs"


@dataclass
class ApiGatewayAccountArgs:
    """Inputs of ApiGatewayAccount."""

    previous_parent_urns: Sequence[pulumi.Input[str]] = ()
    """URNs the children had before this component existed (``previous_parents_in_app_tier``), so a deployed stack
    keeps its role and account setting instead of replacing them. Default: none (a new stack)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of the role, with ``Name`` added. Default: none."""


def previous_parents_in_app_tier(app_tier_name: str) -> list[pulumi.Output[str]]:
    """Where these children lived before 0.3: under ``PrivateApi`` (0.2) and, before it, under ``AppTier`` (0.1),
    both named ``app_tier_name``."""
    tier = pulumi.create_urn(app_tier_name, "streaming:app:AppTier")
    return [pulumi.create_urn(app_tier_name, "streaming:app:PrivateApi", parent=tier), tier]


class ApiGatewayAccount(StreamingComponent):
    """The CloudWatch Logs role of API Gateway and the region's account setting that names it."""

    cloudwatch_role_arn: pulumi.Output[str]
    account_setting: aws.apigateway.Account
    """For ``depends_on``: the stage's access logging needs it."""

    def __init__(self, name: str, args: ApiGatewayAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, tags=args.tags, opts=opts)
        self._previous = list(args.previous_parent_urns)
        # No aws:SourceAccount condition: API Gateway does not send it when it assumes the account's CloudWatch role
        # (API Gateway Developer Guide, "Set up CloudWatch logging for REST APIs": the role trusts
        # apigateway.amazonaws.com without conditions); with one, UpdateAccount rejects the role.
        role = service_role(
            self, f"{name}-apigw-cloudwatch", "apigateway.amazonaws.com", None, source_account_condition=False
        )
        attach_managed(self, f"{name}-apigw-cloudwatch", role, PUSH_TO_CLOUDWATCH_POLICY)
        self.account_setting = aws.apigateway.Account(
            f"{name}-apigw-account", cloudwatch_role_arn=role.arn, opts=self.child()
        )
        self.cloudwatch_role_arn = role.arn
        self.register_outputs({"cloudwatchRoleArn": self.cloudwatch_role_arn})

    def child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        if self._previous:
            kwargs.setdefault("aliases", [pulumi.Alias(parent=urn) for urn in self._previous])
        return super().child(**kwargs)
