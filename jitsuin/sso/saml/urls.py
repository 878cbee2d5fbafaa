"""djangosaml2's URL names, served by jitsuin's views (mounted at ``/account/saml2/``)."""

from django.urls import path

from jitsuin.sso.saml import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="saml2_login"),
    path("acs/", views.AssertionConsumerServiceView.as_view(), name="saml2_acs"),
    path("logout/", views.LogoutInitView.as_view(), name="saml2_logout"),
    path("ls/", views.LogoutView.as_view(), name="saml2_ls"),
    path("ls/post/", views.LogoutView.as_view(), name="saml2_ls_post"),
    path("metadata/", views.MetadataView.as_view(), name="saml2_metadata"),
]
