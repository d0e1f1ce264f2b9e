"""Helpers for the profiling engine's tests: real files written into tmp_path."""
import pytest


@pytest.fixture
def write(tmp_path):
    """write(name, bytes or text) -> the path of a real file with that content."""

    def _write(name: str, content: bytes | str, encoding: str = "utf-8"):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write
