"""Every OAuth flow goes through authlib (its requests client, in a worker thread).

PKCE S256 where the platform supports it; the verifier and the state are made here and kept by
the caller (the verifier encrypted, the state hashed) until the callback."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError

from ..clock import now_ms
from ..errors import AuthRevoked, PlatformRateLimited, Refused, TransientError, UnknownClient
from .headers import retry_after_ms
from .net import DEFAULT_TIMEOUT, TimeoutAdapter
from .platform import TokenSet

# The only token-endpoint errors after which the same refresh may succeed later; any other
# error means the grant is gone (X answers "invalid_request" for a used refresh token, GitHub
# "bad_refresh_token", most others "invalid_grant").
_TRANSIENT_ERRORS = {"temporarily_unavailable", "server_error", "slow_down"}


def new_state() -> str:
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    """RFC 7636: 43-128 unreserved characters; 64 letters and digits (~380 bits)."""
    return generate_token(64)


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass(frozen=True)
class OAuthEndpoints:
    platform: str
    client_id: str
    client_secret: str | None = field(repr=False)
    redirect_uri: str
    scopes: tuple[str, ...]
    authorize_url: str
    token_url: str
    revoke_url: str | None = None
    # client_secret_basic (X confidential clients), client_secret_post (GitHub, Mastodon,
    # Instagram) or none (X public clients: client_id in the body)
    auth_method: str = "client_secret_post"
    pkce: bool = True
    scope_separator: str = " "
    timeout_s: float = DEFAULT_TIMEOUT


class OAuthFlow:
    def __init__(self, endpoints: OAuthEndpoints,
                 session_factory: Callable[[], requests.Session] | None = None) -> None:
        self.e = endpoints
        self._session_factory = session_factory

    def _session(self) -> OAuth2Session:
        e = self.e
        session = OAuth2Session(
            client_id=e.client_id, client_secret=e.client_secret,
            token_endpoint_auth_method=e.auth_method, revocation_endpoint_auth_method=e.auth_method,
            scope=e.scope_separator.join(e.scopes), redirect_uri=e.redirect_uri,
            code_challenge_method="S256" if e.pkce else None)
        base = self._session_factory() if self._session_factory else None
        for prefix, adapter in (base.adapters.items() if base else
                                [("http://", TimeoutAdapter(e.timeout_s)),
                                 ("https://", TimeoutAdapter(e.timeout_s))]):
            session.mount(prefix, adapter)
        if base is not None:
            session.trust_env = base.trust_env
        session.headers["Accept"] = "application/json"
        for hook in ("access_token_response", "refresh_token_response"):
            session.register_compliance_hook(hook, self._check_http)
        return session

    def _check_http(self, response: requests.Response) -> requests.Response:
        if response.status_code == 429:
            until = retry_after_ms(response.headers) or now_ms() + 60_000
            raise PlatformRateLimited(self.e.platform, until, "the token endpoint is rate limited")
        if response.status_code >= 500:
            raise TransientError(self.e.platform, f"token endpoint: HTTP {response.status_code}",
                                 retry_after_ms(response.headers))
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict) or "error" not in body:
                # Not RFC 6749's shape (Instagram: {"error_type", "code", "error_message"}).
                error = body.get("error_type") if isinstance(body, dict) else None
                raise OAuthError(error=str(error or f"http_{response.status_code}"),
                                 description=str((body or {}).get("error_message") or ""))
        return response

    def authorize_url(self, state: str, code_verifier: str | None, **extra: str) -> str:
        with self._session() as session:
            url, _ = session.create_authorization_url(
                self.e.authorize_url, state=state,
                code_verifier=code_verifier if self.e.pkce else None, **extra)
        return url

    async def _run(self, call: Callable[[OAuth2Session], dict[str, Any]]) -> dict[str, Any]:
        def blocking() -> dict[str, Any]:
            with self._session() as session:
                return dict(call(session))

        try:
            return await asyncio.to_thread(blocking)
        except (requests.ConnectionError, requests.Timeout) as e:
            raise TransientError(self.e.platform, f"token endpoint unreachable: "
                                 f"{type(e).__name__}") from None
        except requests.HTTPError as e:
            status = e.response.status_code if e.response is not None else 0
            raise TransientError(self.e.platform, f"token endpoint: HTTP {status}") from None
        except ValueError as e:  # a non-JSON answer
            raise TransientError(self.e.platform, f"token endpoint: {e}") from None

    async def exchange(self, code: str, code_verifier: str | None, **extra: str) -> TokenSet:
        if not code or len(code) > 2048:
            raise Refused(self.e.platform, "the authorization code is missing or malformed")
        kwargs: dict[str, Any] = dict(extra)
        if self.e.pkce and code_verifier:
            kwargs["code_verifier"] = code_verifier
        try:
            raw = await self._run(lambda s: s.fetch_token(
                self.e.token_url, grant_type="authorization_code", code=code,
                redirect_uri=self.e.redirect_uri, **kwargs))
        except OAuthError as e:
            if e.error == "invalid_client":
                raise UnknownClient(self.e.platform, f"{self.e.platform} no longer knows this "
                                    "server's app; please start again") from None
            raise Refused(self.e.platform, f"{self.e.platform} refused the login "
                          f"({e.error}); please try again") from None
        return token_from_response(self.e.platform, raw)

    async def client_known(self) -> bool:
        """Does the platform still know our client id and secret? Asks for an app-only token
        (client_credentials, as Mastodon documents for checking an app) and revokes it at once;
        False only on `invalid_client`: a server that cannot answer the question (no
        client_credentials grant) is taken at its word until the login itself fails."""
        try:
            raw = await self._run(lambda s: s.fetch_token(
                self.e.token_url, grant_type="client_credentials"))
        except OAuthError as e:
            return e.error != "invalid_client"
        # An app-only token that lingered could read nothing of anybody's; revoked all the same.
        with contextlib.suppress(TransientError, PlatformRateLimited, OAuthError):
            await self.revoke(token_from_response(self.e.platform, raw))
        return True

    async def refresh(self, token: TokenSet) -> TokenSet:
        if not token.refresh_token:
            raise AuthRevoked(self.e.platform, "the grant expired and has no refresh token")
        try:
            raw = await self._run(lambda s: s.refresh_token(
                self.e.token_url, refresh_token=token.refresh_token))
        except OAuthError as e:
            if e.error in _TRANSIENT_ERRORS:
                raise TransientError(self.e.platform, f"refresh failed ({e.error})") from None
            raise AuthRevoked(self.e.platform, f"refresh refused ({e.error})") from None
        fresh = token_from_response(self.e.platform, raw)
        if fresh.refresh_token is None:  # the platform keeps the old one valid
            fresh.refresh_token = token.refresh_token
        fresh.extra = dict(token.extra)  # what the platform keeps with the grant stays
        return fresh

    async def revoke(self, token: TokenSet) -> None:
        if not self.e.revoke_url:
            return

        def call(session: OAuth2Session) -> dict[str, Any]:
            for value, hint in ((token.refresh_token, "refresh_token"),
                                (token.access_token, "access_token")):
                if value:
                    response = session.revoke_token(self.e.revoke_url, token=value,
                                                    token_type_hint=hint)
                    self._check_http(response)
            return {}

        await self._run(call)


def token_from_response(platform: str, raw: dict[str, Any]) -> TokenSet:
    access = raw.get("access_token")
    if not isinstance(access, str) or not access:
        raise TransientError(platform, "the token endpoint answered without an access token")
    expires_in = raw.get("expires_in")
    expires_at = None
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in > 0:
        expires_at = now_ms() + int(expires_in * 1000)
    scope = raw.get("scope") or ""
    if isinstance(scope, list):
        scope = " ".join(scope)
    refresh = raw.get("refresh_token")
    return TokenSet(access, refresh if isinstance(refresh, str) and refresh else None, expires_at,
                    str(scope).replace(",", " "))
