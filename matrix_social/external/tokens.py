"""Encryption at rest for platform tokens and other per-connection secrets.

Keys come from the configuration or the environment (`MATRIX_SOCIAL_TOKEN_KEYS`, comma
separated), never from the database, so a copy of the database alone reveals no token.
Each key is a Fernet key (`python -c "from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())"`); a blob is "<key id>:<Fernet token>" where the key id
is the first 8 hex digits of the key's SHA-256, so a blob names the key that opens it.

Rotation:
1. Generate a new key and put it FIRST in the list, keeping the old keys after it. New blobs are
   written with the first key; old blobs still open with the key they name.
2. Re-encrypt the stored blobs (`TokenCipher.rotate(blob)` on each blob for which
   `needs_rotation(blob)` is true); connections also move over as their tokens refresh.
3. When no blob names an old key any more, remove that key from the list. A blob whose key was
   removed cannot be opened (KeyUnavailable): that connection must be connected again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken

from .platform import TokenSet

ENV_VAR = "MATRIX_SOCIAL_TOKEN_KEYS"


class KeyUnavailable(Exception):
    """No configured key opens this blob (its key was removed, or it was tampered with)."""


def key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


class TokenCipher:
    def __init__(self, keys: Sequence[str]) -> None:
        keys = [k.strip() for k in keys if k and k.strip()]
        if not keys:
            raise ValueError(f"no token encryption key configured (set {ENV_VAR})")
        self._fernets = {}
        for key in keys:
            try:
                self._fernets[key_id(key)] = Fernet(key.encode())
            except (ValueError, TypeError) as e:
                raise ValueError("a token encryption key is not a Fernet key "
                                 "(32 bytes, url-safe base64)") from e
        self._primary = key_id(keys[0])
        self._primary_key = keys[0]

    @classmethod
    def from_config(cls, configured: Sequence[str] | None = None) -> TokenCipher:
        """Keys from the config if any, else from the environment."""
        if configured:
            return cls(configured)
        return cls(os.environ.get(ENV_VAR, "").split(","))

    @classmethod
    def ephemeral(cls) -> TokenCipher:
        """A key that lives as long as the process: for a server with no platform enabled,
        which stores nothing to decrypt later."""
        return cls([Fernet.generate_key().decode()])

    def derive(self, purpose: bytes) -> bytes:
        """A key for one other purpose (signing image URLs), derived from the primary key."""
        return hmac.new(self._primary_key.encode(), purpose, hashlib.sha256).digest()

    def __repr__(self) -> str:
        return f"TokenCipher(keys={len(self._fernets)}, primary={self._primary})"

    def encrypt_text(self, plaintext: str) -> str:
        sealed = self._fernets[self._primary].encrypt(plaintext.encode()).decode()
        return f"{self._primary}:{sealed}"

    def decrypt_text(self, blob: str) -> str:
        kid, _, token = blob.partition(":")
        fernet = self._fernets.get(kid)
        if fernet is None or not token:
            raise KeyUnavailable(f"no configured key with id {kid!r}")
        try:
            return fernet.decrypt(token.encode()).decode()
        except InvalidToken as e:
            raise KeyUnavailable(f"the blob does not open with key {kid!r}") from e

    def encrypt(self, token: TokenSet) -> str:
        return self.encrypt_text(token.to_json())

    def decrypt(self, blob: str) -> TokenSet:
        return TokenSet.from_json(self.decrypt_text(blob))

    def needs_rotation(self, blob: str) -> bool:
        return blob.partition(":")[0] != self._primary

    def rotate(self, blob: str) -> str:
        """The same secret under the primary key."""
        return self.encrypt_text(self.decrypt_text(blob))
