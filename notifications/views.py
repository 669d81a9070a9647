from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from grids.paging import paginate

from . import services
from .forms import NotificationSettingsForm
from .models import Notification, NotificationSettings


@login_required
def inbox(request):
    notifications = Notification.objects.for_user(request.user)
    if request.GET.get("show") == "unread":
        notifications = notifications.unread()
    return render(
        request,
        "notifications/inbox.html",
        {"show": request.GET.get("show", ""), **paginate(request, notifications)},
    )


@login_required
@require_POST
def open_notification(request, notification_id):
    """Mark one notification read and follow its link."""
    notification = get_object_or_404(
        Notification.objects.for_user(request.user), pk=notification_id
    )
    services.mark_read(request.user, [notification.pk])
    target = notification.url
    if not target or not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "notifications:inbox"
    return redirect(target)


@login_required
@require_POST
def mark_all_read(request):
    count = services.mark_read(request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked read.", "%(count)d notifications marked read.", count
        )
        % {"count": count},
    )
    return redirect("notifications:inbox")


@login_required
def notification_settings(request):
    """The signed-in person's own choices: which kinds arrive by email, and the digest time."""
    form = NotificationSettingsForm(
        request.POST or None, instance=NotificationSettings.for_user(request.user)
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})
