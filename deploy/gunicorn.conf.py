"""gunicorn in production: `gunicorn -c deploy/gunicorn.conf.py courseproj.wsgi`.

Every value can be overridden on the command line; the environment variables
below are listed in the README's configuration table.
"""
import multiprocessing
import os

bind = f"{os.environ.get('GUNICORN_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"

# Sync workers, one request at a time each: the views are short and CPU-bound
# (templates, the ORM), so processes, not threads, use the cores. 2 x cores + 1
# is gunicorn's advice: one process computes while another waits on
# PostgreSQL. WEB_CONCURRENCY overrides it (gunicorn's own convention).
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 1)

# The slowest requests: the matcher in a web request stops at 10 s, an upload
# of the largest allowed file is read and checked in a few seconds, and a
# frozen Redis makes a publish give up after at most 8 s. A worker silent for
# 60 s is stuck, not slow: gunicorn kills and replaces it.
timeout = 60
# On a restart or deploy, requests in flight get this long to finish.
graceful_timeout = 30
# Behind a load balancer or proxy that reuses connections (set it shorter than
# the proxy's own idle timeout, which nginx puts at 60 s).
keepalive = 5

# A fresh process now and then: pandas and scikit-learn keep memory a page
# imported once; the jitter keeps the workers from restarting together.
max_requests = 2000
max_requests_jitter = 200

# The workers' heartbeat files in memory: a slow or full disk must not make
# gunicorn think a worker hung (the Docker default /tmp is an overlay).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# One access line per request, with the id that every application log line of
# the same request carries (courseproj/logcontext.py sets X-Request-ID on the
# response) and the time taken in milliseconds.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request=%({x-request-id}o)s "%(a)s"'
