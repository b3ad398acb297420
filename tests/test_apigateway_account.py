"""The region's API Gateway CloudWatch role is a stack-level opt-in (apiGatewayCloudWatchRole), not a child of the
reusable PrivateApi: two stacks in one account and region would overwrite each other's setting."""

from __future__ import annotations

from functools import cache

import pytest

from offline.engine import Recording, run_program
from tests.graph import dep

ACCOUNT = "aws:apigateway/account:Account"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
STAGE = "aws:apigateway/stage:Stage"
COMPONENT = "streaming:app:ApiGatewayAccount"


@cache
def opted_out(stack: str) -> Recording:
    return run_program(stack, preview=True, config_overrides={"streaming:apiGatewayCloudWatchRole": "false"})


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_stack_that_opts_in_owns_the_setting_and_the_stage_waits_for_it(recording, stack):
    rec = recording(stack)
    (component,) = rec.of_type(COMPONENT)
    assert component.parent == rec.stack_urn and component.name == "app"
    (account,) = rec.of_type(ACCOUNT)
    assert account.parent == component.urn and account.name == "app-apigw-account"
    role = dep(rec, account, "cloudwatchRoleArn")
    assert role.parent == component.urn and role.name == "app-apigw-cloudwatch"
    (attachment,) = [a for a in rec.of_type(ATTACHMENT) if a.name == "app-apigw-cloudwatch"]
    assert attachment.parent == component.urn
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    (stage,) = rec.of_type(STAGE)
    assert account.urn in stage.dependencies


def child_urn(parent_urn: str, type_: str, name: str) -> str:
    """A child's URN as the offline engine makes it (Pulumi's mock monitor qualifies by the parent's last type)."""
    stack, project, parent_type, _ = parent_urn.split("::")
    return f"{stack}::{project}::{parent_type.split('$')[-1]}${type_}::{name}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_its_children_alias_where_they_lived_under_private_api_and_app_tier(recording, stack):
    # Up to 0.2 the role, its attachment and the setting were children of PrivateApi (and in 0.1 of AppTier), both
    # named "app": a deployed stack keeps them through these aliases instead of replacing the account setting.
    rec = recording(stack)
    (private_api,) = rec.of_type("streaming:app:PrivateApi")
    (tier,) = rec.of_type("streaming:app:AppTier")
    moved = rec.of_type(ACCOUNT) + [r for r in rec.resources if r.name == "app-apigw-cloudwatch"]
    assert sorted(r.type for r in moved) == [ACCOUNT, ROLE, ATTACHMENT]
    for record in moved:
        assert set(record.aliases) == {
            child_urn(private_api.urn, record.type, record.name),
            child_urn(tier.urn, record.type, record.name),
        }, record.name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_stack_that_opts_out_registers_no_account_setting_and_no_role_for_it(stack):
    rec = opted_out(stack)
    assert rec.of_type(ACCOUNT) == [] and rec.of_type(COMPONENT) == []
    assert [r for r in rec.resources if r.name == "app-apigw-cloudwatch"] == []
    (stage,) = rec.of_type(STAGE)
    assert not [u for u in stage.dependencies if ACCOUNT in u]
