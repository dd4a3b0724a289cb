"""Completion of the `tag:` word in the jobs filter, from the tags the service knows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.suggester import Suggester

from tui.api.errors import ApiError

TAG_WORD = "tag:"


class TagSuggester(Suggester):
    """Suggests the rest of the tag being typed after `tag:` (Right or Tab takes it).

    `tags_starting(prefix)` asks the service (`GET /tags`); a failed lookup suggests
    nothing rather than interrupt the typing.
    """

    def __init__(self, tags_starting: Callable[[str], Awaitable[list[str]]]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self._tags_starting = tags_starting

    async def get_suggestion(self, value: str) -> str | None:
        word = value.rpartition(" ")[2]
        if not word.startswith(TAG_WORD):
            return None
        prefix = word.removeprefix(TAG_WORD)
        try:
            tags = await self._tags_starting(prefix)
        except ApiError:
            return None
        longer = [tag for tag in tags if tag != prefix]
        return value + longer[0][len(prefix):] if longer else None
