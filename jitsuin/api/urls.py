from django.urls import path

from jitsuin.api.api import api

# No app_name: django-ninja reverses its own namespace ("api-v1") at the top level.
urlpatterns = [path("v1/", api.urls)]
