"""A statement compiled once per process and bound to each request's values.

Django takes milliseconds to build and compile a queryset of many conditional aggregates,
often longer than PostgreSQL takes to run it, while the SQL is the same for every request of
the same shape: only its parameters change. `compiled(key, build, values)` compiles
`build(values)` for two made-up sets of values (every value replaced by a sample of its type,
each different from the other samples and from the real one), and uses the statement only
when the SQL is the same for both and each parameter either is the same in both (a constant:
a status, a role) or is, in both, the sample of exactly one of the named values. Then each
later call with the same `key` binds its own values into the SQL without building anything.
Otherwise (a parameter derived from a value, SQL that depends on a value) the statement is
compiled on every call, as before.

`build` must be a function of `values` and of what `key` names only: whatever else changes
the SQL (a flag, the number of periods, the SQL of a subquery) belongs in `key`. A date or
time constant near now is taken for one the build read from the clock, and such a statement
is compiled on every call (it would go stale at midnight). It must not
branch on the values (the samples do not keep their order); a test holds the bound statement
equal to Django's own for several sets of values.

PostgreSQL only: on SQLite values reach the database converted (dates as text), and `build`
runs each time.
"""

import datetime
from collections import OrderedDict

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models.query import get_related_populators
from django.utils import timezone

# Statements kept per process: keys carry the SQL of subqueries (a user's scope), so bound
# their number.
KEPT = 512


# The types of the values a statement binds.
BOUND_TYPES = (datetime.date, datetime.datetime, int, str)


class Unbindable(Exception):
    """The statement's SQL or parameters depend on the values in a way that cannot be
    bound."""


def _sample(value, index, which):
    """A made-up value of the type of `value`, the `index`-th name's sample number `which`
    (0 or 1): distinct from every other name's and from the other sample, and differing from
    it in every part (year, leap year, month, day, weekday, hour, minute)."""
    kind = type(value)
    if kind is datetime.date:
        return datetime.date(2204 + 8 * index + which, 2 + 5 * which, 3 + 11 * which)
    if kind is datetime.datetime:
        day = _sample(value.date(), index, which)
        return datetime.datetime(
            day.year, day.month, day.day, 5 + 7 * which, 13 + 29 * which, 17, tzinfo=value.tzinfo
        )
    if kind is int:
        return -(730_001 + 100 * index + which)
    if kind is str:
        return f"\x00sample {index}.{which}"
    raise Unbindable(f"no sample for a {kind.__name__}")


# A date or time constant this close to now was most likely read from the clock by the
# build (today, the first of the month, now) rather than named in its values: kept, it would
# go stale (a statement compiled before midnight, bound the day after).
CLOCK_WINDOW = datetime.timedelta(days=400)


def _of_the_clock(value):
    if isinstance(value, datetime.datetime):
        return value.tzinfo is not None and abs(value - timezone.now()) < CLOCK_WINDOW
    if isinstance(value, datetime.date):
        return abs(value - timezone.localdate()) < CLOCK_WINDOW
    return False


def _same(value, other):
    return type(value) is type(other) and value == other


def _passed(sample, value):
    """How the parameter `value` passes the value `sample`: `same` when it is the sample
    itself, the wrapper type when it is an int the database backend wrapped in the type of its
    column (psycopg's Int4 for Value(an int) of an IntegerField), None when it is not it."""
    if _same(sample, value):
        return "same"
    if type(sample) is int and isinstance(value, int) and int(value) == sample:
        return type(value)
    return None


class Statement:
    """The SQL of `build` for values of one shape, with the rule for binding each
    parameter: (name, None) to take from the values, (None, constant) to keep."""

    def __init__(self, build, values):
        names = sorted(values)
        samples = [
            {name: _sample(values[name], n, which) for n, name in enumerate(names)}
            for which in (0, 1)
        ]
        try:
            (sql, params), (other_sql, other_params) = (build(sample) for sample in samples)
        except Exception as error:  # a sample the build cannot take
            raise Unbindable(f"the build refused a sample: {error!r}") from error
        if sql != other_sql or len(params) != len(other_params):
            raise Unbindable("the SQL depends on the values")
        first, second = samples
        self.sql = sql
        self.slots = []
        for value, other in zip(params, other_params, strict=True):
            if _same(value, other):
                if _of_the_clock(value):
                    raise Unbindable(f"a constant that looks read from the clock: {value!r}")
                self.slots.append((None, value))
                continue
            found = [
                (name, passed)
                for name in names
                if (passed := _passed(first[name], value))
                and passed == _passed(second[name], other)
            ]
            if len(found) != 1:
                raise Unbindable(f"a parameter is none of the values: {value!r}")
            ((name, passed),) = found
            # A named value's slot holds the type it is wrapped in, if any.
            self.slots.append((name, None if passed == "same" else passed))

    def bind(self, values):
        """The parameters for `values`, a tuple as Django's sql_with_params gives them."""
        return tuple(
            value if name is None else values[name] if value is None else value(values[name])
            for name, value in self.slots
        )


_built = OrderedDict()  # key -> Statement, or None when it cannot be bound
# Keys asked for once and not kept yet. A statement is kept from its key's second request
# on: working one out costs two builds more than compiling it, which keys asked for once
# (a worker that serves many people, each with their own key, one request each) would pay
# for nothing, and a key pushed out of the statements kept pays again.
_seen = OrderedDict()
# Whether a key's statement is kept from its second request (True) or its first (the tests
# that hold every bound statement equal to Django's own, so that each is bound).
ASK_TWICE = True


