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
