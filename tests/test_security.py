"""CSP with nonces, CSRF for htmx, production hardening and loud configuration errors."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessLog
from django.conf import settings
from django.test import Client
from django.urls import reverse

from portal.audit.records import event_record
from portal.sandbox import demo
from portal.sandbox.testing import SandboxController
from portal.staff.models import User
from portal.staff.roles import Role
from tests.conftest import HTMX
from tests.url_walk import every_endpoint

# Scripts of these types are data the browser never runs, so CSP does not govern them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class PageScan(HTMLParser):
    """What a page asks the browser to run or style inline."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline: list[str] = []
        self.body: dict[str, str | None] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("type") not in DATA_SCRIPT_TYPES:
            self.scripts.append(attributes)
        if tag == "style":
            self.inline.append("<style> element")
        if tag == "body":
            self.body = attributes
        for name, value in attrs:
            if name.startswith("on"):
                self.inline.append(f"<{tag} {name}=...> event handler")
            if name == "style":
                self.inline.append(f"<{tag} style=...> attribute")
            if name in {"href", "src", "action"} and (value or "").startswith("javascript:"):
                self.inline.append(f"<{tag} {name}=javascript:...>")


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def header_nonce(response: Any) -> str:
    script_src = csp_directives(response["Content-Security-Policy"])["script-src"]
    nonces = [v for v in script_src if v.startswith("'nonce-")]
    assert len(nonces) == 1, script_src
    return nonces[0].removeprefix("'nonce-").removesuffix("'")


def csp_problems(response: Any) -> list[str]:
    """Everything on a rendered HTML page that the page's CSP would block or that weakens it."""
    header = response.get("Content-Security-Policy", "")
    if not header:
        return ["no Content-Security-Policy header"]
    problems = [f"CSP allows {v}" for v in ("'unsafe-inline'", "'unsafe-eval'") if v in header]
    scan = PageScan(response.content.decode())
    nonce = header_nonce(response) if scan.scripts else None
    problems += [f"<script> lacks the nonce: {s}" for s in scan.scripts if s.get("nonce") != nonce]
    return problems + scan.inline


def logged_in_client(user: User) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_the_csp_header_carries_a_nonce_that_the_pages_scripts_carry(agent_client: Client) -> None:
    response = agent_client.get(reverse("home"))
    nonce = header_nonce(response)
    scripts = PageScan(response.content.decode()).scripts
    assert len(nonce) >= 16
    assert {s.get("src") for s in scripts} == {
        "/static/vendor/htmx-2.0.11.min.js",
        "/static/js/app.js",
    }
    assert {s.get("nonce") for s in scripts} == {nonce}


