"""The RQ worker class used by the Procfile and `make run`.

RQ forks a work-horse for every job. Building the app once in the worker, before the
fork, lets every job inherit it instead of importing and building it again (about 0.7 s
a job here). No connection is opened before the fork: the database pool and the Redis
client connect lazily, inside each work-horse.
"""
from rq import Worker as RQWorker


class Worker(RQWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .jobs import _app

        _app()
