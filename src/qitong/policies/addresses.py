"""One address per page: the canonical form that makes two spellings of a URL one page.

Fragments never reach the server; default ports, upper-case hosts, the order of
query parameters, a trailing slash and http against https of the same host are
how one site's pages get linked in different forms. The canonical form drops
the scheme altogether (``//host/path?query``), so a site that serves both http
and https is read once.
"""

import ipaddress
import posixpath
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# Parameters that only say where a visitor came from.
TRACKING = ("utm_", "spm", "from")


def canonical(url):
    """The key of ``url`` (absolute http(s)); raises ValueError for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(url)
    host = parts.hostname.lower().rstrip(".")
    port = parts.port
    if port and port != DEFAULT_PORTS[parts.scheme.lower()]:
        host = f"{host}:{port}"
    path = quote(unquote(parts.path or "/"), safe="/:@!$&'()*+,;=-._~")
    if path != "/":
        # "/a/./b/", "/a/b" and "/a//b" are one page.
        path = posixpath.normpath(path).replace("//", "/").rstrip("/") or "/"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith(TRACKING)
    )
    return f"//{host}{path}" + (f"?{urlencode(query)}" if query else "")


def absolute(base, href):
    """``href`` as found on the page at ``base``, made absolute without its fragment; or None."""
    if not href:
        return None
    href = href.strip()
    if href.lower().startswith(("javascript:", "mailto:", "tel:", "data:", "#")):
        return None
    url = urljoin(base, href).split("#", 1)[0]
    return url if urlsplit(url).scheme in DEFAULT_PORTS else None


def host_of(url):
    """The host and port requests to ``url`` go to: the key of the per-host limits."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


def is_inside(url):
    """Whether ``url`` names a private, loopback or link-local host outright (an IP or localhost)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return is_inside_address(address)


def is_inside_address(address):
    """Whether an IP address (the one a name resolved to) is not on the public internet."""
    address = ipaddress.ip_address(address)
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified  # 0.0.0.0 reaches this machine
        or address.is_multicast
    )
