from django.urls import path, re_path

from jitsuin.console import actions, operations, recoveries, stuck_actions, tokens, views

app_name = "console"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("people/", views.people, name="people"),
    path("people/<int:person_id>/", views.person_detail, name="person"),
    path("people/<int:person_id>/exception", actions.grant_exception, name="grant_exception"),
    path(
        "people/<int:person_id>/exceptions/<int:exception_id>/withdraw",
        actions.withdraw_exception,
        name="withdraw_exception",
    ),
    path("people/<int:person_id>/issue-anew", actions.issue_anew, name="issue_anew"),
    path("requests/stuck/", views.stuck, name="stuck"),
    path("requests/<int:request_id>/", views.request_detail, name="request"),
    path("requests/<int:request_id>/retry", actions.retry, name="retry"),
    path("requests/<int:request_id>/cancel", actions.cancel, name="cancel"),
    path("requests/<int:request_id>/claim", stuck_actions.claim, name="stuck_claim"),
    path("requests/<int:request_id>/release", stuck_actions.release, name="stuck_release"),
    path("requests/<int:request_id>/snooze", stuck_actions.snooze, name="stuck_snooze"),
    path("requests/<int:request_id>/wake", stuck_actions.wake, name="stuck_wake"),
    path("requests/<int:request_id>/repoll", stuck_actions.repoll, name="repoll"),
    path("certificates/<int:certificate_id>/revoke", actions.revoke, name="revoke"),
    path("messages/", operations.outbox, name="outbox"),
    path("messages/<int:message_id>/resend", actions.resend_message, name="resend"),
    path("notices/", operations.notices, name="notices"),
    path("notices/new", operations.notice_edit, name="notice_new"),
    path("notices/<int:notice_id>/", operations.notice_edit, name="notice_edit"),
    path("notices/<int:notice_id>/withdraw", operations.notice_withdraw, name="notice_withdraw"),
    path("maintenance/", operations.maintenance, name="maintenance"),
    path(
        "maintenance/<int:window_id>/cancel",
        operations.maintenance_cancel,
        name="maintenance_cancel",
    ),
    path("audit/", operations.audit, name="audit"),
    re_path(r"^audit/export\.(?P<fmt>csv|jsonl)$", operations.audit_export, name="audit_export"),
    path("authorities/", operations.authorities, name="authorities"),
    path("authorities/<int:authority_id>/activate", operations.authority_activate, name="activate"),
    path("key-recovery/", recoveries.recoveries, name="key_recoveries"),
    path(
        "key-recovery/<int:recovery_id>/approve",
        recoveries.approve,
        name="key_recovery_approve",
    ),
    path("key-recovery/<int:recovery_id>/cancel", recoveries.cancel, name="key_recovery_cancel"),
    path(
        "key-recovery/<int:recovery_id>/download",
        recoveries.download,
        name="key_recovery_download",
    ),
    path("api-tokens/", tokens.tokens, name="api_tokens"),
    path("api-tokens/<int:token_id>/revoke", tokens.token_revoke, name="api_token_revoke"),
]
