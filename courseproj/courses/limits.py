"""Rate limits where abuse is cheap: join codes, proposals, the catalog search.

Counted in the cache, next to allauth's login limits: shared by every web
process (the file cache without Redis, Redis with it), and empty at the start
of each test. A window is fixed (it starts at a multiple of its length), so a
burst across a window's edge may pass up to twice the amount; each limit is
sized so that twice it is still harmless.
"""
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    name: str
    amount: int
    seconds: int
    # Shown to whoever reaches the limit: it says the limit.
    message: str

    def _key(self, who: str) -> str:
        return f"courseproj:limit:{self.name}:{who}:{int(time.time() // self.seconds)}"

    def reached(self, *, who: str) -> bool:
        return cache.get(self._key(who), 0) >= self.amount

    def count(self, *, who: str) -> None:
        key = self._key(who)
        if cache.add(key, 1, self.seconds):
            return
        try:
            cache.incr(key)
        except ValueError:  # the window ended between add and incr
            cache.add(key, 1, self.seconds)

    def consume(self, *, who: str) -> bool:
        """Count one use; False (and nothing counted) when the limit is already reached."""
        if self.reached(who=who):
            return False
        self.count(who=who)
        return True


def client_address(request) -> str:
    """The address allauth's limits use (it trusts ALLAUTH_TRUSTED_PROXY_COUNT proxies' X-Forwarded-For)."""
    from allauth.account.adapter import get_adapter

    return get_adapter().get_client_ip(request)


# A wrong join code is what a guesser produces; a right one costs nothing, so
# a class of 300 behind one school NAT address joins freely. Codes are 6 of 31
# characters (887 million): 20 wrong codes an hour is plenty for typos and
# useless for guessing. Per address, 200 an hour covers a whole class making
# typos at once while many accounts from one address still guess nothing.
JOIN_WRONG_PER_USER = Limit(
    "join-user", 20, 3600, "You entered 20 wrong join codes within an hour. Wait a while, then check the code with your instructor."
)
JOIN_WRONG_PER_ADDRESS = Limit(
    "join-address", 200, 3600, "200 wrong join codes came from your network within an hour. Wait a while, then try again."
)
