"""Who an SSO sign-in is: bound by (issuer, subject), never by name; provisioning by setting."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from jitsuin.audit.models import AuditEvent
from jitsuin.lifecycle import leavers
from jitsuin.lifecycle.models import Person
from jitsuin.sso.identities import SsoAssertion, SsoRefused, link_identity, sign_in
from jitsuin.sso.models import SsoIdentity

pytestmark = pytest.mark.django_db

UNI = "https://idp.example.ac.jp/idp/shibboleth"
OP = "https://op.example.ac.jp"


def saml(uid: str = "s2310002@example.ac.jp", **attributes: str) -> SsoAssertion:
    return SsoAssertion(method="saml", issuer=UNI, subject=uid, uid=uid, **attributes)


def oidc(sub: str, uid: str, **attributes: str) -> SsoAssertion:
    return SsoAssertion(method="oidc", issuer=OP, subject=sub, uid=uid, **attributes)


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_a_first_sign_in_binds_the_identity_and_links_the_directory_entry():
    person = Person.objects.create(uid="s2310002@example.ac.jp", email="taro@example.ac.jp")
    user = sign_in(None, saml())
    assert user.get_username() == "s2310002@example.ac.jp"
    assert not user.has_usable_password()
    person.refresh_from_db()
    assert person.user == user
    identity = SsoIdentity.objects.get()
    assert (identity.issuer, identity.subject, identity.user) == (UNI, user.get_username(), user)
    assert actions() == ["sso.identity_linked", "person.linked", "access.signed_in"]
    signed_in = AuditEvent.objects.get(action="access.signed_in")
    assert (signed_in.data["method"], signed_in.data["issuer"]) == ("saml", UNI)


def test_the_second_sign_in_is_the_same_user_even_after_a_rename_at_the_idp():
    first = sign_in(None, oidc("sub-1", "changer-old"))
    again = sign_in(None, oidc("sub-1", "changer-new"))
    assert again == first
    assert SsoIdentity.objects.get().uid == "changer-new"
    assert get_user_model().objects.count() == 1


def test_an_idp_user_named_like_a_local_superuser_gets_no_local_account():
    local = get_user_model().objects.create_superuser("breakglass", "bg@example.ac.jp", "pw")
    with pytest.raises(SsoRefused) as refused:
        sign_in(None, oidc("sub-evil", "breakglass"))
    assert refused.value.reason == "uid-taken"
    assert not SsoIdentity.objects.exists()
    local.refresh_from_db()
    assert local.check_password("pw") and local.is_superuser
    assert "access.signed_in" not in actions()


def test_another_subject_with_the_same_username_does_not_get_the_account():
    Person.objects.create(uid="s2310001", email="s2310001@example.ac.jp")
    owner = sign_in(None, oidc("sub-s2310001", "s2310001"))
    with pytest.raises(SsoRefused) as refused:
        sign_in(None, oidc("sub-imposter", "s2310001"))
    assert refused.value.reason == "uid-taken"
    assert Person.objects.get(uid="s2310001").user == owner
    assert SsoIdentity.objects.count() == 1


def test_the_same_subject_from_another_issuer_is_another_identity():
    sign_in(None, oidc("shared-sub", "alice"))
    other = SsoAssertion(
        method="oidc", issuer="https://evil.example", subject="shared-sub", uid="alice"
    )
    with pytest.raises(SsoRefused):
        sign_in(None, other)


def test_a_directory_entry_already_linked_to_someone_else_is_refused():
    other = get_user_model().objects.create_user("legacy-name")
    Person.objects.create(uid="s2310003", email="x@example.ac.jp", user=other)
    with pytest.raises(SsoRefused) as refused:
        sign_in(None, oidc("sub-3", "s2310003"))
    assert refused.value.reason == "person-linked-elsewhere"
    assert not get_user_model().objects.filter(username="s2310003").exists()


def test_without_provisioning_no_person_is_created(settings):
    settings.JITSUIN_SSO_PROVISIONING = "off"
    user = sign_in(None, saml("hanako@example.ac.jp", email="hanako@example.ac.jp"))
    assert user.is_authenticated
    assert not Person.objects.exists()


def test_provisioning_creates_the_person_from_the_attributes(settings):
    settings.JITSUIN_SSO_PROVISIONING = "create"
    assertion = saml(
        "hanako@example.ac.jp",
        email="hanako@example.ac.jp",
        name_en="Hanako Sato",
        name_ja="佐藤 花子",
        affiliation="faculty",
    )
    user = sign_in(None, assertion)
    person = Person.objects.get(user=user)
    assert (person.uid, person.email, person.name_en, person.name_ja, person.affiliation) == (
        "hanako@example.ac.jp",
        "hanako@example.ac.jp",
        "Hanako Sato",
        "佐藤 花子",
        "faculty",
    )
    assert "person.added" in actions()


def test_provisioning_keeps_the_person_up_to_date_at_each_sign_in(settings):
    settings.JITSUIN_SSO_PROVISIONING = "update"
    Person.objects.create(uid="s2310002@example.ac.jp", email="old@example.ac.jp")
    sign_in(None, saml(email="new@example.ac.jp", name_ja="山田 太郎"))
    sign_in(None, saml(email="new@example.ac.jp", name_ja="山田 太郎"))
    person = Person.objects.get()
    assert (person.email, person.name_ja) == ("new@example.ac.jp", "山田 太郎")
    assert actions().count("person.updated") == 1  # the second sign-in changed nothing


def test_an_empty_attribute_does_not_erase_the_directory(settings):
    settings.JITSUIN_SSO_PROVISIONING = "update"
    Person.objects.create(uid="s2310002@example.ac.jp", email="keep@example.ac.jp", name_en="Taro")
    sign_in(None, saml())
    person = Person.objects.get()
    assert (person.email, person.name_en) == ("keep@example.ac.jp", "Taro")


def test_provisioning_without_an_email_is_refused_with_a_reason(settings):
    settings.JITSUIN_SSO_PROVISIONING = "create"
    with pytest.raises(SsoRefused) as refused:
        sign_in(None, oidc("sub-noemail", "noemail"))
    assert refused.value.reason == "no-email"
    with translation.override("en"):
        assert "did not send an e-mail address" in refused.value.message()
    with translation.override("ja"):
        assert "メールアドレス" in refused.value.message()
    assert not get_user_model().objects.exists()


def test_a_directory_entry_signs_in_without_an_email_claim(settings):
    settings.JITSUIN_SSO_PROVISIONING = "create"
    Person.objects.create(uid="noemail", email="noemail@example.ac.jp")
    user = sign_in(None, oidc("sub-noemail", "noemail"))
    assert Person.objects.get(uid="noemail").user == user


def test_a_disabled_account_is_refused():
    user = sign_in(None, oidc("sub-1", "alice"))
    user.is_active = False
    user.save()
    with pytest.raises(SsoRefused) as refused:
        sign_in(None, oidc("sub-1", "alice"))
    assert refused.value.reason == "inactive"


def test_a_deactivated_person_is_refused():
    Person.objects.create(uid="leaver", email="leaver@example.ac.jp")
    user = sign_in(None, oidc("sub-leaver", "leaver"))
    Person.objects.filter(uid="leaver").update(user=user)
    leavers.deactivate(Person.objects.get(uid="leaver"), actor="cli:staff")
    with pytest.raises(SsoRefused) as refused:
        sign_in(None, oidc("sub-leaver", "leaver"))
    assert refused.value.reason == "inactive"


def test_no_uid_is_refused():
    with pytest.raises(SsoRefused) as refused:
        sign_in(None, oidc("sub-1", ""))
    assert refused.value.reason == "no-uid"


def test_an_administrator_links_an_existing_account_explicitly():
    user = get_user_model().objects.create_user("t0042")
    link_identity(user, method="oidc", issuer=OP, subject="sub-t0042", actor="cli:admin")
    assert sign_in(None, oidc("sub-t0042", "tanaka")) == user


def test_an_unknown_refusal_reason_is_a_programming_error():
    with pytest.raises(ValueError):
        SsoRefused("because", method="oidc")
