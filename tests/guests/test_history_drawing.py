"""The history table draws its dates, numbers and comment links in Python (one page is 25 rows):
each must come out exactly as the template tags and filters it replaces would draw it. Its rows
are drawn once per distinct content (a signed fragment in the guests' cache)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import caches
from django.template import engines
from django.test.html import parse_html
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from guests.selectors.history import HistoryRow, WalletCell, comments_url_maker, rows_html
from guests.selectors.page import Wallet, wallet_rows_html
from guests.templatetags import fragments
from guests.templatetags.fragments import code_version, fragment_key
from portal.paytronix.replies import Expiration
from portal.requestscope import request_scope, run_after_response

_TEMPLATE = engines["django"].from_string(
    "{% load amounts %}"
    '{{ when|date:"M j, Y" }}|{{ when|date:"g:i A" }}|'
    "{% if cell.accrued %}+{{ cell.accrued|amount }}{% endif %}"
    "{% if cell.redeemed %} \N{MINUS SIGN}{{ cell.redeemed|amount }}{% endif %}"
    '<div class="muted">{{ cell.balance|amount }}</div>'
)


def _row(when: datetime | None) -> HistoryRow:
    return HistoryRow(
        transaction_id=7,
        occurred_at=when,
        transaction_type="POS Sale",
        store_name="Main St",
        store_code="12",
        check_number="A-1",
        cells=[],
        guest_visible=True,
    )


@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 1, 5, 0, 7, tzinfo=UTC),  # midnight: 12 AM, and the day before in New York
        datetime(2026, 6, 30, 12, 0, tzinfo=UTC),  # noon: 12 PM
        datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
        datetime(987, 3, 1, 9, 5, tzinfo=UTC),  # a four-digit year with a leading zero
        datetime(2026, 9, 14, 15, 30),  # noqa: DTZ001 (naive: drawn as it is)
        None,
    ],
)
@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_dates_and_cells_are_drawn_as_the_filters_drew_them(
    when: datetime | None, zone: str
) -> None:
    cell = WalletCell(accrued=Decimal("12.50"), redeemed=Decimal("3.00"), balance=Decimal("-0.75"))
    with timezone.override(zone):
        row = _row(when)
        expected = _TEMPLATE.render({"when": when, "cell": cell})
        assert f"{row.date_text}|{row.time_text}|{cell.html}" == expected


@pytest.mark.parametrize(
    ("accrued", "redeemed", "balance"),
    [
        (Decimal(0), Decimal(0), Decimal(0)),
        (Decimal(5), Decimal(0), Decimal(1205)),
        (Decimal(0), Decimal(40), Decimal("-40")),
        (Decimal("0.00"), Decimal("0.10"), Decimal("1234567.89")),
        (Decimal("0.0000001"), Decimal(0), Decimal("0E-7")),  # str() would say 1E-7
    ],
)
def test_cells_match_the_template_for_every_scale(
    accrued: Decimal, redeemed: Decimal, balance: Decimal
) -> None:
    cell = WalletCell(accrued=accrued, redeemed=redeemed, balance=balance)
    assert cell.html == _TEMPLATE.render({"when": None, "cell": cell}).removeprefix("||")


def test_the_comments_address_is_reversed_once_and_filled_in_per_row() -> None:
    url_of = comments_url_maker(9000001)
    for transaction_id in (1, 420, 900001, 9000001):
        assert url_of(transaction_id) == reverse(
            "guests:transaction_comments", args=[9000001, transaction_id]
        )
    assert url_of(None) == ""


_FRAGMENT = engines["django"].from_string(
    "{% load fragments %}{% signed_fragment key %}<b>{{ text }}</b>{% endsigned_fragment %}"
)


def test_a_fragment_is_drawn_once_per_key_and_a_planted_one_is_never_shown() -> None:
    caches["guests"].clear()
    assert _FRAGMENT.render({"key": "k1", "text": "first"}) == "<b>first</b>"
    # Same key: the drawn HTML again, the body not drawn (the key is the content).
    assert _FRAGMENT.render({"key": "k1", "text": "other"}) == "<b>first</b>"
    assert _FRAGMENT.render({"key": "k2", "text": "<i>"}) == "<b>&lt;i&gt;</b>"
    # Something else written under the key (unsigned, or signed by another salt) is drawn over.
    caches["guests"].set("guests:fragment:k3", "<script>alert(1)</script>")
    assert _FRAGMENT.render({"key": "k3", "text": "fresh"}) == "<b>fresh</b>"
    assert _FRAGMENT.render({"key": "k3", "text": "again"}) == "<b>fresh</b>"
    # A real fragment copied under another key (another guest's, another viewer's rights) is
    # drawn over too: each is signed for its own key.
    caches["guests"].set("guests:fragment:k4", caches["guests"].get("guests:fragment:k1"))
    assert _FRAGMENT.render({"key": "k4", "text": "mine"}) == "<b>mine</b>"


def test_a_page_just_read_from_upstream_draws_its_fragments_and_stores_them_for_later() -> None:
    caches["guests"].clear()
    assert _FRAGMENT.render({"key": "k1", "text": "first"}) == "<b>first</b>"
    fresh = SimpleNamespace(read_upstream=True, data_digest="")
    # Drawn, not looked up (a lookup would have given "first")...
    assert _FRAGMENT.render({"key": "k1", "text": "second", "page": fresh}) == "<b>second</b>"
    # ... and stored for the views after it, which look it up (a page from the cache alone).
    cached = SimpleNamespace(read_upstream=False, data_digest="")
    assert _FRAGMENT.render({"key": "k1", "text": "third", "page": cached}) == "<b>second</b>"


class _Counted:
    """A part of a fragment's key that counts how often it is digested."""

    def __init__(self, digest: str) -> None:
        self.digest = digest
        self.asked = 0

    @property
    def fragment_digest(self) -> str:
        self.asked += 1
        return self.digest


