from django.urls import include, path, re_path
from django.views.static import serve

from jitsuin.health import healthz
from jitsuin.settings import PACKAGE_DIR

handler500 = "jitsuin.dbfaults.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    re_path(r"^static/(?P<path>.*)$", serve, {"document_root": PACKAGE_DIR / "static"}),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("jitsuin.revocation.urls")),
    path("api/", include("jitsuin.api.urls")),
    path("scim/v2/", include("jitsuin.scim.urls")),
    path("account/", include("jitsuin.access.urls")),
    path("account/", include("jitsuin.sso.urls")),
    path("console/campaigns/", include("jitsuin.console.campaigns.urls")),
    path("console/", include("jitsuin.console.urls")),
    path("", include("jitsuin.portal.urls")),
]
