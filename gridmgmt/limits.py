"""A request body larger than the site takes is refused from its Content-Length header,
before any of it is read (Django would otherwise read the whole upload to a temporary file
before a form could refuse it). The proxy in front refuses larger bodies too
(docs/operations.md: nginx's client_max_body_size)."""

from django.conf import settings
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    """Answer 413, with a page that says the limit, to a request whose declared body is
    larger than settings.MAX_REQUEST_BYTES. Must come before anything that reads
    request.POST or request.FILES. Runs no query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            return render(
                request,
                "413.html",
                {
                    "reason": _(
                        "What you sent is %(size)s; the site takes at most %(limit)s at once. "
                        "Send a smaller file."
                    )
                    % {
                        "size": filesizeformat(length),
                        "limit": filesizeformat(settings.MAX_REQUEST_BYTES),
                    },
                },
                status=413,
            )
        return self.get_response(request)
