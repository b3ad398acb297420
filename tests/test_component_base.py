"""The shared component base: only stateful children are protected, tags carry Name, lookups use the parent."""

from __future__ import annotations

import pulumi_aws as aws
from streaming_platform._component import StreamingComponent

from offline.engine import run_component


def build(protect: bool):
    def program() -> None:
        c = StreamingComponent("streaming:test:Thing", "thing", protect=protect, tags={"Team": "video"})
        aws.sqs.Queue("plain", tags=c.tags("plain"), opts=c.child())
        aws.sqs.Queue("stateful", tags=c.tags("stateful", Tier="data"), opts=c.stateful())

    return run_component(program)


def test_a_protected_component_protects_and_retains_only_its_stateful_children():
    rec = build(protect=True)
    flags = {
        r.name: (r.protect, r.retain_on_delete) for r in rec.resources if r.custom and r.type.startswith("aws:sqs")
    }
    # pulumi.Resource passes its own `_protect` on to children; the base must not set it for the component.
    assert flags == {"plain": (False, False), "stateful": (True, True)}
    (component,) = rec.of_type("streaming:test:Thing")
    assert component.protect is False


def test_an_unprotected_component_protects_nothing():
    rec = build(protect=False)
    assert [r.name for r in rec.resources if r.protect or r.retain_on_delete] == []


def test_children_are_parented_and_tagged_with_their_name():
    rec = build(protect=False)
    (component,) = rec.of_type("streaming:test:Thing")
    queues = {r.name: r for r in rec.of_type("aws:sqs/queue:Queue")}
    assert {q.parent for q in queues.values()} == {component.urn}
    assert queues["plain"].inputs["tags"] == {"Team": "video", "Name": "plain"}
    assert queues["stateful"].inputs["tags"] == {"Team": "video", "Name": "stateful", "Tier": "data"}


def test_moved_children_alias_their_old_parent_and_new_ones_do_not():
    def program() -> None:
        old = StreamingComponent("streaming:test:Old", "thing")
        c = StreamingComponent("streaming:test:Part", "thing", moved_from=old, opts=old.child())
        aws.sqs.Queue("moved", opts=c.child())
        aws.sqs.Queue("moved-stateful", opts=c.stateful())
        aws.sqs.Queue("added", opts=c.child(new=True))
        aws.sqs.Queue("added-stateful", opts=c.stateful(new=True))

    rec = run_component(program)
    old_parent = "streaming:test:Old$aws:sqs/queue:Queue"
    aliases = {r.name: r.aliases for r in rec.of_type("aws:sqs/queue:Queue")}
    assert aliases == {
        "moved": (f"urn:pulumi:test::component::{old_parent}::moved",),
        "moved-stateful": (f"urn:pulumi:test::component::{old_parent}::moved-stateful",),
        "added": (),
        "added-stateful": (),
    }
