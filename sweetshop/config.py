"""Every setting, read from the environment and documented once, here.

| Variable            | Meaning                                                        | Default |
|---------------------|----------------------------------------------------------------|---------|
| SWEETSHOP_ENV       | production, development or testing                             | production |
| SECRET_KEY          | signs sessions and CSRF tokens; production refuses a default    | dev-only value outside production |
| DATABASE_URL        | PostgreSQL URL (postgres://, postgresql://, postgresql+psycopg://) | required (make run starts an embedded one) |
| DB_POOL_SIZE        | connections each web/worker process keeps open to PostgreSQL (see the connection budget in README) | 5 |
| DB_MAX_OVERFLOW     | extra connections a process may open at a peak, closed again after | 5 |
| DB_POOL_TIMEOUT     | whole seconds a request waits for a free connection (or for a full server to take one) before the 503 page | 2 |
| DB_CONNECT_TIMEOUT  | seconds to connect to PostgreSQL (psycopg: at least 2)       | 2 |
| DB_STATEMENT_TIMEOUT | seconds one statement may run on the server (statement_timeout; 0: no limit) | 2.5 |
| DB_LOCK_TIMEOUT     | seconds a statement waits for a row or table lock (lock_timeout; 0: no limit) | 2 |
| DB_ANSWER_TIMEOUT   | seconds to wait for any answer from PostgreSQL before the connection is dropped (bounds a paused server, which cannot enforce statement_timeout; 0: no limit) | 3 |
| DB_PING_AFTER_IDLE  | seconds a pooled connection may sit idle before it is pinged when next taken (a restart or idle timeout may have dropped it); busy ones are not pinged | 1 |
| REDIS_URL           | Redis URL for the job queue and rate limits                    | required (make run starts an embedded one) |
| REDIS_SOCKET_TIMEOUT | seconds a request waits for Redis (connect, then each reply) before going on without it | 0.5 |
| REDIS_BREAKER_SECONDS | after a Redis failure, requests skip Redis this long (limits fail open or closed, jobs wait for the sweeper) | 5 |
| PUBLIC_BASE_URL     | the shop's public address, for links in messages               | http://127.0.0.1:8000 |
| CART_DAYS           | how long a cart cookie lives                                   | 30 |
| MAX_LINE_QUANTITY   | most packs of one kind in a cart line (1 to 999)               | 20 |
| ORDER_MAX_PAISE     | the largest order total (delivery included) taken online, in paise; the cart and checkout say so above it | 20000000 (₹2,00,000) |
| TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN | Twilio credentials; unset: messages go to the log (console backend) | unset |
| TWILIO_SMS_FROM     | the SMS sender number (or use TWILIO_MESSAGING_SERVICE_SID)     | unset |
| TWILIO_MESSAGING_SERVICE_SID | a Messaging Service to send SMS through               | unset |
| TWILIO_WHATSAPP_FROM | the shop's WhatsApp sender, E.164 (e.g. +14155238886)         | unset |
| TWILIO_WA_TEMPLATES | JSON: message kind -> approved Content SID (HX...), for WhatsApp outside the 24-hour window | {} |
| TWILIO_API_BASE     | send Twilio API calls to another host (tests' local fake)      | Twilio's |
| TWILIO_TIMEOUT      | seconds to wait for Twilio (a send that times out is looked up at Twilio before any resend) | 10 |
| TWILIO_VOICE_FROM   | the number owner alert calls come from (a Twilio voice number)   | TWILIO_SMS_FROM |
| VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY | Web Push keys (`flask --app wsgi vapid-keys` makes a pair); unset: no "Alert this device", pushes go to the log | unset |
| VAPID_SUBJECT       | who sends the pushes, for push services to contact (mailto: or https:) | mailto:owner@example.invalid |
| PUSH_TIMEOUT        | seconds to wait for a push service                              | 10 |
| ALERT_CALL_GAP_MINUTES | minutes between the escalation's calls to each alert phone in turn | 2 |
| NOTIFY_MAX_ATTEMPTS | tries for a message before it is marked failed                 | 6 |
| NOTIFY_CLAIM_TIMEOUT | seconds after which a send that never finished is checked and retried | 120 |
| NOTIFY_UNKNOWN_NUMBER_DAILY_CAP | a number that has not verified a code or had an order delivered hears about at most this many orders in 24 hours (more are recorded as not sent); 0: no cap | 3 |
| TRUSTED_PROXIES     | how many reverse proxies (load balancer, Heroku router) sit in front: client addresses and https are then read from X-Forwarded-* | 0 |
| ADMIN_SESSION_MAX_DAYS | an owner's session ends this many days after sign-in, however often used (besides 7 days idle) | 30 |
| PERIODIC_INTERVAL   | seconds between runs of the periodic sweeper (flask periodic)  | 30 |
| CLOUDINARY_URL      | cloudinary://KEY:SECRET@CLOUD: product photos go to Cloudinary; unset: stored in instance/uploads/ | unset |
| CLOUDINARY_TIMEOUT  | seconds to wait for a Cloudinary upload or delete              | 20 |
| UPLOAD_DIR          | folder for product photos when CLOUDINARY_URL is unset         | instance/uploads |
| RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET | Razorpay API keys; both set: checkout offers "Pay online"; unset: cash on delivery only | unset |
| RAZORPAY_WEBHOOK_SECRET | the secret set for our webhook in Razorpay's dashboard; unset: /webhooks/razorpay refuses everything | unset |
| RAZORPAY_API_BASE   | send Razorpay API calls to another host (tests' local fake)    | https://api.razorpay.com |
| RAZORPAY_TIMEOUT    | seconds to wait for Razorpay's API                             | 10 |
| PAYMENT_EXPIRY_MINUTES | an unpaid online order expires (stock back on the shelf) after this long | 20 |
| PAYMENT_UNOPENED_EXPIRY_MINUTES | ... or after this long if its payment page was never opened (a script placing orders to hold stock) | 5 |
| PAYMENT_HOLDS_PER_PHONE | orders awaiting online payment at once for one phone number; more: checkout asks to pay one first or choose cash on delivery | 2 |
| PAYMENT_HOLDS_PER_DEVICE | the same, per device (the cart cookie) | 2 |
| PAYMENT_HOLDS_PER_NETWORK | the same, per client network (IPv4 address, IPv6 /64; many customers can share one behind a mobile carrier's NAT) | 5 |
| REFUND_CLAIM_TIMEOUT | seconds after which a refund whose request to Razorpay never finished is looked up at Razorpay (then sent again if absent); above RAZORPAY_TIMEOUT | 120 |
| LOG_FORMAT          | json or text: one line per event (JSON for a log collector, text for people) | json in production, else text |
| LOG_LEVEL           | the lowest level written (DEBUG, INFO, WARNING, ...)           | INFO |
| SENTRY_DSN          | report errors (requests and jobs) to Sentry, scrubbed of personal data; unset: nothing is sent | unset |
| SENTRY_RELEASE      | the release reported to Sentry                                 | the git commit (SOURCE_VERSION, HEROKU_SLUG_COMMIT or `git rev-parse HEAD`) |
| SENTRY_TRACES_SAMPLE_RATE | share of requests traced for performance (0 to 1)        | 0 |
| METRICS_TOKEN       | /metrics answers a request with `Authorization: Bearer <token>` | unset |
| METRICS_ALLOWED_NETWORKS | /metrics also answers these addresses (comma-separated, e.g. 127.0.0.1/32,10.0.0.0/8); with neither setting /metrics is closed (404) | unset |
| BACKUP_DIR          | where `flask backup` writes its archives                       | instance/backups |
| BACKUP_S3_URL       | s3://bucket/prefix: backups are also uploaded there (boto3; credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) | unset |
| BACKUP_S3_ENDPOINT_URL | an S3-compatible service's endpoint (Backblaze B2, Cloudflare R2, MinIO, ...) | AWS |
| BACKUP_KEEP_DAILY   | backups kept: the newest of each of this many days...          | 7 |
| BACKUP_KEEP_MONTHLY | ...and the newest of each of this many months                 | 12 |
| BACKUP_AT           | HH:MM (Asia/Kolkata): the clock process (flask periodic) makes the day's backup after this time; unset: no nightly backup | unset |
"""
from __future__ import annotations

