"""The project's URLs with the campaign pages mounted where the console will mount them."""

from django.urls import include, path

from jitsuin.urls import urlpatterns as project

urlpatterns = [path("console/campaigns/", include("jitsuin.console.campaigns.urls")), *project]
