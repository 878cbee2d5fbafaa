from django.urls import path, re_path

from jitsuin.scim import views

app_name = "scim"

urlpatterns = [
    path("", views.unknown, name="root"),
    path(".search", views.users_search, name="search"),  # Users are the only resource type
    path("Users", views.users, name="users"),
    path("Users/.search", views.users_search, name="users-search"),
    path("Users/<str:person_id>", views.user, name="user"),
    path("ServiceProviderConfig", views.service_provider_config, name="config"),
    path("ResourceTypes", views.resource_types, name="resource-types"),
    path("ResourceTypes/<str:key>", views.resource_types, name="resource-type"),
    path("Schemas", views.schemas, name="schemas"),
    path("Schemas/<path:key>", views.schemas, name="schema"),
    re_path(r"^(?P<rest>.*)$", views.unknown),
]
