from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    """django-axes under a translated name: the package names its app only "Axes", which the
    administration pages showed in English."""

    verbose_name = _("Login attempts")
