"""Addresses shown to the hall (projector, QR code, invitation and return links).

The address a page was requested with is the organiser's own (often 127.0.0.1 on the laptop
driving the projector), which phones cannot reach; PUBLIC_URL names the address they can.
"""
import ipaddress

from flask import current_app, request, url_for


def public_url_for(endpoint: str, **values) -> str:
    """An absolute URL on PUBLIC_URL when it is set, else on the address of this request."""
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base + url_for(endpoint, **values)


def is_loopback(host: str) -> bool:
    if host.startswith("["):
        name = host[1:host.find("]")]
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def public_url_missing() -> bool:
    """PUBLIC_URL is unset and this page was opened on a loopback address: the links and QR
    code it shows point at the organiser's own machine."""
    return not current_app.config.get("PUBLIC_URL") and is_loopback(request.host)