_KEYED = engines["django"].from_string(
    "{% load fragments %}{% fragment_key part as key %}"
    "{% signed_fragment key %}<b>{{ text }}</b>{% endsigned_fragment %}"
)


def test_a_page_read_from_upstream_digests_its_keys_once_the_page_is_sent() -> None:
    caches["guests"].clear()
    part = _Counted("rows-1")
    fresh = SimpleNamespace(read_upstream=True, data_digest="")
    with request_scope(after_response=True):
        drawn = _KEYED.render({"part": part, "text": "first", "page": fresh})
        # Drawn while the guest waits, the key not worked out yet.
        assert (drawn, part.asked) == ("<b>first</b>", 0)
        run_after_response()
    # Stored once the page was sent, under the key a later view works out (by the part's
    # digest, with the zone, language and day the page was drawn in).
    assert part.asked == 1
    cached = SimpleNamespace(read_upstream=False, data_digest="")
    again = _Counted("rows-1")
    assert _KEYED.render({"part": again, "text": "second", "page": cached}) == "<b>first</b>"
    assert again.asked == 1
    other = _Counted("rows-2")
    assert _KEYED.render({"part": other, "text": "third", "page": cached}) == "<b>third</b>"


def test_the_rows_key_changes_with_everything_the_rows_show() -> None:
    rows = [_row(datetime(2026, 1, 5, 0, 7, tzinfo=UTC))]
    # What adjustment_mark_cells gives: reference → the HTML under the row.
    offered = {"A-1": SafeString('<div><a class="button small" href="/v/3">Void</a></div>')}
    base = fragment_key(1, rows, {})
    assert fragment_key(1, list(rows), {}) == base
    variants = {
        fragment_key(2, rows, {}),
        fragment_key(1, [replace(rows[0], store_name="Elm St")], {}),
        fragment_key(1, rows, offered),
        fragment_key(1, rows, {"A-1": SafeString('<div><a href="/v/4">Void</a></div>')}),
        fragment_key(1, rows, {"A-1": SafeString("<div>Voided</div>")}),
    }
    with timezone.override("America/New_York"):
        variants.add(fragment_key(1, rows, {}))
    with translation.override("fr"):
        variants.add(fragment_key(1, rows, {}))
    assert base not in variants
    assert len(variants) == 7


