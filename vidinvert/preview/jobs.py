"""Background work the page starts and polls: a thread per job, its progress, its result or one-line error."""

from __future__ import annotations

import itertools
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from vidinvert.errors import VidinvertError

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """The job was stopped (the server is shutting down)."""


@dataclass
class Job:
    """One job's state, as the page polls it."""

    id: int
    kind: str
    total: int = 0
    done: int = 0
    error: str | None = None
    finished: bool = False
    result: Any = None
    stop: threading.Event = field(default_factory=threading.Event)

    def step(self) -> None:
        """One unit of work done; raises Cancelled once the job is asked to stop."""
        if self.stop.is_set():
            raise Cancelled
        self.done += 1

    def status(self) -> dict:
        return {"id": self.id, "kind": self.kind, "total": self.total, "done": self.done, "error": self.error,
                "finished": self.finished}


class Jobs:
    """The jobs of one server; `close` stops them and waits for their threads."""

    def __init__(self) -> None:
        self._jobs: dict[int, Job] = {}
        self._threads: list[threading.Thread] = []
        self._ids = itertools.count(1)

    def start(self, kind: str, total: int, work: Callable[[Job], Any]) -> Job:
        job = Job(next(self._ids), kind, total)
        self._jobs[job.id] = job
        thread = threading.Thread(target=self._run, args=(job, work), name=f"preview-{kind}-{job.id}", daemon=True)
        self._threads.append(thread)
        thread.start()
        return job

    def get(self, job_id: int) -> Job:
        if job_id not in self._jobs:
            raise VidinvertError(f"no job {job_id}")
        return self._jobs[job_id]

    def close(self) -> None:
        for job in self._jobs.values():
            job.stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    @staticmethod
    def _run(job: Job, work: Callable[[Job], Any]) -> None:
        try:
            job.result = work(job)
        except Cancelled:
            job.error = "stopped"
        except VidinvertError as exc:
            job.error = str(exc).splitlines()[0]
            log.error("%s: %s", job.kind, job.error)
        except Exception as exc:  # noqa: BLE001 - the page gets one line; the server keeps running
            job.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            log.exception("%s failed", job.kind)
        finally:
            job.finished = True
