"""gunicorn settings of the web process: the Procfile's `web` and `make run` both load this
file (--config gunicorn.conf.py); the port and the number of workers stay on their command
lines ($PORT, $WEB_CONCURRENCY).

gevent workers: each connection is a greenlet, not a thread, so a client that trickles its
headers or body (a slow phone, or slowloris on purpose) costs a few kilobytes while it is
read, instead of a whole sync worker until the 30 s timeout. psycopg 3 waits cooperatively
once gevent has patched the standard library (the worker patches it before it loads the
app), and so do redis-py, RQ's enqueue, Flask-Limiter's storage and the SDKs' HTTP calls.
Measured in bench/slowloris.py; production still belongs behind a buffering proxy (README).
"""
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
# Not preload_app: psycopg picks its cooperative wait only if gevent has patched the
# standard library before psycopg is imported, which the worker does before loading the app.
