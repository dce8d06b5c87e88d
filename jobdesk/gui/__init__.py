"""The desktop monitor (PySide6 on qasync): the only package that may import Qt."""
