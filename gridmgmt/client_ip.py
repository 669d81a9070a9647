"""The client's address, for the login lockout (django-axes' AXES_CLIENT_IP_CALLABLE).

Behind TRUSTED_PROXY_COUNT proxies, each appends the address it received the request from
to X-Forwarded-For, so the client is the entry that many places from the right: entries
further left were written by the client and are not believed. With no proxy (the default)
the header is ignored and REMOTE_ADDR is the client."""

import ipaddress

from django.conf import settings


def client_ip(request):
    """The client address of `request`, as a string. Runs no query."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if not forwarded:
        return remote
    # Fewer entries than proxies: the request entered at an inner proxy; its leftmost
    # entry is still one a trusted proxy wrote.
    candidate = forwarded[-min(count, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
