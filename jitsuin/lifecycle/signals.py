"""Domain events the lifecycle services send inside their transaction.

Receivers (revocation publishing, notifications, campaigns) must only enqueue work or
write their own rows; they run in the sender's transaction, so what they write commits
or rolls back with the change itself.
"""

from django.dispatch import Signal

# request=Request, from_state=str, to_state=str, actor=str
request_changed = Signal()
# certificate=Certificate
certificate_issued = Signal()
# certificate=Certificate (status already revoked, revoked_at and revocation_reason set)
certificate_revoked = Signal()
