"""The one settings module.

Every deployment choice comes from the environment through the strict helpers of
``qitong.env``: no configuration at all gives the embedded deployment (SQLite in
``QITONG_DATA_DIR``, background jobs in-process); ``QITONG_DATABASE_URL`` and
``QITONG_REDIS_URL`` give the production one (PostgreSQL, Celery on Redis).
A wrong value stops the start with a message naming the variable.
"""

from pathlib import Path

from django.utils.translation import gettext_lazy as _

from qitong import env

BASE_DIR = Path(__file__).resolve().parent

DEBUG = env.boolean("QITONG_DEBUG", default=False)
DATA_DIR = env.directory("QITONG_DATA_DIR", default=Path.cwd() / "var")
SECRET_KEY = env.secret_key("QITONG_SECRET_KEY", debug=DEBUG)
ALLOWED_HOSTS = env.host_list(
    "QITONG_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.url_list("QITONG_CSRF_TRUSTED_ORIGINS", default=[])
REDIS_URL = env.redis_url("QITONG_REDIS_URL")
# Embedded mode: no Redis, so ``serve`` runs the periodic jobs in its own process.
EMBEDDED = REDIS_URL is None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "qitong.core",
    "qitong.orgs",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "qitong.orgs.second_factor",
    "qitong.audit",
    "qitong.enterprises",
    "qitong.appeals",
    "qitong.policies",
    "qitong.assessment",
    "qitong.projects",
    "qitong.visits",
    "qitong.integrations",
    "qitong.dispatch",
    "qitong.notify",
    "qitong.dashboard",
    "qitong.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # CSP, Permissions-Policy, and no-store for logged-in users (core/security.py).
    "qitong.core.security.SecurityHeadersMiddleware",
    # Before anything reads the session, the query or the form: refuses NUL characters.
    "qitong.core.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Keeps the request for the audit trail; records downloads, creations, refusals
    # (outside the session and rate-limit middleware, so it sees what they refuse).
    "qitong.audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff sessions: the idle timeout and the password's age (orgs/sessions.py).
    "qitong.orgs.sessions.StaffSessionMiddleware",
    # Rate limits on login, filing, urging and the public endpoints (core/ratelimit.py).
    "qitong.core.ratelimit.RateLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "qitong.urls"
WSGI_APPLICATION = "qitong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qitong.orgs.context_processors.navigation",
                "qitong.orgs.second_factor.context_processors.second_factor",
                "qitong.notify.context_processors.unread",
            ],
        },
    },
]

DATABASES = {"default": env.database("QITONG_DATABASE_URL", sqlite_path=DATA_DIR / "qitong.db")}
# Prepared statements on the hottest paths (core/prepared.py); off for a pooler that cannot keep them.
QITONG_DATABASE_PREPARED = env.boolean("QITONG_DATABASE_PREPARED", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "orgs.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The password policy (qitong.orgs.passwords): at least 8 characters of three
# classes, not the username, not common, none of the last 5; staff roles change it
# every QITONG_PASSWORD_MAX_AGE_DAYS (0: never), and their sessions end after
# QITONG_STAFF_IDLE_MINUTES without a request (0: no idle limit).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "qitong.orgs.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "qitong.orgs.passwords.UsernameValidator"},
    {"NAME": "qitong.orgs.passwords.HistoryValidator", "OPTIONS": {"remembered": 5}},
]
QITONG_PASSWORD_MAX_AGE_DAYS = env.integer("QITONG_PASSWORD_MAX_AGE_DAYS", default=90, minimum=0)
QITONG_STAFF_IDLE_MINUTES = env.integer("QITONG_STAFF_IDLE_MINUTES", default=30, minimum=0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# The audit trail keeps its rows this many days (never fewer than 180: 等保 2.0 level 3).
QITONG_AUDIT_RETENTION_DAYS = env.integer("QITONG_AUDIT_RETENTION_DAYS", default=180, minimum=180)
# Staff's second factor at login (TOTP): off, optional (enrolled staff are asked) or
# required (staff enrol at their next login); qitong.orgs.second_factor.factors.
QITONG_STAFF_2FA = env.string("QITONG_STAFF_2FA", default="optional").strip().lower()
OTP_TOTP_ISSUER = "企通"
# The admin never shows a user's TOTP secret (its QR code would let an administrator carry
# a copy of someone's second factor); its QR-code pages answer 403.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Failed logins are counted per username and address, per address and per
# username, each with its own limit and window (qitong.orgs.lockout.RULES, where
# the trade-offs are explained); axes locks when any rule does ("failures" there
# are the number of rules whose limit is reached, hence the limit of 1).
AXES_HANDLER = "qitong.orgs.lockout.LoginGuard"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address", "username"]
AXES_FAILURE_LIMIT = 1
AXES_COOLOFF_TIME = 0.25  # hours: the longest window; older failures are deleted
AXES_RESET_ON_SUCCESS = True
# A refused attempt is not counted: hammering a lock neither prolongs it nor
# feeds the other rules.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "qitong.orgs.lockout.lockout_response"
AXES_VERBOSE = False
# Log lines name the username and the client's address (never the password).
AXES_SENSITIVE_PARAMETERS = []
# The client's address: REMOTE_ADDR, unless the operator declares how many
# reverse proxies stand in front (QITONG_TRUSTED_PROXIES). Each proxy appends
# the address it received the request from to X-Forwarded-For, so the client
# is the N-th address from the right; ipware counts the proxies listed before
# it (N - 1), and must not be strict, or a client sending its own
# X-Forwarded-For would be taken for the proxy and lock everyone out with it.
TRUSTED_PROXIES = env.proxy_count("QITONG_TRUSTED_PROXIES")
if TRUSTED_PROXIES:
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXIES - 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)
else:
    AXES_IPWARE_PROXY_COUNT = None
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
AXES_IPWARE_PROXY_ORDER = "left-most"
IPWARE_STRICT = False

