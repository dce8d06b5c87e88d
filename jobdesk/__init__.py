"""jobdesk: a desktop monitor for long-running jobs, and the job server it monitors."""

__version__ = "0.1.0"
