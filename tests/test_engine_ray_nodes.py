"""The Ray batch on a simulated two-node cluster (two worker nodes on this machine), reached by
--ray-address as a real cluster is."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from _fixtures_batch import (
    MODEL_OPTIONS,
    decoded_frames,
    demo_clips,
    one_torch_thread,  # noqa: F401  (autouse)
)

from vidinvert.cli import main

ray = pytest.importorskip("ray")
cluster_utils = pytest.importorskip("ray.cluster_utils")

EDIT = ["--attr", "smile", "--codec", "lossless", "-q", *MODEL_OPTIONS]


@pytest.fixture(scope="module")
def two_nodes():
    """A head node without CPUs (so no video runs there) and two worker nodes of one CPU each."""
    cluster = cluster_utils.Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    for _ in range(2):
        cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    yield cluster
    if ray.is_initialized():
        ray.shutdown()
    cluster.shutdown()


def test_batch_on_two_nodes_equals_the_local_engine(two_nodes, tmp_path, caplog):
    cluster = two_nodes
    clips = tmp_path / "clips"
    demo_clips(clips, ["a.mp4", "b.mp4", "c.mp4", "d.mp4"], frames=3)
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["batch", str(clips), "-o", str(local), *EDIT]) == 0
    assert not ray.is_initialized()
    with caplog.at_level(logging.INFO, logger="vidinvert.engines.ray_pool"):
        assert main(["batch", str(clips), "-o", str(remote), *EDIT, "--engine", "ray", "--ray-address",
                     cluster.address]) == 0
    # Two one-CPU workers on a cluster whose only CPUs are the two nodes' one each: one per node.
    assert any(r.getMessage() == "Ray pool of 2 workers, {'num_cpus': 1.0} each" for r in caplog.records)
    assert not ray.is_initialized()  # the command closed the connection it opened

    for name in ("a.mp4", "b.mp4", "c.mp4", "d.mp4"):
        np.testing.assert_array_equal(decoded_frames(remote / name), decoded_frames(local / name))
    reports = [json.loads((folder / "batch_report.json").read_text())["records"] for folder in (local, remote)]
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in reports[1]] == \
        [{k: v for k, v in r.items() if k != "seconds"} for r in reports[0]]
