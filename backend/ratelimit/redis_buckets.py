"""Token buckets in Redis, shared by every worker process (ZENTRA_REDIS_URL).

One Lua script reads, refills, checks and takes from all of a request's buckets, so the
all-or-none rule holds across processes without locks. Time comes from the Redis server (one
clock for every worker) unless a clock is passed in (tests). Each bucket key expires once it
would be full again, so idle buckets disappear by themselves.

If Redis cannot be reached, requests are admitted and a warning is logged (at most once a
minute): rate limits protect the service, and must not become the reason money stops moving.
"""

from __future__ import annotations

import logging
import time
from typing import Callable, Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from backend.ratelimit.buckets import Charge, retry_after

log = logging.getLogger("zentra.ratelimit")

PREFIX = "zentra:rl:"
WARN_EVERY_SECONDS = 60.0

# KEYS: the buckets. ARGV[1]: now in seconds ("" for the server's TIME), then rate and burst
# per bucket. Answers "" when a token was taken from every bucket, otherwise the seconds until
# all of them hold one again (as text: Lua numbers come back as truncated integers).
TAKE = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call("TIME")
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local levels, wait = {}, 0
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local state = redis.call("HMGET", key, "tokens", "at")
  local level = burst
  if state[1] then
    level = math.min(burst, tonumber(state[1]) + math.max(0, now - tonumber(state[2])) * rate)
  end
  levels[i] = level
  if level < 1 then wait = math.max(wait, (1 - level) / rate) end
end
if wait > 0 then return tostring(wait) end
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  redis.call("HSET", key, "tokens", levels[i] - 1, "at", now)
  redis.call("PEXPIRE", key, math.ceil(burst / rate * 1000))
end
return ""
"""


class RedisBuckets:
    """Buckets under `prefix` in one Redis database; `clock` (seconds) replaces the server's TIME."""

    def __init__(self, client: Redis, prefix: str = PREFIX, clock: Callable[[], float] | None = None):
        self._script = client.register_script(TAKE)
        self._prefix = prefix
        self._clock = clock
        self._quiet_until = 0.0

    async def take(self, charges: Sequence[Charge]) -> int | None:
        keys = [self._prefix + name for name, _ in charges]
        args: list[str | float | int] = ["" if self._clock is None else repr(self._clock())]
        for _, limit in charges:
            args += [repr(limit.rate), limit.burst]
        try:
            wait = await self._script(keys=keys, args=args)
        except RedisError as exc:
            self._warn(exc)
            return None
        return retry_after(float(wait)) if wait else None

    def _warn(self, exc: RedisError) -> None:
        now = time.monotonic()
        if now >= self._quiet_until:
            self._quiet_until = now + WARN_EVERY_SECONDS
            log.warning("rate limits are not enforced while Redis is unreachable: %s", exc)
