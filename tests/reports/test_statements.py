"""gridmgmt.statements: a statement compiled once and bound to each call's values is the
statement Django compiles for those values, or it is compiled on each call."""

import datetime

import pytest
from django.db import connection
from django.db.models import Count, IntegerField, Q, Value
from django.utils import timezone
from django.utils.html import format_html

from gridmgmt import statements
from grids.models import Area
from incidents.models import Incident
from patrols.models import Instruction
from reports import district

pytestmark = pytest.mark.django_db

AT = datetime.datetime(2026, 10, 5, 8, 30, tzinfo=datetime.UTC)


def counting(builds):
    def build(v):
        builds.append(v)
        qs = Incident.objects.filter(
            Q(filed_at__gte=v["since"]) | Q(deadline_at__lt=v["since"]),
            grid__code=v["code"],
            grid__kind=Area.Kind.GRID,
        )
        qs = qs.values("status").annotate(n=Count("pk", filter=Q(grid_id=v["grid"])))
        return qs.query.sql_with_params()

    return build


@pytest.fixture(autouse=True)
def no_statements_kept():
    statements.forget()
    yield
    statements.forget()


def test_a_statement_is_built_once_and_bound_to_each_calls_values():
    builds = []
    build = counting(builds)
    calls = [
        {"since": AT, "code": "T-01", "grid": 12},
        {"since": AT + datetime.timedelta(days=40, hours=3), "code": "T-02-01", "grid": 7},
        {"since": AT - datetime.timedelta(days=400), "code": "T-01", "grid": 12},
    ]
    for values in calls:
        sql, params = statements.compiled("incidents", build, values)
        own_sql, own_params = counting([])(values)
        assert (sql, list(params)) == (own_sql, list(own_params))
    if connection.vendor == "postgresql":
        # The two samples, then bound (the checks of tests/reports/conftest.py build too).
        assert sum(v["since"].year > 2200 for v in builds) == 2
        assert len(builds) == 2 + len(calls)


def test_a_key_asked_for_once_is_compiled_as_usual_and_kept_from_its_second_request(
    monkeypatch,
):
    monkeypatch.setattr(statements, "ASK_TWICE", True)  # as outside the tests
    builds = []
    build = counting(builds)
    key = (timezone.get_default_timezone_name(), "once")
    values = {"since": AT, "code": "T-01", "grid": 12}
    statements.compiled("once", build, values)
    if connection.vendor == "postgresql":
        assert key not in statements._built
        assert [v["since"].year > 2200 for v in builds] == [False, False]  # no sample
    statements.compiled("once", build, values)
    if connection.vendor == "postgresql":
        assert statements._built[key] is not None
        assert sum(v["since"].year > 2200 for v in builds) == 2


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="its parameters are PostgreSQL's (SQLite's are text)"
)
def test_a_parameter_derived_from_a_value_is_compiled_on_each_call():
    builds = []

    def build(v):
        builds.append(v)
        day = timezone.localdate(v["since"]) + datetime.timedelta(days=1)
        qs = Instruction.objects.filter(issued_at__gte=v["since"], due_on=day)
        return qs.query.sql_with_params()

    for values in ({"since": AT}, {"since": AT + datetime.timedelta(days=3)}):
        sql, params = statements.compiled("derived", build, values)
        assert list(params) == list(build(values)[1])
        assert timezone.localdate(values["since"]) + datetime.timedelta(days=1) in params
    if connection.vendor == "postgresql":
        assert statements._built[timezone.get_default_timezone_name(), "derived"] is None


def test_sql_that_depends_on_a_value_is_compiled_on_each_call():
    def build(v):
        qs = Incident.objects.filter(filed_at__gte=v["since"])
        if v["since"].year > 2204:  # the two samples differ here
            qs = qs.filter(closed_at__isnull=True)
        return qs.query.sql_with_params()

    for values in ({"since": AT}, {"since": AT.replace(year=2300)}):
        assert statements.compiled("branch", build, values) == build(values)


def test_an_int_the_backend_wraps_in_its_columns_type_is_bound_wrapped():
    # Value(an int) of an IntegerField reaches the parameters as psycopg's Int4 on
    # PostgreSQL: the statement is kept, and each call's value is passed wrapped the same way.
    def build(v):
        qs = Incident.objects.filter(filed_at__gte=v["since"]).annotate(
            group=Value(v["group"], output_field=IntegerField())
        )
        return qs.values("group").annotate(n=Count("pk")).query.sql_with_params()

    for values in ({"since": AT, "group": 112}, {"since": AT, "group": 7}):
        sql, params = statements.compiled("wrapped", build, values)
        own_sql, own_params = build(values)
        assert sql == own_sql
        assert [(type(p), p) for p in params] == [(type(p), p) for p in own_params]
    if connection.vendor == "postgresql":
        assert statements._built[timezone.get_default_timezone_name(), "wrapped"] is not None
        assert any(type(p) is not int and p == 7 for p in params)


