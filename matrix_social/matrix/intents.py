"""Acting as users through the appservice: local humans (masquerading), our AI puppets, the bot."""

from __future__ import annotations

from mautrix.appservice import AppService, IntentAPI
from mautrix.types import UserID

from ..errors import CannotActAsUser
from ..ids import Identities
from .ai_puppets import Puppets


class Intents:
    def __init__(self, az: AppService, puppets: Puppets, ids: Identities,
                 masquerade: bool) -> None:
        self.az = az
        self.puppets = puppets
        self.ids = ids
        self.masquerade = masquerade

    @property
    def bot(self) -> IntentAPI:
        return self.az.intent

    async def for_user(self, user_id: str) -> IntentAPI:
        """An intent acting as a local human (masquerading) or as one of our AI puppets."""
        if self.ids.is_ai(user_id):
            intent = await self.puppets.ensure_ai(user_id)
            if intent is None:
                raise CannotActAsUser(f"{user_id} has no owner on this server")
            return intent
        if not self.ids.is_local_human(user_id):
            raise CannotActAsUser(f"{user_id} is not a user of this server")
        if not self.masquerade:
            raise CannotActAsUser("acting as users is disabled (bridge.masquerade_local_users)")
        return self.az.intent.user(UserID(user_id))
