"""PostgreSQL: the store several server replicas share.

Each replica keeps the live set in memory as on one machine, and the database decides
what is committed: ``batch.py`` writes a batch fenced by each job's version and numbers
it from a counter row updated last (commit order is seq order), ``follower.py`` applies
what the other replicas committed, in seq order, woken by a NOTIFY hint and by a poll,
and ``leader.py`` elects the one replica that runs the sweeps.
"""
