from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import health, views
from portal.staff.access import logged_in, public
from portal.staff.forms import LoginForm
from portal.staff.idle import session_keepalive

admin.site.site_header = "Loyalty Desk administration"
admin.site.site_title = "Loyalty Desk"

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path(
        "login/",
        public(
            auth_views.LoginView.as_view(
                authentication_form=LoginForm, redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    path("logout/", logged_in(auth_views.LogoutView.as_view()), name="logout"),
    path("session/keepalive/", session_keepalive, name="session_keepalive"),
    path("guests/", include("guests.urls")),
    path("cards/", include("cards.urls")),
    path("audit/", include("portal.audit.urls")),
    path("jobs/", include("portal.jobs.urls")),
    path("approvals/", include("portal.approvals.urls")),
    path("admin/", admin.site.urls),
]
