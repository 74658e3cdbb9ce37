"""Activities: the I/O of the workflows. Each is idempotent: a retry never writes twice."""
