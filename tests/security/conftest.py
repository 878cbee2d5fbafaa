"""Staff accounts for the security tests: the same fixtures the console tests use."""

from tests.staff_fixtures import (  # noqa: F401 (fixtures)
    ca_admin,
    helpdesk,
    helpdesk_without_otp,
    operator,
    plain_user,
)
