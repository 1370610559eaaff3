"""Which client network a request comes from: the one key every per-address limit counts by.

An IPv4 client counts as its address; an IPv6 client as its /64, since one subscriber
usually holds a whole /64 and could otherwise rotate through it (an IPv4-mapped IPv6
address counts as the IPv4 address). The address is read after ProxyFix, so behind
TRUSTED_PROXIES it is the customer's, not the proxy's.

Import it from sweetshop.rate_limits (it lives here so extensions.py can use it without
importing the app).
"""
from __future__ import annotations

import ipaddress

UNKNOWN = "unknown"


def network_of(address: str | None) -> str:
    """The limit key for an address: '203.0.113.7', '2001:db8:1:2::/64' or 'unknown'."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return UNKNOWN
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_network() -> str:
    """The current request's client network (Flask-Limiter's key_func, sign-in, lookups)."""
    from flask import request

    return network_of(request.remote_addr)
