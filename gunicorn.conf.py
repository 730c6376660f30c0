"""gunicorn settings read by `make run` and `make serve` (command-line flags override them)."""
import threading


def post_worker_init(worker):
    """Warm the similarity hint's text models in the background once a worker has started."""

    def warm():
        with worker.wsgi.app_context():
            from strategy.moderation.queries import warm_up_similarity

            warm_up_similarity()

    threading.Thread(target=warm, name="warm-similarity", daemon=True).start()
