"""The authorization server half of a fake platform: clients, codes, tokens, PKCE.

Codes are single-use and expire; a code issued with a PKCE challenge is redeemed only with the
matching verifier; refresh tokens may rotate (the old one dies when used); tokens can be
revoked by the test. Revocation through the platform's endpoint is recorded (`revoked`): one
token (RFC 7009), or a whole grant (GitHub's DELETE /applications/{client_id}/grant); a client
can be forgotten (its id is unknown from then on, its tokens dead)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode


@dataclass
class Client:
    secret: str | None
    redirect_uris: list[str]


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    scope: str
    user_id: str
    challenge: str | None
    method: str | None
    expires_at: float
    used: bool = False


@dataclass
class Token:
    access_token: str
    refresh_token: str | None
    user_id: str
    client_id: str
    scope: str
    expires_at: float | None
    revoked: bool = False
    issued_at: float = field(default_factory=time.time)


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(error)
        self.error, self.description, self.status = error, description, status


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class OAuthServer:
    def __init__(self, *, code_ttl_s: float, access_ttl_s: float | None, refresh: bool,
                 rotate_refresh: bool, pkce_methods: tuple[str, ...], require_pkce: bool,
                 scopes: tuple[str, ...] | None = None) -> None:
        self.code_ttl_s = code_ttl_s
        self.access_ttl_s = access_ttl_s
        self.refresh_enabled = refresh
        self.rotate_refresh = rotate_refresh
        self.pkce_methods = pkce_methods
        self.require_pkce = require_pkce
        self.scopes = scopes
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}  # by access token
        self.refresh_tokens: dict[str, Token] = {}
        self.authorizing_user: str | None = None  # who "logs in" at the authorize page
        self.deny_next: str | None = None  # e.g. "access_denied": the user clicks Cancel
        self.revoked: list[Token] = []  # revoked through the endpoint, in order

    def register_client(self, client_id: str, secret: str | None, redirect_uris: list[str]) -> None:
        self.clients[client_id] = Client(secret, list(redirect_uris))

    # --- authorize ---------------------------------------------------------------------------

    def authorize(self, query: dict[str, str]) -> str:
        """The redirect URL back to the client, or OAuthError (shown on the platform's page,
        never redirected, when the client or redirect URI is wrong)."""
        client = self.clients.get(query.get("client_id", ""))
        if client is None:
            raise OAuthError("invalid_client", "unknown client_id")
        redirect_uri = query.get("redirect_uri", "")
        if redirect_uri not in client.redirect_uris:
            raise OAuthError("invalid_request", "redirect_uri does not match")
        if query.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "response_type must be code")
        scope = query.get("scope", "").replace(",", " ")
        if self.scopes is not None and not set(scope.split()) <= set(self.scopes):
            raise OAuthError("invalid_scope", f"unknown scope in {scope!r}")
        challenge = query.get("code_challenge")
        method = query.get("code_challenge_method") if challenge else None
        if challenge and method not in self.pkce_methods:
            raise OAuthError("invalid_request", f"code_challenge_method {method!r} unsupported")
        if self.require_pkce and not challenge:
            raise OAuthError("invalid_request", "code_challenge is required")
        params = {}
        if self.deny_next:
            params["error"], self.deny_next = self.deny_next, None
        else:
            if self.authorizing_user is None:
                raise OAuthError("access_denied", "nobody is logged in at the fake")
            code = secrets.token_urlsafe(24)
            self.codes[code] = Code(query["client_id"], redirect_uri, scope,
                                    self.authorizing_user, challenge, method,
                                    time.time() + self.code_ttl_s)
            params["code"] = code
        if "state" in query:
            params["state"] = query["state"]
        return redirect_uri + ("&" if "?" in redirect_uri else "?") + urlencode(params)

    # --- token endpoint ----------------------------------------------------------------------

    def check_client(self, client_id: str | None, secret: str | None, *,
                     secret_required: bool) -> str:
        client = self.clients.get(client_id or "")
        if client is None:
            raise OAuthError("invalid_client", "Client authentication failed", 401)
        must_match = (client.secret is not None and secret_required) or secret is not None
        if must_match and (not secret or not secrets.compare_digest(secret, client.secret or "")):
            raise OAuthError("invalid_client", "Client authentication failed", 401)
        return client_id  # type: ignore[return-value]

    def redeem(self, code: str, client_id: str, redirect_uri: str | None,
               verifier: str | None) -> Token:
        grant = self.codes.get(code or "")
        if grant is None or grant.used or grant.expires_at < time.time():
            raise OAuthError("invalid_grant", "the code is invalid, used or expired")
        grant.used = True  # single use, whatever happens next
        if grant.client_id != client_id:
            raise OAuthError("invalid_grant", "the code was issued to another client")
        if redirect_uri is not None and redirect_uri != grant.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match")
        if grant.challenge is not None:
            if not verifier:
                raise OAuthError("invalid_grant", "code_verifier is missing")
            expected = s256(verifier) if grant.method == "S256" else verifier
            if not secrets.compare_digest(expected, grant.challenge):
                raise OAuthError("invalid_grant", "code_verifier does not match the challenge")
        elif verifier:
            raise OAuthError("invalid_grant", "a code_verifier without a challenge")
        return self.issue(grant.user_id, client_id, grant.scope)

    def issue(self, user_id: str, client_id: str, scope: str) -> Token:
        refresh = secrets.token_urlsafe(32) if self.refresh_enabled else None
        token = Token(secrets.token_urlsafe(32), refresh, user_id, client_id, scope,
                      time.time() + self.access_ttl_s if self.access_ttl_s else None)
        self.tokens[token.access_token] = token
        if refresh:
            self.refresh_tokens[refresh] = token
        return token

    def refresh(self, refresh_token: str, client_id: str) -> Token:
        old = self.refresh_tokens.get(refresh_token or "")
        if old is None or old.revoked or old.client_id != client_id:
            raise OAuthError("invalid_grant", "the refresh token is invalid")
        if self.rotate_refresh:
            del self.refresh_tokens[refresh_token]  # single use
            old.revoked = True
            return self.issue(old.user_id, client_id, old.scope)
        token = Token(secrets.token_urlsafe(32), refresh_token, old.user_id, client_id,
                      old.scope, time.time() + self.access_ttl_s if self.access_ttl_s else None)
        self.tokens[token.access_token] = token
        self.refresh_tokens[refresh_token] = token
        return token

    def forget_client(self, client_id: str) -> None:
        self.clients.pop(client_id, None)
        for token in list(self.tokens.values()):
            if token.client_id == client_id:
                token.revoked = True

    def revoke(self, token_value: str) -> Token | None:
        """The revocation endpoint (RFC 7009): that token; a refresh token takes the access
        tokens issued on it along. Unknown tokens are no error (the RFC answers 200)."""
        token = self.tokens.get(token_value) or self.refresh_tokens.get(token_value)
        if token is None:
            return None
        token.revoked = True
        if token_value == token.refresh_token:
            self.refresh_tokens.pop(token_value, None)
            for other in self.tokens.values():
                if other.refresh_token == token_value:
                    other.revoked = True
        if token not in self.revoked:
            self.revoked.append(token)
        return token

    def revoke_grant(self, token_value: str) -> None:
        """The user's whole authorization of the client that token belongs to."""
        token = self.tokens.get(token_value) or self.refresh_tokens.get(token_value)
        if token is None:
            return
        for other in list(self.tokens.values()):
            if other.user_id == token.user_id and other.client_id == token.client_id:
                other.revoked = True
                if other not in self.revoked:
                    self.revoked.append(other)
        for key in [k for k, t in self.refresh_tokens.items()
                    if t.user_id == token.user_id and t.client_id == token.client_id]:
            del self.refresh_tokens[key]

    def was_revoked(self, access_token: str) -> bool:
        return any(t.access_token == access_token for t in self.revoked)

    def revoke_user(self, user_id: str) -> None:
        """The user removes the app: every token and refresh token of theirs dies."""
        for token in list(self.tokens.values()) + list(self.refresh_tokens.values()):
            if token.user_id == user_id:
                token.revoked = True
        for key in [k for k, t in self.refresh_tokens.items() if t.user_id == user_id]:
            del self.refresh_tokens[key]

    def expire_access(self, user_id: str) -> None:
        for token in self.tokens.values():
            if token.user_id == user_id:
                token.expires_at = time.time() - 1

    def user_for(self, access_token: str | None) -> Token | None:
        token = self.tokens.get(access_token or "")
        if token is None or token.revoked:
            return None
        if token.expires_at is not None and token.expires_at < time.time():
            return None
        return token


def bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() in ("bearer", "token") else None


def basic(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
    except ValueError:
        return None
    from urllib.parse import unquote

    return unquote(user), unquote(password)
