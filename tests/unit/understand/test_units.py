"""units.py: unit spellings, conversions, singular nouns."""

from __future__ import annotations

from decimal import Decimal

import pytest

from intents.understand.units import UnitConversionError, convert, normalize_unit, singularize


@pytest.mark.parametrize(
    ("word", "unit"),
    [
        ("kg", "kg"),
        ("KG", "kg"),
        ("kgs", "kg"),
        ("kilo", "kg"),
        ("kilos", "kg"),
        ("kilogram", "kg"),
        ("kilograms", "kg"),
        ("g", "g"),
        ("gm", "g"),
        ("gms", "g"),
        ("gram", "g"),
        ("grams", "g"),
        ("l", "litre"),
        ("ltr", "litre"),
        ("litre", "litre"),
        ("litres", "litre"),
        ("liters", "litre"),
        ("ml", "ml"),
        ("dozen", "dozen"),
        ("dz", "dozen"),
        ("bag", "bag"),
        ("bags", "bag"),
        ("box", "box"),
        ("boxes", "box"),
        ("packet", "packet"),
        ("pkt", "packet"),
        ("pkts", "packet"),
        ("piece", "piece"),
        ("pieces", "piece"),
        ("pc", "piece"),
        ("pcs", "piece"),
        ("nos", "piece"),
        ("bottle", "bottle"),
        ("bottles", "bottle"),
        ("hour", "hour"),
        ("hrs", "hour"),
        ("bucket", "bucket"),
        ("buckets", "bucket"),
        ("metre", "metre"),
        ("meters", "metre"),
        ("mtr", "metre"),
        ("ton", "ton"),
        ("tonnes", "ton"),
        ("quintal", "quintal"),
        ("qtl", "quintal"),
        ("tin", "tin"),
        ("rolls", "roll"),
        ("pair", "pair"),
        ("sets", "set"),
        ("sack", "sack"),
        ("bori", "sack"),
        ("cartons", "carton"),
        ("jar", "jar"),
        ("cans", "can"),
        ("bundle", "bundle"),
        ("sheets", "sheet"),
        ("plates", "plate"),
        ("strips", "strip"),
        ("Kgs.", "kg"),
    ],
)
def test_normalize_unit(word: str, unit: str) -> None:
    assert normalize_unit(word) == unit


@pytest.mark.parametrize("word", ["cement", "fan", "", None, "rupees", "each", "no"])
def test_not_a_unit(word: str | None) -> None:
    assert normalize_unit(word) is None


@pytest.mark.parametrize(
    ("qty", "src", "dst", "expected"),
    [
        ("500", "g", "kg", "0.5"),
        ("2", "kg", "g", "2000"),
        ("1.5", "litre", "ml", "1500"),
        ("250", "ml", "l", "0.25"),
        ("2", "dozen", "piece", "24"),
        ("36", "pcs", "dozen", "3"),
        ("1", "quintal", "kg", "100"),
        ("1", "ton", "kg", "1000"),
        ("3", "pair", "piece", "6"),
        ("5", "kg", "kgs", "5"),
        ("100", "cm", "metre", "1"),
    ],
)
def test_convert(qty: str, src: str, dst: str, expected: str) -> None:
    assert convert(Decimal(qty), src, dst) == Decimal(expected)


@pytest.mark.parametrize(
    ("src", "dst"),
    [("kg", "litre"), ("bag", "kg"), ("dozen", "kg"), ("cement", "kg"), ("ml", "g"), ("hour", "piece")],
)
def test_convert_impossible(src: str, dst: str) -> None:
    with pytest.raises(UnitConversionError, match="cannot convert"):
        convert(1, src, dst)


@pytest.mark.parametrize(
    ("word", "singular"),
    [
        ("potatoes", "potato"),
        ("tomatoes", "tomato"),
        ("mattresses", "mattress"),
        ("blouses", "blouse"),
        ("boxes", "box"),
        ("glasses", "glass"),
        ("batteries", "battery"),
        ("knives", "knife"),
        ("tiles", "tile"),
        ("registers", "register"),
        ("fans", "fan"),
        ("tube lights", "tube light"),
        ("geysers", "geyser"),
        ("bricks", "brick"),
        ("dishes", "dish"),
        ("brushes", "brush"),
        ("biscuits", "biscuit"),
        ("sarees", "saree"),
        ("cookies", "cookie"),
        ("buses", "bus"),
        ("shelves", "shelf"),
        ("toys", "toy"),
        ("keys", "key"),
        ("rice", "rice"),
        ("dal", "dal"),
        ("glass", "glass"),
        ("gas", "gas"),
        ("cement", "cement"),
        ("ac service", "ac service"),
        ("LED bulbs", "LED bulb"),
        ("Fans", "Fan"),
        ("phenyl", "phenyl"),
    ],
)
def test_singularize(word: str, singular: str) -> None:
    assert singularize(word) == singular
