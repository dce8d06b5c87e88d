"""The HTTP and WebSocket layer: thin Litestar handlers over the JobService."""
