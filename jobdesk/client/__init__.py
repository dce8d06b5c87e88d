"""The asyncio client: keeps a local job store equal to a server's state."""
