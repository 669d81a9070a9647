from .scope import get_scope


def user_scope(request):
    """The request's scope for the navigation (what to offer). Shares the view's scope, so it
    adds no query where the view already used it."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"user_scope": get_scope(request)}
