"""People by handle or Matrix ID: who exists, and how a user ID from a request is checked."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInput, NotFound
from ..ids import Identities
from ..matrix.user_directory import UserDirectory


class Users:
    def __init__(self, ids: Identities, directory: UserDirectory) -> None:
        self.ids = ids
        self.directory = directory

    def handle_of(self, user_id: str) -> str:
        return self.ids.handle_of(user_id)

    async def exists(self, user_id: str) -> bool:
        return await self.directory.exists(user_id)

    def user_id(self, value: Any, field: str) -> str:
        """A full Matrix user ID from request input, or a clear InvalidInput."""
        if not isinstance(value, str) or self.ids.split(value.strip()) is None:
            raise InvalidInput(f"'{field}' must be a Matrix user ID such as @bob:example.org")
        return value.strip()

    async def existing(self, value: Any, field: str) -> str:
        user_id = self.user_id(value, field)
        if not await self.exists(user_id):
            raise NotFound(f"No user {user_id}")
        return user_id

    async def resolve(self, handle: str) -> str:
        user_id = self.ids.parse_handle(handle)
        if user_id is None or not await self.exists(user_id):
            raise NotFound(f"No user {handle!r}")
        return user_id
