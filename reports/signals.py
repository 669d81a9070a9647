"""Keep the population roll-up true when the register changes days already rolled up."""

from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from grids.models import HouseholdGrid, Rental
from grids.signals import register_changed

from . import rollup


@receiver(register_changed)
def forget_changed_days(sender, grid_ids, since, **kwargs):
    rollup.forget(grid_ids, since)


@receiver(pre_save, sender=Rental)
def remember_rental(sender, instance, raw=False, **kwargs):
    """The household and first day the rental had before this save: the days it was
    counted on until now change too."""
    instance._before = (
        Rental.objects.filter(pk=instance.pk).values_list("household_id", "starts_on").first()
        if instance.pk and not raw
        else None
    )


@receiver(post_save, sender=Rental)
@receiver(post_delete, sender=Rental)
def forget_rental_days(sender, instance, **kwargs):
    """A rental counts, each day it runs, in the grid its household was in that day
    (HouseholdGrid): forget, from its first day (as it was and as it is), every grid its
    household stayed in since."""
    counted = {(instance.household_id, instance.starts_on)}
    before = getattr(instance, "_before", None)
    if before is not None:
        counted.add(before)
    for household_id, since in counted:
        stays = HouseholdGrid.objects.filter(household_id=household_id).filter(
            Q(until_on__isnull=True) | Q(until_on__gt=since)
        )
        rollup.forget(list(stays.values_list("grid_id", flat=True)), since)
