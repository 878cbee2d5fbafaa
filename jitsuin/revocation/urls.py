from django.urls import path, re_path

from jitsuin.revocation import views

app_name = "revocation"
urlpatterns = [
    path("ca/bundle.pem", views.ca_bundle, name="ca-bundle"),
    path("ca/roots.pem", views.ca_roots, name="ca-roots"),
    path("ca/<slug:slug>.pem", views.ca_pem, name="ca-pem"),
    path("ca/<slug:slug>.crt", views.ca_der, name="ca-der"),
    path("crl/bundle.pem", views.crl_bundle, name="crl-bundle"),
    path("crl/<slug:slug>.crl", views.crl_der, name="crl-der"),
    path("crl/<slug:slug>.pem", views.crl_pem, name="crl-pem"),
    path("ocsp", views.ocsp_post, name="ocsp"),
    path("ocsp/", views.ocsp_post, name="ocsp-slash"),
    re_path(r"^ocsp/(?P<encoded>.+)$", views.ocsp_get, name="ocsp-get"),
]
