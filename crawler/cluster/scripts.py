"""The Lua scripts that make each frontier and clock operation atomic on the Redis server.

Each one reads and writes in one step, with the server's own time (``TIME``), so that no
two workers can claim the same request or the same moment for a host. Numbers go in and
out as strings with microseconds (``%.6f``): Redis would truncate Lua numbers to integers.
Keys under the crawl's queue prefix and the clock prefix are built inside the scripts, so
they need a single Redis server (not Redis Cluster).
"""

from __future__ import annotations

__all__ = [
    "ACK",
    "ENQUEUE",
    "EXTEND",
    "LEASE",
    "PAUSE",
    "PAUSED_UNTIL",
    "RELEASE",
    "RELEASE_HOST",
    "RESERVE",
    "RETURN_LEASES",
    "STATUS",
    "UNHOLD",
]

BUSY = 1e15
"""A host's score while one of its requests is out with a worker: never leased."""

_COMMON = """
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function fmt(x) return string.format('%.6f', x) end
-- When the host's clock lets its next request go (the clock's own rule, see RESERVE).
local function host_ready(clock_prefix, host, t)
  local h = redis.call('HMGET', clock_prefix .. host,
    'last_start', 'last_done', 'paused_until', 'gap')
  local gap = tonumber(h[4]) or 0
  local r = t
  if h[1] then r = math.max(r, tonumber(h[1]) + gap) end
  if h[2] then r = math.max(r, tonumber(h[2]) + gap) end
  if h[3] then r = math.max(r, tonumber(h[3])) end
  return r
end
local function split_leased(v)
  local nl = string.find(v, '\\n', 1, true)
  return string.sub(v, 1, nl - 1), string.sub(v, nl + 1)
end
-- A host's request is done with the network: the host may be leased again when its clock
-- allows (and leaves the schedule when nothing is queued for it).
local function release_hosts(hosts_key, queue_prefix, clock_prefix, first, t)
  for i = first, #ARGV do
    local host = ARGV[i]
    if redis.call('LLEN', queue_prefix .. host) > 0 then
      redis.call('ZADD', hosts_key, fmt(host_ready(clock_prefix, host, t)), host)
    else
      redis.call('ZREM', hosts_key, host)
    end
  end
end
"""

# -- the clock ------------------------------------------------------------------------------
# KEYS: host record, the epoch key. ARGV: gap, ttl, worker token, hold.
# No epoch key: Redis lost what the workers wrote (restarted empty) and with it when each
# host was last asked: answer 'lost' and claim nothing (the clock fails closed).
# While another worker has a request to this host reserved or in flight (its token, until
# 'held_until'), answer 'wait:<seconds>' and claim nothing: the next start must count from
# that request's answer, which only its release will tell. Otherwise claim and return the
# start. The gap used is the larger of this caller's and the previous caller's: a worker
# that has not read the host's robots.txt yet (and so uses the default gap) never sends
# sooner than one that has.
RESERVE = (
    _COMMON
    + """
if redis.call('EXISTS', KEYS[2]) == 0 then return 'lost' end
local t = now()
local h = redis.call('HMGET', KEYS[1], 'last_start', 'last_done', 'paused_until', 'gap',
  'holder', 'held_until')
if h[5] and h[5] ~= ARGV[3] and tonumber(h[6]) > t then
  return 'wait:' .. fmt(tonumber(h[6]) - t)
end
local gap = math.max(tonumber(ARGV[1]), tonumber(h[4]) or 0)
local start = t
if h[1] then start = math.max(start, tonumber(h[1]) + gap) end
if h[2] then start = math.max(start, tonumber(h[2]) + gap) end
if h[3] then start = math.max(start, tonumber(h[3])) end
redis.call('HSET', KEYS[1], 'last_start', fmt(start), 'gap', ARGV[1],
  'holder', ARGV[3], 'held_until', fmt(start + tonumber(ARGV[4])))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return fmt(start)
"""
)

# KEYS: host record. ARGV: sent, done, ttl, worker token, '1' when the worker has no other
# request to this host out (then the host is free for other workers' reservations).
RELEASE = (
    _COMMON
    + """
local h = redis.call('HMGET', KEYS[1], 'last_start', 'last_done', 'holder')
local s = math.max(tonumber(h[1]) or tonumber(ARGV[1]), tonumber(ARGV[1]))
local d = math.max(tonumber(h[2]) or tonumber(ARGV[2]), tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'last_start', fmt(s), 'last_done', fmt(d))
if ARGV[5] == '1' and h[3] == ARGV[4] then
  redis.call('HDEL', KEYS[1], 'holder', 'held_until')
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""
)

# KEYS: host record. ARGV: worker token. A closing worker lets go of what it holds.
UNHOLD = """
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'holder', 'held_until')
end
return 1
"""

# KEYS: host record. ARGV: until, ttl.
PAUSE = (
    _COMMON
    + """
local p = tonumber(redis.call('HGET', KEYS[1], 'paused_until')) or 0
redis.call('HSET', KEYS[1], 'paused_until', fmt(math.max(p, tonumber(ARGV[1]))))
redis.call('EXPIRE', KEYS[1], math.max(tonumber(ARGV[2]), math.ceil(tonumber(ARGV[1]) - now())))
return 1
"""
)

PAUSED_UNTIL = """
return redis.call('HGET', KEYS[1], 'paused_until') or '0'
"""

# -- the frontier ---------------------------------------------------------------------------
# KEYS: hosts, seen, active, leases, leased, seed hosts.
# ARGV: queue prefix, clock prefix, then six for each request: host, payload, fingerprint
#       ('' = don't filter), front ('1' = first in the host's queue), lease to finish
#       ('' = none), seed ('1' = its host is a seed's).
# Returns, for each request, 1 when queued, 0 when already seen. Filter and push are one
# step, so a worker dying in between can't leave a URL marked seen but never queued; the
# requests a worker enqueued since its last call go together (one round trip, not one each).
ENQUEUE = (
    _COMMON
    + """