def test_the_key_changes_with_the_code_that_draws_the_fragment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # HTML drawn and stored by the code before a deploy is not served by the code after it.
    rows = [_row(datetime(2026, 1, 5, 0, 7, tzinfo=UTC))]
    before = fragment_key(1, rows, {})
    monkeypatch.setattr(fragments, "drawn_by", lambda: "another-release")
    assert fragment_key(1, rows, {}) != before

    templates = tmp_path / "templates"
    (templates / "guests").mkdir(parents=True)
    page = templates / "guests" / "guest.html"
    page.write_text("<td>{{ row.date_text }}</td>")
    (templates / "notes.txt").write_text("not code")
    version = code_version((templates,))
    assert code_version((templates,)) == version
    (templates / "notes.txt").write_text("still not code")
    assert code_version((templates,)) == version
    page.write_text('<td class="nowrap">{{ row.date_text }}</td>')
    assert code_version((templates,)) != version
    # An upgrade of a package (Django's escaping, its date formats) or of Python changes it.
    changed = code_version((templates,))
    assert code_version((templates,), ["django==6.0.1"]) != changed
    assert code_version((templates,), ["django==6.0.1"]) != code_version(
        (templates,), ["django==6.0.2"]
    )
    packages = fragments.installed()
    assert packages[0].startswith("python==3.")
    assert any(name.startswith("django==") for name in packages)
    # The real one covers the templates, the apps' modules and what is installed, and is
    # worked out once.
    monkeypatch.undo()
    assert fragments.drawn_by() == code_version(
        tuple(
            Path(settings.BASE_DIR) / name for name in ("templates", "guests", "cards", "portal")
        ),
        packages,
    )
    assert fragments.drawn_by.cache_info().currsize == 1


# The loops the Python drawing replaced, as the template drew them: the drawing must say the
# same (compared as HTML, so only insignificant whitespace may differ).
_ROW_TEMPLATE = engines["django"].from_string(
    '<tr{% if not row.guest_visible %} class="muted"{% endif %}>\n'
    '<td class="nowrap">{{ row.date_text }}<div class="muted">{{ row.time_text }}</div></td>\n'
    "<td>{{ row.transaction_type }}{% if not row.authorized %} "
    '<span class="status warning">Not authorized</span><div class="help">Paytronix did not '
    "authorize this transaction. It is kept in the history for reference, and the guest does "
    "not see it.</div>{% elif not row.guest_visible %} "
    '<span class="muted">(not shown to the guest)</span>{% endif %}\n'
    "{% if row.transaction_id %}\n"
    '<div><a class="small-link" href="{{ row.comments_url }}" hx-get="{{ row.comments_url }}" '
    'hx-target="#comments-{{ row.transaction_id }}" hx-swap="innerHTML">Comments</a></div>\n'
    '<div id="comments-{{ row.transaction_id }}" class="untrusted" aria-live="polite" '
    'tabindex="-1"></div>\n'
    "{% endif %}{{ mark }}</td>\n"
    '<td class="untrusted">{{ row.store_name }}{% if row.store_code %} '
    '<span class="muted">#{{ row.store_code }}</span>{% endif %}</td>\n'
    '<td class="mono">{{ row.check_number }}</td>\n'
    '{% for cell in row.cells %}<td class="num">{% if cell %}{{ cell.html }}{% endif %}</td>'
    "{% endfor %}\n</tr>"
)

_VOID = SafeString('<div><a class="button small" href="/cards/1/void/3">Void</a></div>')


