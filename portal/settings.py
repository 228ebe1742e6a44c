"""Loyalty Desk settings: every value comes from the environment (see .env.example).

Three environments, chosen by LOYALTY_ENV:

* ``development`` (default): SQLite and a file-system Celery broker under ``var/``, the embedded
  sandbox as Paytronix, demo staff users. What ``make run`` uses on a fresh machine.
* ``test``: as development, but a per-process cache and Celery tasks run in-process unless a
  test starts a real worker.
* ``production``: every secret must be given; HTTPS-only cookies, HSTS, manifest static files.

A malformed value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from portal.paytronix.session import longest_call

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))


def _read(name: str, reader: Any, **kwargs: Any) -> Any:
    """Read one variable, turning django-environ's bare errors into a message that names it."""
    try:
        return reader(name, **kwargs)
    except ImproperlyConfigured as exc:
        if name in str(exc):
            raise
        raise ImproperlyConfigured(f"Environment variable {name} is malformed: {exc}") from exc
    except (ValueError, TypeError, KeyError) as exc:
        raise ImproperlyConfigured(f"Environment variable {name} is malformed: {exc}") from exc


_BOOLEANS = {"true": True, "yes": True, "on": True, "1": True}
_BOOLEANS |= {"false": False, "no": False, "off": False, "0": False}


def _bool(name: str, *, default: bool) -> bool:
    """A yes/no switch. django-environ reads any unknown word as False; a typo must not."""
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw not in _BOOLEANS:
        raise ValueError(f"{raw!r} is not one of true/false, yes/no, on/off, 1/0")
    return _BOOLEANS[raw]


def _strong_key(name: str, value: str, *, min_length: int) -> None:
    """Refuse, in production, a key that is short, made of few distinct characters or a known
    placeholder: the session signatures and the audit hashes are only as good as the key."""
    weak = (
        len(value) < min_length
        or len(set(value)) < 10
        or value.startswith("django-insecure-")
        or "never-use-in-production" in value
    )
    if weak:
        raise ImproperlyConfigured(
            f"{name} is too weak for production: give at least {min_length} random characters "
            f"(e.g. python -c 'import secrets; print(secrets.token_urlsafe({min_length}))')"
        )


def _database(name: str, **kwargs: Any) -> dict[str, Any]:
    config: dict[str, Any] = env.db_url(name, **kwargs)
    if not config.get("ENGINE"):
        raise ValueError("not a database URL such as postgres://user@host/db or sqlite:///path")
    return config


def _networks(name: str, **kwargs: Any) -> list[Any]:
    """Addresses (``10.0.0.5``) or networks (``10.0.0.0/24``), comma-separated."""
    return [ipaddress.ip_network(item, strict=False) for item in env.list(name, **kwargs)]


LOYALTY_ENV = _read("LOYALTY_ENV", env.str, default="development")
if LOYALTY_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"LOYALTY_ENV must be development, test or production, not {LOYALTY_ENV!r}"
    )
PRODUCTION = LOYALTY_ENV == "production"
TESTING = LOYALTY_ENV == "test"

DEBUG = _read("DJANGO_DEBUG", _bool, default=False)
if PRODUCTION:
    SECRET_KEY = _read("SECRET_KEY", env.str)
    _strong_key("SECRET_KEY", SECRET_KEY, min_length=50)
else:
    SECRET_KEY = _read(
        "SECRET_KEY", env.str, default="development-only-key-never-use-in-production-0123456789"
    )
# Keys signed with before the last rotation (docs/deploy.md): still accepted, never used to sign.
SECRET_KEY_FALLBACKS = _read("SECRET_KEY_FALLBACKS", env.list, default=[])
ALLOWED_HOSTS = _read(
    "ALLOWED_HOSTS", env.list, default=[] if PRODUCTION else ["127.0.0.1", "localhost"]
)
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, default=[])

# Demo staff users (one per role) are created by `make run` only when this is on.
DEMO_MODE = _read("DEMO_MODE", _bool, default=not PRODUCTION)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "portal",
    "portal.staff",
    "portal.sandbox",
    "portal.audit",
    "portal.jobs",
    "portal.approvals",
    "guests",
    "cards",
]