# Chinese is the source language of every string and the default; English is
# offered (by the browser's Accept-Language) only when QITONG_LANGUAGES lists it,
# so a browser asking for English never gets a page of mixed languages.
LANGUAGE_CODE = "zh-hans"
LANGUAGE_NAMES = {"zh-hans": _("简体中文"), "en": _("English")}
LANGUAGES = [
    (code, LANGUAGE_NAMES[code])
    for code in env.language_list("QITONG_LANGUAGES", known=LANGUAGE_NAMES, required=LANGUAGE_CODE)
]
# The English catalogue of our strings, and Chinese for third-party strings
# that ship without it (django-axes, a few of Django's admin).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "uploads"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders too, so a fresh checkout works
# before anyone has run collectstatic.
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = env.proxy_ssl_header("QITONG_PROXY_SSL_HEADER")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.boolean("QITONG_SECURE_COOKIES", default=False)
# QITONG_SECURE_COOKIES says the site is served over HTTPS only (TLS here or at
# the balancer, which then sets QITONG_PROXY_SSL_HEADER): plain HTTP is
# redirected to HTTPS (except /healthz, for the balancer's probe), and browsers
# are told to use HTTPS only for QITONG_HSTS_SECONDS (a year by default; 0 turns
# HSTS off), this host and the hosts under it.
if SESSION_COOKIE_SECURE:
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.integer("QITONG_HSTS_SECONDS", default=365 * 24 * 3600, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env.string("QITONG_EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.integer("QITONG_EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.string("QITONG_EMAIL_FROM", default="qitong@localhost")

# Notifications by SMS through the provider's HTTP gateway (requests signed with
# HMAC-SHA256 over the provider's key) and by WeCom group robots (notify/channels.py).
# SMS is off while QITONG_SMS_URL is empty; QITONG_SMS_TEMPLATES maps message kinds to
# the provider's template ids ("default=SMS_1,urge=SMS_2"), checked by `qitong check`.
QITONG_SMS_URL = next(iter(env.url_list("QITONG_SMS_URL", default=[])), "")
QITONG_SMS_KEY_ID = env.string("QITONG_SMS_KEY_ID", default="")
QITONG_SMS_SECRET = env.string("QITONG_SMS_SECRET", default="")
QITONG_SMS_TEMPLATES = env.string("QITONG_SMS_TEMPLATES", default="")
# The hosts a unit's group robot address may name (the platform posts to it).
QITONG_WECOM_HOSTS = env.host_list("QITONG_WECOM_HOSTS", default=["qyapi.weixin.qq.com"])

REST_FRAMEWORK = {
    # DRF's parsers, refusing bodies nested too deep and text holding NUL.
    "DEFAULT_PARSER_CLASSES": [
        "qitong.core.parsers.JSONParser",
        "qitong.core.parsers.FormParser",
        "qitong.core.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "qitong.core.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "qitong.core.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "qitong.core.api.exception_handler",
}
# Rate limits as rule=limit/seconds pairs over the defaults of qitong.core.ratelimit
# (login=20/60,filing=20/60,urge=2/600,public=120/60); a limit of 0 turns a rule off.
QITONG_RATE_LIMITS = env.string("QITONG_RATE_LIMITS", default="")
# An API token works this many days after it is issued (0: until revoked).
QITONG_API_TOKEN_DAYS = env.integer("QITONG_API_TOKEN_DAYS", default=90, minimum=0)
SPECTACULAR_SETTINGS = {
    "TITLE": "Qitong API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema maps every endpoint: only for users who are logged in (or hold a token).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"forbidden": {"()": "qitong.core.security.ForbiddenWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.string("QITONG_LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # A refused request (403) is logged in one line, without a traceback.
        "django.request": {"filters": ["forbidden"]},
    },
}

# The "repeated" supervision trigger: the same enterprise filing this many
# appeals of one category within these days, or this many enterprises one
# category within these days.
QITONG_REPEATED_BY_ONE = {"appeals": env.integer("QITONG_REPEATED_BY_ONE", default=3), "days": 30}
QITONG_REPEATED_BY_MANY = {
    "enterprises": env.integer("QITONG_REPEATED_BY_MANY", default=5),
    "days": 7,
}
# Largest attachment accepted, in bytes.
QITONG_MAX_UPLOAD = 20 * 1024 * 1024
# An export of more rows than this runs as a background job (its file in the inbox).
QITONG_EXPORT_JOB_ROWS = env.integer("QITONG_EXPORT_JOB_ROWS", default=100_000, minimum=0)
# The 12345 callbacks: attempts before a callback is dead (replayed from the admin), and the
# first retry's delay in seconds, doubled after each failure up to an hour.
QITONG_CALLBACK_ATTEMPTS = env.integer("QITONG_CALLBACK_ATTEMPTS", default=10, minimum=1)
QITONG_CALLBACK_FIRST_RETRY_SECONDS = env.integer(
    "QITONG_CALLBACK_FIRST_RETRY_SECONDS", default=30, minimum=1
)
# Open311's one jurisdiction: a request naming another jurisdiction_id is 404.
QITONG_OPEN311_JURISDICTION = env.string("QITONG_OPEN311_JURISDICTION", default="jinan.gov.cn")
