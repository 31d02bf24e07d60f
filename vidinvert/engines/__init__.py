"""Where many videos are processed, for `batch` and `eval` alike: in this process
(`local.LocalEngine`), or on a pool of Ray workers (`ray_pool`: one worker protocol, retries, the
one place a worker's device is resolved); the models a worker loads once (`model_cache`); the test
hook that kills a worker (`fault`)."""
