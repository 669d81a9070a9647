from django.contrib import messages
from django.core.paginator import Paginator
from django.utils.translation import gettext as _

PAGE_SIZE = 25


def paginate(request, queryset, per_page=PAGE_SIZE):
    """The requested page of `queryset`, and the query string to keep across pages. A page
    that is no page number, or past the last, shows the first or the last page and says so.

    Runs two queries: the count and the page.
    """
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
