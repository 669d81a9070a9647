from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from residents.board_views import may_print_board

from .forms import GridFilter, LanguageForm
from .models import Area, Post
from .paging import paginate
from .posts import acting_on
from .scope import get_scope


@login_required
def grid_list(request):
    scope = get_scope(request)
    # The filter's choices show a name and send a key: only those are read.
    communities = scope.areas().of_kind(Area.Kind.COMMUNITY).only("pk", "name").order_by("name")
    grids = scope.grids().for_list().order_by("code")
    filterset = GridFilter(request.GET, queryset=grids, communities=communities)
    return render(
        request, "grids/grid_list.html", {"filter": filterset, **paginate(request, filterset.qs)}
    )


@login_required
def grid_detail(request, grid_code):
    scope = get_scope(request)
    grid = scope.get_grid(grid_code)
    today = timezone.localdate()
    posts = list(Post.objects.filter(area__path__startswith=grid.path).for_team())
    acting = acting_on(posts, today)
    team = [
        {
            "post": post,
            "acting": acting[post.pk].user,
            "a_absent": acting[post.pk].by != "a",
            "is_gap": acting[post.pk].is_gap,
        }
        for post in posts
    ]
    buildings = grid.children.annotate(unit_count=Count("children")).order_by("code")
    return render(
        request,
        "grids/grid_detail.html",
        {
            "grid": grid,
            "team": team,
            "buildings": buildings,
            "today": today,
            "can_manage_team": scope.supervises(grid.parent),
            "can_change_map": scope.changes_map(grid),
            "can_print_board": may_print_board(scope, grid),
        },
    )


@require_POST
def set_language(request):
    """Switch the interface language; a signed-in user keeps the choice on every device."""
    form = LanguageForm(request.POST)
    target = (form.cleaned_data.get("next") if form.is_valid() else "") or "/"
    # Only a path of this site: anything else (a bare word would be read as a view's name).
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=not settings.DEBUG,
        )
    return response
