"""HTTP plumbing shared by the adapters: timeouts, host redirection for SDKs with a hard-coded
host (tweepy), and the guard for user-given hosts (a Mastodon instance URL).

The guard checks a user-given URL before any request (https, a public hostname, every resolved
address public) and then, for every connection the SDK opens (each redirect hop too), resolves
the host itself, checks every address under the same rules and connects only to a checked
address, then checks the peer again. So a hostname that resolves to a public address at check
time and to 127.0.0.1 later (DNS rebinding), or a redirect to a private address, is refused
before a packet is sent to it. The unspecified addresses (0.0.0.0, ::, and spellings such as
"0", "0x0" or ::ffff:0.0.0.0) reach this very host; they are refused in every mode, loopback
allowed for tests or not (a connection to 0.0.0.0 shows 127.0.0.1 as its peer, so checking
the peer alone let it through).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from ..errors import Refused

DEFAULT_TIMEOUT = 20.0
MAX_REDIRECTS = 5
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".localdomain")


def address_allowed(ip: str, allow_loopback: bool = False) -> bool:
    """A public unicast address (loopback only when explicitly allowed, for tests and dev)."""
    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = addr.ipv4_mapped or addr.sixtofour or (addr.teredo[1] if addr.teredo else None)
        if embedded is None and addr in _NAT64:
            embedded = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if embedded is not None:
            addr = embedded
    if addr.is_unspecified:
        return False  # 0.0.0.0 and :: are this host, never a public server: in every mode
    if addr.is_loopback:
        return allow_loopback
    return addr.is_global and not (addr.is_private or addr.is_link_local or addr.is_multicast
                                   or addr.is_reserved or addr.is_unspecified)


def _refuse(why: str) -> Refused:
    return Refused("mastodon", f"that instance address cannot be used: {why}")


async def check_instance_url(raw: str, allow_loopback: bool = False) -> str:
    """The normalized base URL ("https://host[:port]") of a user-given instance, or Refused.

    Resolves the name and refuses it if any address is private, loopback, link-local,
    multicast or reserved. No request is made to the instance."""
    text = (raw or "").strip()
    if not text or len(text) > 300 or any(c.isspace() or ord(c) < 32 for c in text):
        raise _refuse("it is not a URL")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as e:
        raise _refuse("it is not a valid URL") from e
    if parts.scheme != "https" and not (allow_loopback and parts.scheme == "http"):
        raise _refuse("only https:// instances are supported")
    if parts.username is not None or parts.password is not None:
        raise _refuse("it must not contain a user name or password")
    if parts.query or parts.fragment or parts.path not in ("", "/"):
        raise _refuse("give only the instance's address, e.g. mastodon.social")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _refuse("it has no host name")
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as e:
        raise _refuse("the host name is not valid") from e
    try:
        literal = ipaddress.ip_address(ascii_host)
    except ValueError:
        literal = None
    if literal is None:
        local = (len(ascii_host) > 253 or "." not in ascii_host or ascii_host == "localhost"
                 or ascii_host.endswith(_LOCAL_SUFFIXES))
        if local and not allow_loopback:
            raise _refuse("it is not a public host name")
        addresses = await _resolve(ascii_host, port or 443)
    else:
        addresses = [str(literal)]
    bad = [a for a in addresses if not address_allowed(a, allow_loopback)]
    if bad or not addresses:
        raise _refuse("it points to a private or local network address")
    if parts.scheme == "http" and not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise _refuse("only https:// instances are supported")
    netloc = f"[{ascii_host}]" if literal is not None and literal.version == 6 else ascii_host
    default_port = 443 if parts.scheme == "https" else 80
    if port and port != default_port:
        netloc = f"{netloc}:{port}"
    return urlunsplit((parts.scheme, netloc, "", "", ""))


async def _resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout=10)
    except (OSError, TimeoutError) as e:
        raise _refuse("its name does not resolve") from e
    return sorted({info[4][0] for info in infos})


class TimeoutAdapter(HTTPAdapter):
    """Every request gets a timeout (tweepy passes none). With `target`, requests are sent to
    that base URL instead of the mounted prefix (tweepy's hard-coded https://api.twitter.com)."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, prefix: str | None = None,
                 target: str | None = None) -> None:
        super().__init__()
        self.timeout = timeout
        self.prefix = prefix
        self.target = target.rstrip("/") if target else None

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        if self.prefix and self.target and request.url.startswith(self.prefix):
            request.url = self.target + request.url[len(self.prefix):]
        return super().send(request, stream=stream, timeout=timeout or self.timeout,
                            verify=verify, cert=cert, proxies=proxies)


def redirecting_session(prefix: str, target: str, timeout: float = DEFAULT_TIMEOUT
                        ) -> requests.Session:
    session = requests.Session()
    adapter = TimeoutAdapter(timeout)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    if target.rstrip("/") != prefix.rstrip("/"):
        session.mount(prefix, TimeoutAdapter(timeout, prefix=prefix, target=target))
    return session


def _not_public(host: str) -> OSError:
    return OSError(f"refused to connect to {host}: not a public address")


def checked_address(host: str, port: int, allow_loopback: bool) -> str:
    """The address to connect to for `host`: resolved here, and refused unless every address
    it resolves to is allowed (one private answer among public ones refuses the name). Blocking:
    call it from the SDK's worker thread."""
    return checked_addresses(host, port, allow_loopback)[0]


def checked_addresses(host: str, port: int, allow_loopback: bool) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses or not all(address_allowed(a, allow_loopback) for a in addresses):
        raise _not_public(host)
    return addresses


def _guarded_pools(allow_loopback: bool):
    def connect(conn: HTTPConnection, open_socket) -> socket.socket:
        """Connect to a checked address only, each hop of a redirect alike; the peer is
        checked again once connected."""
        name = conn._dns_host  # what urllib3 itself would resolve
        failure: Exception = _not_public(conn.host)
        for address in checked_addresses(name, conn.port or 80, allow_loopback):
            conn._dns_host = address
            try:
                sock = open_socket()
            except (NewConnectionError, ConnectTimeoutError) as e:
                failure = e
                continue
            finally:
                conn._dns_host = name
            if not address_allowed(sock.getpeername()[0], allow_loopback):
                sock.close()
                raise _not_public(conn.host)
            return sock
        raise failure

    class GuardedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return connect(self, super()._new_conn)

    class GuardedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return connect(self, super()._new_conn)

    class GuardedHTTPPool(HTTPConnectionPool):
        ConnectionCls = GuardedHTTPConnection

    class GuardedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = GuardedHTTPSConnection

    return {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}


class GuardedAdapter(TimeoutAdapter):
    """Refuses, before connecting (and again once connected), any address that is not a
    public one; every redirect hop opens its connection through here."""

    def __init__(self, allow_loopback: bool, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.allow_loopback = allow_loopback
        super().__init__(timeout)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _guarded_pools(self.allow_loopback)


def guarded_session(allow_loopback: bool, timeout: float = DEFAULT_TIMEOUT) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment between us and the check
    session.max_redirects = MAX_REDIRECTS
    adapter = GuardedAdapter(allow_loopback, timeout)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
