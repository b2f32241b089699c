"""The SSRF guard: which addresses may receive webhooks in each mode, checked on save and on
the addresses a host resolves to at delivery."""

from __future__ import annotations

import ipaddress

import pytest

from backend.errors import ZentraError
from backend.webhooks.addresses import Blocked, check_url, destination, refusal

ALWAYS_REFUSED = ["169.254.169.254", "fe80::1", "224.0.0.1", "0.0.0.0", "::"]
SANDBOX_ONLY = ["127.0.0.1", "::1", "10.1.2.3", "192.168.0.10", "172.16.5.4", "fc00::1", "::ffff:127.0.0.1"]
PUBLIC = ["93.184.216.34", "2606:4700::1111"]


@pytest.mark.parametrize("address", ALWAYS_REFUSED)
def test_link_local_multicast_and_unspecified_are_refused_in_both_modes(address):
    assert refusal(ipaddress.ip_address(address), sandbox=True)
    assert refusal(ipaddress.ip_address(address), sandbox=False)


@pytest.mark.parametrize("address", SANDBOX_ONLY)
def test_private_and_loopback_are_allowed_in_sandbox_only(address):
    assert refusal(ipaddress.ip_address(address), sandbox=True) is None
    assert "sandbox only" in refusal(ipaddress.ip_address(address), sandbox=False)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert refusal(ipaddress.ip_address(address), sandbox=False) is None


@pytest.mark.parametrize("url", ["http://example.com/x", "https://127.0.0.1/x", "https://localhost/x", "https://a.localhost/x", "https://[::1]/x", "https://u:p@example.com/", "ftp://example.com/", "not a url"])
def test_live_urls_must_be_https_to_a_public_or_unresolved_host(url):
    with pytest.raises(ZentraError) as err:
        check_url(url, sandbox=False)
    assert err.value.code == "validation_error" and err.value.param == "url"


def test_sandbox_takes_http_and_localhost():
    assert check_url("http://localhost:8080/hook", sandbox=True)
    assert check_url("https://hooks.example.com/x", sandbox=False)


def _resolves_to(*addresses: str):
    async def resolver(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolver


async def test_every_resolved_address_is_checked_and_the_checked_one_is_used():
    resolver = _resolves_to("93.184.216.34")
    target = await destination("https://hooks.example.com:8443/x?y=1", False, resolver)
    assert (target.scheme, target.address, target.port, target.target) == ("https", "93.184.216.34", 8443, "/x?y=1")
    assert target.host_header == "hooks.example.com:8443" and target.sni_hostname == "hooks.example.com"
    with pytest.raises(Blocked):
        await destination("https://hooks.example.com/x", False, _resolves_to("93.184.216.34", "10.0.0.7"))
    with pytest.raises(Blocked):
        await destination("http://metadata.test/x", True, _resolves_to("169.254.169.254"))
