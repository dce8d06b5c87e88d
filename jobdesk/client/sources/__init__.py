"""The backends the monitor can watch, one module each (see ``jobdesk.client.kinds``)."""
