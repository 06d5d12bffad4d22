"""Geographic functions: area, distance, geofence.

Same model as JavaRosa's GeoUtils, so that the numbers agree with ODK Collect:
a sphere of radius 6,378,100 m (the equatorial radius), great-circle
distances (haversine; JavaRosa's law of cosines is the same distance, less
precise for short segments), and areas by the shoelace formula on an
equirectangular projection around the first point. Altitude is ignored.

A geopoint is 'lat lon [altitude [accuracy]]'; a geotrace or geoshape is
geopoints separated by ';'. The argument is either one value holding a
geoshape/geotrace (a field or a string) or a node-set of several geopoint
nodes (a geopoint field in a repeat), in document order.
"""

from __future__ import annotations

import math

from app.core.errors import XPathEvalError
from app.engine.xpath.registry import Context, function
from app.engine.xpath.values import Value, node_strings, to_string

EARTH_RADIUS_METERS = 6_378_100.0
EARTH_CIRCUMFERENCE_METERS = 2 * math.pi * EARTH_RADIUS_METERS

LatLon = tuple[float, float]


def parse_geopoint(text: str, function_name: str) -> LatLon:
    parts = text.split()
    if not 2 <= len(parts) <= 4:
        raise _not_coordinates(function_name, text)
    try:
        latitude, longitude = float(parts[0]), float(parts[1])
        for extra in parts[2:]:
            float(extra)
    except ValueError:
        raise _not_coordinates(function_name, text) from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise _not_coordinates(function_name, text)
    return latitude, longitude


def parse_points(text: str, function_name: str) -> list[LatLon]:
    """The points of a geopoint, geotrace or geoshape value ('' has none)."""
    return [parse_geopoint(piece, function_name) for piece in text.split(";") if piece.strip()]


def _not_coordinates(function_name: str, text: str) -> XPathEvalError:
    return XPathEvalError(
        f"{function_name}() received a value that does not represent GPS coordinates: {text!r}"
    )


def points_of(value: Value, function_name: str) -> list[LatLon]:
    """Points from a geoshape/geotrace value or from a node-set of geopoints."""
    if isinstance(value, list) and len(value) > 1:
        return [
            point for text in node_strings(value) for point in parse_points(text, function_name)
        ]
    return parse_points(to_string(value), function_name)


def distance_between(first: LatLon, second: LatLon) -> float:
    """Great-circle distance in metres on ODK's sphere.

    JavaRosa uses the spherical law of cosines, which is the same quantity but
    loses precision for short segments: two identical points come out ~0.1 m
    apart (or NaN when rounding pushes the cosine above 1), and a GPS trace
    recorded while standing still accumulates that noise. The haversine form
    used here agrees with it to about a millimetre per kilometre for ordinary
    segments and gives 0 for identical points.
    """
    lat1, lat2 = math.radians(first[0]), math.radians(second[0])
    half_dlat = (lat2 - lat1) / 2
    half_dlon = math.radians(second[1] - first[1]) / 2
    h = math.sin(half_dlat) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(half_dlon) ** 2
    return 2 * math.asin(math.sqrt(min(1.0, h))) * EARTH_RADIUS_METERS


def polygon_area(points: list[LatLon]) -> float:
    """Area in m² of the polygon through `points` (closed or not)."""
    if len(points) < 3:
        return 0.0
    ref_lat, ref_lon = points[0]
    xs: list[float] = []
    ys: list[float] = []
    for latitude, longitude in points[1:]:
        ys.append((latitude - ref_lat) * EARTH_CIRCUMFERENCE_METERS / 360.0)
        xs.append(
            (longitude - ref_lon)
            * EARTH_CIRCUMFERENCE_METERS
            * math.cos(math.radians(latitude))
            / 360.0
        )
    total = 0.0
    for i in range(1, len(xs)):
        total += (ys[i - 1] * xs[i] - xs[i - 1] * ys[i]) / 2
    return abs(total)


@function("area", 1, reads_repeat=True, aliases=("enclosed-area",))
def area(ctx: Context, shape: Value) -> float:
    """Area in square metres of a geoshape, or of the polygon through geopoint nodes.
    Fewer than three points (an empty answer included) give 0."""
    return polygon_area(points_of(shape, "area"))


@function("distance", 1, reads_repeat=True)
def distance(ctx: Context, path: Value) -> float:
    """Length in metres of a geotrace or geoshape, or of the path through geopoint
    nodes in order. Fewer than two points give 0."""
    points = points_of(path, "distance")
    return math.fsum(distance_between(points[i - 1], points[i]) for i in range(1, len(points)))


@function("geofence", 2, reads_repeat=True)
def geofence(ctx: Context, point: Value, shape: Value) -> bool:
    """Whether a geopoint lies inside a geoshape (even-odd rule, as JavaRosa).
    An empty point or a shape of fewer than three points is never inside."""
    text = to_string(point).strip()
    if not text:
        return False
    latitude, longitude = parse_geopoint(text, "geofence")
    polygon = points_of(shape, "geofence")
    if len(polygon) < 3:
        return False
    if polygon[0] != polygon[-1]:
        polygon.append(polygon[0])  # close it, as a geoshape is
    inside = False
    for i in range(1, len(polygon)):
        lat1, lon1 = polygon[i - 1]
        lat2, lon2 = polygon[i]
        if (lat2 > latitude) != (lat1 > latitude) and longitude < (lon1 - lon2) * (
            latitude - lat2
        ) / (lat1 - lat2) + lon2:
            inside = not inside
    return inside
