"""Plain factory functions for tests."""

import itertools

from grids.models import Area, Post, Role, User

_seq = itertools.count(1)


def make_user(username=None, **fields):
    username = username or f"user{next(_seq)}"
    fields.setdefault("full_name", username.title())
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


__all__ = ["make_user", "make_area", "make_post", "make_community", "Role"]
