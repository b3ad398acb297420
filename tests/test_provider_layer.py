"""The layer that lets the SDK's schema analyzer read the *Args dataclasses (streaming_platform.provider): each guard
rejects the type it cannot express, naming the field, and each decoding gives back the Python value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NotRequired, Optional

import pulumi
import pytest
from streaming_platform.provider import Layer, NotExpressible

from offline.engine import run_component


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass
class Inner:
    paths: tuple[str, ...]
    """Paths."""

    colour: Colour = Colour.RED


@dataclass
class GoodArgs:
    name: str
    """The name."""

    by_colour: Mapping[Colour, int] = field(default_factory=dict)
    inners: Sequence[Inner] = ()
    key_arn: pulumi.Input[str] | None = None
    depends_on: Sequence[pulumi.Resource] = ()


@dataclass
class UnionArgs:
    value: int | str


@dataclass
class PairArgs:
    pair: tuple[str, int]


@dataclass
class IntKeyArgs:
    counts: Mapping[int, str]


@dataclass
class ResourceArgs:
    zone: pulumi.ComponentResource


@dataclass
class AlternativeArgs:
    zone: pulumi.ComponentResource | Inner
    """The zone, or from another language what the component needs of it."""

    spare: pulumi.ComponentResource | Inner | None = None


@dataclass
class TwoAlternativesArgs:
    zone: pulumi.ComponentResource | Inner | GoodArgs


def test_defaulted_fields_are_not_required_and_required_ones_stay_required():
    shadow, _ = Layer().shadow(GoodArgs)
    assert shadow.__name__ == "GoodArgs" and shadow.__qualname__ == "GoodArgs"
    assert shadow.__module__ == GoodArgs.__module__  # so the analyzer reads the docstrings from GoodArgs' source
    assert shadow.__annotations__["name"] is str
    assert shadow.__annotations__["by_colour"] == NotRequired[dict[str, int]]


def test_a_defaulted_resource_field_is_python_only_and_named():
    shadow, _ = Layer().shadow(GoodArgs)
    assert "depends_on" not in shadow.__annotations__
    assert shadow.python_only == {  # type: ignore[attr-defined]
        "depends_on": "GoodArgs.depends_on: Resource is a resource object handed from one Python component to another"
    }


def test_decoding_rebuilds_the_dataclasses_enum_keys_and_tuples():
    _, decode = Layer().shadow(GoodArgs)
    args = decode({"name": "n", "by_colour": {"red": 1}, "inners": [{"paths": ["/a", "/b"], "colour": "blue"}]})
    assert args == GoodArgs(name="n", by_colour={Colour.RED: 1}, inners=[Inner(paths=("/a", "/b"), colour=Colour.BLUE)])
    assert type(next(iter(args.by_colour))) is Colour


def test_an_output_value_passes_through_decoding_untouched():
    _, decode = Layer().shadow(GoodArgs)
    seen = []

    def program() -> None:  # an Output needs a runtime and an event loop: run_component gives it fresh ones
        key = pulumi.Output.from_input("arn:aws:kms:eu-west-1:111122223333:key/1")
        seen.append(decode({"name": "n", "key_arn": key}).key_arn is key)

    run_component(program)
    assert seen == [True]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (UnionArgs, "UnionArgs.value: the union int | str has no schema form"),
        (PairArgs, "PairArgs.pair: fixed-length tuple tuple[str, int] has no schema form"),
        (
            IntKeyArgs,
            "IntKeyArgs.counts: map keys of collections.abc.Mapping[int, str] must be strings or string enums",
        ),
        (
            ResourceArgs,
            "ResourceArgs.zone: ComponentResource is a resource object handed from one Python component to another",
        ),
        (
            TwoAlternativesArgs,
            "TwoAlternativesArgs.zone: the union pulumi.resource.ComponentResource | tests.test_provider_layer.Inner | "
            "tests.test_provider_layer.GoodArgs has no schema form",
        ),
    ],
)
def test_a_required_field_without_a_schema_form_is_rejected_naming_it(args, message):
    with pytest.raises(NotExpressible) as raised:
        Layer().shadow(args)
    assert str(raised.value) == message


def test_a_resource_in_a_union_gives_way_to_the_other_type_and_values_decode_to_it():
    layer = Layer()
    shadow, decode = layer.shadow(AlternativeArgs)
    inner_shadow, _ = layer.shadow(Inner)  # the cached shadow the field refers to
    assert shadow.__annotations__["zone"] is inner_shadow  # the schema offers Inner; the resource is Python's
    assert shadow.__annotations__["spare"] == NotRequired[Optional[inner_shadow]]  # noqa: UP045 - as the layer builds it
    assert shadow.python_only == {}  # type: ignore[attr-defined]
    args = decode({"zone": {"paths": ["/a"], "colour": "blue"}, "spare": None})
    assert args == AlternativeArgs(zone=Inner(paths=("/a",), colour=Colour.BLUE), spare=None)


@dataclass
class Size:
    cpu: int


@dataclass
class SizesArgs:
    sizes: Mapping[str, Size]
    count: int
    ratio: float = 0.5


def test_integers_that_crossed_the_wire_as_floats_are_integers_again_at_any_depth():
    _, decode = Layer().shadow(SizesArgs)
    args = decode({"sizes": {"api": {"cpu": 256.0}}, "count": 3.0, "ratio": 1.0})
    assert args == SizesArgs(sizes={"api": Size(cpu=256)}, count=3, ratio=1.0)
    assert type(args.sizes["api"].cpu) is int and type(args.count) is int  # str(256.0) is "256.0" in a task definition
    assert type(args.ratio) is float
    assert decode({"sizes": {}, "count": 2.5}).count == 2.5  # not an integer: left for the component to reject
