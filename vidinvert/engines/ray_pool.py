"""A pool of Ray actors that each load their models once and take videos one at a time.

One place for what `batch` and `eval` share on Ray: connecting (or starting Ray on this machine),
the resources a video asks for (a fraction of a GPU when CUDA is used, CPUs otherwise), the pool
size, retries of a video whose worker died, and the driver's loop that hands out the next video
as each one ends. Ray is imported only here, only when asked for.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from vidinvert.errors import VidinvertError

log = logging.getLogger(__name__)

ENGINES = ("local", "ray")
#: Environment variables of the driver that the workers get too (weights store, directions, test hooks).
FORWARDED_PREFIX = "VIDINVERT_"
#: Seconds to wait for the cluster's address to answer before giving up.
CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True)
class RayOptions:
    """How the Ray engine runs: where the cluster is and what each video asks of it.

    `workers` None: as many actors as the cluster's GPUs (or CPUs) fit at the per-video request.
    `retries`: how often a video is run again after its worker process died.
    """

    address: str | None = None
    workers: int | None = None
    gpus_per_video: float = 1.0
    cpus_per_video: float = 1.0
    retries: int = 2

    def __post_init__(self) -> None:
        if not self.gpus_per_video > 0 or not self.cpus_per_video > 0:
            raise VidinvertError("--gpus-per-video and --cpus-per-video must be more than 0")
        if self.retries < 0:
            raise VidinvertError(f"--retries must be 0 or more, got {self.retries}")


class Worker(Protocol):
    """What the pool runs, for batch and eval alike: constructed once per actor with its arguments,
    the last two of which are the device and CPU threads the engine resolved for it; then `run`
    takes one item (a video) at a time and returns its result (a record, a status)."""

    def run(self, item: Any) -> Any: ...


def import_ray():
    """The `ray` module, or a one-line error naming the extra that installs it."""
    try:
        import ray
    except ImportError:
        raise VidinvertError("--engine ray needs Ray: pip install 'vidinvert[ray]'") from None
    return ray


@contextlib.contextmanager
def ray_cluster(address: str | None) -> Iterator[Any]:
    """Ray, connected to `address` (None: $RAY_ADDRESS, a cluster started on this machine, or a new
    one here); a session already open in this process is used as it is. Only a session opened here
    is closed at the end."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    check_reachable(address)
    try:
        ray.init(address=address, include_dashboard=False, logging_level=logging.WARNING,
                 log_to_driver=log.isEnabledFor(logging.INFO))
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address}" if address else "a local Ray instance"
        raise VidinvertError(f"cannot connect to {where}: {str(exc).splitlines()[0]}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def check_reachable(address: str | None) -> None:
    """Fail at once on a HOST:PORT nothing listens on (Ray itself keeps retrying for minutes)."""
    if not address or address == "auto" or "://" in address:
        return
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except (OSError, ValueError):
        raise VidinvertError(f"cannot reach the Ray cluster at {address} (is `ray start --head` running there, "
                             "and is the address HOST:PORT?)") from None


def uses_gpu(ray, device: str) -> bool:
    """Whether videos run on CUDA: asked for (cuda, cuda:N), or "auto" on a cluster with GPUs."""
    if device.startswith("cuda"):
        return True
    return device == "auto" and ray.cluster_resources().get("GPU", 0) > 0


def worker_device(gpu: bool) -> str:
    """The device a Ray worker runs its videos on, whatever the driver was asked: the GPU Ray gave
    it (Ray numbers a worker's GPUs from 0, so `cuda:1` on the driver is `cuda` there), else the CPU."""
    return "cuda" if gpu else "cpu"


def video_resources(options: RayOptions, gpu: bool) -> dict[str, float]:
    """What one video (one actor) asks of the cluster."""
    return {"num_gpus": options.gpus_per_video, "num_cpus": 1} if gpu else {"num_cpus": options.cpus_per_video}


def _workers_on(node: dict[str, float], resources: dict[str, float]) -> int:
    """How many workers asking for `resources` one node holds."""
    needs = {"GPU": resources.get("num_gpus", 0), "CPU": resources["num_cpus"]}
    return int(min(node.get(name, 0) / amount for name, amount in needs.items() if amount) + 1e-9)


def _nodes(ray) -> list[dict[str, float]]:
    return [node["Resources"] for node in ray.nodes() if node.get("Alive")]


def check_fits(ray, resources: dict[str, float]) -> None:
    """Refuse a request no node of the cluster can meet (the workers would wait for ever)."""
    nodes = _nodes(ray)
    if not any(_workers_on(node, resources) for node in nodes):
        asked = ", ".join(f"{resources[key]:g} {name}" for key, name in (("num_gpus", "GPU"), ("num_cpus", "CPU"))
                          if resources.get(key))
        found = ", ".join(f"{node.get('GPU', 0):g} GPU, {node.get('CPU', 0):g} CPU" for node in nodes)
        raise VidinvertError(f"no node of the Ray cluster has {asked} for one video (nodes: {found or 'none'}); "
                             "lower --gpus-per-video / --cpus-per-video, or use --device cpu")


def pool_size(ray, options: RayOptions, resources: dict[str, float], videos: int) -> int:
    """As many workers as the cluster's nodes hold (at most `options.workers`), never more than the
    videos: a worker that could never start would keep its video for ever."""
    fits = max(1, sum(_workers_on(node, resources) for node in _nodes(ray)))
    if options.workers and options.workers > fits:
        log.warning("the Ray cluster holds %d workers of %s; using %d, not %d", fits, resources, fits, options.workers)
    return min(options.workers or fits, fits, videos)


def forwarded_environment() -> dict[str, str]:
    """The driver's VIDINVERT_* variables, for the workers."""
    return {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_PREFIX)}


