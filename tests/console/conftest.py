"""Staff accounts with their roles, signed in with or without a verified second factor."""

from tests.staff_fixtures import (  # noqa: F401 (fixtures)
    ca_admin,
    helpdesk,
    helpdesk_without_otp,
    operator,
    plain_user,
)
