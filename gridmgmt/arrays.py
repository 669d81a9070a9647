"""A condition that a column holds one of the values a subquery selects, written so that
PostgreSQL searches an index once per value."""

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import BooleanField, F, Func, Q


class AnyOf(Func):
    """`field = ANY(array)`: true when the field's value is one of the array's."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def one_of(field, values):
    """The condition that `field` is one of the values of `values` (a one-column values()
    queryset), for a few values. On PostgreSQL `field = ANY(ARRAY(values))`: the subquery
    runs once and an index that starts with `field` is searched once per value, so the rows
    read follow the values; `field IN (values)` is a hashed subplan tested on each row of a
    scan that the other conditions choose (a community's report at city scale read every
    incident of the city filed before the period's end to keep its eight grids'). The
    planner cannot tell how many values the array holds: for many, IN lets it choose.
    Elsewhere (SQLite) `field IN (values)`."""
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": values})
    return Q(AnyOf(F(field), ArraySubquery(values)))
