"""Keep the population roll-up true when the register changes days already rolled up."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from grids.models import Rental
from grids.signals import register_changed

from . import rollup


@receiver(register_changed)
def forget_changed_days(sender, grid_ids, since, **kwargs):
    rollup.forget(grid_ids, since)


@receiver(post_save, sender=Rental)
@receiver(post_delete, sender=Rental)
def forget_rental_days(sender, instance, **kwargs):
    rollup.forget([instance.household.grid_id], instance.starts_on)