MIDDLEWARE = [
    "portal.middleware.RequestIdMiddleware",
    "portal.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.staff.idle.IdleTimeoutMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.middleware.NoStoreMiddleware",
    "portal.logcontext.LogContextMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "portal.staff.access.AccessPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.staff.context_processors.staff",
                "portal.approvals.context_processors.approvals",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": _read("DATABASE_URL", _database, default=_default_db)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker share the file: WAL lets readers run beside a writer,
    # IMMEDIATE takes the write lock up front instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests get a file too, not Django's shared in-memory database: that one cannot lock across
    # threads or processes, and the audit chain, idempotency and job tests need real locking.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = _read("DATABASE_CONN_MAX_AGE", env.int, default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_default_cache = "locmemcache://" if TESTING else f"filecache://{VAR_DIR / 'cache'}"
CACHES = {"default": _read("CACHE_URL", env.cache_url, default=_default_cache)}
# On Redis every value is JSON, never a pickle (Django's default serializer): a value planted on
# the server cannot run code when read back, and an entry that is not JSON reads as a miss. The
# guests' reads (portal.guestcache) share the default cache's server and store through their
# own alias. One Redis client per process serves every thread and both aliases
# (``portal.redis_cache``): a page's short-lived read threads reuse its connections.
if CACHES["default"]["BACKEND"].endswith(".RedisCache"):
    CACHES["default"]["BACKEND"] = "portal.redis_cache.RedisCache"
    CACHES["default"]["OPTIONS"] = {
        **CACHES["default"].get("OPTIONS", {}),
        "serializer": "portal.guestcache.codec.JsonSerializer",
    }
CACHES["guests"] = {**CACHES["default"]}

AUTH_USER_MODEL = "staff.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend with the role and permissions cached per user (portal.staff).
    "portal.staff.backends.StaffBackend",
]
STAFF_ACCESS_SECONDS = _read("STAFF_ACCESS_SECONDS", env.int, default=300)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout (PCI DSS v4 8.3.4): AXES_FAILURE_LIMIT failures of one account from any mix of
# addresses lock it for AXES_COOLOFF_MINUTES; the username + IP count stays beside it. An admin
# unlocks from the staff admin ("Unlock sign-in"), which is audited.
AXES_FAILURE_LIMIT = _read("AXES_FAILURE_LIMIT", env.int, default=10)
AXES_COOLOFF_TIME = timedelta(minutes=_read("AXES_COOLOFF_MINUTES", env.int, default=30))
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# A typed username that is no staff user's (a password, a card number) is stored and locked by
# a keyed hash only: see portal/staff/login.py.
AXES_USERNAME_CALLABLE = "portal.staff.login.axes_username"
if AXES_FAILURE_LIMIT > 10 or timedelta(minutes=30) > AXES_COOLOFF_TIME:
    raise ImproperlyConfigured(
        "AXES_FAILURE_LIMIT must be at most 10 and AXES_COOLOFF_MINUTES at least 30"
    )

