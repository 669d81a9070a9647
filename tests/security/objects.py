"""Every named pattern of the URLconf, with an object behind each of its parameters.

`object_urls(world)` makes, in community B of a world (tests/conftest.py's personas, or a
side of them shaped like one), one object for each URL parameter with the builders of
tests/test_url_isolation.py, and returns the address of every named pattern with those
objects. A new view with a new parameter fails tests/test_url_isolation.py until its builder
is added there, so both the hostile-input suite and the area matrix cover it at once.
"""

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from notifications.services import notify
from tests.test_url_isolation import PARAMETERS, b_cared_resident, b_incident

SKIPPED_NAMESPACES = {"admin"}  # Django's admin: staff only, its own forms and permissions.


def named_patterns(resolver=None, namespace=""):
    """(view name, parameter names) of every named pattern outside SKIPPED_NAMESPACES."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            child = entry.namespace or ""
            if child in SKIPPED_NAMESPACES:
                continue
            outer = list(getattr(entry.pattern, "converters", {}))
            nested = ":".join(filter(None, [namespace, child]))
            for name, params in named_patterns(entry, nested):
                yield name, outer + params
        elif isinstance(entry, URLPattern) and entry.name:
            name = ":".join(filter(None, [namespace, entry.name]))
            yield name, list(getattr(entry.pattern, "converters", {}))


def object_urls(world):
    """{view name: url} of every named pattern, with objects of community B behind its
    parameters (those tests/test_url_isolation.py makes); and {parameter: the id or code
    used}."""
    objects = {
        "notification": notify(
            [world.b.grid_member], key=f"hostile:{world.b.grid.code}", title="For B"
        )[0],
        # Under a visit rule, so the care pages of the person exist for B.
        "resident": b_cared_resident(world),
        "incident": b_incident(world),
    }
    urls, values = {}, {}
    for name, params in sorted(set((n, tuple(p)) for n, p in named_patterns())):
        for param in params:
            if param not in values:  # one object per parameter, shared by its patterns
                values[param] = PARAMETERS[param](world, objects)
        urls[name] = reverse(name, kwargs={param: values[param] for param in params})
    return urls, values
