"""Batch jobs: edit or invert many videos into one folder, in this process or on a Ray cluster."""

from vidinvert.batch.jobs import VideoJob, folder_jobs
from vidinvert.batch.manifest import manifest_jobs
from vidinvert.batch.runner import run_batch

__all__ = ["VideoJob", "folder_jobs", "manifest_jobs", "run_batch"]