# Idle timeout: the session is renewed by activity (at most once a minute, see
# portal/staff/idle.py), so it expires after this much inactivity, not a fixed time after login.
SESSION_IDLE_TIMEOUT = _read("SESSION_IDLE_TIMEOUT", env.int, default=15 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_TIMEOUT
SESSION_SAVE_EVERY_REQUEST = False
# Sessions stay in the database alone (not cached_db): deleting a session's row ends it at
# once, which operators rely on; one indexed read a request is the price, its query built once
# (portal.staff.sessions).
SESSION_ENGINE = "portal.staff.sessions"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie; the token travels in hx-headers.

LANGUAGE_CODE = "en-us"
TIME_ZONE = _read("TIME_ZONE", env.str, default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Production serves the collected, hashed files (`manage.py collectstatic`); development and
# tests serve straight from the finders, so there is no collected folder to point at.
STATIC_ROOT = BASE_DIR / "staticfiles" if PRODUCTION else None
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Content Security Policy: only our own static files, scripts need the per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = _read("SECURE_SSL_REDIRECT", _bool, default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", env.int, default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if _read("BEHIND_TLS_PROXY", _bool, default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The upstream API. The defaults point at the embedded sandbox that `make run` starts.
PAYTRONIX_BASE_URL = _read(
    "PAYTRONIX_BASE_URL", env.str, default="http://127.0.0.1:8001/rest/25.33/"
)
if not PAYTRONIX_BASE_URL.rstrip("/").rsplit("/", 2)[-2:-1] == ["rest"]:
    raise ImproperlyConfigured(
        "PAYTRONIX_BASE_URL must end in /rest/<release>/, e.g. https://host/rest/25.33/"
    )
# Plain HTTP would send the integration's Basic credentials in clear: production refuses it unless
# told the upstream is a private test one.
PAYTRONIX_ALLOW_INSECURE_HTTP = _read("PAYTRONIX_ALLOW_INSECURE_HTTP", _bool, default=False)
if (
    PRODUCTION
    and not PAYTRONIX_BASE_URL.lower().startswith("https://")
    and not PAYTRONIX_ALLOW_INSECURE_HTTP
):
    raise ImproperlyConfigured(
        "PAYTRONIX_BASE_URL must be https:// in production (plain http sends the Basic "
        "credentials in clear); set PAYTRONIX_ALLOW_INSECURE_HTTP=1 only for a private test "
        "upstream"
    )
PAYTRONIX_MERCHANT_ID = _read("PAYTRONIX_MERCHANT_ID", env.int, default=1001)
PAYTRONIX_USERNAME = _read(
    "PAYTRONIX_USERNAME", env.str, **({} if PRODUCTION else {"default": "loyaltydesk"})
)
PAYTRONIX_SECRET = _read(
    "PAYTRONIX_SECRET", env.str, **({} if PRODUCTION else {"default": "sandbox-secret"})
)
PAYTRONIX_CONNECT_TIMEOUT = _read("PAYTRONIX_CONNECT_TIMEOUT", env.float, default=3.05)
PAYTRONIX_READ_TIMEOUT = _read("PAYTRONIX_READ_TIMEOUT", env.float, default=10.0)
PAYTRONIX_MAX_ATTEMPTS = _read("PAYTRONIX_MAX_ATTEMPTS", env.int, default=3)
PAYTRONIX_BREAKER_THRESHOLD = _read("PAYTRONIX_BREAKER_THRESHOLD", env.int, default=5)
PAYTRONIX_BREAKER_COOLDOWN = _read("PAYTRONIX_BREAKER_COOLDOWN", env.float, default=30.0)
# Connections to Paytronix a process keeps open: a web worker's threads times the guest page's
# reads at once, or a bulk job's writes and reads ahead. Beyond it connections are opened and
# dropped per call.
PAYTRONIX_POOL_SIZE = _read("PAYTRONIX_POOL_SIZE", env.int, default=64)
if PAYTRONIX_POOL_SIZE < 1:
    raise ImproperlyConfigured("PAYTRONIX_POOL_SIZE must be at least 1")
# Where the circuit breaker keeps its state so every process shares it: the Redis cache by
# default (one process's timeouts open it for all); without Redis each process has its own.
# Tests keep it in the process unless they set it (each test builds a fresh client).
_redis_cache = (
    str(CACHES["default"].get("LOCATION", ""))
    if "redis" in str(CACHES["default"].get("BACKEND", ""))
    else ""
)
PAYTRONIX_BREAKER_REDIS_URL = _read(
    "PAYTRONIX_BREAKER_REDIS_URL", env.str, default="" if TESTING else _redis_cache
)
if PAYTRONIX_BREAKER_REDIS_URL and not PAYTRONIX_BREAKER_REDIS_URL.startswith(
    ("redis://", "rediss://", "unix://")
):
    raise ImproperlyConfigured("PAYTRONIX_BREAKER_REDIS_URL must be a redis:// or rediss:// URL")
SANDBOX_PORT = _read("SANDBOX_PORT", env.int, default=8001)
# How the sandbox spells userInformation replies (nested as the spec, or top_level as live
# clients of release 19.x read them), and the services or endpoints it leaves out (csr,
# transaction/accountQuery) to behave like an integration without them.
SANDBOX_REPLY_STYLE = _read("SANDBOX_REPLY_STYLE", env.str, default="nested")
SANDBOX_WITHOUT = _read("SANDBOX_WITHOUT", env.list, default=[])

# Services beyond the Guest Service that a merchant's integration may not have: switch each off
# here, and an upstream that answers "not found" or "not authorised" for one is remembered as
# missing for this many seconds (DESIGN.md "Services a merchant may not have").
PAYTRONIX_CSR_SERVICE = _read("PAYTRONIX_CSR_SERVICE", _bool, default=True)
PAYTRONIX_ACCOUNT_QUERY = _read("PAYTRONIX_ACCOUNT_QUERY", _bool, default=True)
PAYTRONIX_ENROLLMENT_SERVICE = _read("PAYTRONIX_ENROLLMENT_SERVICE", _bool, default=True)
PAYTRONIX_GUEST_MANAGEMENT_SERVICE = _read(
    "PAYTRONIX_GUEST_MANAGEMENT_SERVICE", _bool, default=True
)
PAYTRONIX_TRANSACTION_SERVICE = _read("PAYTRONIX_TRANSACTION_SERVICE", _bool, default=True)
PAYTRONIX_BALANCE_TRANSFER_SERVICE = _read(
    "PAYTRONIX_BALANCE_TRANSFER_SERVICE", _bool, default=True
)
PAYTRONIX_PAYMENT_SERVICE = _read("PAYTRONIX_PAYMENT_SERVICE", _bool, default=True)
PAYTRONIX_UNAVAILABLE_SERVICE_SECONDS = _read(
    "PAYTRONIX_UNAVAILABLE_SERVICE_SECONDS", env.int, default=600
)

# The guest page (guests app): seconds a guest's upstream reads stay cached (any change to that
# guest drops them at once); seconds a change is shown as "pending" while the page waits for
# upstream (eventually consistent) to show it; the eClub card template of the eClub email search.
GUEST_CACHE_SECONDS = _read("GUEST_CACHE_SECONDS", env.int, default=30)
# Seconds a guest read that failed upstream is remembered (per process) and not asked again.
GUEST_FAILURE_SECONDS = _read("GUEST_FAILURE_SECONDS", env.int, default=10)
GUESTS_PENDING_SECONDS = _read("GUESTS_PENDING_SECONDS", env.int, default=30)
# Seconds the guest page waits for upstream in all: a panel whose read is later fails alone.
GUESTS_PAGE_DEADLINE = _read("GUESTS_PAGE_DEADLINE", env.float, default=4.0)
if GUESTS_PAGE_DEADLINE <= 0:
    raise ImproperlyConfigured("GUESTS_PAGE_DEADLINE must be positive")
GUESTS_ECLUB_TEMPLATE_CODE = _read(
    "GUESTS_ECLUB_TEMPLATE_CODE", env.int, default=None if PRODUCTION else 30
)
# The guest's details (Enrollment Service): the fields the merchant's program requires to be
# unique among its guests (the username always is), sent as editUser's enforceUniqueFields;
# and how many password reset emails a guest may be sent in an hour from the console.
GUESTS_UNIQUE_FIELDS = _read("GUESTS_UNIQUE_FIELDS", env.list, default=["email"])
_UNIQUE_FIELD_NAMES = {"email", "mobilePhone", "phone"}
if not set(GUESTS_UNIQUE_FIELDS) <= _UNIQUE_FIELD_NAMES:
    raise ImproperlyConfigured(
        "GUESTS_UNIQUE_FIELDS may name only " + ", ".join(sorted(_UNIQUE_FIELD_NAMES))
    )
GUESTS_PASSWORD_RESETS_PER_HOUR = _read("GUESTS_PASSWORD_RESETS_PER_HOUR", env.int, default=3)
if GUESTS_PASSWORD_RESETS_PER_HOUR < 1:
    raise ImproperlyConfigured("GUESTS_PASSWORD_RESETS_PER_HOUR must be at least 1")


def _program_names(name: str, **kwargs: Any) -> dict[int, str]:
    """``10=Rewards,20=Gift Card``: card template codes and the names the pages give them."""
    names: dict[int, str] = {}
    for item in env.list(name, **kwargs):
        code, sep, label = item.partition("=")
        if not sep or not code.strip().isdigit() or not label.strip():
            raise ValueError(f"{item!r} is not code=name, e.g. 10=Rewards")
        names[int(code)] = label.strip()
    return names


# Names of the merchant's programs (card templates) by code, for the replies that give only a
# code (a referral code's program); an account's reply names its own program.
GUESTS_PROGRAM_NAMES = _read("GUESTS_PROGRAM_NAMES", _program_names, default=[])

# Keyed hash of full card numbers in audit records: exact search without storing the number.
AUDIT_HASH_KEY = _read(
    "AUDIT_HASH_KEY", env.str, **({} if PRODUCTION else {"default": f"audit:{SECRET_KEY}"})
)
if PRODUCTION:
    _strong_key("AUDIT_HASH_KEY", AUDIT_HASH_KEY, min_length=32)
# The audit door (portal/audit). A repeated submit waits this long for the first one's outcome
# before answering "in progress"; an intent with no outcome after AUDIT_ABANDONED_AFTER seconds
# belongs to a process that died, and is settled by reading upstream back (so it must outlast
# any upstream call). The reconciler runs every AUDIT_RECONCILE_EVERY seconds, settles unknown
# outcomes older than AUDIT_SETTLE_AFTER, and marks for review those still unsettled after
# AUDIT_REVIEW_AFTER.
AUDIT_IN_PROGRESS_WAIT = _read("AUDIT_IN_PROGRESS_WAIT", env.float, default=5.0)
AUDIT_ABANDONED_AFTER = _read("AUDIT_ABANDONED_AFTER", env.int, default=120)
AUDIT_RECONCILE_EVERY = _read("AUDIT_RECONCILE_EVERY", env.int, default=300)
AUDIT_SETTLE_AFTER = _read("AUDIT_SETTLE_AFTER", env.int, default=60)
AUDIT_REVIEW_AFTER = _read("AUDIT_REVIEW_AFTER", env.int, default=3600)
# Upstream is eventually consistent: a write whose read-back still shows the old state counts as
# not applied only once it is this many seconds old; before that, "cannot tell yet".
AUDIT_NOT_APPLIED_AFTER = _read("AUDIT_NOT_APPLIED_AFTER", env.int, default=300)
# Anchors of the audit chain (portal/audit/anchor.py): the head is published every
# AUDIT_ANCHOR_INTERVAL seconds (Celery beat) and after every AUDIT_ANCHOR_EVERY-th record (0:
# only on the interval) to the "portal.audit.anchor" logger, and to an append-only file and a
# Redis stream when those are set.
AUDIT_ANCHOR_INTERVAL = _read("AUDIT_ANCHOR_INTERVAL", env.int, default=60)
AUDIT_ANCHOR_EVERY = _read("AUDIT_ANCHOR_EVERY", env.int, default=100)
AUDIT_ANCHOR_FILE = _read("AUDIT_ANCHOR_FILE", env.str, default="")
AUDIT_ANCHOR_REDIS_URL = _read("AUDIT_ANCHOR_REDIS_URL", env.str, default="")
AUDIT_ANCHOR_REDIS_STREAM = _read(
    "AUDIT_ANCHOR_REDIS_STREAM", env.str, default="loyaltydesk:audit-anchors"
)
if not 1 <= AUDIT_ANCHOR_INTERVAL <= 60:
    raise ImproperlyConfigured("AUDIT_ANCHOR_INTERVAL must be between 1 and 60 seconds")
if AUDIT_ANCHOR_EVERY < 0:
    raise ImproperlyConfigured("AUDIT_ANCHOR_EVERY must be 0 (interval only) or more")
if AUDIT_ANCHOR_REDIS_URL and not AUDIT_ANCHOR_REDIS_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured("AUDIT_ANCHOR_REDIS_URL must be a redis:// or rediss:// URL")
# The longest upstream call, every retry included (the client's own arithmetic): a write (only
# what was never sent is retried), and any call (a read retries its timeouts too).
_PAYTRONIX_TIMING = {
    "connect_timeout": PAYTRONIX_CONNECT_TIMEOUT,
    "read_timeout": PAYTRONIX_READ_TIMEOUT,
    "max_attempts": PAYTRONIX_MAX_ATTEMPTS,
}
_LONGEST_WRITE = longest_call(**_PAYTRONIX_TIMING, retryable=False)
_LONGEST_CALL = longest_call(**_PAYTRONIX_TIMING, retryable=True)
if AUDIT_ABANDONED_AFTER <= _LONGEST_WRITE:
    raise ImproperlyConfigured(
        f"AUDIT_ABANDONED_AFTER must be longer than the longest write to Paytronix, "
        f"{_LONGEST_WRITE:g}s with its retries (PAYTRONIX_CONNECT_TIMEOUT, "
        "PAYTRONIX_READ_TIMEOUT, PAYTRONIX_MAX_ATTEMPTS), or a slow write would be settled "
        "while still running"
    )

# Wallet adjustments (cards app): the reason codes a CSR picks from ("code:Label", comma
# separated; "other" is always offered and needs words), and what each role may adjust alone,
# per adjustment and per guest per day, by kind of wallet ("points" also counts visits,
# "rewards", "stored_value" in money). Above a ceiling the adjustment becomes a request that a
# supervisor approves (portal/approvals); the door refuses it otherwise.
_DEFAULT_WALLET_REASONS = [
    "missed_visit:Missed visit",
    "service_recovery:Service recovery",
    "duplicate_credit:Duplicate credit",
    "goodwill:Goodwill",
    "correction:Correction",
]
WALLET_ADJUST_REASONS: list[tuple[str, str]] = []
for _item in _read("WALLET_ADJUST_REASONS", env.list, default=_DEFAULT_WALLET_REASONS):
    _code, _, _label = str(_item).partition(":")
    if not _code.strip() or not _label.strip() or not _code.strip().replace("_", "").isalnum():
        raise ImproperlyConfigured(
            f"WALLET_ADJUST_REASONS: {_item!r} is not code:Label (code: letters, digits, _)"
        )
    if _code.strip() != "other":
        WALLET_ADJUST_REASONS.append((_code.strip(), _label.strip()))
WALLET_LIMIT_KINDS = ("points", "rewards", "stored_value")


def _wallet_limits(name: str, default: str) -> dict[str, Decimal]:
    """``points=500,rewards=2,stored_value=10.00``: every kind, each a non-negative number."""
    raw = env.str(name, default=default)
    found: dict[str, Decimal] = {}
    for part in raw.split(","):
        kind, _, amount = part.partition("=")
        try:
            value = Decimal(amount.strip())
        except ArithmeticError:
            value = Decimal(-1)
        if kind.strip() not in WALLET_LIMIT_KINDS or not value.is_finite() or value < 0:
            raise ImproperlyConfigured(
                f"{name}: {part.strip()!r} is not kind=amount with kind one of "
                f"{', '.join(WALLET_LIMIT_KINDS)} and a non-negative amount"
            )
        found[kind.strip()] = value
    missing = set(WALLET_LIMIT_KINDS) - set(found)
    if missing:
        raise ImproperlyConfigured(f"{name} has no limit for {', '.join(sorted(missing))}")
    return found


#: role → {"per_adjustment": {kind: ceiling}, "per_day": {kind: ceiling}}; a role not listed
#: may adjust nothing alone.
WALLET_ADJUST_LIMITS: dict[str, dict[str, dict[str, Decimal]]] = {
    "agent": {
        "per_adjustment": _wallet_limits(
            "WALLET_LIMIT_AGENT", "points=500,rewards=2,stored_value=10.00"
        ),
        "per_day": _wallet_limits(
            "WALLET_DAILY_LIMIT_AGENT", "points=1000,rewards=4,stored_value=20.00"
        ),
    },
    "supervisor": {
        "per_adjustment": _wallet_limits(
            "WALLET_LIMIT_SUPERVISOR", "points=5000,rewards=10,stored_value=100.00"
        ),
        "per_day": _wallet_limits(
            "WALLET_DAILY_LIMIT_SUPERVISOR", "points=10000,rewards=20,stored_value=200.00"
        ),
    },
}

# Whose combines a supervisor approves is the permission combine_without_approval (those
# without it ask; portal/staff/roles.py, cards/limits.py), no longer COMBINE_APPROVAL_ROLES. A
# deployment that set it to other roles than the permission's (agents ask) is told, not ignored.
if _read("COMBINE_APPROVAL_ROLES", env.list, default=["agent"]) != ["agent"]:
    raise ImproperlyConfigured(
        "COMBINE_APPROVAL_ROLES is no longer read: whose combines a supervisor approves is now "
        "the permission 'Combine cards without a supervisor's approval' "
        "(combine_without_approval), which the roles' definitions give to supervisors "
        "(portal/staff/roles.py, applied by its migrations). To give it to another role, change "
        "that definition in code with a migration (an edit of a role's group in the admin is "
        "undone by the next migration that syncs the roles). Then remove COMBINE_APPROVAL_ROLES "
        "from the environment."
    )

# Jobs (portal/jobs): upstream calls one job makes at once, attempts per item on transient
# upstream faults, and where job output files (exports) are kept. A job runs in chunks: one task
# starts items for JOBS_CHUNK_SECONDS, lets those under way finish, and queues the job again, so
# no task runs long and the broker's visibility timeout (below) can be short. An item left
# without an outcome by a worker that died is read back every JOBS_SETTLE_POLL seconds until it
# is settled (then, if it was not applied, tried again).
JOBS_CONCURRENCY = _read("JOBS_CONCURRENCY", env.int, default=1 if TESTING else 4)
JOBS_ITEM_ATTEMPTS = _read("JOBS_ITEM_ATTEMPTS", env.int, default=3)
JOBS_CHUNK_SECONDS = _read("JOBS_CHUNK_SECONDS", env.float, default=60.0)
JOBS_SETTLE_POLL = _read("JOBS_SETTLE_POLL", env.float, default=15.0)
# A job whose items, from its first, all fail with the same message (a wrong file: every card
# unknown) stops after this many of them instead of failing every row; 0 never stops.
JOBS_STOP_AFTER_SAME_FAILURES = _read("JOBS_STOP_AFTER_SAME_FAILURES", env.int, default=25)
# The adjustments report's CSV is written at once up to this many adjustments and voids, and
# by a job beyond (a large range).
REPORT_CSV_INLINE_ROWS = _read("REPORT_CSV_INLINE_ROWS", env.int, default=2000)
JOBS_FILES_DIR = Path(_read("JOBS_FILES_DIR", env.str, default=str(VAR_DIR / "jobs")))
if JOBS_CONCURRENCY < 1 or JOBS_ITEM_ATTEMPTS < 1:
    raise ImproperlyConfigured("JOBS_CONCURRENCY and JOBS_ITEM_ATTEMPTS must be at least 1")
if JOBS_STOP_AFTER_SAME_FAILURES < 0:
    raise ImproperlyConfigured("JOBS_STOP_AFTER_SAME_FAILURES must be 0 (never) or more")
if JOBS_CHUNK_SECONDS <= 0 or JOBS_SETTLE_POLL <= 0:
    raise ImproperlyConfigured("JOBS_CHUNK_SECONDS and JOBS_SETTLE_POLL must be positive")

# Cards (cards/): changeCardStatus calls a bulk card job makes at once (Paytronix rate limits).
CARDS_BULK_CONCURRENCY = _read("CARDS_BULK_CONCURRENCY", env.int, default=1 if TESTING else 4)
if not 1 <= CARDS_BULK_CONCURRENCY <= 32:
    raise ImproperlyConfigured("CARDS_BULK_CONCURRENCY must be between 1 and 32")
# Hours a bulk upload nobody started keeps its rows (full card numbers) before it is deleted.
CARDS_UPLOAD_TTL_HOURS = _read("CARDS_UPLOAD_TTL_HOURS", env.int, default=24)
if CARDS_UPLOAD_TTL_HOURS < 1:
    raise ImproperlyConfigured("CARDS_UPLOAD_TTL_HOURS must be at least 1")

# Celery. JSON only; a task is acknowledged after it ran, so a worker that dies mid-task hands
# it back.
CELERY_BROKER_URL = _read("CELERY_BROKER_URL", env.str, default="filesystem://")
# A job task starts items for JOBS_CHUNK_SECONDS (60) and then lets the ones under way finish
# (one upstream call each), so the soft time limit (120) is a safety net, not a schedule; the
# hard limit kills the task 60 seconds after it.
CELERY_TASK_SOFT_TIME_LIMIT = _read("CELERY_TASK_SOFT_TIME_LIMIT", env.int, default=120)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
# The visibility timeout is how long the broker (Redis) waits for a task's acknowledgement before
# handing it to another worker: how long a killed worker's job waits. Acknowledged late, a task
# is unacknowledged for as long as it runs, up to the hard time limit: the timeout must outlive
# that limit or a task still running would run twice. The hard limit plus a minute by default
# (240 s: with Redis's 10 s restore check a killed worker's job resumes within about 4 minutes).
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
    "visibility_timeout": _read(
        "CELERY_VISIBILITY_TIMEOUT", env.int, default=CELERY_TASK_TIME_LIMIT + 60
    ),
}
# The killed-worker tests shorten it below the limit on purpose (their tasks are short).
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= CELERY_TASK_TIME_LIMIT and not TESTING:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_SOFT_TIME_LIMIT + 60 (the "
        "hard time limit), or a task still running would be handed to a second worker"
    )
if JOBS_CHUNK_SECONDS + _LONGEST_CALL >= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"JOBS_CHUNK_SECONDS plus the longest upstream call ({_LONGEST_CALL:g}s with its "
        "retries: PAYTRONIX_CONNECT_TIMEOUT, PAYTRONIX_READ_TIMEOUT, PAYTRONIX_MAX_ATTEMPTS) "
        "must fit inside CELERY_TASK_SOFT_TIME_LIMIT"
    )
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = str(VAR_DIR / "broker")
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": _broker_dir,
        "data_folder_out": _broker_dir,
        "control_folder": str(VAR_DIR / "broker-control"),
        "store_processed": False,
        # The file broker is polled; the default second between polls also delays a stop.
        "polling_interval": 0.2,
    }
