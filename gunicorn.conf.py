"""gunicorn settings shared by `make run`, `make serve`, the tests' servers and `make bench`
(command-line flags override them).

gevent workers: an open live stream (server-sent events, /events/<id>/stream) is a greenlet, not
a thread, so a hall of a thousand screens fits in a few workers (measured by `make bench`).
psycopg 3 and redis-py cooperate with gevent; SQLite calls are short and run in place.
"""
import gc
import threading

# The app's imports (SQLAlchemy models, pandas, scikit-learn) leave a few million long-lived
# objects; with the default thresholds a request's allocations set off collections that walk
# them again and again (a third of a support's CPU, benchmarks/profile_app.py). Collect less
# often, and never walk what the worker loaded at start (gc.freeze, after the warm-up too).
GC_THRESHOLDS = (50_000, 50, 100)


def freeze_loaded_objects():
    gc.collect()
    gc.freeze()

worker_class = "gevent"
worker_connections = 1000
# An idle keep-alive connection stays open longer than nginx keeps its upstream ones
# (deploy/nginx-strategy.conf: keepalive_timeout 60s), so nginx never sends a request on a
# socket gunicorn is closing: a POST on such a socket is reset, and nginx does not retry a POST
# (a 502 for a support). A phone between two taps gains the same. Gunicorn's default is 2 s.
keepalive = 75
timeout = 120
graceful_timeout = 10


def post_worker_init(worker):
    """Warm the similarity hint's text models in the background once a worker has started."""
    if getattr(worker.wsgi, "import_name", "") != "strategy":
        return  # another app with the same settings (make bench's bare app)
    gc.set_threshold(*GC_THRESHOLDS)
    freeze_loaded_objects()

    def warm():
        with worker.wsgi.app_context():
            from strategy.moderation.queries import warm_up_similarity

            warm_up_similarity()
        freeze_loaded_objects()

    try:
        import gevent
        from gevent import monkey
    except ImportError:
        gevent = None
    if gevent is not None and monkey.is_module_patched("threading"):
        # A greenlet would hold the worker's loop for the whole CPU-bound warm-up; gevent's
        # pool of real threads lets requests go on meanwhile.
        gevent.get_hub().threadpool.spawn(warm)
    else:
        threading.Thread(target=warm, name="warm-similarity", daemon=True).start()