def _kept_or_asked_again(full):
    """Whether the statement of `full` is kept or is asked for the second time (then it is
    worked out and kept); a key asked for the first time is remembered and compiled as
    usual."""
    if not ASK_TWICE or full in _built or full in _seen:
        return True
    _seen[full] = None
    if len(_seen) > 4 * KEPT:
        _seen.popitem(last=False)
    return False


def compiled(key, build, values):
    """(sql, params) of `build(values)` (a function returning (sql, params)), the SQL
    compiled once per process for `key` (with the database vendor and the time zone) and
    bound to `values` ({name: a date, an aware datetime, an int or a str}) from the key's
    second request on; compiled now on its first, and when it cannot be bound (see the
    module's docstring)."""
    if connection.vendor != "postgresql":
        return build(values)
    full = (timezone.get_default_timezone_name(), key)
    if not _kept_or_asked_again(full):
        return build(values)
    try:
        statement = _built[full]
        _built.move_to_end(full)
    except KeyError:
        _seen.pop(full, None)
        try:
            statement = Statement(build, values)
        except Unbindable:
            statement = None
        _built[full] = statement
        if len(_built) > KEPT:
            _built.popitem(last=False)
    if statement is None:
        return build(values)
    return statement.sql, statement.bind(values)


def forget():
    """Drop every statement kept (tests)."""
    _built.clear()
    _seen.clear()
    _rows.clear()
    _converting.clear()


class _Rows:
    """How the rows of a queryset's statement become its model instances (the model's
    columns, those of the related objects it selects, its annotations), as Django's
    ModelIterable makes them, worked out once from the compiled queryset."""

    def __init__(self, queryset):
        if queryset._known_related_objects or queryset._fields is not None:
            raise ValueError("model_rows reads a plain queryset of model instances")
        compiler = queryset.query.get_compiler(using=queryset.db)
        compiler.setup_query()
        select, klass_info = compiler.select, compiler.klass_info
        self.db = queryset.db
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [column[0].target.attname for column in select[self.start : self.end]]
        self.populators = get_related_populators(klass_info, select, self.db)
        self.annotations = list(compiler.annotation_col_map.items())
        self.converters = compiler.get_converters([column[0] for column in select])
        # The compiler (and its query) is kept only to convert values.
        self.compiler = compiler if self.converters else None

    def instances(self, rows):
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        found = []
        for row in rows:
            obj = self.model.from_db(self.db, self.init_list, row[self.start : self.end])
            for populator in self.populators:
                populator.populate(row, obj)
            for name, position in self.annotations:
                setattr(obj, name, row[position])
            found.append(obj)
        return found


_rows = OrderedDict()  # key -> _Rows


def model_rows(key, build, values):
    """[model instance] of the queryset `build(values)` (its select_related and annotations
    set, as iterating it gives them), its statement compiled once per process for `key` and
    bound to `values` as `compiled` binds it, and the way its rows become instances worked
    out once with it: neither the queryset nor its SQL is built again. `key` must name
    whatever else the queryset depends on (see the module's docstring). Runs one query."""
    if connection.vendor != "postgresql":
        return list(build(values))
    if not _kept_or_asked_again((timezone.get_default_timezone_name(), key)):
        return list(build(values))
    built = []  # the querysets built to compile the statement: one gives the layout

    def sql_of(v):
        built.append(build(v))
        return built[-1].query.sql_with_params()

    try:
        sql, params = compiled(key, sql_of, values)
    except EmptyResultSet:  # a queryset that matches nothing (none(), an empty IN): no rows
        return []
    full = (timezone.get_default_timezone_name(), key)
    try:
        layout = _rows[full]
        _rows.move_to_end(full)
    except KeyError:
        layout = _rows[full] = _Rows(built[0] if built else build(values))
        if len(_rows) > KEPT:
            _rows.popitem(last=False)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return layout.instances(cursor.fetchall())


# key -> (compiler, converters) when the statement's values need converting, else None.
_converting = {}


def value_rows(key, build, values):
    """[tuple] of the rows of `build(values)` (a values_list() queryset), its statement
    compiled once per process for `key` and bound to `values` as `compiled` binds it; the
    values of a column that needs converting (an expression's float or int) converted as
    the queryset converts them, by its compiler kept with the statement. Runs one query."""
    if connection.vendor != "postgresql":
        return [tuple(row) for row in build(values)]
    full = (timezone.get_default_timezone_name(), key)
    if not _kept_or_asked_again(full):
        return [tuple(row) for row in build(values)]
    if full in _converting:
        converting = _converting[full]
    else:
        compiler = build(values).query.get_compiler(using="default")
        compiler.setup_query()
        converters = compiler.get_converters([column[0] for column in compiler.select])
        converting = _converting[full] = (compiler, converters) if converters else None
        if len(_converting) > KEPT:
            _converting.pop(next(iter(_converting)))
    try:
        sql, params = compiled(key, lambda v: build(v).query.sql_with_params(), values)
    except EmptyResultSet:  # a queryset that matches nothing (none(), an empty IN): no rows
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converting is None:
        return rows
    compiler, converters = converting
    return [tuple(row) for row in compiler.apply_converters(rows, converters)]
