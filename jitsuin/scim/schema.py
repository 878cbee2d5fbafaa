"""The SCIM User jitsuin serves, and the discovery documents (RFC 7643 §5-7).

The User schema lists only the attributes jitsuin keeps, so identity managers and compliance
checkers see what is really stored: ``userName`` (the uid; immutable here, people are not
renamed by provisioning), ``externalId``, ``name`` (formatted, givenName, familyName),
``displayName``, ``emails`` (one, the primary) and ``active``; of the enterprise extension,
``department`` (the affiliation).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import EmailStr
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ComplexAttribute,
    ETag,
    Extension,
    Filter,
    Mutability,
    Patch,
    Required,
    Resource,
    ResourceType,
    Schema,
    ScimPolicy,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)
from scim2_models import Email as BaseEmail
from scim2_models.resources.resource import AnyExtension

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_RESULTS = 200
DEFAULT_COUNT = 100

# What Entra ID and Okta send beyond the letter of RFC 7644: attributes jitsuin does not keep
# (ignored, not refused), "remove" with a value, and a path filter on an e-mail not yet there.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


class Name(ComplexAttribute):
    formatted: str | None = None
    """The full name, in Latin letters (jitsuin's English name of the person)."""

    family_name: str | None = None
    """The family name of the User."""

    given_name: str | None = None
    """The given name of the User."""


class Email(ComplexAttribute):
    value: Annotated[EmailStr | None, Required.true] = None
    """The e-mail address."""

    type: BaseEmail.Type | None = None
    """A label indicating the attribute's function, e.g., 'work' or 'home'."""

    primary: bool | None = None
    """Whether this is the preferred address (jitsuin keeps one, and returns the flag sent)."""


class User(Resource[AnyExtension]):
    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Uniqueness.server, Required.true, Mutability.immutable] = None
    """The uid: unique, the name people sign in with; set when the person is created."""

    name: Name | None = None
    """The components of the user's name."""

    display_name: str | None = None
    """The name shown to people: jitsuin's Japanese name of the person (氏名)."""

    emails: Annotated[list[Email] | None, Required.true] = None
    """The e-mail address of the user; jitsuin keeps one, the primary, and needs it."""

    active: bool | None = None
    """False starts the leaver flow: certificates are revoked after the grace."""


class Enterprise(Extension):
    """The part of the enterprise extension (RFC 7643 §4.3) jitsuin keeps."""

    __schema__ = URN(ENTERPRISE_SCHEMA)

    department: str | None = None
    """The person's faculty or department (jitsuin's affiliation, 所属)."""


# What /Users serves: the User with the enterprise extension's department.
ScimUser = User[Enterprise]


def service_provider_config() -> ServiceProviderConfig:
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Bearer token",
                description="A jitsuin API token with the scope scim: "
                "jitsuin token create NAME --scope scim",
                primary=True,
            )
        ],
    )


def resource_types() -> list[ResourceType]:
    return [ResourceType.from_resource(ScimUser)]


def schemas() -> list[Schema]:
    return [User.to_schema(), Enterprise.to_schema()]
