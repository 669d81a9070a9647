from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "care"
    verbose_name = _("Visits")

    def ready(self):
        # The register (grids) knows nothing of visits: when a resident's tags change, the
        # care app records the tag date and the next visit (care.services.sync_residents).
        from django.db.models.signals import m2m_changed

        from grids.models import Resident

        from . import receivers

        m2m_changed.connect(
            receivers.tags_changed,
            sender=Resident.tags.through,
            dispatch_uid="care-tags-changed",
        )
