"""Keep secrets out of log records, whatever the level and whichever library logs them.

aiohttp's access log writes request lines with their query string (a homeserver may send the
hs_token as ?access_token=, clients may send theirs), and a debug log of a request may show an
Authorization header. A log record factory redacts every record as it is created, so every
handler (files, consoles, test capture) sees the redacted text.
"""

from __future__ import annotations

import logging
import re
import threading

REDACTED = "<redacted>"
_PATTERNS = [
    re.compile(r"(access_token=)[^&\s\"'>]+", re.IGNORECASE),
    re.compile(r"(Bearer\s+)[^\s\"',}]+", re.IGNORECASE),
    # OAuth callbacks (/api/social/connections/{platform}/callback?state=...&code=...):
    # the authorization code and the state are single use, but still nobody's to read.
    re.compile(r"((?:[?&]|&amp;|\\u0026)(?:code|state|code_verifier|refresh_token)=)"
               r"[^&\s\"'>\\]+"),
]
_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def _needs_redaction(text: str) -> bool:
    lowered = text.lower()
    return "access_token" in lowered or "bearer" in lowered or "code=" in lowered or \
        "state=" in lowered or "refresh_token=" in lowered or any(
            secret in text for secret in _secrets)


def install(*secrets: str) -> None:
    """Redact these values (tokens, API keys) and token-looking URL parts from all records."""
    global _installed
    with _lock:
        _secrets.update(s for s in secrets if isinstance(s, str) and len(s) >= 8)
        if _installed:
            return
        _installed = True
        previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # leave a malformed record to logging's own error handling
            return record
        if _needs_redaction(message):
            record.msg, record.args = redact(message), ()
        return record

    logging.setLogRecordFactory(factory)
