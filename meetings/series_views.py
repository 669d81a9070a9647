"""The station's standing meetings: each community's Monday meeting and monthly review, and
which posts they invite. Only those who supervise the community (its stationmaster, the
street and district above) open them; anyone else gets a 404 (or a 403 for the list, which
names no community)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.models import Area
from grids.paging import paginate
from grids.scope import get_scope

from . import schedule
from .forms import SeriesPostsForm
from .models import Kind, MeetingSeries


def _series(request):
    """The series of the communities the user supervises."""
    return MeetingSeries.objects.filter(get_scope(request).supervised_q("community"))


@login_required
def series_list(request):
    """The supervised communities, a page at a time, each with its two series and how many
    posts each invites. Runs the count, the page of communities and their series."""
    scope = get_scope(request)
    if not scope.supervises_somewhere():
        raise PermissionDenied
    communities = (
        Area.objects.filter(kind=Area.Kind.COMMUNITY)
        .filter(scope.supervised_q())
        .order_by("code")
        .prefetch_related(
            Prefetch(
                "meeting_series",
                queryset=MeetingSeries.objects.annotate(post_count=Count("posts")).order_by("kind"),
            )
        )
    )
    context = paginate(request, communities)
    for community in context["page"].object_list:
        community.standing = list(community.meeting_series.all())
        community.is_set_up = {s.kind for s in community.standing} >= set(Kind.values)
    return render(request, "meetings/series_list.html", context)


@login_required
@require_POST
def series_set_up(request, community_code):
    """Create the community's missing standing meetings with their default days, times and
    posts (the monthly review inviting building leaders and community police too)."""
    scope = get_scope(request)
    community = scope.get(Area.objects.filter(kind=Area.Kind.COMMUNITY), code=community_code)
    if not scope.supervises(community):
        raise PermissionDenied
    schedule.ensure_series(community)
    messages.success(
        request,
        _("The standing meetings of %(community)s are set up.") % {"community": community.name},
    )
    return redirect("meetings:series_list")


@login_required
def series_edit(request, series_id):
    """A series and the posts it invites; the station changes them here."""
    series = get_object_or_404(_series(request).select_related("community"), pk=series_id)
    form = SeriesPostsForm(request.POST or None, series=series)
    if request.method == "POST" and form.is_valid():
        invited, uninvited = schedule.set_series_posts(
            series, by=request.user, posts=form.cleaned_data["posts"]
        )
        messages.success(
            request,
            _(
                "Who attends is saved. Planned meetings: %(invited)d invited, "
                "%(uninvited)d no longer invited."
            )
            % {"invited": invited, "uninvited": uninvited},
        )
        return redirect("meetings:series", series.pk)
    return render(request, "meetings/series_form.html", {"series": series, "form": form})
