from .models import Notification


class _CountOnce:
    """Counted on first use in the template, then remembered: the header shows the badge
    in two places but runs one query."""

    def __init__(self, queryset):
        self.queryset = queryset
        self.value = None

    def __call__(self):
        if self.value is None:
            self.value = self.queryset.count()
        return self.value


def unread_count(request):
    """The header's unread badge, for signed-in users."""
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    return {"unread_count": _CountOnce(Notification.objects.for_user(user).unread())}