local t = now()
redis.call('SET', KEYS[3], fmt(t))
local queued = {}
for i = 3, #ARGV, 6 do
  local host, payload, key = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if ARGV[i + 4] ~= '' then
    redis.call('ZREM', KEYS[4], ARGV[i + 4])
    redis.call('HDEL', KEYS[5], ARGV[i + 4])
  end
  if ARGV[i + 5] == '1' then redis.call('SADD', KEYS[6], host) end
  if key ~= '' and redis.call('SADD', KEYS[2], key) == 0 then
    queued[#queued + 1] = 0
  else
    if ARGV[i + 3] == '1' then
      redis.call('LPUSH', ARGV[1] .. host, payload)
    else
      redis.call('RPUSH', ARGV[1] .. host, payload)
    end
    redis.call('ZADD', KEYS[1], 'NX', fmt(host_ready(ARGV[2], host, t)), host)
    queued[#queued + 1] = 1
  end
end
return queued
"""
)

# KEYS: hosts, leases, leased, active. ARGV: queue prefix, lease id, lease time-out, clock
# prefix, most requests to lease, then the hosts this worker is done with since its last
# call (released first, as RELEASE_HOST does: a round trip a request saved).
# Takes the first request of each host that is ready now, soonest ready first, up to the
# most asked for and to half the hosts ready (other workers ask too), and marks each host
# busy until it is released. The first lease has the id
# given, the next ones that id and '.2', '.3'... Returns {1, host, payload, host, payload...},
# or {0, wait}: seconds until the next host is ready, '-1' for an empty frontier, '-2' when
# every host is busy.
LEASE = (
    _COMMON
    + """
local t = now()
release_hosts(KEYS[1], ARGV[1], ARGV[4], 6, t)
-- At most half the hosts ready now (one when one or two are): the rest stay for others.
local ready = redis.call('ZCOUNT', KEYS[1], '-inf', fmt(t))
local most = math.max(1, math.min(tonumber(ARGV[5]), math.floor(ready / 2)))
local out = {1}
local n = 0
local wait = '0'
for _ = 1, most + 50 do
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #first == 0 then wait = '-1' break end
  local host, score = first[1], tonumber(first[2])
  if score >= """
    + repr(BUSY)
    + """ then wait = '-2' break end
  if score > t then wait = fmt(score - t) break end
  local payload = redis.call('LPOP', ARGV[1] .. host)
  if payload then
    n = n + 1
    local id = ARGV[2]
    if n > 1 then id = id .. '.' .. n end
    redis.call('ZADD', KEYS[1], fmt("""
    + repr(BUSY)
    + """), host)
    redis.call('ZADD', KEYS[2], fmt(t + tonumber(ARGV[3])), id)
    redis.call('HSET', KEYS[3], id, host .. '\\n' .. payload)
    out[#out + 1] = host
    out[#out + 1] = payload
    if n >= most then break end
  else
    redis.call('ZREM', KEYS[1], host)
  end
end
if n > 0 then
  redis.call('SET', KEYS[4], fmt(t))
  return out
end
return {0, wait}
"""
)

# KEYS: hosts. ARGV: queue prefix, clock prefix, hosts. Their requests are done with the
# network: each host may be leased again when its clock allows.
RELEASE_HOST = (
    _COMMON
    + """
release_hosts(KEYS[1], ARGV[1], ARGV[2], 3, now())
return #ARGV - 2
"""
)

# KEYS: leases, leased, active. ARGV: lease ids. The requests are fully handled.
ACK = (
    _COMMON
    + """
for _, id in ipairs(ARGV) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
redis.call('SET', KEYS[3], fmt(now()))
return #ARGV
"""
)

# KEYS: hosts, leases, leased, active. ARGV: queue prefix, clock prefix, lease time-out
# (for extending), then the lease ids given back ('expired' alone: every lease past its
# time-out, whoever held it). Given-back requests go first in their host's queue.
RETURN_LEASES = (
    _COMMON
    + """
local t = now()
local ids = {}
if ARGV[4] == 'expired' then
  ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', fmt(t), 'LIMIT', 0, 200)
else
  for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
end
local n = 0
for _, id in ipairs(ids) do
  local v = redis.call('HGET', KEYS[3], id)
  if v then
    local host, payload = split_leased(v)
    redis.call('LPUSH', ARGV[1] .. host, payload)
    redis.call('ZADD', KEYS[1], fmt(host_ready(ARGV[2], host, t)), host)
    n = n + 1
  end
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
end
if n > 0 then redis.call('SET', KEYS[4], fmt(t)) end
return n
"""
)

# KEYS: leases. ARGV: lease time-out, lease ids. A live worker keeps its leases.
EXTEND = (
    _COMMON
    + """
local expiry = fmt(now() + tonumber(ARGV[1]))
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('ZADD', KEYS[1], 'XX', 'CH', expiry, ARGV[i])
end
return n
"""
)

# KEYS: hosts, leases, active. Returns {hosts queued or busy, leases, seconds idle}.
STATUS = (
    _COMMON
    + """
local a = tonumber(redis.call('GET', KEYS[3]) or '0')
return {redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), fmt(now() - a)}
"""
)
