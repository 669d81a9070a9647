from functools import cached_property

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

PAGE_SIZE = 25


class BoundedPaginator(Paginator):
    """Pages over the first `most` rows only. One query finds the keys of the first
    `most + 1` rows in order: it counts them (no further than `most + 1`, so the count costs
    no more than a page however many rows match) and picks each page's keys, so that the
    matching, which may be costly, runs once; the page's rows are then read by key
    (`rows(keys)`, by default `object_list` narrowed to them). `is_capped` says whether more
    rows matched than are listed."""

    def __init__(self, object_list, per_page, most, rows=None):
        super().__init__(object_list, per_page)
        self.most = most
        self.rows = rows or (lambda keys: object_list.filter(pk__in=keys))

    @cached_property
    def keys(self):
        """The keys of the first `most + 1` rows, in order. Runs one query, once."""
        return list(self.object_list.values_list("pk", flat=True)[: self.most + 1])

    @cached_property
    def is_capped(self):
        return len(self.keys) > self.most

    @cached_property
    def count(self):
        return min(len(self.keys), self.most)

    def page(self, number):
        """The page, its rows read by key in the keys' order. Runs one query (and the
        `keys` query once)."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        keys = self.keys[bottom : min(bottom + self.per_page, self.count)]
        place = {key: i for i, key in enumerate(keys)}
        rows = sorted(self.rows(keys), key=lambda row: place[row.pk]) if keys else []
        return self._get_page(rows, number, self)


class CountedPaginator(Paginator):
    """Pages over `object_list`, counted by `count()`: a query that finds the same number
    of rows by a better plan than `object_list.count()`."""

    def __init__(self, object_list, per_page, count):
        super().__init__(object_list, per_page)
        self._count = count

    @cached_property
    def count(self):
        return self._count()


def paginate(request, queryset, per_page=PAGE_SIZE, most=None, count=None, rows=None):
    """The requested page of `queryset`, and the query string to keep across pages. A page
    that is no page number, or past the last, shows the first or the last page and says so.
    With `most`, only the first `most` rows are listed, the page's rows read by key by
    `rows(keys)` (see `BoundedPaginator`); with `count`, a function, the rows are counted by
    it instead of by `queryset.count()`.

    Runs two queries: the count (with `most`, the keys) and the page.
    """
    if most is not None:
        paginator = BoundedPaginator(queryset, per_page, most, rows)
    elif count is not None:
        paginator = CountedPaginator(queryset, per_page, count)
    else:
        paginator = Paginator(queryset, per_page)
    wanted = request.GET.get("page")
    page = paginator.get_page(wanted)
    if wanted not in (None, "") and str(page.number) != wanted:
        messages.warning(
            request,
            _("“%(wanted)s” is not a page of this list: page %(page)s of %(pages)s is shown.")
            % {"wanted": wanted[:20], "page": page.number, "pages": paginator.num_pages},
        )
    params = request.GET.copy()
    params.pop("page", None)
    return {"page": page, "query": params.urlencode()}


def first_and_count(queryset, limit, **counts):
    """The first `limit` rows of `queryset` and how many rows it has, in one query: the
    counts are windows over every row, read before the limit cuts them. `counts` names
    more counts, each a filter on the same rows. ([row], {name: count}); all counts are
    0 when there are no rows."""
    windows = {"total": Window(Count("pk"))}
    windows.update({name: Window(Count("pk", filter=q)) for name, q in counts.items()})
    rows = list(queryset.annotate(**{f"_count_{name}": w for name, w in windows.items()})[:limit])
    return rows, {name: getattr(rows[0], f"_count_{name}") if rows else 0 for name in windows}


def firsts_and_counts(queryset, limit, lists):
    """Several `first_and_count` lists cut from one queryset in one query. `lists` maps a
    name to (condition, ordering, counts): the list's rows are those of `queryset` meeting
    `condition` (a Q), in `ordering` (a list of order_by expressions, ending in a unique
    key), its first `limit` kept; `counts` ({name: Q}) names more counts over the list's
    rows, as `first_and_count` does. Each list is numbered by a window over its own rows
    and the query keeps the rows ranked `limit` or better in some list, so it returns at
    most `limit` rows per list whatever the number of rows. {name: ([row], {count name:
    count})}, the counts including "total"; a row in several lists is one object."""
    annotations, counted, anywhere = {}, {}, Q(pk__in=[])
    for index, (name, (condition, ordering, counts)) in enumerate(lists.items()):
        is_in = Case(When(condition, then=Value(True)), default=Value(False))
        annotations[f"_rank{index}"] = Case(
            When(
                condition,
                then=Window(RowNumber(), partition_by=[is_in], order_by=ordering),
            ),
            default=None,
        )
        anywhere |= condition
        counted[name] = {"total": condition}
        counted[name].update({count: condition & q for count, q in counts.items()})
        for count, q in counted[name].items():
            annotations[f"_count{index}_{count}"] = Window(Count("pk", filter=q))
    keep = Q()
    for index in range(len(lists)):
        keep |= Q(**{f"_rank{index}__lte": limit})
    rows = list(queryset.filter(anywhere).annotate(**annotations).filter(keep).order_by())
    found = {}
    for index, name in enumerate(lists):
        ranked = sorted(
            (row for row in rows if getattr(row, f"_rank{index}") is not None),
            key=lambda row, index=index: getattr(row, f"_rank{index}"),
        )
        found[name] = (
            ranked[:limit],
            {
                count: getattr(rows[0], f"_count{index}_{count}") if rows else 0
                for count in counted[name]
            },
        )
    return found
