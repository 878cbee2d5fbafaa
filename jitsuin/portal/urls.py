from django.urls import path

from jitsuin.portal import keys, pages, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("status/", views.status_fragment, name="status"),
    path("issue/", views.issue, name="issue"),
    path("issue/anew/", views.issue_anew, name="issue_anew"),
    path("certificates/<int:pk>/", views.certificate_detail, name="certificate"),
    path("certificates/<int:pk>/status/", views.certificate_fragment, name="certificate_status"),
    path("certificates/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("certificates/<int:pk>/confirm/", views.confirm_new, name="confirm_new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("downloads/<int:pk>/", views.download_page, name="download"),
    path("downloads/<int:pk>/file/", views.download_file, name="download_file"),
    path("downloads/<int:pk>/profile/", views.download_profile, name="download_profile"),
    path("keys/", keys.archived_keys, name="archived_keys"),
    path("keys/<int:pk>/recover/", keys.recover, name="recover_key"),
    path("check/", pages.check, name="check"),
    path("notices/", pages.notices, name="notices"),
    path("notices/<int:pk>/", pages.notice_detail, name="notice"),
    path("help/", pages.help_index, name="help"),
    path("help/faq/", pages.faq, name="faq"),
    path("help/import/<slug:platform>/", pages.import_guide, name="import_guide"),
    path("help/wifi-server-ca.pem", pages.wifi_server_ca, name="wifi_server_ca"),
]
