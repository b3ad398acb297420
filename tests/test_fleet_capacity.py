"""The whole stacks: which capacity each service runs on, and the ALB's path to the services on the EC2 fleet
(listener rule -> target group -> the service's load balancer block -> the container's port), read from the
dependency graph the engine recorded."""

from __future__ import annotations

import json

import pytest
from streaming_platform.app.service_table import SERVICE_NAMES

from tests.graph import dep, only_component

COMPONENT = "streaming:app:AppTier"
SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
RULE = "aws:lb/listenerRule:ListenerRule"
TG = "aws:lb/targetGroup:TargetGroup"
FLEET_PROVIDER = "streaming-prod-fleet"
STRATEGIES = {
    "prod": {
        # The streaming-facing service (/*, so /stream/* and /watch/*) runs on the fleet; the api is reached only
        # through the REST API's NLB (no ALB route), so it stays on Fargate with the rest.
        "frontend": [{"capacityProvider": FLEET_PROVIDER, "base": 0, "weight": 1}],
        **{
            s: [
                {"capacityProvider": "FARGATE", "base": 3, "weight": 1},
                {"capacityProvider": "FARGATE_SPOT", "weight": 3},
            ]
            for s in ("api", "video", "user", "comment", "notification")
        },
    },
    "dev": {s: [{"capacityProvider": "FARGATE_SPOT", "weight": 1}] for s in SERVICE_NAMES},
}


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_service_gets_its_capacity_provider_strategy(recording, stack, preview):
    rec = only_component(recording(stack, preview=preview), COMPONENT)
    found = {s.inputs["name"]: s.inputs["capacityProviderStrategies"] for s in rec.of_type(SERVICE)}
    assert found == STRATEGIES[stack]
    for svc in rec.of_type(SERVICE):
        assert "launchType" not in svc.inputs  # the strategy decides (EC2 through the fleet's provider)
        assert svc.inputs["networkConfiguration"]["assignPublicIp"] is False  # awsvpc: each task its own ENI


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_the_alb_reaches_the_fleet_services_through_rule_target_group_service_and_container_port(recording, preview):
    full = recording("prod", preview=preview)
    rec = only_component(full, COMPONENT)
    rules = {r.name: r for r in rec.of_type(RULE)}
    for name, paths in (("frontend", ["/*"]),):
        rule = rules[f"app-{name}-rule"]
        assert rule.inputs["conditions"][1]["pathPattern"]["values"] == paths
        assert dep(rec, rule, "listenerArn").name == "app-https"
        group = dep(rec, rule, "actions")
        assert group.type == TG and group.name == f"app-{name}-tg"
        assert (group.inputs["targetType"], int(group.inputs["port"])) == ("ip", 8080)  # awsvpc tasks register by IP
        assert group.inputs["healthCheck"]["path"] == "/healthz"
        svc = next(s for s in rec.of_type(SERVICE) if s.inputs["name"] == name)
        blocks = svc.inputs["loadBalancers"]
        assert group.urn in svc.property_dependencies["loadBalancers"]
        assert len(blocks) == 1
        assert {(b["containerName"], b["containerPort"]) for b in blocks} == {(name, 8080)}
        if not preview:  # the fake ARN of a target group ends with its id
            assert f"targetgroup/{group.id}" in {b["targetGroupArn"].rsplit(":", 1)[1] for b in blocks}
        assert rule.urn in svc.dependencies  # the service waits for the rule (ECS needs a listener on its group)
        assert svc.inputs["capacityProviderStrategies"] == STRATEGIES["prod"][name]
        assert dep(rec, svc, "capacityProviderStrategies").name == "app-fleet-capacity"
        task = dep(rec, svc, "taskDefinition")
        assert task.type == TASK and task.inputs["requiresCompatibilities"] == ["EC2"]
        assert task.inputs["networkMode"] == "awsvpc"
        if not preview:
            container = json.loads(task.inputs["containerDefinitions"])[0]
            assert container["name"] == name
            assert [p["containerPort"] for p in container["portMappings"]] == [8080]
    # /stream/* and /watch/* have no rule of their own: the frontend's catch-all serves them.
    assert sorted(rules) == ["app-frontend-rule"]
