"""Deny by default, proved over the whole URLconf.

Expectations come from each view's ``access_policy`` and ``roles.ROLE_PERMISSIONS``, so the
tests keep covering URLs that other apps add later. A view that declares no policy fails
``test_every_view_outside_the_admin_declares_an_access_policy``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import include, path, reverse

from portal.staff.access import ANY_ROLE, LOGGED_IN, PUBLIC, access_denied
from portal.staff.models import User
from portal.staff.roles import PERMISSIONS, ROLE_PERMISSIONS, Role
from tests.conftest import HTMX
from tests.url_walk import Endpoint, every_endpoint

pytestmark = pytest.mark.django_db


def undeclared(request: HttpRequest) -> HttpResponse:
    return HttpResponse("served without a policy")


# The real URLconf plus one view that forgot to declare who may reach it.
urlpatterns = [
    path("undeclared/", undeclared, name="undeclared"),
    path("", include("portal.urls")),
]

# The probes and metrics need no login; /metrics checks the caller's address instead.
PUBLIC_URL_NAMES = {"login", "healthz", "readyz", "metrics", "favicon"}


def role_may_reach(role: Role, endpoint: Endpoint) -> bool:
    if endpoint.in_admin:
        return role is Role.ADMIN
    policy = endpoint.access_policy
    if policy in (PUBLIC, LOGGED_IN, ANY_ROLE):
        return True
    if isinstance(policy, frozenset):
        return policy <= ROLE_PERMISSIONS[role]
    return False


def undeclared_endpoints(endpoints: list[Endpoint]) -> list[Endpoint]:
    return [e for e in endpoints if not e.in_admin and e.access_policy is None]


@contextmanager
def recorded_denials() -> Iterator[list[Any]]:
    """What the access middleware refused during the block (the ``missing`` permissions)."""
    seen: list[Any] = []

    def receive(sender: object, missing: Any, **kwargs: object) -> None:
        seen.append(missing)

    access_denied.connect(receive, weak=False)
    try:
        yield seen
    finally:
        access_denied.disconnect(receive)


def login_url_for(path_: str) -> str:
    return f"{reverse('login')}?next={quote(path_)}"


def is_sent_to_login(response: HttpResponseBase) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def logged_in_client(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_the_walk_covers_the_shell_the_apps_and_the_admin() -> None:
    names = {endpoint.name for endpoint in every_endpoint()}
    assert {"home", "healthz", "login", "logout", "guests:search", "admin:index"} <= names


def test_every_view_outside_the_admin_declares_an_access_policy() -> None:
    missing = undeclared_endpoints(every_endpoint())
    assert not missing, "views without an access policy: " + ", ".join(map(str, missing))


def test_a_view_without_a_policy_is_caught_by_the_walk(settings: Any) -> None:
    settings.ROOT_URLCONF = __name__
    assert [e.name for e in undeclared_endpoints(every_endpoint())] == ["undeclared"]


def test_every_policy_names_only_permissions_that_exist() -> None:
    unknown = {
        f"{endpoint}: {codename}"
        for endpoint in every_endpoint()
        if isinstance(endpoint.access_policy, frozenset)
        for codename in endpoint.access_policy - PERMISSIONS.keys()
    }
    assert not unknown


def test_only_login_the_probes_metrics_and_the_icon_are_public() -> None:
    public = {e.name for e in every_endpoint() if e.access_policy == PUBLIC and not e.in_admin}
    assert public == PUBLIC_URL_NAMES


def test_anonymous_requests_to_every_url_but_the_public_ones_are_sent_to_login(
    client: Client,
) -> None:
    wrong = []
    for endpoint in every_endpoint():
        response = client.get(endpoint.path)
        if endpoint.name in PUBLIC_URL_NAMES:
            if response.status_code != 200:
                wrong.append(f"{endpoint}: public, but answered {response.status_code}")
        elif response.status_code != 302 or response["Location"] != login_url_for(endpoint.path):
            wrong.append(f"{endpoint}: answered {response.status_code}, not a redirect to login")
    assert not wrong, "\n".join(wrong)


def test_anonymous_htmx_requests_are_sent_to_login_by_htmx(client: Client) -> None:
    response = client.get(reverse("home"), headers=HTMX)
    assert response["HX-Redirect"] == login_url_for(reverse("home"))


def test_the_browsers_own_favicon_request_gets_the_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.getvalue()[:4] == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.parametrize(
    "asset", ["css/app.css", "js/app.js", "vendor/htmx-2.0.11.min.js", "favicon.svg"]
)
def test_static_files_are_served_to_anonymous_users(client: Client, asset: str) -> None:
    response = client.get(f"/static/{asset}")
    assert response.status_code == 200


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_url_lets_in_exactly_the_roles_its_policy_allows(
    role: Role, make_staff: Callable[..., User]
) -> None:
    client = logged_in_client(make_staff(role))
    wrong = []
    for endpoint in every_endpoint():
        with recorded_denials() as denials:
            response = client.get(endpoint.path)
        if role_may_reach(role, endpoint):
            if denials or is_sent_to_login(response):
                wrong.append(f"{endpoint}: allowed, but answered {response.status_code}")
        elif response.status_code != 403 or not denials:
            wrong.append(f"{endpoint}: not allowed, but answered {response.status_code}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)


def test_a_denial_names_the_missing_permissions(auditor: User) -> None:
    with recorded_denials() as denials:
        response = logged_in_client(auditor).get(reverse("guests:search"))
    assert response.status_code == 403
    assert denials == [frozenset({"lookup_guests"})]
    assert b"Your role does not allow this" in response.content


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_a_view_without_a_policy_is_refused_to_every_role(
    settings: Any, role: Role, make_staff: Callable[..., User]
) -> None:
    settings.ROOT_URLCONF = __name__
    response = logged_in_client(make_staff(role)).get("/undeclared/")
    assert response.status_code == 403
    assert b"served without a policy" not in response.content


def test_a_view_without_a_policy_sends_anonymous_users_to_login(
    settings: Any, client: Client
) -> None:
    settings.ROOT_URLCONF = __name__
    response = client.get("/undeclared/")
    assert response["Location"] == login_url_for("/undeclared/")


def test_a_view_without_a_policy_is_refused_even_to_a_superuser(settings: Any, db: None) -> None:
    settings.ROOT_URLCONF = __name__
    root = User.objects.create_superuser("root", "root@example.com", "x" * 20)
    assert logged_in_client(root).get("/undeclared/").status_code == 403


def test_a_user_without_a_role_reaches_only_logged_in_views(db: None) -> None:
    client = logged_in_client(User.objects.create_user("norole", password="x" * 20))
    assert client.get(reverse("home")).status_code == 403
    assert client.post(reverse("logout")).status_code == 302


def test_the_admin_site_opens_for_admins(admin_user: User) -> None:
    response = logged_in_client(admin_user).get(reverse("admin:index"))
    assert response.status_code == 200
    assert b"Loyalty Desk administration" in response.content


def test_the_admin_site_is_refused_to_staff_flagged_users_without_the_admin_role(
    agent: User,
) -> None:
    agent.is_staff = True
    agent.save()
    assert logged_in_client(agent).get(reverse("admin:index")).status_code == 403


def test_a_store_manager_without_a_store_group_is_refused_everywhere(
    store_manager: User, client: Client
) -> None:
    store_manager.store_group_code = None
    store_manager.save(update_fields=["store_group_code"])
    client.force_login(store_manager)
    assert client.get(reverse("home")).status_code == 403
    assert client.get(reverse("guests:search")).status_code == 403


# -- the staff admin screens, per role (proof) ------------------------------------------------

#: (URL name, whether it names the subject user, what an admin gets). Only an admin reaches the
#: admin site at all; within it, the role grants add/change/view of staff users and view of the
#: role groups, never delete (a staff user is deactivated, so the audit trail keeps its name).
STAFF_ADMIN_SCREENS: list[tuple[str, bool, int]] = [
    ("admin:index", False, 200),
    ("admin:staff_user_changelist", False, 200),
    ("admin:staff_user_add", False, 200),
    ("admin:staff_user_change", True, 200),
    ("admin:auth_user_password_change", True, 200),
    ("admin:staff_user_history", True, 200),
    ("admin:staff_user_delete", True, 403),
    ("admin:auth_group_changelist", False, 200),
    ("admin:auth_group_add", False, 403),
    # Lockouts are lifted through the staff list's unlock action (audited), not axes' screens.
    ("admin:axes_accessattempt_changelist", False, 403),
    ("admin:axes_accesslog_changelist", False, 403),
    ("admin:axes_accessfailurelog_changelist", False, 403),
    ("admin:password_change", False, 200),
]


def _staff_admin_posts(subject: User) -> list[tuple[str, dict[str, Any]]]:
    """What a role might try to change through the staff admin: a role, a password, an unlock,
    a new staff user."""
    from django.contrib.auth.models import Group

    supervisor = Group.objects.get(name=Role.SUPERVISOR.value)
    return [
        (
            reverse("admin:staff_user_change", args=[subject.pk]),
            {"username": subject.username, "groups": [supervisor.pk], "is_active": "on"},
        ),
        (
            reverse("admin:auth_user_password_change", args=[subject.pk]),
            {"password1": "a-New-pass-phrase-9", "password2": "a-New-pass-phrase-9"},
        ),
        (
            reverse("admin:staff_user_changelist"),
            {"action": "unlock_sign_in", "_selected_action": [subject.pk]},
        ),
        (
            reverse("admin:staff_user_add"),
            {"username": "newcomer", "password1": "a-New-pass-phrase-9", "password2": "x"},
        ),
    ]


@pytest.mark.proof
def test_the_staff_admin_screens_let_in_only_the_admin_and_refuse_every_other_roles_change(
    make_staff: Callable[..., User], figures: Callable[..., None]
) -> None:
    from portal.audit.models import AuditRecord

    subject = make_staff(Role.AGENT)
    password_before = subject.password
    checks, wrong = 0, []
    for role in Role:
        client = logged_in_client(make_staff(role))
        for name, names_subject, admin_status in STAFF_ADMIN_SCREENS:
            url = reverse(name, args=[subject.pk] if names_subject else [])
            expected = admin_status if role is Role.ADMIN else 403
            with recorded_denials() as denials:
                status = client.get(url).status_code
            # Outside the admin role the access middleware refuses before the admin site runs.
            refused_by_policy = role is not Role.ADMIN
            if status != expected or bool(denials) != refused_by_policy:
                wrong.append(f"{role} GET {name}: {status}, expected {expected}")
            checks += 1
        if role is Role.ADMIN:
            continue
        for url, form in _staff_admin_posts(subject):
            with recorded_denials() as denials:
                status = client.post(url, form).status_code
            if status != 403 or not denials:
                wrong.append(f"{role} POST {url}: {status}, expected 403")
            checks += 1
    subject.refresh_from_db()
    unchanged = (
        subject.role is Role.AGENT
        and subject.password == password_before
        and not User.objects.filter(username="newcomer").exists()
        and not AuditRecord.objects.filter(action__startswith="staff.").exists()
    )
    figures(
        "staff admin access matrix",
        roles=len(Role),
        screens=len(STAFF_ADMIN_SCREENS),
        checks=checks,
        surprises=len(wrong),
        staff_changes_by_other_roles=0 if unchanged else "some",
    )
    assert wrong == []
    assert unchanged
