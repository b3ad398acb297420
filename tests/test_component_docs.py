"""docs/components.md: generated from the components' *Args types and outputs (offline.component_docs)."""

from __future__ import annotations

import dataclasses

from offline import component_docs
from offline.engine import PROJECT_DIR
from tests.test_provider import args_type, exported_components, public_outputs


def test_components_reference_is_current():
    assert component_docs.stale_files() == [], "run `make docs`"


def section(text: str, component: str) -> str:
    start = text.index(f"\n## {component}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def test_every_component_has_a_row_for_each_input_and_output():
    text = (PROJECT_DIR / component_docs.OUTPUT).read_text()
    for component in exported_components():
        body = section(text, component.__name__)
        args = args_type(component)
        inputs = body[body.index(f"### Inputs (`{args.__name__}`)") : body.index("### Outputs")]
        outputs = body[body.index("### Outputs") :]
        for f in dataclasses.fields(args):
            assert f"\n| `{f.name}` | " in inputs, (component.__name__, f.name)
        rows = [line for line in outputs.splitlines() if line.startswith("| `")]
        assert [row.split("`")[1] for row in rows] == list(public_outputs(component)), component.__name__


def test_defaults_and_python_only_fields_are_shown_as_behaviour():
    text = (PROJECT_DIR / component_docs.OUTPUT).read_text()
    network = section(text, "MultiAzNetwork")
    assert (
        "| `nat_gateway_strategy` | `NatGatewayStrategy` | `NatGatewayStrategy.ONE_PER_AZ` | Default: one NAT "
        "gateway per AZ; SINGLE saves cost but loses egress when that AZ fails. | `natGatewayStrategy` |" in network
    )
    assert "| `availability_zones` | `Sequence[str]` | *required* |" in network
    assert "| `subnet_prefix_lengths` | `Mapping[Tier, int]` | `{'public': 22, 'app': 20, 'data': 22}` |" in network
    assert "| `previous_parent` | `pulumi.Resource | None` | `None` |" not in text  # the pipe is escaped in a table
    assert "| `previous_parent` | `pulumi.Resource \\| None` | `None` |" in section(text, "OriginFailover")
    assert section(text, "OriginFailover").count("| Python only |") == 1
    tier = section(text, "AppTier")
    assert "Provider resource: `streaming:app:AppTier`." in tier  # the type AppTier registers
    assert "| `zone` | `PublicZone | PublicZoneOutputs` |" not in text  # the pipe is escaped in a table
    assert "| `zone` | `PublicZone \\| PublicZoneOutputs` | *required* |" in tier
    assert "#### `PublicZoneOutputs`" in tier and "| `delegation_record_fqdn` |" in tier
    assert "Python only, not served" not in text  # every component is served
