"""Events of the CA hierarchy, sent inside the transaction that makes the change.

Receivers (revocation publishing) only write their own rows or enqueue work.
"""

from django.dispatch import Signal

# authority=Authority (revoked_at and revocation_reason set; revoked_at may be in the future)
authority_revoked = Signal()
