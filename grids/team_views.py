"""The team page of a community: its posts, who acts today, grids nobody patrols, posts
opened, absences, holders changing and people leaving. Only the community's stationmaster
(and above) may see and change it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import team
from .models import Absence, Area, Post, User
from .once import AlreadySent, once
from .posts import acting_on
from .scope import get_scope
from .team_forms import (
    AbsenceForm,
    DeactivateForm,
    HolderForm,
    NewAbsenceForm,
    OpenPostForm,
    people_choices,
    team_areas,
)


def _community(request, code):
    """The community in scope (else 404), when the user supervises it (else 403)."""
    scope = get_scope(request)
    community = scope.get(Area.objects.of_kind(Area.Kind.COMMUNITY), code=code)
    if not scope.supervises(community):
        raise PermissionDenied
    return community


def _team_posts(community):
    return Post.objects.filter(area__path__startswith=community.path).for_team()


def _holder_ids(posts):
    return {pk for post in posts for pk in (post.holder_a_id, post.holder_b_id) if pk}


def _absence(community, absence_id):
    """An absence of someone holding a post in the community, else 404."""
    holders = _holder_ids(_team_posts(community))
    return get_object_or_404(
        Absence.objects.select_related("user"), pk=absence_id, user_id__in=holders
    )


def _person(community, user_id):
    holders = _holder_ids(_team_posts(community))
    return get_object_or_404(User, pk=user_id, pk__in=holders)


@login_required
def team_page(request, community_code):
    """Runs: the session and user, the scope's posts, the community, the posts, who acts
    (two), the absences, the grids without a team, and the person picker (three)."""
    community = _community(request, community_code)
    today = timezone.localdate()
    posts = list(_team_posts(community))
    acting = acting_on(posts, today)
    absences = list(
        Absence.objects.filter(user_id__in=_holder_ids(posts), ends_on__gte=today)
        .select_related("user")
        .order_by("starts_on", "pk")
    )
    back_after = {}
    for absence in absences:
        if absence.starts_on <= today:
            back_after[absence.user_id] = max(
                back_after.get(absence.user_id, today), absence.ends_on
            )
    rows = []
    for post in posts:
        found = acting[post.pk]
        away_id = post.holder_a_id if found.by != "a" else None
        rows.append(
            {
                "post": post,
                "acting": found.user,
                "by": found.by,
                "is_gap": found.is_gap,
                "a_away": found.by != "a",
                "b_away": found.by in {"station", "gap"} and post.holder_b_id is not None,
                "until": back_after.get(away_id) if away_id else None,
            }
        )
    context = {
        "community": community,
        "today": today,
        "rows": rows,
        "gaps": sum(1 for row in rows if row["is_gap"]),
        "without_team": team.grids_without_team(community, today),
        "absences": absences,
        "form": NewAbsenceForm(people=people_choices(community)),
    }
    return render(request, "grids/team.html", context)


@login_required
def absence_create(request, community_code):
    community = _community(request, community_code)
    form = NewAbsenceForm(request.POST or None, people=people_choices(community))
    try:
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            with once(form, by=request.user) as made:
                team.record_absence(
                    user=data["person"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    reason=data["reason"],
                    by=request.user,
                )
                made(reverse("grids:team", args=[community.code]))
            messages.success(request, _("Absence recorded."))
            return redirect("grids:team", community.code)
    except AlreadySent as sent:
        return sent.response(request)
    return render(request, "grids/absence_form.html", {"community": community, "form": form})


@login_required
def absence_update(request, community_code, absence_id):
    community = _community(request, community_code)
    absence = _absence(community, absence_id)
    form = AbsenceForm(
        request.POST or None,
        people=None,
        with_person=False,
        initial={
            "starts_on": absence.starts_on,
            "ends_on": absence.ends_on,
            "reason": absence.reason,
        },
    )
    if request.method == "POST" and form.is_valid():
        team.update_absence(absence, by=request.user, **form.cleaned_data)
        messages.success(request, _("Absence changed."))
        return redirect("grids:team", community.code)
    return render(
        request,
        "grids/absence_form.html",
        {"community": community, "form": form, "absence": absence},
    )


@login_required
@require_POST
def absence_end(request, community_code, absence_id):
    community = _community(request, community_code)
    absence = _absence(community, absence_id)
    team.end_absence(absence, by=request.user)
    messages.success(
        request, _("%(name)s is back from today.") % {"name": absence.user.display_name}
    )
    return redirect("grids:team", community.code)


@login_required
def post_holder(request, community_code, post_id):
    community = _community(request, community_code)
    post = get_object_or_404(_team_posts(community), pk=post_id)
    form = HolderForm(request.POST or None, people=people_choices(community))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team.change_post_holder(
                post, slot=data["slot"], to=data["to"], on=data["on"], by=request.user
            )
        except team.TeamError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The post changed holder; its open work was handed over."))
            return redirect("grids:team", community.code)
    return render(
        request, "grids/post_holder.html", {"community": community, "post": post, "form": form}
    )


@login_required
def post_open(request, community_code):
    """A new post at the community or one of its grids (GET area=<code> chooses it)."""
    community = _community(request, community_code)
    form = OpenPostForm(
        request.POST or None,
        areas=team_areas(community, timezone.localdate()),
        people=people_choices(community, with_closed=True),
        initial={"area": request.GET.get("area", ""), "role": request.GET.get("role", "")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            post = team.open_post(
                data["area"],
                role=data["role"],
                holder_a=data["holder_a"],
                holder_b=data["holder_b"],
                by=request.user,
            )
        except team.TeamError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The post %(post)s is open.") % {"post": post})
            return redirect("grids:team", community.code)
    return render(request, "grids/post_open.html", {"community": community, "form": form})


@login_required
def person_deactivate(request, community_code, user_id):
    community = _community(request, community_code)
    person = _person(community, user_id)
    items = team.holdings(person)
    form = DeactivateForm(request.POST or None, items=items, people=people_choices(community))
    if request.method == "POST" and form.is_valid():
        try:
            team.deactivate_person(person, assignments=form.assignments(), by=request.user)
        except team.TeamError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("%(name)s's account is closed.") % {"name": person.display_name}
            )
            return redirect("grids:team", community.code)
    return render(
        request,
        "grids/person_deactivate.html",
        {"community": community, "person": person, "form": form, "items": items},
    )
