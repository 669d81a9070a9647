import re

from django.shortcuts import render
from django.utils.translation import gettext as _

from . import views

PROBES = {"/healthz": views.healthz, "/readyz": views.readyz}


class ProbeMiddleware:
    """Answer `/healthz` and `/readyz` straight after SecurityMiddleware: before the session,
    the user and the Host check, so a load balancer's probe (plain HTTP, any Host header,
    maybe a stale cookie) gets JSON even while PostgreSQL is down."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)


# C0 control characters other than tab, line feed and carriage return, DEL and the C1 block:
# nobody types them, PostgreSQL refuses NUL in text, and the others break exports and emails.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class ControlCharacterMiddleware:
    """Refuse, with a 400 page that says why, any request whose query parameters or posted
    fields (names or values) hold a control character (see CONTROL_CHARACTERS). One check for
    every form and every filter, so no view has to think of it and none can forget: the text
    never reaches a form, a service or the database. Files are not read. Runs no query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for data in (request.GET, request.POST):
            for name, values in data.lists():
                if CONTROL_CHARACTERS.search(name) or any(
                    CONTROL_CHARACTERS.search(value) for value in values
                ):
                    return render(
                        request,
                        "400.html",
                        {
                            "reason": _(
                                "The field “%(field)s” holds a control character (such as "
                                "NUL) that cannot be saved. Remove it and try again."
                            )
                            % {"field": CONTROL_CHARACTERS.sub("", name)[:40]}
                        },
                        status=400,
                    )
        return self.get_response(request)
