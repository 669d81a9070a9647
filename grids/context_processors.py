from functools import partial

from .menu import menu_for
from .scope import get_scope


def user_scope(request):
    """The request's scope and its menu (built when the page shows it) for the navigation.
    Shares the view's scope, so it adds no query where the view already used it."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"user_scope": get_scope(request), "main_menu": partial(menu_for, request)}