def test_the_csp_forbids_inline_code_and_foreign_origins(agent_client: Client) -> None:
    header = agent_client.get(reverse("home"))["Content-Security-Policy"]
    directives = csp_directives(header)
    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header
    assert directives["default-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]


def test_each_response_gets_a_fresh_nonce(agent_client: Client) -> None:
    first = header_nonce(agent_client.get(reverse("home")))
    second = header_nonce(agent_client.get(reverse("home")))
    assert first != second


@pytest.mark.django_db
def test_anonymous_pages_have_no_inline_code(client: Client) -> None:
    pages = {
        "login": client.get(reverse("login")),
        "not found": client.get("/no-such-page/"),
        "failed login": client.post(reverse("login"), {"username": "x", "password": "y"}),
    }
    problems = [f"{name}: {p}" for name, response in pages.items() for p in csp_problems(response)]
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_the_locked_out_page_has_no_inline_code(agent: User) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": agent.username, "password": "no"})
    assert response.status_code == 429
    assert csp_problems(response) == []


# The pages each role must reach with 200 in the walk below: a walk that renders fewer (the
# sandbox down, a sample id that finds nothing) must fail, not pass by checking less.
GUEST_SCREENS = {
    "home",
    "guests:search",
    "guests:advanced_search",
    "guests:guest",
    "guests:panel",
    "guests:history",
    "guests:transaction_comments",
}
CARD_SCREENS = {"cards:disable", "cards:enable", "cards:attach"}
SUPERVISOR_SCREENS = {"cards:combine", "cards:attach_and_combine", "cards:bulk"}
AUDIT_SCREENS = {"audit:list", "audit:detail"}
RENDERED_AT_LEAST = {
    Role.AGENT: GUEST_SCREENS | CARD_SCREENS | {"guests:referral_code_check"},
    Role.SUPERVISOR: GUEST_SCREENS
    | CARD_SCREENS
    | SUPERVISOR_SCREENS
    | AUDIT_SCREENS
    | {"guests:referral_code_check", "jobs:list"},
    Role.STORE_MANAGER: GUEST_SCREENS,
    Role.AUDITOR: {"home", "jobs:list"} | AUDIT_SCREENS,
    Role.ADMIN: {"home", "admin:index"},
}
# HTML pages checked per role in the walk (the admin's included), refusals (403) and misses (404)
# counted: as many as today, so a walk that quietly checks fewer fails.
CHECKED_AT_LEAST = {
    Role.AGENT: 69,
    Role.SUPERVISOR: 64,
    Role.STORE_MANAGER: 81,
    Role.AUDITOR: 78,
    Role.ADMIN: 71,
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_every_page_a_role_can_render_has_only_nonced_scripts_and_no_inline_code(
    role: Role, make_staff: Callable[..., User], sandbox: SandboxController
) -> None:
    user = make_staff(role)
    record = event_record(action="auth.login", actor=user)
    client = logged_in_client(user)
    values = {
        "account_id": str(demo.DEMO_ACCOUNT_ID),
        "masked": demo.DEMO_ACTIVE_CARD[-6:],
        "panel": "notes",
        "record_id": str(record.pk),
        # The admin's pages of one object of each model: ids that exist whatever the database's
        # sequences have reached (the user, their role's group, the access log of their login).
        "admin/staff/user/<object_id>": str(user.pk),
        "admin/auth/group/<object_id>": str(user.groups.get().pk),
        "admin/axes/accesslog/<object_id>": str(AccessLog.objects.latest("pk").pk),
    }
    problems, checked, rendered = [], [], set()
    for endpoint in every_endpoint(values=values):
        response = client.get(endpoint.path)
        if response.status_code >= 500:
            problems.append(f"{endpoint}: answered {response.status_code}")
        elif response.status_code in {200, 403, 404} and response["Content-Type"].startswith(
            "text/html"
        ):
            checked.append(endpoint.name)
            if response.status_code == 200:
                rendered.add(endpoint.name)
            problems += [f"{endpoint}: {p}" for p in csp_problems(response)]

    assert not problems, "\n".join(problems)
    assert RENDERED_AT_LEAST[role] - rendered == set()
    assert len(checked) >= CHECKED_AT_LEAST[role], checked


def test_htmx_requests_carry_the_csrf_token_from_hx_headers_on_body(agent: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    page = PageScan(client.get(reverse("home")).content.decode())
    headers = json.loads(page.body["hx-headers"] or "")
    assert set(headers) == {"X-CSRFToken"}
    refused = client.post(reverse("logout"), headers=HTMX)
    assert refused.status_code == 403
    accepted = client.post(reverse("logout"), headers={**HTMX, **headers})
    assert accepted.status_code == 302


def test_responses_carry_the_hardening_headers(agent_client: Client) -> None:
    response = agent_client.get(reverse("home"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A production environment built from scratch, so nothing leaks in from the test run."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LOYALTY_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "desk.example.com",
        "PAYTRONIX_BASE_URL": "https://api.example.com/rest/25.33/",
        "PAYTRONIX_USERNAME": "loyaltydesk",
        "PAYTRONIX_SECRET": secrets.token_urlsafe(24),
        "AUDIT_HASH_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    return env | overrides


def run_python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_deploy_check_passes_with_production_settings(tmp_path: Path) -> None:
    result = run_python(["manage.py", "check", "--deploy"], production_env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "System check identified some issues" not in output
    assert "System check identified no issues" in output


def test_on_redis_every_cache_alias_stores_json_not_pickle(tmp_path: Path) -> None:
    env = production_env(
        tmp_path, DJANGO_SETTINGS_MODULE="portal.settings", CACHE_URL="redis://127.0.0.1:6379/1"
    )
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print({a: c['OPTIONS']['serializer'] for a, c in sorted(settings.CACHES.items())})"
    )
    result = run_python(["-c", script], env)
    assert result.returncode == 0, result.stderr
    serializer = "portal.guestcache.codec.JsonSerializer"
    assert result.stdout.strip() == str({"default": serializer, "guests": serializer})


def start_up_error(tmp_path: Path, **overrides: str) -> str:
    """The last line of a production start-up that must fail: its configuration error."""
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="portal.settings", **overrides)
    result = run_python(["-c", "import django; django.setup()"], env)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured")
    return last_line


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PAYTRONIX_MERCHANT_ID", "abc"),
        ("PAYTRONIX_BASE_URL", "https://api.example.com/v1/"),
        ("PAYTRONIX_BASE_URL", "https://api.example.com/rest/"),
        ("LOYALTY_ENV", "staging"),
        ("SESSION_IDLE_TIMEOUT", "soon"),
        ("AXES_FAILURE_LIMIT", "50"),
        ("AXES_COOLOFF_MINUTES", "5"),
        ("DATABASE_URL", "nonsense"),
        ("CACHE_URL", "bogus://"),
        ("SECURE_SSL_REDIRECT", "ture"),
        ("DJANGO_DEBUG", "maybe"),
        ("GUESTS_PROGRAM_NAMES", "10:Rewards"),
        # Retired: a permission of the role groups says it now.
        ("COMBINE_APPROVAL_ROLES", "agent,supervisor"),
    ],
)
def test_a_malformed_variable_stops_start_up_naming_it(
    tmp_path: Path, variable: str, value: str
) -> None:
    assert variable in start_up_error(tmp_path, **{variable: value})


def test_an_intent_is_not_taken_for_abandoned_while_its_write_may_still_be_retried(
    tmp_path: Path,
) -> None:
    # One attempt is 3.05 + 10 s, but a write refused at connect is tried twice more, with
    # pauses of up to 4 s: 27.15 s in all.
    error = start_up_error(tmp_path, AUDIT_ABANDONED_AFTER="20")
    assert "AUDIT_ABANDONED_AFTER" in error
    assert "27.15s" in error
    result = run_python(
        ["-c", "import django; django.setup()"],
        production_env(
            tmp_path, DJANGO_SETTINGS_MODULE="portal.settings", AUDIT_ABANDONED_AFTER="28"
        ),
    )
    assert result.returncode == 0, result.stderr


def test_a_job_chunk_leaves_room_for_the_longest_call_with_its_retries(tmp_path: Path) -> None:
    # 60 s of starting items, then a read that retries its timeouts: 3 x 13.05 + 2 x 4 s.
    error = start_up_error(tmp_path, CELERY_TASK_SOFT_TIME_LIMIT="100")
    assert "JOBS_CHUNK_SECONDS" in error
    assert "47.15s" in error


@pytest.mark.parametrize("variable", ["SECRET_KEY", "PAYTRONIX_SECRET", "AUDIT_HASH_KEY"])
def test_production_refuses_to_start_without_its_secrets(tmp_path: Path, variable: str) -> None:
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="portal.settings")
    del env[variable]
    result = run_python(["-c", "import django; django.setup()"], env)
    assert result.returncode != 0
    assert variable in result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SECRET_KEY", "x"),
        ("SECRET_KEY", "ab" * 40),
        ("SECRET_KEY", "django-insecure-" + "k" * 10 + secrets.token_urlsafe(40)),
        ("SECRET_KEY", "development-only-key-never-use-in-production-0123456789"),
        ("AUDIT_HASH_KEY", "x"),
        ("AUDIT_HASH_KEY", secrets.token_urlsafe(32)[:31]),
        ("AUDIT_HASH_KEY", "0123" * 10),
        ("PAYTRONIX_BASE_URL", "http://api.example.com/rest/25.33/"),
    ],
)
def test_production_refuses_a_weak_key_or_a_plain_http_upstream_naming_it(
    tmp_path: Path, variable: str, value: str
) -> None:
    last_line = start_up_error(tmp_path, **{variable: value})
    assert variable in last_line
    assert len(value) < 8 or value not in last_line  # the message never shows the key


def test_production_takes_a_plain_http_upstream_only_when_told_it_is_a_private_one(
    tmp_path: Path,
) -> None:
    env = production_env(
        tmp_path,
        DJANGO_SETTINGS_MODULE="portal.settings",
        PAYTRONIX_BASE_URL="http://paytronix-test.internal/rest/25.33/",
        PAYTRONIX_ALLOW_INSECURE_HTTP="1",
    )
    result = run_python(["-c", "import django; django.setup()"], env)
    assert result.returncode == 0, result.stderr
