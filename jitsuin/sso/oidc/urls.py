"""OpenID Connect endpoints, under mozilla-django-oidc's URL names (it reverses them itself)."""

from django.urls import path

from jitsuin.sso.oidc import views

urlpatterns = [
    path("callback/", views.SignInCallback.as_view(), name="oidc_authentication_callback"),
    path("authenticate/", views.SignInStart.as_view(), name="oidc_authentication_init"),
    path("logout/", views.SignOut.as_view(), name="oidc_logout"),
]
