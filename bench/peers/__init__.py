"""The queues jobdesk is measured beside. Each runs in an environment of its own (``uv
run --isolated --no-project --with ...``), so nothing here is imported by jobdesk or its
tests; the bench drives them as processes."""
