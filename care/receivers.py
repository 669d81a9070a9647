"""The register tells the care app nothing; this hears a resident's tags change."""

from django.utils import timezone


def tags_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """After tags are added to, removed from or cleared on residents (or a tag on residents,
    from the tag's side), record the tag dates and the next visits. Runs in the
    transaction of the change."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    from grids.models import Resident

    from . import services

    if not reverse:
        ids = [instance.pk]
    elif action == "post_clear":
        # A tag cleared of everyone: its people are those still holding a start of it.
        ids = list(instance.care_starts.values_list("resident_id", flat=True))
    else:
        ids = list(Resident.objects.filter(pk__in=pk_set or ()).values_list("pk", flat=True))
    if ids:
        services.sync_residents(ids, on=timezone.localdate())
