"""Signing in (bearer tokens) and API keys: issued once, stored as a hash, scoped, expiring, revocable."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # hashing a real password costs ~0.3 s


def key_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


# --- bearer tokens ----------------------------------------------------------------------------------------


def test_token_for_username_and_password(world, settings):
    settings.PASSWORD_HASHERS = FAST_HASHER
    world.rep.set_password("mật khẩu dài 123")
    world.rep.save()
    client = APIClient()

    response = client.post(reverse("auth-token"), {"username": "rep", "password": "mật khẩu dài 123"}, format="json")

    assert response.status_code == 200, response.content
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.patch(
        reverse("company-detail", kwargs={"tax_code": world.own.tax_code}), {"short_name": "Nhà"}, format="json"
    )
    assert response.status_code == 200
    # The same token until it is deleted.
    again = APIClient().post(reverse("auth-token"), {"username": "rep", "password": "mật khẩu dài 123"}, format="json")
    assert again.json()["token"] == token


@pytest.mark.parametrize(
    "body",
    [{"username": "rep", "password": "wrong"}, {"username": "nobody", "password": "x"}, {"username": "rep"}],
    ids=["wrong-password", "unknown-user", "no-password"],
)
def test_token_refused(world, settings, body):
    settings.PASSWORD_HASHERS = FAST_HASHER
    world.rep.set_password("right")
    world.rep.save()
    response = APIClient().post(reverse("auth-token"), body, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_a_wrong_bearer_token_is_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer 0123456789abcdef0123456789abcdef01234567")
    response = client.get(reverse("company-list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"]


# --- issuing, listing and revoking keys ----------------------------------------------------------------


def test_a_key_is_shown_once_and_only_its_hash_is_stored(world, bearer_client):
    client = bearer_client(world.rep)

    response = client.post(reverse("api-key-list"), {"name": "ERP sync", "scope": "write"}, format="json")

    assert response.status_code == 201, response.content
    issued = response.json()
    key = issued["key"]
    assert key.startswith(issued["prefix"] + ".")
    assert issued["name"] == "ERP sync"
    assert issued["scope"] == "write"
    assert issued["expires_at"] is None
    assert issued["last_used_at"] is None
    assert issued["revoked"] is False

    stored = ApiKey.objects.get(prefix=issued["prefix"])
    assert stored.owner == world.rep
    assert "key" not in {field.name for field in ApiKey._meta.get_fields()}
    assert key not in str(list(ApiKey.objects.filter(pk=stored.pk).values()))
    assert stored.hashed_key != key and stored.is_valid(key)

    listed = client.get(reverse("api-key-list"))
    assert listed.status_code == 200
    assert [row["prefix"] for row in listed.json()] == [issued["prefix"]]
    assert "key" not in listed.json()[0]
    assert key.split(".", 1)[1] not in listed.content.decode()

    # The key works, with its scope: it may change its owner's company.
    response = key_client(key).patch(
        reverse("company-detail", kwargs={"tax_code": world.own.tax_code}), {"short_name": "Nhà"}, format="json"
    )
    assert response.status_code == 200


def test_keys_are_read_only_by_default_and_may_expire(world, bearer_client):
    expires = (timezone.now() + datetime.timedelta(days=30)).replace(microsecond=0)
    response = bearer_client(world.rep).post(
        reverse("api-key-list"), {"name": "Dashboard", "expires_at": expires.isoformat()}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["scope"] == "read"
    assert ApiKey.objects.get(prefix=response.json()["prefix"]).expiry_date == expires


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "scope": "admin"}, "scope"),
        ({"scope": "read"}, "name"),
        ({"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"name": "x", "owner": 1}, "owner"),
        ({"name": "x", "revoked": True}, "revoked"),
        ({"name": "x", "key": "chosen.key"}, "key"),
    ],
    ids=["unknown-scope", "no-name", "expired", "owner", "revoked", "chosen-key"],
)
def test_invalid_key_requests_are_400(world, bearer_client, body, field):
    response = bearer_client(world.rep).post(reverse("api-key-list"), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not ApiKey.objects.exists()


def test_one_sees_and_revokes_only_one_s_own_keys(world, bearer_client, api_key_client):
    mine = api_key_client(world.rep, "read").api_key
    theirs = api_key_client(world.other_rep, "write").api_key
    client = bearer_client(world.rep)

    assert [row["prefix"] for row in client.get(reverse("api-key-list")).json()] == [mine.prefix]
    response = client.delete(reverse("api-key-detail", kwargs={"prefix": theirs.prefix}))
    assert response.status_code == 404
    assert ApiKey.objects.get(pk=theirs.pk).revoked is False


def test_a_revoked_key_is_401(world, bearer_client, api_key_client):
    app = api_key_client(world.rep, "write")
    assert app.get(reverse("company-list")).status_code == 200

    response = bearer_client(world.rep).delete(reverse("api-key-detail", kwargs={"prefix": app.api_key.prefix}))

    assert response.status_code == 204
    assert ApiKey.objects.get(pk=app.api_key.pk).revoked is True
    assert app.get(reverse("company-list")).status_code == 401
    response = app.patch(
        reverse("company-detail", kwargs={"tax_code": world.own.tax_code}), {"short_name": "X"}, format="json"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"]
    assert bearer_client(world.rep).get(reverse("api-key-list")).json()[0]["revoked"] is True


def test_an_expired_key_is_401(world, api_key_client):
    app = api_key_client(world.rep, "write", expires_at=timezone.now() + datetime.timedelta(minutes=1))
    assert app.get(reverse("company-list")).status_code == 200
    ApiKey.objects.filter(pk=app.api_key.pk).update(expiry_date=timezone.now() - datetime.timedelta(seconds=1))

    assert app.get(reverse("company-list")).status_code == 401
    response = app.patch(
        reverse("company-detail", kwargs={"tax_code": world.own.tax_code}), {"short_name": "X"}, format="json"
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Api-Key nonsense", "Api-Key abcdefgh.wrongsecretwrongsecretwrongsecre", "Api-Key wrongsecret"],
    ids=["garbage", "unknown-prefix", "right-prefix-wrong-secret"],
)
def test_an_invalid_key_is_401(world, api_key_client, header):
    real = api_key_client(world.rep, "write")
    if header == "Api-Key wrongsecret":
        header = f"Api-Key {real.api_key.prefix}.wrongsecretwrongsecretwrongsecre"  # the right prefix, a wrong secret
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(reverse("company-list"))
    assert response.status_code == 401


def test_the_key_of_an_inactive_user_is_401(world, api_key_client):
    app = api_key_client(world.rep, "write")
    world.rep.is_active = False
    world.rep.save()
    assert app.get(reverse("company-list")).status_code == 401


def test_last_use_is_recorded(world, bearer_client, api_key_client):
    app = api_key_client(world.rep, "read")
    assert ApiKey.objects.get(pk=app.api_key.pk).last_used_at is None

    before = timezone.now()
    assert app.get(reverse("company-list")).status_code == 200

    used = ApiKey.objects.get(pk=app.api_key.pk).last_used_at
    assert used is not None and used >= before
    listed = bearer_client(world.rep).get(reverse("api-key-list")).json()
    assert listed[0]["last_used_at"] is not None


# --- what keys may do --------------------------------------------------------------------------------------


def test_a_read_only_key_cannot_write_even_its_owner_s_company(world, api_key_client):
    app = api_key_client(world.rep, "read")
    response = app.patch(
        reverse("company-detail", kwargs={"tax_code": world.own.tax_code}), {"short_name": "X"}, format="json"
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_a_write_key_writes_only_its_owner_s_companies(world, api_key_client):
    app = api_key_client(world.rep, "write")
    own = app.patch(
        reverse("company-detail", kwargs={"tax_code": world.own.tax_code}), {"short_name": "Nhà"}, format="json"
    )
    other = app.patch(
        reverse("company-detail", kwargs={"tax_code": world.other.tax_code}), {"short_name": "X"}, format="json"
    )
    other_product = app.patch(
        reverse("product-detail", kwargs={"pk": world.other_product.pk}), {"name": "X"}, format="json"
    )
    assert (own.status_code, other.status_code, other_product.status_code) == (200, 404, 404)
    assert world.other.__class__.objects.get(pk=world.other.pk).short_name == ""


@pytest.mark.parametrize("scope", ["read", "write"])
def test_a_key_cannot_manage_keys(world, api_key_client, scope):
    app = api_key_client(world.rep, scope)
    assert app.get(reverse("api-key-list")).status_code == 403
    assert app.post(reverse("api-key-list"), {"name": "child", "scope": "write"}, format="json").status_code == 403
    assert app.delete(reverse("api-key-detail", kwargs={"prefix": app.api_key.prefix})).status_code == 403
    assert ApiKey.objects.filter(owner=world.rep).count() == 1
    assert ApiKey.objects.get(pk=app.api_key.pk).revoked is False


def test_anonymous_callers_have_no_keys(world):
    assert APIClient().get(reverse("api-key-list")).status_code == 401
    assert APIClient().post(reverse("api-key-list"), {"name": "x"}, format="json").status_code == 401


# --- the browsable API's session -------------------------------------------------------------------------


def test_a_session_write_needs_the_csrf_token(world):
    """Signed in with a session (the browsable API), a write without the CSRF token is refused: another
    site cannot make a representative's browser change their company."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.rep)
    url = reverse("company-detail", kwargs={"tax_code": world.own.tax_code})

    response = client.patch(url, {"short_name": "Giả mạo"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert world.own.__class__.objects.get(pk=world.own.pk).short_name == ""
    assert client.get(url).json()["contact_persons"] == []  # the session itself works for reading


def test_an_api_key_never_reads_sensitive_fields_even_of_its_owners_company(world, api_key_client, bearer_client):
    from companies.services import company_set_contact_persons

    company_set_contact_persons(company=world.own, contact_persons=[{"name": "Trần Thị B"}])
    url = reverse("company-detail", kwargs={"tax_code": world.own.tax_code})

    assert "contact_persons" in bearer_client(world.rep).get(url).json()  # the representative in person
    for scope in ("read", "write"):
        body = api_key_client(world.rep, scope).get(url).json()
        assert "contact_persons" not in body and "verification_note" not in body


def test_an_api_key_header_without_a_key_is_401(api_client, db):
    response = api_client.get(reverse("company-list"), HTTP_AUTHORIZATION="Api-Key ")
    assert response.status_code == 401
