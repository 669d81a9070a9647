from functools import cached_property

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Window
from django.utils.translation import gettext as _

PAGE_SIZE = 25
# The largest OFFSET PostgreSQL takes (a bigint).
LARGEST_OFFSET = 2**63 - 1


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


class WindowPaginator(Paginator):
    """Pages over `object_list` counted in the page's own statement: each row carries the
    number of rows (count(*) OVER ()), so a page that has rows needs no count query. For
    lists whose statement reads and sorts every row before the limit anyway (a grid's
    households, a station's rentals): there the window costs next to nothing, where on a
    list that an index reads in order it would read every row. A page with no rows (past
    the last, or no page number, or too large to be an offset) is counted and validated as
    Paginator does."""

    def get_page(self, number):
        """The page; runs one query, or, for a page with no rows, the count too."""
        try:
            wanted = 1 if number in (None, "") else int(number)
        except (TypeError, ValueError):
            wanted = 0
        bottom = (wanted - 1) * self.per_page
        # A page number so large that its offset is no bigint is past the last page.
        if wanted >= 1 and bottom + self.per_page <= LARGEST_OFFSET:
            counted = self.object_list.annotate(_rows_counted=Window(Count("pk")))
            rows = list(counted[bottom : bottom + self.per_page])
            if rows:
                self.count = rows[0]._rows_counted
                return self._get_page(rows, wanted, self)
            if wanted == 1:
                self.count = 0
                return self._get_page(rows, wanted, self)
        return super().get_page(number)


def paginate(
    request, queryset, per_page=PAGE_SIZE, most=None, count=None, rows=None, windowed=False
):
    """The requested page of `queryset`, and the query string to keep across pages. A page
    that is no page number, or past the last, shows the first or the last page and says so.
    With `most`, only the first `most` rows are listed, the page's rows read by key by
    `rows(keys)` (see `BoundedPaginator`); with `count`, a function, the rows are counted by
    it instead of by `queryset.count()`; `windowed`, in the page's statement (see
    `WindowPaginator`).

    Runs two queries: the count (with `most`, the keys) and the page; `windowed`, one.
    """
    if windowed:
        paginator = WindowPaginator(queryset, per_page)
    elif most is not None:
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


def with_counts(queryset, limit, **counts):
    """The first `limit` rows of `queryset`, each with how many rows it has (`counts_of`
    reads them): the counts are windows over every row, read before the limit cuts them.
    `counts` names more counts, each a filter on the same rows. No query."""
    windows = {"total": Window(Count("pk"))}
    windows.update({name: Window(Count("pk", filter=q)) for name, q in counts.items()})
    return queryset.annotate(**{f"_count_{name}": w for name, w in windows.items()})[:limit]


def counts_of(rows, *names):
    """{name: count} of the rows of `with_counts`: "total" and the further counts `names`;
    0 when there are no rows."""
    return {name: getattr(rows[0], f"_count_{name}") if rows else 0 for name in ("total", *names)}