@pytest.mark.parametrize(
    "row",
    [
        _row(datetime(2026, 1, 5, 0, 7, tzinfo=UTC)),
        replace(_row(None), transaction_id=None, store_code="", check_number=""),
        replace(_row(None), authorized=False, guest_visible=False),
        replace(_row(None), guest_visible=False, transaction_type="Points <Bonus> & more"),
        replace(
            _row(datetime(2026, 6, 30, 12, 0, tzinfo=UTC)),
            store_name='<script>alert("x")</script>',
            store_code='"7"',
            check_number="LD-<b>",
            comments_url=reverse("guests:transaction_comments", args=[1, 7]),
            cells=[
                WalletCell(accrued=Decimal(5), redeemed=Decimal(0), balance=Decimal(1205)),
                None,
                WalletCell(accrued=Decimal(0), redeemed=Decimal("0.10"), balance=Decimal(-1)),
            ],
        ),
    ],
)
@pytest.mark.parametrize("mark", [SafeString(""), _VOID])
def test_a_history_row_is_drawn_as_the_template_drew_it(row: HistoryRow, mark: SafeString) -> None:
    with timezone.override("America/New_York"):
        drawn = rows_html([row], {row.check_number: mark} if mark else {})
        expected = _ROW_TEMPLATE.render({"row": row, "mark": mark})
    assert parse_html(drawn) == parse_html(expected)


def test_only_html_the_cards_app_drew_is_drawn_as_html() -> None:
    row = replace(_row(None), check_number="LD-1")
    drawn = rows_html([row], {"LD-1": "<i>not marked safe</i>"})  # type: ignore[dict-item]
    assert "&lt;i&gt;not marked safe&lt;/i&gt;" in drawn
    assert "<i>" not in drawn


def test_rows_are_drawn_newest_first_each_with_its_own_mark() -> None:
    first = replace(_row(None), transaction_id=1, check_number="LD-1")
    second = replace(_row(None), transaction_id=2, check_number="LD-2")
    drawn = rows_html([first, second], {"LD-2": _VOID})
    assert drawn.index('id="comments-1"') < drawn.index('id="comments-2"')
    assert drawn.count("Void</a>") == 1
    assert drawn.index("Void</a>") > drawn.index('id="comments-2"')


_WALLET_TEMPLATE = engines["django"].from_string(
    "{% load amounts %}"
    '<tr><th scope="row">{{ wallet.name }}{% if wallet.group|lower != wallet.name|lower %} '
    '<span class="muted">({{ wallet.group|lower }})</span>{% endif %}{{ link }}</th>'
    '<td class="num">{{ wallet.balance|amount }}</td><td>'
    '{% if wallet.hides_expirations %}<span class="muted">Not shown</span>{% else %}'
    '{% for expiration in wallet.expiration_lines %}<div class="nowrap">{% if expiration.past %}'
    '<span class="muted">{{ expiration.amount|amount }} expired on '
    '{{ expiration.expiration_date|date:"M j, Y" }}</span>{% else %}'
    '{{ expiration.amount|amount }} on {{ expiration.expiration_date|date:"M j, Y"'
    '|default:"no date given" }}{% endif %}</div>{% empty %}'
    '{% if not wallet.additional_expiring %}<span class="muted">Nothing expiring</span>'
    "{% endif %}{% endfor %}{% if wallet.additional_expiring %}<div>"
    "{{ wallet.additional_expiring|amount }} more expiring later</div>{% endif %}"
    "{% endif %}</td></tr>"
)


def _wallet(**changes: object) -> Wallet:
    wallet = Wallet(
        group="Points",
        wallet_code=4,
        name="Rewards <points>",
        balance=Decimal("10223.50"),
        expirations=[],
        additional_expiring=None,
        hides_expirations=False,
    )
    return replace(wallet, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "wallet",
    [
        _wallet(),
        _wallet(hides_expirations=True, group="Charge"),
        _wallet(additional_expiring=Decimal(40)),
        _wallet(
            expirations=[
                Expiration(amount=Decimal(5), expiration_date=date(2020, 1, 2)),
                Expiration(amount=Decimal(1500), expiration_date=date(2099, 12, 31)),
                Expiration(amount=Decimal("2.5"), expiration_date=None),
            ],
            additional_expiring=Decimal("0.75"),
        ),
        _wallet(wallet_code=None, balance=Decimal(-3)),
        # A name that says its kind is not followed by it again ("Stored Value (stored value)").
        _wallet(group="Stored value", name="Stored Value"),
    ],
)
@pytest.mark.parametrize("link", ["", SafeString(' <a class="button small" href="/a">Adjust</a>')])
def test_a_balance_row_is_drawn_as_the_template_drew_it(wallet: Wallet, link: SafeString) -> None:
    links = {wallet.wallet_code: link} if link and wallet.wallet_code is not None else {}
    drawn = wallet_rows_html([wallet], links)
    expected = _WALLET_TEMPLATE.render({"wallet": wallet, "link": link if links else ""})
    assert parse_html(drawn) == parse_html(expected)
    assert ("(stored value)" in drawn) is (
        wallet.name != "Stored Value" and "tored" in wallet.group
    )


