"""Campaign console pages; the project mounts them at /console/campaigns/ (namespace campaigns)."""

from django.urls import path

from jitsuin.console.campaigns import guarded, mail_views, views

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
    # The campaign's e-mail (mail_views.py): preview, test send, reminder now, resend.
    path("<int:pk>/mail/", mail_views.mail_preview, name="mail_preview"),
    path("<int:pk>/mail/test/", mail_views.mail_test, name="mail_test"),
    path("<int:pk>/remind/", mail_views.remind_now, name="remind_now"),
    path("<int:pk>/resend/", mail_views.resend_invitations, name="resend"),
]
