"""The site's URLs with the OpenID Connect endpoints mounted, as when JITSUIN_OIDC_* is set."""

from django.urls import include, path

from jitsuin.urls import handler500  # noqa: F401 (the site's error page)
from jitsuin.urls import urlpatterns as site

urlpatterns = [path("account/oidc/", include("jitsuin.sso.oidc.urls")), *site]
