"""Responses to a signed-in user and downloads are never stored by a browser or a proxy; static
files keep their cache lifetime."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from portal.jobs.models import Job
from portal.sandbox import demo

pytestmark = pytest.mark.django_db

NO_STORE = "no-store, private"


def test_a_guest_page_is_not_stored(sandbox: Any, agent_client: Client) -> None:
    response = agent_client.get(reverse("guests:guest", args=[demo.DEMO_ACCOUNT_ID]))
    assert response.status_code == 200
    assert response["Cache-Control"] == NO_STORE


def test_the_audit_export_and_the_job_results_downloads_are_not_stored(
    auditor_client: Client,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    tmp_path: Any,
) -> None:
    settings.JOBS_FILES_DIR = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        auditor_client.post(reverse("audit:export"), {"idempotency_key": "export-1"})
    job = Job.objects.get()

    for name in ("jobs:detail", "jobs:file", "jobs:results"):
        response = auditor_client.get(reverse(name, args=[job.pk]))
        assert response.status_code == 200, name
        assert response["Cache-Control"] == NO_STORE, name


def test_a_download_is_not_stored_even_when_signed_out(client: Client) -> None:
    from django.http import HttpResponse

    from portal.middleware import NoStoreMiddleware

    def attachment(request: Any) -> HttpResponse:
        response = HttpResponse("a,b\n", content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="x.csv"'
        return response

    request = client.get(reverse("login")).wsgi_request
    assert NoStoreMiddleware(attachment)(request)["Cache-Control"] == NO_STORE


def test_static_files_keep_their_caching_for_a_signed_in_user(agent_client: Client) -> None:
    static = agent_client.get("/static/css/app.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")
