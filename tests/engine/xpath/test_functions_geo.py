"""Geographic functions, checked against values computed by hand from ODK's
spherical model (radius 6,378,100 m)."""

from __future__ import annotations

import math

import pytest

from app.core.errors import XPathEvalError

from .helpers import build, evaluate

RADIUS = 6_378_100
ONE_DEGREE = math.radians(1) * RADIUS  # 111,319.49 m along a meridian or the equator
SQUARE = "0 0 0 0; 0 0.001 0 0; 0.001 0.001 0 0; 0.001 0 0 0; 0 0 0 0"

PLACES = build(
    {
        "shape": SQUARE,
        "trace": "0 0 10 5;0 1 12 5;1 1",
        "point": "0.0005 0.0005 0 0",
        "empty": "",
        "walk": [{"p": "0 0 0 0"}, {"p": "0 1 0 0"}, {"p": "1 1 0 0"}],
        "plot": [{"p": "0 0"}, {"p": "0 0.001"}, {"p": "0.001 0.001"}, {"p": "0.001 0"}],
        "bad": "north of the river",
    }
)


def test_distance_of_a_geotrace_value() -> None:
    # (0, 0) → (0, 1): one degree along the equator; (0, 1) → (1, 1): one along a meridian.
    assert evaluate("distance(/data/trace)", PLACES) == pytest.approx(2 * ONE_DEGREE)
    assert evaluate("distance('0 0;0 1')") == pytest.approx(ONE_DEGREE)
    assert evaluate("distance('0 0;1 0')") == pytest.approx(ONE_DEGREE)


def test_distance_through_geopoint_nodes_in_a_repeat() -> None:
    assert evaluate("distance(/data/walk/p)", PLACES) == pytest.approx(
        evaluate("distance(/data/trace)", PLACES)
    )


def test_distance_agrees_with_javarosas_law_of_cosines() -> None:
    # Vientiane → Luang Prabang, as GeoUtils.distanceBetween computes it.
    lat1, lon1, lat2, lon2 = map(math.radians, (17.9757, 102.6331, 19.8856, 102.1347))
    cosines = math.acos(
        math.sin(lat1) * math.sin(lat2) + math.cos(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    )
    expected = cosines * RADIUS
    actual = evaluate("distance('17.9757 102.6331;19.8856 102.1347')")
    assert actual == pytest.approx(expected, rel=1e-9)
    assert 200_000 < actual < 230_000


def test_distance_edge_cases() -> None:
    assert evaluate("distance('0 0')") == 0.0
    assert evaluate("distance(/data/empty)", PLACES) == 0.0
    assert evaluate("distance('17.97 102.6;17.97 102.6')") == 0.0  # not NaN
    assert evaluate("distance(/data/missing)", PLACES) == 0.0
    # Half way round the world along the equator.
    assert evaluate("distance('0 0;0 90;0 180')") == pytest.approx(math.pi * RADIUS)


def test_area_of_a_small_square_near_the_equator() -> None:
    side = 2 * math.pi * RADIUS / 360 * 0.001
    assert evaluate("area(/data/shape)", PLACES) == pytest.approx(side * side, rel=1e-6)
    assert evaluate("area(/data/plot/p)", PLACES) == pytest.approx(side * side, rel=1e-6)
    assert evaluate("enclosed-area(/data/shape)", PLACES) == evaluate("area(/data/shape)", PLACES)


def test_area_shrinks_with_latitude() -> None:
    # The same square of 0.001° at 60°N covers half the area (cos 60° = 0.5).
    shifted = "60 0;60 0.001;60.001 0.001;60.001 0;60 0"
    at_equator = evaluate("area('0 0;0 0.001;0.001 0.001;0.001 0;0 0')")
    assert evaluate(f"area('{shifted}')") == pytest.approx(at_equator / 2, rel=1e-3)


def test_area_orientation_and_degenerate_shapes() -> None:
    clockwise = evaluate("area('0 0;0.001 0;0.001 0.001;0 0.001;0 0')")
    counter = evaluate("area('0 0;0 0.001;0.001 0.001;0.001 0;0 0')")
    assert clockwise == pytest.approx(counter)
    assert evaluate("area('0 0;0 1')") == 0.0
    assert evaluate("area(/data/empty)", PLACES) == 0.0


def test_geofence() -> None:
    assert evaluate("geofence(/data/point, /data/shape)", PLACES) is True
    assert evaluate("geofence('0.002 0.0005', /data/shape)", PLACES) is False
    assert evaluate("geofence('0.0005 0.0005', /data/plot/p)", PLACES) is True  # closed for us
    assert evaluate("geofence(/data/empty, /data/shape)", PLACES) is False
    assert evaluate("geofence('0 0', '0 0;1 1')") is False


@pytest.mark.parametrize(
    "expression",
    [
        "area(/data/bad)",
        "distance('0 0;north')",
        "distance('91 0;0 0')",
        "area('0 0 0 0 0')",
        "geofence('x', /data/shape)",
        "distance('nan nan;0 0')",
    ],
)
def test_values_that_are_not_coordinates_are_errors(expression: str) -> None:
    with pytest.raises(XPathEvalError, match="GPS coordinates"):
        evaluate(expression, PLACES)