import json
import os

DEV_SECRET = "dev-only-not-secret"


def _database_url(raw: str | None) -> str | None:
    """Accept the URL forms hosts hand out and point SQLAlchemy at psycopg 3."""
    if not raw:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def _is_clock_time(value: str) -> bool:
    hours, _, minutes = value.partition(":")
    return (hours.isdigit() and minutes.isdigit() and len(minutes) == 2
            and 0 <= int(hours) < 24 and 0 <= int(minutes) < 60)


class Config:
    def __init__(self, env: dict[str, str] | None = None):
        env = dict(os.environ if env is None else env)
        self.ENV_NAME = env.get("SWEETSHOP_ENV", "production")
        self.SECRET_KEY = env.get("SECRET_KEY") or DEV_SECRET
        self.SQLALCHEMY_DATABASE_URI = _database_url(env.get("DATABASE_URL"))
        # Pool and time limits: sweetshop/database.py turns these into engine options.
        self.DB_POOL_SIZE = int(env.get("DB_POOL_SIZE", "5"))
        self.DB_MAX_OVERFLOW = int(env.get("DB_MAX_OVERFLOW", "5"))
        self.DB_POOL_TIMEOUT = int(env.get("DB_POOL_TIMEOUT", "2"))  # whole seconds (SQLAlchemy)
        self.DB_CONNECT_TIMEOUT = float(env.get("DB_CONNECT_TIMEOUT", "2"))
        self.DB_STATEMENT_TIMEOUT = float(env.get("DB_STATEMENT_TIMEOUT", "2.5"))
        self.DB_LOCK_TIMEOUT = float(env.get("DB_LOCK_TIMEOUT", "2"))
        self.DB_ANSWER_TIMEOUT = float(env.get("DB_ANSWER_TIMEOUT", "3"))
        self.DB_PING_AFTER_IDLE = float(env.get("DB_PING_AFTER_IDLE", "1"))
        self.REDIS_URL = env.get("REDIS_URL", "redis://127.0.0.1:6379/0")
        self.REDIS_SOCKET_TIMEOUT = float(env.get("REDIS_SOCKET_TIMEOUT", "0.5"))
        self.REDIS_BREAKER_SECONDS = float(env.get("REDIS_BREAKER_SECONDS", "5"))
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        self.CART_DAYS = int(env.get("CART_DAYS", "30"))
        self.MAX_LINE_QUANTITY = int(env.get("MAX_LINE_QUANTITY", "20"))
        self.ORDER_MAX_PAISE = int(env.get("ORDER_MAX_PAISE", "20000000"))
        self.TWILIO_ACCOUNT_SID = env.get("TWILIO_ACCOUNT_SID")
        self.TWILIO_AUTH_TOKEN = env.get("TWILIO_AUTH_TOKEN")
        self.TWILIO_SMS_FROM = env.get("TWILIO_SMS_FROM")
        self.TWILIO_MESSAGING_SERVICE_SID = env.get("TWILIO_MESSAGING_SERVICE_SID")
        self.TWILIO_WHATSAPP_FROM = env.get("TWILIO_WHATSAPP_FROM")
        self.TWILIO_WA_TEMPLATES = json.loads(env.get("TWILIO_WA_TEMPLATES") or "{}")
        self.TWILIO_API_BASE = env.get("TWILIO_API_BASE")
        self.TWILIO_TIMEOUT = float(env.get("TWILIO_TIMEOUT", "10"))
        self.TWILIO_VOICE_FROM = env.get("TWILIO_VOICE_FROM") or None
        self.VAPID_PUBLIC_KEY = env.get("VAPID_PUBLIC_KEY") or None
        self.VAPID_PRIVATE_KEY = env.get("VAPID_PRIVATE_KEY") or None
        self.VAPID_SUBJECT = env.get("VAPID_SUBJECT") or "mailto:owner@example.invalid"
        self.PUSH_TIMEOUT = float(env.get("PUSH_TIMEOUT", "10"))
        self.ALERT_CALL_GAP_MINUTES = int(env.get("ALERT_CALL_GAP_MINUTES", "2"))
        self.NOTIFY_MAX_ATTEMPTS = int(env.get("NOTIFY_MAX_ATTEMPTS", "6"))
        self.NOTIFY_CLAIM_TIMEOUT = int(env.get("NOTIFY_CLAIM_TIMEOUT", "120"))
        self.NOTIFY_UNKNOWN_NUMBER_DAILY_CAP = int(env.get("NOTIFY_UNKNOWN_NUMBER_DAILY_CAP", "3"))
        self.ADMIN_SESSION_MAX_DAYS = int(env.get("ADMIN_SESSION_MAX_DAYS", "30"))
        self.PERIODIC_INTERVAL = int(env.get("PERIODIC_INTERVAL", "30"))
        self.TRUSTED_PROXIES = int(env.get("TRUSTED_PROXIES", "0"))
        # CSRF tokens live as long as the session: a phone left on a form for hours still works.
        self.WTF_CSRF_TIME_LIMIT = None
        self.MAX_CONTENT_LENGTH = 6 * 1024 * 1024  # photos are at most 5 MB, plus form overhead
        self.CLOUDINARY_URL = env.get("CLOUDINARY_URL") or None
        self.CLOUDINARY_TIMEOUT = float(env.get("CLOUDINARY_TIMEOUT", "20"))
        # Local photo store when CLOUDINARY_URL is unset (None: <instance>/uploads).
        self.UPLOAD_DIR = env.get("UPLOAD_DIR") or None
        self.COMPRESS_ALGORITHM = ["br", "gzip"]
        self.COMPRESS_MIN_SIZE = 500
        self.COMPRESS_ALGORITHM_STREAMING = ["br", "deflate"]  # static files are streamed
        self.COMPRESS_MIMETYPES = ["text/html", "text/css", "text/javascript",
                                   "application/javascript", "application/json", "image/svg+xml"]
        self.RAZORPAY_KEY_ID = env.get("RAZORPAY_KEY_ID") or None
        self.RAZORPAY_KEY_SECRET = env.get("RAZORPAY_KEY_SECRET") or None
        self.RAZORPAY_WEBHOOK_SECRET = env.get("RAZORPAY_WEBHOOK_SECRET") or None
        self.RAZORPAY_API_BASE = (env.get("RAZORPAY_API_BASE")
                                  or "https://api.razorpay.com").rstrip("/")
        self.RAZORPAY_TIMEOUT = float(env.get("RAZORPAY_TIMEOUT", "10"))
        self.PAYMENT_EXPIRY_MINUTES = int(env.get("PAYMENT_EXPIRY_MINUTES", "20"))
        self.PAYMENT_UNOPENED_EXPIRY_MINUTES = int(env.get("PAYMENT_UNOPENED_EXPIRY_MINUTES", "5"))
        self.PAYMENT_HOLDS_PER_PHONE = int(env.get("PAYMENT_HOLDS_PER_PHONE", "2"))
        self.PAYMENT_HOLDS_PER_DEVICE = int(env.get("PAYMENT_HOLDS_PER_DEVICE", "2"))
        self.PAYMENT_HOLDS_PER_NETWORK = int(env.get("PAYMENT_HOLDS_PER_NETWORK", "5"))
        self.REFUND_CLAIM_TIMEOUT = int(env.get("REFUND_CLAIM_TIMEOUT", "120"))
        self.LOG_FORMAT = env.get("LOG_FORMAT") or None
        self.LOG_LEVEL = env.get("LOG_LEVEL") or "INFO"
        self.SENTRY_DSN = env.get("SENTRY_DSN") or None
        self.SENTRY_RELEASE = env.get("SENTRY_RELEASE") or None
        self.SENTRY_TRACES_SAMPLE_RATE = float(env.get("SENTRY_TRACES_SAMPLE_RATE") or 0)
        self.METRICS_TOKEN = env.get("METRICS_TOKEN") or None
        self.METRICS_ALLOWED_NETWORKS = env.get("METRICS_ALLOWED_NETWORKS") or ""
        self.BACKUP_DIR = env.get("BACKUP_DIR") or None  # None: <instance>/backups
        self.BACKUP_S3_URL = env.get("BACKUP_S3_URL") or None
        self.BACKUP_S3_ENDPOINT_URL = env.get("BACKUP_S3_ENDPOINT_URL") or None
        self.BACKUP_KEEP_DAILY = int(env.get("BACKUP_KEEP_DAILY", "7"))
        self.BACKUP_KEEP_MONTHLY = int(env.get("BACKUP_KEEP_MONTHLY", "12"))
        self.BACKUP_AT = env.get("BACKUP_AT") or None
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.ENV_NAME == "production"
        self.TESTING = self.ENV_NAME == "testing"

    def validate(self) -> None:
        if self.ENV_NAME == "production" and self.SECRET_KEY in ("", DEV_SECRET):
            raise RuntimeError("SECRET_KEY must be set to a long random value in production")
        if len(self.SECRET_KEY) < 16 and self.ENV_NAME == "production":
            raise RuntimeError("SECRET_KEY is too short for production")
        if self.REFUND_CLAIM_TIMEOUT <= self.RAZORPAY_TIMEOUT:
            # Else a refund still waiting for Razorpay's answer would be looked up and resent.
            raise RuntimeError("REFUND_CLAIM_TIMEOUT must be longer than RAZORPAY_TIMEOUT")
        if not 1 <= self.MAX_LINE_QUANTITY <= 999:
            raise RuntimeError("MAX_LINE_QUANTITY must be between 1 and 999 packs")
        if self.ORDER_MAX_PAISE < 100:
            raise RuntimeError("ORDER_MAX_PAISE must be at least 100 paise (₹1)")
        if self.LOG_FORMAT and self.LOG_FORMAT.lower() not in ("json", "text"):
            raise RuntimeError("LOG_FORMAT must be json or text")
        if self.BACKUP_AT and not _is_clock_time(self.BACKUP_AT):
            raise RuntimeError("BACKUP_AT must be a time of day, HH:MM (Asia/Kolkata)")
        if self.BACKUP_KEEP_DAILY < 1 or self.BACKUP_KEEP_MONTHLY < 0:
            raise RuntimeError("BACKUP_KEEP_DAILY must be at least 1, BACKUP_KEEP_MONTHLY 0 or more")
        if not self.SQLALCHEMY_DATABASE_URI:
            raise RuntimeError("DATABASE_URL is not set (make run starts an embedded PostgreSQL)")

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
