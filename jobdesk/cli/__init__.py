"""The ``jobdesk`` command line: serve, tokens, job reporting from shell scripts, watch, demo.

Each command lives in its own module and imports what it needs only when it runs, so
``jobdesk --help`` starts fast and ``jobdesk serve`` never loads the monitor's GUI.
"""
