"""Where many videos are processed: in this process, or on a pool of Ray workers (`ray_pool`)."""
