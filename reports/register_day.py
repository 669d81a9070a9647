"""The register as of today from yesterday's roll-up and what changed today.

A report whose period ends today shows the register as of today, which no roll-up holds
yet: counted live, that is every stay and rental of the area (at district scale 0.65 s of
SQL, ten times that for a city). As of a day, a stay counts when it began on or before the
day and had not ended by it; a rental when the day is within its dates and its household
was in the grid (reports.figures.as_of, renting, in_grid_on). So a row counts the same
yesterday and today unless it is dated today: a stay that began or ended today, a household
that came into or left a grid today, a rental that began today or ended yesterday. Today's
figure is yesterday's, from the roll-up (which a write dated in the past makes forget the
days it changed, so it equals the rows), plus the difference between the two days over the
households of those rows: indexed by those dates, its cost follows the day's changes, not
the register's size.
"""

import datetime

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from gridmgmt.arrays import one_of
from grids.models import HouseholdGrid, Membership, Rental

from .figures import REGISTER, _RawIds, register_by_grid


def register_changes(grid_ids, today):
    """{grid id: {"households", "residents", "floating", "rentals": n}}: how much each of
    `grid_ids`' register as of `today` exceeds that as of the day before (negative when it
    shrank); a grid with no change may be missing. Two queries."""
    yesterday = today - datetime.timedelta(days=1)
    # The households are looked up by their index (gridmgmt.arrays.one_of): a district's
    # stays tested one by one against them read 3 million index entries at city scale.
    stays = Membership.objects.filter(Q(moved_in_on=today) | Q(moved_out_on=today))
    rentals = Rental.objects.filter(Q(starts_on=today) | Q(ends_on=yesterday))
    moves = HouseholdGrid.objects.filter(Q(since_on=today) | Q(until_on=today))
    both = register_by_grid(
        _hashed(grid_ids),
        [yesterday, today],
        households=(
            one_of("household_id", stays.order_by().values("household_id")),
            one_of("household_id", rentals.order_by().values("household_id"))
            | one_of("household_id", moves.order_by().values("household_id")),
        ),
    )
    zero = dict.fromkeys(REGISTER, 0)
    return {
        grid_id: {
            name: both.get((grid_id, today), zero)[name]
            - both.get((grid_id, yesterday), zero)[name]
            for name in REGISTER
        }
        for grid_id in {grid_id for grid_id, _day in both}
    }


def _hashed(grid_ids):
    """The grids' subquery fenced by OFFSET 0, so that PostgreSQL hashes their ids once for
    the few rows found instead of merging them with every area by primary key (a city's
    232,000 areas read for a district's 800 grids); ids in a list as they are."""
    if connection.vendor != "postgresql":
        return grid_ids
    if isinstance(grid_ids, QuerySet):
        sql, params = grid_ids.query.sql_with_params()
    elif isinstance(grid_ids, _RawIds):
        sql, params = grid_ids.sql, grid_ids.params
    else:
        return grid_ids
    return RawSQL(f"{sql} OFFSET 0", params)
