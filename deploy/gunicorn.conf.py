"""gunicorn in production: `gunicorn -c deploy/gunicorn.conf.py courseproj.asgi:application`.

Every value can be overridden on the command line; the environment variables
below are listed in the README's configuration table.
"""
import multiprocessing
import os

bind = f"{os.environ.get('GUNICORN_HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"

# ASGI workers (uvicorn's event loop, courseproj/serving.py): the projector and
# the phones hold a server-sent event stream each while the activity runs, and
# a stream waits most of its life. A sync worker would spend a whole process on
# each of 1,000 phones; an event loop holds them all, and one background read
# per process and change (matching/live.py) feeds every stream it holds.
worker_class = "courseproj.serving.Worker"
# The views are short and CPU-bound (templates, the ORM), so processes, not
# threads, use the cores. 2 x cores + 1 is gunicorn's advice: one process
# computes while another waits on PostgreSQL. WEB_CONCURRENCY overrides it
# (gunicorn's own convention).
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# Threads per process that run the (synchronous) views, one request at a time
# each, each with its own persistent database connection: two, so a slow
# request (the matcher's 10 s) does not hold up the requests queued behind it
# in its process. Connections per web process: threads + 1 (the live board's read).
threads = int(os.environ.get("GUNICORN_THREADS") or 2)

# The slowest requests: the matcher in a web request stops at 10 s, an upload
# of the largest allowed file is read and checked in a few seconds, and a
# frozen Redis makes a publish give up after at most 8 s. A worker whose event
# loop is silent for 60 s is stuck, not slow: gunicorn kills and replaces it.
# (The loop answers gunicorn's heartbeat while the views run on their threads.)
timeout = 60
# On a restart or deploy, requests in flight get this long to finish; event
# streams are ended at once (the browsers reconnect to another worker).
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
# response) and the time taken in milliseconds (a stream's line is written
# when it ends). courseproj/serving.py writes it in this format.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request=%({x-request-id}o)s "%(a)s"'


def post_worker_init(worker):
    """Load the similarity code (scikit-learn, about 2 s) when a worker starts, not during the first
    lonely pick it serves: that pick's board would reach the projector seconds late."""
    import matching.similarity  # noqa: F401