_DRAWER_TEMPLATE = engines["django"].from_string(
    '<p class="drawer-link"><a class="button" href="{% url \'guests:guest\' account_id %}'
    "?open={{ drawer }}#panel-{{ panel }}\" hx-get=\"{% url 'guests:panel' account_id panel %}"
    '?open={{ drawer }}" hx-target="#panel-{{ panel }}" hx-swap="outerHTML"{% if key %} '
    'data-shortcut="{{ key }}" aria-keyshortcuts="{{ key }}"{% endif %}>{{ label }}</a></p>'
)


@pytest.mark.parametrize(
    ("drawer", "panel", "label", "key"),
    [
        ("preferences", "header", "Change preferences", "m"),
        ("visit", "wallets", "Check a visit code", ""),
        ("refer", "referrals", "Refer <friends> & more", "f"),
    ],
)
def test_a_drawer_link_is_drawn_as_the_included_template_drew_it(
    drawer: str, panel: str, label: str, key: str
) -> None:
    from guests.templatetags.drawers import drawer_link

    context = {"account_id": 9000001, "drawer": drawer, "panel": panel, "label": label}
    expected = _DRAWER_TEMPLATE.render({**context, "key": key})
    drawn = drawer_link(9000001, drawer, panel, label, key=key)
    assert parse_html(drawn) == parse_html(expected)


def test_a_page_is_made_once_per_reply_query_and_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from guests.selectors import history as history_module
    from guests.selectors.history import HistoryQuery, history_page
    from portal.paytronix.replies import Transaction, TransactionHistory

    def reply(store: str) -> TransactionHistory:
        return TransactionHistory(
            transactions=[
                Transaction(
                    transaction_id=5,
                    occurred_at=datetime(2026, 1, 5, 0, 7, tzinfo=UTC),
                    transaction_type="POS Sale",
                    store_name=store,
                )
            ]
        )

    current = {"reply": reply("Main St")}
    monkeypatch.setattr(
        history_module.reads, "history_of_account", lambda **kwargs: current["reply"]
    )

    first = history_page(account_id=1, query=HistoryQuery())
    # The same reply (the guest cache hands out the same decoded one): the same page, rows and
    # digest, not made again.
    assert history_page(account_id=1, query=HistoryQuery()) is first
    assert first.fragment_digest == history_page(account_id=1, query=HistoryQuery()).fragment_digest
    # Anything else the page depends on makes it afresh.
    assert history_page(account_id=2, query=HistoryQuery()) is not first
    assert history_page(account_id=1, query=HistoryQuery(page=2)) is not first
    with timezone.override("America/New_York"):
        elsewhere = history_page(account_id=1, query=HistoryQuery())
        assert elsewhere is not first
        assert elsewhere.rows[0].date_text == "Jan 4, 2026"
    assert first.rows[0].date_text == "Jan 5, 2026"
    # Another reply, even an equal one, is another page; a different one another digest.
    current["reply"] = reply("Main St")
    again = history_page(account_id=1, query=HistoryQuery())
    assert again is not first
    assert again.fragment_digest == first.fragment_digest
    current["reply"] = reply("Elm St")
    assert history_page(account_id=1, query=HistoryQuery()).fragment_digest != first.fragment_digest
