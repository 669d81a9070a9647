"""A list sorted by a field many rows share (rentals by their start, households by their
address, places by their next check) orders the rows that tie by primary key: each row has
one place, so paging never shows one twice and skips another."""

import datetime

from django.test import RequestFactory

from grids.forms import RentalFilter
from grids.models import Area, Rental
from grids.register_views import rental_list
from tests.factories import make_household

D = datetime.date


def test_rentals_sharing_a_start_are_paged_by_primary_key(world):
    grid = world.a.grid
    for n in range(30):
        household = make_household(grid, address=f"同一路 {n:02d}号")
        Rental.objects.create(household=household, starts_on=D(2026, 1, 1), ends_on=D(2099, 1, 1))
    grids = Area.objects.filter(pk=grid.pk)
    for sort in ("starts", "-starts", "ends", "address"):
        qs = RentalFilter(
            {"sort": sort, "state": "all"}, queryset=Rental.objects.all(), grids=grids
        )
        sql = str(qs.qs.query)
        assert sql.endswith('"grids_rental"."id" ASC'), (sort, sql[-80:])

    # Through the page a stationmaster has: the two pages hold every rental once.
    factory = RequestFactory()
    seen = []
    for page in (1, 2):
        request = factory.get("/register/rentals/", {"sort": "starts", "page": page})
        request.user = world.a.stationmaster
        html = rental_list(request).content.decode()
        seen += [f"同一路 {n:02d}号" for n in range(30) if f"同一路 {n:02d}号" in html]
    assert sorted(seen) == sorted(f"同一路 {n:02d}号" for n in range(30))
