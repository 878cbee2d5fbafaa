"""Campaign console pages; the project mounts them at /console/campaigns/ (namespace campaigns)."""

from django.urls import path

from jitsuin.console.campaigns import guarded, views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/tasks/", views.campaign_tasks, name="tasks"),
    path("<int:pk>/preflight/", views.campaign_preflight, name="preflight"),
    path("<int:pk>/start/", views.campaign_start, name="start"),
    path("<int:pk>/summary/", views.campaign_summary, name="summary"),
    path("<int:pk>/confirm/", guarded.campaign_confirm, name="confirm"),
    path("<int:pk>/confirm/withdraw/", guarded.campaign_withdraw, name="confirm_withdraw"),
    path("<int:pk>/postpone/", views.campaign_postpone, name="postpone"),
    path("<int:pk>/cancel/", views.campaign_cancel, name="cancel"),
    path("<int:pk>/export.csv", views.campaign_export, name="export"),
]
