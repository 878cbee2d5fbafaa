"""SSO endpoints, mounted without a namespace because the libraries reverse their own names."""

from django.urls import include, path

from jitsuin.sso import settings as sso
from jitsuin.sso import views

urlpatterns: list[object] = [
    path("sso/sign-out/", views.sign_out, name="sso_sign_out"),
    path("signed-out/", views.signed_out, name="sso_signed_out"),
]
if "oidc" in sso.enabled_methods():
    urlpatterns.append(path("oidc/", include("jitsuin.sso.oidc.urls")))
if "saml" in sso.enabled_methods():
    urlpatterns.append(path("saml2/", include("jitsuin.sso.saml.urls")))
