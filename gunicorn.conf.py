"""gunicorn settings of the web process: the Procfile's `web`, the systemd unit in deploy/
and `make run` all load this file (--config gunicorn.conf.py); the port and the number of
workers stay on their command lines ($PORT, $WEB_CONCURRENCY). Why each value is what it
is, for production, is also in docs/operations.md ("gunicorn").

gevent workers: each connection is a greenlet, not a thread, so a client that trickles its
headers or body (a slow phone, or slowloris on purpose) costs a few kilobytes while it is
read, instead of a whole sync worker until the 30 s timeout. psycopg 3 waits cooperatively
once gevent has patched the standard library (the worker patches it before it loads the
app), and so do redis-py, RQ's enqueue, Flask-Limiter's storage and the SDKs' HTTP calls.
Measured in bench/slowloris.py; production still belongs behind a buffering proxy (Caddy in
deploy/, or the host's router), which reads whole requests before passing them on.

Workers: WEB_CONCURRENCY (3 by default) = cores + 1 on the 1-2 core machine the shop runs
on. The work is mostly waiting on PostgreSQL, Redis and Twilio/Razorpay, which gevent
overlaps inside one worker; more processes only help with CPU (templates, compression)
and each one holds its own database pool (the connection budget in README).

Metrics: prometheus_client's multiprocess mode. PROMETHEUS_MULTIPROC_DIR is set here, in
the master, before any worker imports the app, to a folder of this master's own (two
instances on one machine do not mix their numbers); it is emptied at start, a dead
worker's files are marked (child_exit), and the folder is removed at exit.
"""
import os
import shutil
import tempfile

worker_class = "gevent"
# Connections one worker holds at once (greenlets). The database is protected separately:
# at most DB_POOL_SIZE + DB_MAX_OVERFLOW of them use a connection, the rest wait up to
# DB_POOL_TIMEOUT and then get the 503 page.
worker_connections = 1000
timeout = 30            # a worker that stops answering its heartbeat (a CPU loop) is replaced
graceful_timeout = 20   # SIGTERM: requests in flight may finish
# Seconds an idle keep-alive connection is kept. gevent workers also give every request
# this long to finish its headers, so a client that trickles them is cut off after 5 s; one
# that trickles a body holds only its greenlet (and the proxy in front stops those).
keepalive = 5
# A worker is replaced after about this many requests (jitter: not all at once), so slow
# growth (Pillow's decoding buffers, fragmentation) cannot build up over weeks.
max_requests = 2000
max_requests_jitter = 200
# X-Forwarded-Proto is believed from these addresses only (gunicorn reads
# FORWARDED_ALLOW_IPS itself); the app's own ProxyFix counts TRUSTED_PROXIES hops.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Not preload_app: psycopg picks its cooperative wait only if gevent has patched the
# standard library before psycopg is imported, which the worker does before loading the app.

_metrics_dir_given = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.path.join(
    tempfile.gettempdir(), f"sweetshop-metrics-{os.getpid()}")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server):
    # Files left by an earlier run would be added to this one's counts.
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    os.makedirs(_metrics_dir, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if not _metrics_dir_given:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