def run_pool(worker_class: type, init_args: Sequence[Any], items: Sequence[Any], options: RayOptions, *,
             gpu: bool, on_result: Callable[[Any, Any], None], on_lost: Callable[[Any, str], None]) -> None:
    """Run `worker_class(*init_args).run(item)` for every item on a pool of actors.

    Each actor is constructed once and then takes one item at a time; `on_result(item, result)` is
    called on the driver as each ends. When an actor's process dies, the driver replaces it with a
    new actor and runs its item again (first in line), up to `options.retries` times; after that
    `on_lost(item, reason)` is called and the pool goes on with the other items. Items are only ever
    handed to a live actor of their own, so one worker's death never touches another item.
    """
    ray = import_ray()
    if not items:
        return
    resources = video_resources(options, gpu)
    check_fits(ray, resources)
    actor_options: dict[str, Any] = dict(resources, max_restarts=0, max_task_retries=0)
    environment = forwarded_environment()
    if environment:
        actor_options["runtime_env"] = {"env_vars": environment}
    remote_class = ray.remote(**actor_options)(worker_class)
    size = pool_size(ray, options, resources, len(items))
    log.info("Ray pool of %d workers, %s each", size, resources)
    actors = [remote_class.remote(*init_args) for _ in range(size)]
    waiting = deque(range(len(items)))
    deaths = [0] * len(items)
    running: dict[Any, tuple[Any, int]] = {}

    def hand_out(actor) -> None:
        if waiting:
            index = waiting.popleft()
            running[actor.run.remote(items[index])] = (actor, index)

    try:
        for actor in actors:
            hand_out(actor)
        while running:
            (ready,), _ = ray.wait(list(running), num_returns=1)
            actor, index = running.pop(ready)
            try:
                result = ray.get(ready)
            except ray.exceptions.RayActorError as exc:
                deaths[index] += 1
                ray.kill(actor, no_restart=True)
                actors[actors.index(actor)] = actor = remote_class.remote(*init_args)
                if deaths[index] <= options.retries:
                    log.warning("the worker running %s died (%s); running it again", items[index], _first_line(exc))
                    waiting.appendleft(index)
                else:
                    reason = f"its worker died {deaths[index]} times ({_first_line(exc)})"
                    log.warning("giving up on %s: %s", items[index], reason)
                    on_lost(items[index], reason)
            else:
                on_result(items[index], result)
            hand_out(actor)
    finally:
        for actor in actors:
            ray.kill(actor)


def run_on_cluster(options: RayOptions, device: str, worker_class: type[Worker],
                   init_args: Callable[[str, int | None], Sequence[Any]], items: Sequence[Any], *,
                   on_result: Callable[[Any, Any], None], on_lost: Callable[[Any, str], None]) -> None:
    """Run `items` on a pool of `worker_class` actors on the Ray cluster `options` names.

    `device` is what the user asked for ("auto", "cpu", "cuda", "cuda:N"): it decides whether the
    actors ask for GPUs; each actor is then given its own device (`worker_device`) and CPU threads,
    and constructed with `init_args(device, threads)`."""
    with ray_cluster(options.address) as ray:
        gpu = uses_gpu(ray, device)
        threads = None if gpu else max(1, int(options.cpus_per_video))
        run_pool(worker_class, init_args(worker_device(gpu), threads), items, options, gpu=gpu,
                 on_result=on_result, on_lost=on_lost)


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
