"""Secret: a token or API key that cannot leak through a repr, a log line or a traceback.

Its own module, with no imports, so that the accounts code a login screen needs does not
pull in the HTTP client at startup.
"""

from __future__ import annotations


class Secret:
    """A string that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)
