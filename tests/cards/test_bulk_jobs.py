"""Bulk enable/disable: the whole file checked first with line numbers, nothing until the owner
confirms (skipping bad rows or not), one audited change per card, cancel, results CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cards.bulk_file import BulkAction
from cards.models import BulkUpload
from cards.services.bulk import bulk_upload_action_choose
from portal.jobs.models import Job
from portal.sandbox import demo
from tests.cards.conftest import INTENT

pytestmark = pytest.mark.django_db

GOOD_AND_BAD = (
    "card_number,action,reason\n"
    f"{demo.DEMO_ACTIVE_CARD},disable,lost\n"
    "12345\n"
    f"{demo.DEMO_ATTACHABLE_CARD},disable,Left at the counter\n"
    f"{demo.DEMO_ACTIVE_CARD},enable\n"
    f"{demo.DEMO_DISABLED_CARD},enable\n"
    f"{demo.DEMO_EXCHANGED_CARD}\n"
)


def upload(client, text: str, *, action="disable", reason="Fraud sweep 12 May"):
    response = client.post(
        reverse("cards:bulk_upload"),
        {
            "action": action,
            "reason": reason,
            "file": SimpleUploadedFile("cards.csv", text.encode(), content_type="text/csv"),
        },
    )
    return response


def start(client, upload_id: int, *, key="b1", skip=True):
    data = {"idempotency_key": key}
    if skip:
        data["skip_bad_rows"] = "on"
    return client.post(reverse("cards:bulk_start", args=[upload_id]), data)


def test_the_review_lists_every_bad_row_with_its_line_and_changes_nothing(
    sandbox, supervisor_client, upstream_calls
):
    response = upload(supervisor_client, GOOD_AND_BAD)
    assert response.status_code == 303
    review = supervisor_client.get(response["Location"]).content.decode()
    assert '<td class="num">3</td><td>Not a card number: expected 11 to 19 digits.</td>' in review
    assert '<td class="num">5</td><td>Duplicate of line 2.</td>' in review
    assert "4</strong> cards ready" in review
    assert demo.DEMO_ACTIVE_CARD not in review
    assert upstream_calls == []
    assert Job.objects.count() == 0


def test_an_unusable_file_is_refused_on_the_upload_form(sandbox, supervisor_client):
    response = upload(supervisor_client, "card_number,action,reason\n\n")
    assert response.status_code == 422
    assert "The file has no card numbers." in response.content.decode()


def test_nothing_starts_with_bad_rows_unless_the_owner_skips_them(sandbox, supervisor_client):
    bulk = BulkUpload.objects.get(pk=_upload_id(supervisor_client, GOOD_AND_BAD))
    response = start(supervisor_client, bulk.pk, skip=False)
    assert response.status_code == 422
    assert "choose to skip them" in response.content.decode()
    assert Job.objects.count() == 0


def _upload_id(client, text: str) -> int:
    location = upload(client, text)["Location"]
    return int(location.rstrip("/").rsplit("/", 1)[-1])


def _ran(client, capture) -> Job:
    """Upload ``GOOD_AND_BAD``, start it, and run its task at once: the finished job."""
    upload_id = _upload_id(client, GOOD_AND_BAD)
    with capture(execute=True):
        start(client, upload_id)
    return Job.objects.get()


def test_a_confirmed_job_changes_each_good_row_once_and_audits_each_card(
    sandbox, supervisor_client, records, upstream_calls, django_capture_on_commit_callbacks
):
    upload_id = _upload_id(supervisor_client, GOOD_AND_BAD)
    with django_capture_on_commit_callbacks(execute=True):
        response = start(supervisor_client, upload_id)
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert (job.kind, job.total, job.done) == ("bulk.card_status", 4, 4)
    assert job.status == "partly_failed"
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "DISABLED"
    assert sandbox.state.card(demo.DEMO_ATTACHABLE_CARD).status == "DISABLED"
    assert sandbox.state.card(demo.DEMO_DISABLED_CARD).status == "ACTIVE"
    assert len(upstream_calls.to("guest/changeCardStatus.json")) == 4
    # One audit intent for the job, one per card. The job's says what the rows ask, each
    # action counted (the file mixes them; its default, disable, is not the whole story).
    [started] = records("bulk.card_status", INTENT)
    assert started.params == {
        "file": "cards.csv",
        "disable": 3,
        "enable": 1,
        "rows": 4,
        "skipped_rows": 2,
        "items": 4,
    }
    disables = records("card.disable", INTENT)
    assert [(r.card_masked, r.reason_code, r.reason_text, r.job_id) for r in disables] == [
        ("000011", "lost", "", job.pk),
        ("000021", "other", "Left at the counter", job.pk),
        ("000013", "other", "Fraud sweep 12 May", job.pk),
    ]
    assert [r.card_masked for r in records("card.enable", INTENT)] == ["000012"]
    # The full numbers are gone from the upload and the finished items.
    bulk = BulkUpload.objects.get(pk=upload_id)
    assert demo.DEMO_ACTIVE_CARD not in str(bulk.rows)
    assert all(item.payload == {} for item in job.items.all())


def test_a_card_already_as_its_row_asks_is_left_alone_and_the_row_says_so(
    sandbox, supervisor_client, records, upstream_calls, django_capture_on_commit_callbacks
):
    text = (
        f"{demo.DEMO_ACTIVE_CARD},enable\n"
        f"{demo.DEMO_DISABLED_CARD},disable\n"
        f"{demo.DEMO_ATTACHABLE_CARD},disable\n"
    )
    upload_id = _upload_id(supervisor_client, text)
    with django_capture_on_commit_callbacks(execute=True):
        start(supervisor_client, upload_id)

    job = Job.objects.get()
    assert (job.status, job.done, job.failed) == ("succeeded", 3, 0)
    assert job.summary == "1 succeeded, 2 already as asked"
    ended = [(item.outcome, item.message) for item in job.items.order_by("position")]
    assert ended == [
        ("unchanged", "Card ending 000011 was already enabled: nothing sent."),
        ("unchanged", "Card ending 000012 was already disabled: nothing sent."),
        ("succeeded", "Card ending 000021 disabled."),
    ]
    # Only the one card that was not as asked was written to, and audited.
    assert len(upstream_calls.to("guest/changeCardStatus.json")) == 1
    assert [r.card_masked for r in records("card.disable", INTENT)] == ["000021"]
    assert records("card.enable", INTENT) == []
    assert sandbox.state.card(demo.DEMO_DISABLED_CARD).status == "DISABLED"


def test_a_rows_own_reason_is_recorded_alone_and_the_default_only_where_a_row_gives_none(
    sandbox, supervisor_client, records, django_capture_on_commit_callbacks
):
    text = f"{demo.DEMO_DISABLED_CARD},enable,found\n{demo.DEMO_ACTIVE_CARD},disable,\n"
    location = upload(supervisor_client, text, action="enable", reason="QA bulk")["Location"]
    upload_id = int(location.rstrip("/").rsplit("/", 1)[-1])
    with django_capture_on_commit_callbacks(execute=True):
        start(supervisor_client, upload_id)

    enable = records("card.enable", INTENT)
    disable = records("card.disable", INTENT)
    assert [(r.reason_code, r.reason_text) for r in enable] == [("found", "")]
    assert [(r.reason_code, r.reason_text) for r in disable] == [("other", "QA bulk")]
    timeline = supervisor_client.get(
        reverse("guests:timeline", args=[demo.DEMO_ACCOUNT_ID])
    ).content.decode()
    assert "Why: Card found<" in timeline
    assert "Why: Card found; QA bulk" not in timeline
    # "Other (say why)" is the form's prompt: the row's own text says why.
    assert "Why: QA bulk<" in timeline


def test_the_results_download_has_one_row_per_card_with_its_line_and_outcome(
    sandbox, supervisor_client, django_capture_on_commit_callbacks
):
    job = _ran(supervisor_client, django_capture_on_commit_callbacks)
    response = supervisor_client.get(reverse("jobs:results", args=[job.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["item"], row["outcome"]) for row in rows] == [
        ("Line 2: disable card ending 000011", "succeeded"),
        ("Line 4: disable card ending 000021", "succeeded"),
        ("Line 6: enable card ending 000012", "succeeded"),
        ("Line 7: disable card ending 000013", "failed"),
        # The lines refused before the start (the owner skipped them) are listed too.
        ("Line 3: disable", "refused"),
        ("Line 5: enable card ending 000011", "refused"),
    ]
    assert "replaced by another card" in rows[3]["message"]
    assert rows[4]["message"].endswith("Skipped when the job was started.")
    assert rows[4]["status"] == "not started"
    # The page counts them from what the job kept, without reading the file's rows again
    # (up to 10,000 of them, on every view).
    with CaptureQueriesContext(connection) as queries:
        page = supervisor_client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "<dt>Not started</dt><dd>2 lines of the file, refused before the start" in page
    assert not [q["sql"] for q in queries.captured_queries if "cards_bulkupload" in q["sql"]]
    assert all(demo.DEMO_ACTIVE_CARD not in row["item"] for row in rows)


def test_confirming_twice_starts_one_job(
    sandbox, supervisor_client, upstream_calls, django_capture_on_commit_callbacks
):
    upload_id = _upload_id(supervisor_client, GOOD_AND_BAD)
    with django_capture_on_commit_callbacks(execute=True):
        first = start(supervisor_client, upload_id, key="once")
        second = start(supervisor_client, upload_id, key="once")
    assert first["Location"] == second["Location"]
    assert Job.objects.count() == 1
    assert len(upstream_calls.to("guest/changeCardStatus.json")) == 4


def test_the_owner_cancels_a_queued_job_and_no_card_changes(sandbox, supervisor_client):
    upload_id = _upload_id(supervisor_client, GOOD_AND_BAD)
    start(supervisor_client, upload_id)  # queued: its task is not run in this test
    job = Job.objects.get()
    response = supervisor_client.post(reverse("jobs:cancel", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert {item.outcome for item in job.items.all()} == {"cancelled"}
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "ACTIVE"


def test_the_start_button_counts_each_action_the_rows_name(sandbox, supervisor_client):
    # Two rows disable (one by the file's default), one enables: not "disable 3 cards".
    text = (
        f"{demo.DEMO_ACTIVE_CARD},disable\n{demo.DEMO_ATTACHABLE_CARD}\n"
        f"{demo.DEMO_DISABLED_CARD},enable\n"
    )
    review = supervisor_client.get(
        reverse("cards:bulk_review", args=[_upload_id(supervisor_client, text)])
    ).content.decode()
    assert "Start: disable 2 cards, enable 1 card</button>" in review
    # The check reads the file only: it does not say the cards are known, and says how a
    # wrong file of unknown cards would end (seen in a walkthrough: "Every row is fine.").
    assert "Every row reads as a card number and an action." in review
    assert "Should its first 25 cards all fail the same way (a wrong file), the job stops" in (
        review
    )
    assert ") ." not in " ".join(review.split())  # as the browser collapses it


def test_a_file_whose_rows_each_name_their_action_needs_no_default(sandbox, supervisor_client):
    form = supervisor_client.get(reverse("cards:bulk")).content.decode()
    # The form offers "none" first, chosen until another is: a choice can be taken back.
    assert re.search(r'<input type="radio" name="action" value=""[^>]*checked', form)
    assert "None: every row says its own" in form
    text = f"{demo.DEMO_ACTIVE_CARD},disable\n{demo.DEMO_DISABLED_CARD},enable\n"
    answer = upload(supervisor_client, text, action="")
    assert answer.status_code == 303
    review = supervisor_client.get(answer["Location"]).content.decode()
    assert "Start: disable 1 card, enable 1 card</button>" in review
    assert "rows without an action" not in review
    assert "Reason for the job: Fraud sweep 12 May." in review


def test_without_a_default_a_row_that_names_no_action_is_a_problem_of_its_line(
    sandbox, supervisor_client
):
    text = f"{demo.DEMO_ACTIVE_CARD},disable\n{demo.DEMO_ATTACHABLE_CARD}\n"
    answer = upload(supervisor_client, text, action="")
    review = supervisor_client.get(answer["Location"]).content.decode()
    assert (
        "<td>No action: write disable or enable in its second column, or choose one on the "
        "form for rows without it.</td>"
    ) in review
    assert "Start: disable 1 card</button>" in review
    assert sandbox.state.card(demo.DEMO_ATTACHABLE_CARD).status == "ACTIVE"


def test_a_plain_list_of_numbers_uploaded_without_an_action_gets_one_on_the_review(
    sandbox, supervisor_client
):
    """No row names an action and none was chosen: the review says nothing can run, offers no
    Start button, and asks what to do with those rows, judging them again (a card repeated
    becomes a duplicate of its first line)."""
    cards = (demo.DEMO_ACTIVE_CARD, demo.DEMO_ATTACHABLE_CARD, demo.DEMO_ACTIVE_CARD)
    answer = upload(supervisor_client, "".join(f"{card}\n" for card in cards), action="")
    review_url = answer["Location"]
    review = supervisor_client.get(review_url).content.decode()
    assert "3 rows name no action</h2>" in review
    assert "Start:" not in review
    assert "No row can be run until you choose what to do with the rows that name no action." in (
        review
    )
    upload_id = int(review_url.rstrip("/").rsplit("/", 1)[1])
    choose = reverse("cards:bulk_action", args=[upload_id])

    refused = supervisor_client.post(choose, {})
    assert refused.status_code == 422
    assert "Choose what to do with these cards." in refused.content.decode()

    chosen = supervisor_client.post(choose, {"action": "disable"})
    assert chosen.status_code == 303
    review = supervisor_client.get(chosen["Location"]).content.decode()
    assert "name no action" not in review
    assert "Start: disable 2 cards</button>" in review
    assert "<td>Duplicate of line 1.</td>" in review
    upload_row = BulkUpload.objects.get(pk=upload_id)
    assert (upload_row.action, upload_row.bad_row_count) == ("disable", 1)
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "ACTIVE"

    start(supervisor_client, upload_id)
    job = Job.objects.get()
    assert job.total == 2


def test_rows_given_an_action_on_the_review_are_judged_as_the_upload_would_have(
    sandbox, supervisor_client
):
    long_reason = "x" * 201
    text = f"{demo.DEMO_ACTIVE_CARD},,{long_reason}\n{demo.DEMO_ATTACHABLE_CARD}\n"
    answer = upload(supervisor_client, text, action="")
    upload_id = int(answer["Location"].rstrip("/").rsplit("/", 1)[1])
    supervisor_client.post(reverse("cards:bulk_action", args=[upload_id]), {"action": "disable"})
    review = supervisor_client.get(answer["Location"]).content.decode()
    assert "<td>Reason too long: at most 200 characters.</td>" in review
    assert "Start: disable 1 card</button>" in review


def test_an_action_cannot_be_chosen_for_an_upload_whose_job_started(sandbox, supervisor_client):
    answer = upload(
        supervisor_client,
        f"{demo.DEMO_ACTIVE_CARD},disable\n{demo.DEMO_ATTACHABLE_CARD}\n",
        action="",
    )
    upload_id = int(answer["Location"].rstrip("/").rsplit("/", 1)[1])
    start(supervisor_client, upload_id)
    job = Job.objects.get()
    chose = supervisor_client.post(
        reverse("cards:bulk_action", args=[upload_id]), {"action": "enable"}
    )
    assert chose["Location"] == reverse("jobs:detail", args=[job.pk])
    started = BulkUpload.objects.get(pk=upload_id)
    assert started.action == ""
    assert all("card_number" not in row for row in started.rows)
    # A copy read before the start (a choice racing it) changes nothing either.
    stale = BulkUpload.objects.get(pk=upload_id)
    stale.job = None
    with pytest.raises(ValidationError, match="has started"):
        bulk_upload_action_choose(upload=stale, action=BulkAction.ENABLE)
    assert all("card_number" not in row for row in BulkUpload.objects.get(pk=upload_id).rows)


def test_bulk_cards_are_in_the_navigation_of_whoever_may_run_them(
    sandbox, supervisor_client, agent_client
):
    link = f'<a href="{reverse("cards:bulk")}">Bulk cards</a>'
    assert link in supervisor_client.get(reverse("home")).content.decode()
    assert link not in agent_client.get(reverse("home")).content.decode()


def test_the_items_that_did_not_succeed_can_be_shown_alone(
    sandbox, supervisor_client, django_capture_on_commit_callbacks
):
    job = _ran(supervisor_client, django_capture_on_commit_callbacks)
    url = reverse("jobs:detail", args=[job.pk])
    every = supervisor_client.get(url).content.decode()
    assert f'href="{url}?show=not-succeeded">Show only the items that did not succeed (1)' in every
    assert "Line 2: disable card ending 000011" in every
    only = supervisor_client.get(url, {"show": "not-succeeded"}).content.decode()
    assert "Line 7: disable card ending 000013" in only
    assert "Line 2: disable card ending 000011" not in only
    assert f'<a id="items-filter" href="{url}">Show every item</a>' in only


def test_a_row_whose_card_upstream_does_not_know_says_to_check_the_file(
    sandbox, supervisor_client, django_capture_on_commit_callbacks
):
    # Seen in a walkthrough: 997 rows saying "check the number printed on the back of the
    # card", a sentence for a guest on the phone.
    from cards.services.bulk import NOT_FOUND_IN_FILE

    unknown = "6000201999999990"
    upload_id = _upload_id(supervisor_client, f"{unknown},disable\n{demo.DEMO_ACTIVE_CARD}\n")
    with django_capture_on_commit_callbacks(execute=True):
        start(supervisor_client, upload_id)
    first, second = Job.objects.get().items.order_by("position")
    assert (first.outcome, first.message) == ("failed", NOT_FOUND_IN_FILE)
    assert second.outcome == "succeeded"


def test_cancel_goes_once_the_job_is_asked_to_stop(sandbox, supervisor_client):
    start(supervisor_client, _upload_id(supervisor_client, GOOD_AND_BAD))
    job = Job.objects.get()
    # Under way: cancelling asks it to stop after the items being changed.
    Job.objects.filter(pk=job.pk).update(status="running")
    url = reverse("jobs:detail", args=[job.pk])
    assert "Cancel the job" in supervisor_client.get(url).content.decode()
    response = supervisor_client.post(reverse("jobs:cancel", args=[job.pk]), follow=True)
    page = response.content.decode()
    assert "The job stops after the items under way." in page
    assert "Cancel the job" not in page


def test_someone_elses_upload_does_not_exist_for_you(sandbox, supervisor_client, make_staff):
    from django.test import Client

    from portal.staff.roles import Role

    upload_id = _upload_id(supervisor_client, GOOD_AND_BAD)
    other = Client()
    other.force_login(make_staff(Role.SUPERVISOR))
    assert other.get(reverse("cards:bulk_review", args=[upload_id])).status_code == 404
    assert start(other, upload_id).status_code == 404


def test_agents_cannot_run_bulk_jobs(sandbox, agent_client):
    assert agent_client.get(reverse("cards:bulk")).status_code == 403
    assert upload(agent_client, GOOD_AND_BAD).status_code == 403


def test_after_a_bulk_disable_the_guest_page_shows_the_card_disabled_and_audits_carry_the_account(
    sandbox, supervisor_client, records, django_capture_on_commit_callbacks
):
    account = demo.DEMO_ACCOUNT_ID
    before = supervisor_client.get(f"/guests/{account}/").content.decode()
    assert before.count("DISABLED") == 1  # the guest's other, already disabled card
    upload_id = _upload_id(supervisor_client, f"card_number\n{demo.DEMO_ACTIVE_CARD}\n")
    with django_capture_on_commit_callbacks(execute=True):
        start(supervisor_client, upload_id)
    assert sandbox.state.card(demo.DEMO_ACTIVE_CARD).status == "DISABLED"
    after = supervisor_client.get(f"/guests/{account}/").content.decode()
    assert after.count("DISABLED") == 2
    assert [(r.kind, r.account_id) for r in records("card.disable")] == [
        ("intent", account),
        ("outcome", account),
    ]


def test_with_the_specs_card_reply_a_bulk_rows_audit_names_the_account_of_the_cards_user(
    sandbox,
    supervisor_client,
    records,
    upstream_calls,
    no_account_id_in_card_replies,
    django_capture_on_commit_callbacks,
):
    # The spec's accountInformation reply names no account: the card's user does.
    account = demo.DEMO_ACCOUNT_ID
    before = supervisor_client.get(f"/guests/{account}/").content.decode()
    assert before.count("DISABLED") == 1
    upload_id = _upload_id(supervisor_client, f"card_number\n{demo.DEMO_ACTIVE_CARD}\n")
    with django_capture_on_commit_callbacks(execute=True):
        start(supervisor_client, upload_id)
    assert [(r.kind, r.account_id) for r in records("card.disable")] == [
        ("intent", account),
        ("outcome", account),
    ]
    # The guest's cached page was dropped with the change.
    after = supervisor_client.get(f"/guests/{account}/").content.decode()
    assert after.count("DISABLED") == 2
    # Read fresh, never from the page's cache: the user by card, once.
    assert len(upstream_calls.to("guest/userInformationByPrintedCardNumber.json")) == 1


def test_with_the_specs_card_reply_a_user_with_several_accounts_names_the_one_holding_the_card(
    sandbox,
    supervisor_client,
    records,
    no_account_id_in_card_replies,
    django_capture_on_commit_callbacks,
):
    main, other = demo.DEMO_COMBINABLE_PAIR
    upload_id = _upload_id(supervisor_client, f"card_number\n{other}\n{main}\n")
    with django_capture_on_commit_callbacks(execute=True):
        start(supervisor_client, upload_id)
    named = {r.card_masked: r.account_id for r in records("card.disable", INTENT)}
    assert named == {
        other[-6:]: sandbox.state.account_for_card(other).account_id,
        main[-6:]: sandbox.state.account_for_card(main).account_id,
    }
    assert named[other[-6:]] != named[main[-6:]]


def test_a_card_reply_with_its_account_id_costs_no_read_of_the_cards_user(
    sandbox, supervisor_client, records, upstream_calls, django_capture_on_commit_callbacks
):
    upload_id = _upload_id(supervisor_client, f"card_number\n{demo.DEMO_ACTIVE_CARD}\n")
    with django_capture_on_commit_callbacks(execute=True):
        start(supervisor_client, upload_id)
    assert [r.account_id for r in records("card.disable", INTENT)] == [demo.DEMO_ACCOUNT_ID]
    assert "guest/userInformationByPrintedCardNumber.json" not in upstream_calls.paths()


def test_uploads_never_started_are_purged_after_the_ttl_and_started_ones_stay(
    sandbox, supervisor_client, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.conf import settings as live_settings
    from django.utils import timezone

    from cards.tasks import cards_uploads_purge_task

    settings.CARDS_UPLOAD_TTL_HOURS = 6
    text = f"card_number\n{demo.DEMO_ACTIVE_CARD}\n"
    stale = _upload_id(supervisor_client, text)
    started = _upload_id(supervisor_client, text)
    with django_capture_on_commit_callbacks(execute=True):
        start(supervisor_client, started)
    recent = _upload_id(supervisor_client, text)
    seven_hours_ago = timezone.now() - timedelta(hours=7)
    BulkUpload.objects.filter(pk__in=[stale, started]).update(created_at=seven_hours_ago)
    BulkUpload.objects.filter(pk=recent).update(created_at=timezone.now() - timedelta(hours=5))

    assert cards_uploads_purge_task() == 1
    assert set(BulkUpload.objects.values_list("pk", flat=True)) == {started, recent}
    assert live_settings.CELERY_BEAT_SCHEDULE["cards-uploads-purge"]["task"] == (
        "cards.tasks.cards_uploads_purge_task"
    )
