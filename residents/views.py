"""The residents' channel: a grid's public page and a matter's private status page. Both are
reached without an account; a wrong token is a 404, and neither page shows anything of
the register (households, residents) nor anyone's name beyond the team's posts."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited

from gridmgmt.client_ip import client_ip
from grids.scope import get_scope
from incidents.models import Incident
from incidents.services import InvalidTransition

from . import services
from .forms import RatingForm, ReportForm
from .models import GridChannel, ResidentMatter, ResidentPhoto


def _by_address(group, request):
    return client_ip(request)


def _by_grid(group, request):
    return request.resolver_match.kwargs["token"]


def _limited(request):
    """The reason a report is refused for coming too often, or "". Counts every report sent
    (settings.RESIDENTS_RATE_PER_ADDRESS, RESIDENTS_RATE_PER_GRID); runs no query."""
    if is_ratelimited(
        request,
        group="residents-report-address",
        key=_by_address,
        rate=settings.RESIDENTS_RATE_PER_ADDRESS,
        increment=True,
    ):
        return _(
            "Too many reports from your network just now. Please wait a minute and send it again."
        )
    if is_ratelimited(
        request,
        group="residents-report-grid",
        key=_by_grid,
        rate=settings.RESIDENTS_RATE_PER_GRID,
        increment=True,
    ):
        return _(
            "This grid has received many reports in the last hour. Please try again later, "
            "or call the team."
        )
    return ""


@never_cache
def page(request, token):
    """The grid's public page: its team, its patrol times and the report form. Runs four
    queries (the channel and grid, the team, the patrol schedule, the categories)."""
    channel = get_object_or_404(GridChannel.objects.select_related("grid__parent"), token=token)
    grid = channel.grid
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES)
        refusal = _limited(request)
        if refusal:
            form.is_valid()  # shows the form again with what was typed
            form.add_error(None, refusal)
            status = 429
        elif form.is_valid():
            matter = services.file_matter(channel, **form.matter_fields())
            messages.success(
                request,
                _("Thank you. Your matter is number %(number)s.")
                % {"number": matter.incident.number},
            )
            return redirect("residents:status", token=matter.status_token)
        else:
            status = 400
    else:
        form = ReportForm()
    return render(
        request,
        "residents/page.html",
        {
            "grid": grid,
            "team": services.team_for(grid),
            "patrol_times": services.patrol_times(grid),
            "form": form,
            "photo_limit": settings.RESIDENTS_PHOTO_MAX_BYTES,
        },
        status=status,
    )


@never_cache
def status(request, token):
    """A matter's private status page: its number, the steps in plain words, and once it is
    closed the resident's rating. Runs two queries (three with the post)."""
    matter = get_object_or_404(
        ResidentMatter.objects.select_related(
            "incident__category", "incident__post", "channel__grid"
        ),
        status_token=token,
    )
    incident = matter.incident
    can_rate = incident.status == incident.Status.CLOSED and not incident.satisfaction
    form = None
    if can_rate:
        form = RatingForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.rate_matter(
                    matter,
                    satisfaction=form.cleaned_data["satisfaction"],
                    comment=form.cleaned_data["comment"].strip(),
                )
            except InvalidTransition as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(request, _("Thank you for your rating."))
            return redirect("residents:status", token=token)
    return render(
        request,
        "residents/status.html",
        {
            "matter": matter,
            "incident": incident,
            "steps": services.status_steps(incident),
            "post": incident.post.get_role_display() if incident.post else "",
            "rating_form": form,
            "page_url": services.page_path(matter.channel),
        },
    )


@login_required
@require_GET
def photo(request, resident_photo_id):
    """A photo a resident sent, to those who may open its incident (never public: the
    resident's status page shows none). Runs two queries (the user's posts, the photo)."""
    visible = Incident.objects.visible_to(get_scope(request))
    found = get_object_or_404(
        ResidentPhoto.objects.filter(matter__incident__in=visible), pk=resident_photo_id
    )
    try:
        return FileResponse(found.image.open("rb"))
    except FileNotFoundError:
        raise Http404 from None
