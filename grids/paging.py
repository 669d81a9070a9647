from functools import cached_property

from django.contrib import messages
from django.core.paginator import Paginator
from django.utils.translation import gettext as _

PAGE_SIZE = 25


class BoundedPaginator(Paginator):
    """Pages over the first `most` rows only: counting stops after `most + 1` rows, so the
    count costs no more than a page however many rows match. `is_capped` says whether more
    rows matched than are listed."""

    def __init__(self, object_list, per_page, most):
        super().__init__(object_list, per_page)
        self.most = most
        self.is_capped = False

    @cached_property
    def count(self):
        found = self.object_list.order_by().values("pk")[: self.most + 1].count()
        self.is_capped = found > self.most
        return min(found, self.most)


def paginate(request, queryset, per_page=PAGE_SIZE, most=None):
    """The requested page of `queryset`, and the query string to keep across pages. A page
    that is no page number, or past the last, shows the first or the last page and says so.
    With `most`, only the first `most` rows are listed (see `BoundedPaginator`).

    Runs two queries: the count and the page.
    """
    if most is None:
        paginator = Paginator(queryset, per_page)
    else:
        paginator = BoundedPaginator(queryset, per_page, most)
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
