"""Entry point the Pulumi CLI runs (``python -m pulumi.policy <engine> .``): build the pack and serve it."""

from pulumi_policy import EnforcementLevel, PolicyPack
from streaming_policies import request
from streaming_policies.registry import PACK_NAME, build_policies

# One plain copy of the inputs and one stack graph per Analyzer request, shared by every policy.
request.install()

PolicyPack(
    name=PACK_NAME,
    policies=build_policies(),
    # Policies without their own level (there are none today) fail closed.
    enforcement_level=EnforcementLevel.MANDATORY,
)
