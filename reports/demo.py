"""Plausible boundaries for the demo's areas, for the report's map.

The district is a quadrilateral around Fuzhou's Gulou district. Each area is cut into its
children row by row: the rows are bands between two straight lines, each band is cut into
cells by lines from the band's bottom to its top, and every cut point is moved a little
(jitter). Neighbours share their edges exactly, so the map has no gaps or overlaps, and every
child lies inside its parent.
"""

import math
from collections import defaultdict

from grids.models import Area

# (longitude, latitude) corners: top-left, top-right, bottom-right, bottom-left.
DISTRICT = ((119.262, 26.118), (119.338, 26.121), (119.342, 26.052), (119.266, 26.049))
JITTER = 0.18  # of a cut's spacing
KINDS = (Area.Kind.DISTRICT, Area.Kind.STREET, Area.Kind.COMMUNITY, Area.Kind.GRID)
BATCH = 2000


def build_boundaries(rng, levels, log):
    """Give the district and every street, community and grid in `levels` (what
    grids.demo.build_areas_and_people returned) a GeoJSON polygon. One UPDATE per batch."""
    children = defaultdict(list)
    for kind in KINDS[1:]:
        for area in levels.get(kind, []):
            children[area.parent_id].append(area)
    changed = []
    for place, district in enumerate(levels.get(Area.Kind.DISTRICT, [])):
        # A city's districts side by side, west to east (each about 0.08° wide).
        quad = tuple((lon + place * 0.082, lat) for lon, lat in DISTRICT)
        changed.extend(_cut(rng, district, quad, children))
    Area.objects.bulk_update(changed, ["boundary"], batch_size=BATCH)
    log(f"boundaries: {len(changed)}")


def build_rollup(rng, levels, log):
    """Roll up the register of the last 70 days and count today so far (reports.rollup), as
    the beat tasks would have, so the reports read them from the start. About 25 s at
    district scale."""
    from .rollup import count_today, fill_missing

    log(f"population roll-up: {fill_missing()} days")
    log(f"today so far: {count_today()} areas")


def polygon(quad):
    """A GeoJSON polygon of a quadrilateral (a closed ring, 6 decimals)."""
    ring = [[round(lon, 6), round(lat, 6)] for lon, lat in quad]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def split(rng, quad, count):
    """`count` quadrilaterals tiling `quad`, row by row, first one at the top left."""
    if not count:
        return []
    top_left, top_right, bottom_right, bottom_left = quad
    rows = max(1, round(math.sqrt(count)))
    per_row = [count // rows + (1 if r < count % rows else 0) for r in range(rows)]
    cuts = _cuts(rng, rows)
    cells = []
    for r, columns in enumerate(per_row):
        upper = (_lerp(top_left, bottom_left, cuts[r]), _lerp(top_right, bottom_right, cuts[r]))
        lower = (
            _lerp(top_left, bottom_left, cuts[r + 1]),
            _lerp(top_right, bottom_right, cuts[r + 1]),
        )
        along_upper, along_lower = _cuts(rng, columns), _cuts(rng, columns)
        for c in range(columns):
            cells.append(
                (
                    _lerp(*upper, along_upper[c]),
                    _lerp(*upper, along_upper[c + 1]),
                    _lerp(*lower, along_lower[c + 1]),
                    _lerp(*lower, along_lower[c]),
                )
            )
    return cells


def _cut(rng, area, quad, children):
    area.boundary = polygon(quad)
    changed = [area]
    below = sorted(children.get(area.pk, []), key=lambda a: a.code)
    for child, cell in zip(below, split(rng, quad, len(below)), strict=True):
        changed.extend(_cut(rng, child, cell, children))
    return changed


def _cuts(rng, parts):
    """0, the inner cut points (each moved by up to JITTER of the spacing), 1."""
    step = 1 / parts
    inner = [i * step + rng.uniform(-JITTER, JITTER) * step for i in range(1, parts)]
    return [0.0, *inner, 1.0]


def _lerp(a, b, t):
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
