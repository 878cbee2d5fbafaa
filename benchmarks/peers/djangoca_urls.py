"""django-ca's own URLs: its certificates name its CRL, OCSP and issuer URLs from them."""

from django.urls import include, path

urlpatterns = [path("django_ca/", include("django_ca.urls"))]