CELERY_TASK_ALWAYS_EAGER = _read("CELERY_TASK_ALWAYS_EAGER", _bool, default=TESTING)
CELERY_BEAT_SCHEDULE = {
    "audit-reconcile": {
        "task": "portal.audit.tasks.audit_reconcile_task",
        "schedule": AUDIT_RECONCILE_EVERY,
    },
    "audit-anchor": {
        "task": "portal.audit.tasks.audit_anchor_task",
        "schedule": AUDIT_ANCHOR_INTERVAL,
    },
    "cards-uploads-purge": {
        "task": "cards.tasks.cards_uploads_purge_task",
        "schedule": 60 * 60,
    },
}
CELERY_TASK_EAGER_PROPAGATES = True

# Worker health (portal/worker.py, manage.py workerhealth): the file the worker touches every
# WORKER_HEARTBEAT_SECONDS; the worker's own metrics page (multiprocess, off unless a port).
WORKER_HEARTBEAT_FILE = Path(
    _read("WORKER_HEARTBEAT_FILE", env.str, default=str(VAR_DIR / "worker-heartbeat"))
)
WORKER_HEARTBEAT_SECONDS = _read("WORKER_HEARTBEAT_SECONDS", env.int, default=15)
WORKER_METRICS_PORT = _read("WORKER_METRICS_PORT", env.int, default=0)
WORKER_METRICS_ADDRESS = _read("WORKER_METRICS_ADDRESS", env.str, default="127.0.0.1")
if WORKER_HEARTBEAT_SECONDS < 1:
    raise ImproperlyConfigured("WORKER_HEARTBEAT_SECONDS must be at least 1")


# /metrics answers only to these addresses or networks (a scraper; never the load balancer).
METRICS_ALLOWED_NETWORKS = _read("METRICS_ALLOWED_IPS", _networks, default=["127.0.0.1", "::1"])

# Logs: one JSON object a line in production (python-json-logger), plain lines elsewhere. Every
# record carries the context of portal/logcontext.py; card numbers and emails are masked.
LOG_FORMAT = _read("LOG_FORMAT", env.str, default="json" if PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "portal.logcontext.LogContextFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        },
        "anchor_metrics": {"()": "portal.metrics.AnchorMetricsHandler"},
    },
    "root": {"handlers": ["console"], "level": _read("LOG_LEVEL", env.str, default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # At DEBUG it logs every URL, query string (card number, email) included.
        "urllib3": {"level": "WARNING"},
        # Anchors of the audit chain are kept whatever LOG_LEVEL says: route this logger to a
        # store the application cannot write back to (see README, Security).
        "portal.audit.anchor": {"level": "INFO", "handlers": ["anchor_metrics"]},
    },
}

# Static files in development and tests come straight from the finders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
