"""The job server: REST (seeds 001/002), WebSocket (seed 003), SQLite storage."""
