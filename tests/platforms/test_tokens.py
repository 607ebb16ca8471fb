"""Token encryption at rest: never plaintext, rotation, no secret in a repr."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from matrix_social.external.platform import TokenSet
from matrix_social.external.tokens import KeyUnavailable, TokenCipher

TOKEN = TokenSet("access-SECRET-123456", "refresh-SECRET-abcdef", 1_700_000_000_000, "tweet.read")


def test_ciphertext_is_not_the_plaintext_and_round_trips():
    cipher = TokenCipher([Fernet.generate_key().decode()])
    blob = cipher.encrypt(TOKEN)
    assert "SECRET" not in blob and "access" not in blob
    assert cipher.encrypt(TOKEN) != blob  # fresh IV each time
    assert cipher.decrypt(blob) == TOKEN
    # What a platform keeps with its grant (a DPoP key) is sealed with it, never shown.
    keyed = TokenSet("a", None, None, "", {"dpop_key": "PRIVATE-KEY-SECRET"})
    blob = cipher.encrypt(keyed)
    assert "PRIVATE" not in blob and cipher.decrypt(blob) == keyed
    assert "PRIVATE" not in repr(keyed) and "PRIVATE" not in str(keyed)
    assert cipher.decrypt(cipher.encrypt(TOKEN)).extra == {}


def test_rotation_opens_old_blobs_and_moves_them_to_the_new_key():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old_blob = TokenCipher([old]).encrypt(TOKEN)
    rotated_cipher = TokenCipher([new, old])
    assert rotated_cipher.decrypt(old_blob) == TOKEN
    assert rotated_cipher.needs_rotation(old_blob)
    moved = rotated_cipher.rotate(old_blob)
    assert not rotated_cipher.needs_rotation(moved)
    # Once every blob is moved, the old key can go.
    assert TokenCipher([new]).decrypt(moved) == TOKEN
    with pytest.raises(KeyUnavailable):
        TokenCipher([new]).decrypt(old_blob)


def test_tampered_or_foreign_blobs_do_not_open():
    key = Fernet.generate_key().decode()
    cipher = TokenCipher([key])
    blob = cipher.encrypt(TOKEN)
    kid, _, body = blob.partition(":")
    flipped = body[:-5] + ("A" if body[-5] != "A" else "B") + body[-4:]
    for bad in (f"{kid}:{flipped}", "nokey:abc", "", kid, f"{kid}:"):
        with pytest.raises(KeyUnavailable):
            cipher.decrypt(bad)


def test_keys_from_environment_and_refusals(monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("MATRIX_SOCIAL_TOKEN_KEYS", f" {key} ,")
    assert TokenCipher.from_config(None).decrypt(TokenCipher([key]).encrypt(TOKEN)) == TOKEN
    monkeypatch.delenv("MATRIX_SOCIAL_TOKEN_KEYS")
    with pytest.raises(ValueError):
        TokenCipher.from_config(None)
    with pytest.raises(ValueError):
        TokenCipher(["not-a-fernet-key"])
    assert key not in repr(TokenCipher([key]))


def test_token_holders_hide_their_secrets():
    for text in (repr(TOKEN), str(TOKEN), f"{TOKEN}", repr([TOKEN])):
        assert "SECRET" not in text
