"""Plain factory functions for tests."""

import datetime
import itertools

from grids import services
from grids.identity import check_char
from grids.models import Area, Household, Post, Resident, Role, User

_seq = itertools.count(1)


def make_user(username=None, **fields):
    username = username or f"user{next(_seq)}"
    fields.setdefault("full_name", username.title())
    # The tests read English: every person made here chose it (the site default is Chinese).
    fields.setdefault("language", "en")
    return User.objects.create_user(username=username, password="pw-test-2026", **fields)


def make_area(kind, parent=None, *, code, name=None, **fields):
    return Area.objects.create(kind=kind, parent=parent, code=code, name=name or code, **fields)


def make_post(area, role, holder_a=None, holder_b=None):
    return Post.objects.create(
        area=area,
        role=role,
        holder_a=holder_a or make_user(),
        holder_b=holder_b,
    )


def make_community(street, code, grids=2):
    """A community with `grids` grids, one building and unit each, and a full grid team."""
    community = make_area(
        Area.Kind.COMMUNITY, street, code=code, community_kind=Area.CommunityKind.SELF_MANAGED
    )
    for g in range(1, grids + 1):
        grid = make_area(Area.Kind.GRID, community, code=f"{code}-{g:02d}")
        building = make_area(Area.Kind.BUILDING, grid, code=f"{grid.code}-B01")
        make_area(Area.Kind.UNIT, building, code=f"{building.code}-U1")
    return community


def make_id_number(born=datetime.date(1980, 5, 17), serial=None, region=None):
    """A valid 18-character ID number. Numbers made without a serial take it from a
    sequence and an area code of their own ("35" and the thousands of the sequence), so
    they never repeat each other or a number a test writes with an explicit serial (area
    code 330106 unless given)."""
    if serial is None:
        n = next(_seq)
        serial, region = n % 1000, region or f"35{n // 1000 % 10000:04d}"
    region = region or "330106"
    first17 = f"{region}{born:%Y%m%d}{serial:03d}"
    return first17 + check_char(first17)


def make_household(grid, by=None, **fields):
    fields.setdefault("address", f"{grid.name} {next(_seq)}号")
    fields.setdefault("housing", Household.Housing.OWNER_OCCUPIED)
    return services.register_household(grid=grid, by=by, **fields)


def make_resident(household, by=None, **fields):
    fields.setdefault("name", f"居民{next(_seq)}")
    fields.setdefault("sex", Resident.Sex.FEMALE)
    fields.setdefault("relation", Resident.Relation.HEAD)
    if "id_number" not in fields:
        fields["id_number"] = make_id_number()
    fields.setdefault("phone", f"139{next(_seq):08d}")
    return services.add_resident(household, by=by, **fields)


__all__ = ["make_user", "make_area", "make_post", "make_community", "Role"]
