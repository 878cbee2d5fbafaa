"""The portal's URLs with the SAML endpoints mounted, as the lead's sso/urls.py will mount them."""

from django.urls import include, path

urlpatterns = [
    path("account/saml2/", include("jitsuin.sso.saml.urls")),
    path("", include("jitsuin.urls")),
]
