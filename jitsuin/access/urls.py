from django.urls import path

from jitsuin.access import views

app_name = "access"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("totp/", views.totp, name="totp"),
]
