from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from grids import views as grid_views
from reports.home import home

from . import offline, views

admin.site.site_header = _("Grid management administration")
admin.site.site_title = _("Grid management")

accounts = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("language/", grid_views.set_language, name="set_language"),
]

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include(accounts)),
    path("", include("grids.urls")),
    path("patrols/", include("patrols.urls")),
    path("incidents/", include("incidents.urls")),
    path("meetings/", include("meetings.urls")),
    path("reports/", include("reports.urls")),
    path("places/", include("places.urls")),
    path("assessment/", include("assessment.urls")),
    path("care/", include("care.urls")),
    path("notifications/", include("notifications.urls")),
    # The residents' channel: short addresses, printed as QR codes on the notice boards.
    path("r/", include("residents.urls")),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("sw.js", offline.service_worker, name="service_worker"),
]

handler500 = "gridmgmt.views.server_error"
