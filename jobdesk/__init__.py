"""jobdesk: a desktop monitor for long-running jobs, and the job server it monitors."""

__version__ = "0.1.0"

APP_ID = "dev.jobdesk.Jobdesk"
"""The desktop id (reverse DNS): the .desktop file, the AppStream metainfo, the icons,
the autostart entry and the single-instance socket are all named after it."""
