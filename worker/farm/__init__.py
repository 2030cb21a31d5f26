"""The farm side of a worker, loaded by name: ``celery_app`` (the Celery app; ``celery -A
oxcook.worker.farm.celery_app``), ``keys`` (Redis key and task names, shared with the
coordinator's farm backend) and ``redis_clients`` (clients for big values)."""