def test_a_value_of_another_type_is_not_bound():
    def build(v):
        return Incident.objects.filter(rework_count__gte=v["n"]).query.sql_with_params()

    assert statements.compiled("float", build, {"n": 2.5}) == build({"n": 2.5})


# --- The report's cells, written in Python ---


def template_cell(cell):
    """The cell as the report wrote it before, with format_html."""
    if cell.light:
        return format_html(
            '<td class="text-end rate-{}" data-light="{}" data-column="{}">{}</td>',
            cell.light,
            cell.light,
            cell.column.key,
            cell.text,
        )
    return format_html('<td class="text-end" data-column="{}">{}</td>', cell.column.key, cell.text)


@pytest.mark.parametrize(
    "text, light",
    [("1,234", ""), ("87.5%", "green"), ("—", ""), ("<b>&'\"", "red"), ("12.0", "yellow")],
)
def test_a_cell_is_written_as_format_html_wrote_it(text, light):
    for column in district.COLUMNS:
        cell = district.Cell(column, None, text, light)
        assert district._cell_html(cell) == str(template_cell(cell))


@pytest.mark.parametrize("ask_twice", [True, False])
def test_a_queryset_that_matches_nothing_reads_no_rows(monkeypatch, ask_twice):
    """none() and an empty IN make Django's compiler raise EmptyResultSet, which iterating a
    queryset turns into no rows: so do model_rows and value_rows (someone with no area asks
    the register lists for their grids)."""
    monkeypatch.setattr(statements, "ASK_TWICE", ask_twice)
    builds = {
        "none": lambda v: Incident.objects.none().filter(filed_at__gte=v["since"]),
        "empty in": lambda v: Incident.objects.filter(pk__in=[], filed_at__gte=v["since"]),
    }
    for name, build in builds.items():
        for _ in range(3):  # as usual, worked out, bound
            assert statements.model_rows(("nothing", name), build, {"since": AT}) == []
            values = lambda v, build=build: build(v).values_list("pk")  # noqa: E731
            assert statements.value_rows(("nothing v", name), values, {"since": AT}) == []


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="its parameters are PostgreSQL's (SQLite's are text)"
)
def test_a_date_the_build_reads_from_the_clock_is_not_kept():
    """A build that reads today (or now) itself, instead of taking it in its values, would
    keep the day it was compiled on: it is compiled on each call."""

    def build(v):
        today = timezone.localdate()
        return Instruction.objects.filter(
            issued_at__gte=v["since"], due_on__gte=today
        ).query.sql_with_params()

    for _ in range(2):
        sql, params = statements.compiled("clock", build, {"since": AT})
        assert timezone.localdate() in params
    if connection.vendor == "postgresql":
        assert statements._built[timezone.get_default_timezone_name(), "clock"] is None


@pytest.mark.parametrize("ask_twice", [True, False])
def test_the_values_a_column_converts_are_read_as_the_queryset_reads_them(
    world, monkeypatch, ask_twice
):
    """value_rows of a values_list() whose columns Django converts (an expression's float or
    int: the board's start in seconds, a count) reads the rows the queryset gives, of the
    same types, compiled, then bound."""
    from django.db.models import F, FloatField
    from django.db.models.functions import Cast

    monkeypatch.setattr(statements, "ASK_TWICE", ask_twice)

    def build(v):
        return (
            Area.objects.filter(parent_id=v["parent"])
            .annotate(seconds=Cast("pk", FloatField()), next=F("pk") + Value(1))
            .order_by("code")
            .values_list("code", "seconds", "next")
        )

    for parent in (world.a.community, world.street, world.a.community):
        expected = list(build({"parent": parent.pk}))
        assert len(expected) >= 2
        found = statements.value_rows(("converted",), build, {"parent": parent.pk})
        assert found == expected
        assert [tuple(map(type, row)) for row in found] == [(str, float, int)] * len(expected)
    if connection.vendor == "postgresql":
        full = (timezone.get_default_timezone_name(), ("converted",))
        assert statements._built[full] is not None  # bound, not compiled each time
        assert statements._converting[full] is not None
