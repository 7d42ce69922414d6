"""Where a webhook may be sent (ARCHITECTURE, Security: no server-side request forgery). The
host is resolved here, off the event loop, and the domain judges every address it resolves to
(`check_target_addresses`); a name is called only when all its addresses are public, and then
at the address that was checked (`workers.senders`), so a second lookup can never be answered
with an address inside (DNS rebinding)."""

import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from notify.domain.subscriptions import check_target_addresses, webhook_endpoint

Resolve = Callable[[str, int], Awaitable[list[str]]]
RESOLVE_SECONDS = 5.0  # a lookup holding a request or a delivery longer is an outage


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an IP literal, in any form, resolves to itself);
    OSError or TimeoutError when it does not resolve."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(RESOLVE_SECONDS):
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


@dataclass(frozen=True)
class TargetPolicy:
    """Which webhook targets may be called. `allow_loopback` is for the project's own tests
    (receivers on 127.0.0.1, `NOTIFY_WEBHOOK_ALLOW_LOOPBACK`); private, link-local and the
    rest inside stay refused even then."""

    allow_loopback: bool = False
    resolve: Resolve = system_resolve

    async def addresses(self, host: str, port: int) -> list[str]:
        """The checked addresses of `host`: Refused when any is not public; OSError or
        TimeoutError when it does not resolve."""
        found = await self.resolve(host, port)
        check_target_addresses(found, allow_loopback=self.allow_loopback)
        return found

    async def vet(self, url: str) -> None:
        """At subscribe time: refuse a URL (already checked by `check_subscription`) whose host
        resolves inside. A name that does not resolve yet is let through: nothing is sent to
        it until a delivery resolves it and checks every address again."""
        try:
            await self.addresses(*webhook_endpoint(url))
        except (OSError, TimeoutError):
            return


STRICT = TargetPolicy()
"""Public addresses only: what every deployment uses."""
