/**
 * Lua scripts run atomically in Redis: each read-and-write of shared presence happens in one step,
 * so two instances acting at once (two peers joining one document, two pipe sides arriving) never
 * both miss each other. Keys (prefix `p`):
 * - `p:inst:<instance>` heartbeat, expires after the instance TTL; `p:insts` the instances known;
 * - `p:peer:<peer>` hash {i: owning instance, t: sha256 of its token or ''}; `p:ipeers:<instance>`;
 * - `p:pdocs:<peer>` documents a peer joined, `p:doc:<document>` peers joined to it;
 * - `p:pipe:<from>/<to>/<doc>` the instance holding that waiting pipe side (expires with the hold).
 * Keys are computed in the scripts, so this needs one Redis (or a primary with replicas), not Redis Cluster.
 */

/** Remove a peer's presence (its documents and its hash); shared by the scripts below. */
const DROP_PEER = `
local function drop_peer(p, peer, owner)
  for _, d in ipairs(redis.call('SMEMBERS', p .. 'pdocs:' .. peer)) do
    redis.call('SREM', p .. 'doc:' .. d, peer)
  end
  redis.call('DEL', p .. 'pdocs:' .. peer, p .. 'peer:' .. peer)
  if owner then redis.call('SREM', p .. 'ipeers:' .. owner, peer) end
end
`

/**
 * ARGV: p, peer, instance, tokenHash ('' for none). Returns 'ok' or 'conflict', and the previous owner
 * when the token took the id over from another live instance.
 */
export const CLAIM = `${DROP_PEER}
local p, peer, me, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local key = p .. 'peer:' .. peer
local owner = redis.call('HGET', key, 'i')
local previous = ''
if owner and owner ~= me then
  if redis.call('EXISTS', p .. 'inst:' .. owner) == 1 then
    local held = redis.call('HGET', key, 't')
    if token == '' or held ~= token then return {'conflict', owner} end
    previous = owner
  end
  drop_peer(p, peer, owner)
end
redis.call('HSET', key, 'i', me, 't', token)
redis.call('SADD', p .. 'ipeers:' .. me, peer)
return {'ok', previous}
`

/**
 * ARGV: p, peer, instance, documents... Adds the Join when the peer is still ours, and introduces the
 * peer to each peer of another live instance it now shares documents with: the `intro` control
 * (wire.ts: byte 1, then JSON) is published to that instance's channel from here, so an introduction
 * costs the instance one command, not two. Returns a flat list [peer, {shared documents}, ...] of
 * those peers, for the joining peer's own introductions.
 */
export const JOIN = `
local p, me, inst = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HGET', p .. 'peer:' .. me, 'i') ~= inst then return {} end
for i = 4, #ARGV do
  redis.call('SADD', p .. 'doc:' .. ARGV[i], me)
  redis.call('SADD', p .. 'pdocs:' .. me, ARGV[i])
end
local seen, out = {}, {}
for i = 4, #ARGV do
  for _, other in ipairs(redis.call('SMEMBERS', p .. 'doc:' .. ARGV[i])) do
    if other ~= me and not seen[other] then
      seen[other] = true
      local where = redis.call('HGET', p .. 'peer:' .. other, 'i')
      if where and where ~= inst and redis.call('EXISTS', p .. 'inst:' .. where) == 1 then
        local shared = redis.call('SINTER', p .. 'pdocs:' .. me, p .. 'pdocs:' .. other)
        if #shared > 0 then
          local intro = cjson.encode({ k = 'intro', to = other, from = me, docs = shared })
          redis.call('PUBLISH', p .. 'i:' .. where, string.char(1) .. intro)
          out[#out + 1] = other
          out[#out + 1] = shared
        end
      end
    end
  end
end
return out
`

/** ARGV: p, peer, instance, documents... */
export const LEAVE = `
local p, me, inst = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HGET', p .. 'peer:' .. me, 'i') ~= inst then return 0 end
for i = 4, #ARGV do
  redis.call('SREM', p .. 'doc:' .. ARGV[i], me)
  redis.call('SREM', p .. 'pdocs:' .. me, ARGV[i])
end
return 1
`

/** ARGV: p, peer, instance. Only the owning instance removes a registration. */
export const REMOVE = `${DROP_PEER}
local p, peer, me = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HGET', p .. 'peer:' .. peer, 'i') ~= me then return 0 end
drop_peer(p, peer, me)
return 1
`

/** ARGV: p, dead instance. Forget an instance whose heartbeat expired, and every peer it owned. */
export const REAP = `${DROP_PEER}
local p, dead = ARGV[1], ARGV[2]
if redis.call('EXISTS', p .. 'inst:' .. dead) == 1 then return -1 end
if redis.call('SREM', p .. 'insts', dead) == 0 then return -1 end
local peers = redis.call('SMEMBERS', p .. 'ipeers:' .. dead)
for _, peer in ipairs(peers) do
  if redis.call('HGET', p .. 'peer:' .. peer, 'i') == dead then drop_peer(p, peer, nil) end
end
redis.call('DEL', p .. 'ipeers:' .. dead)
return #peers
`

/** ARGV: p, peer, document. 1 when the peer is registered on a live instance and joined to it. */
export const IS_JOINED = `
local p, peer, doc = ARGV[1], ARGV[2], ARGV[3]
local where = redis.call('HGET', p .. 'peer:' .. peer, 'i')
if not where or redis.call('EXISTS', p .. 'inst:' .. where) == 0 then return 0 end
return redis.call('SISMEMBER', p .. 'pdocs:' .. peer, doc)
`

/**
 * ARGV: p, my key, partner key, instance, hold ms. When the partner side waits on another live
 * instance, take it (delete its key) and return that instance; otherwise record ours and return false.
 */
export const PIPE_MATCH = `
local p, mine, theirs, me, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local other = redis.call('GET', p .. 'pipe:' .. theirs)
if other and other ~= me and redis.call('EXISTS', p .. 'inst:' .. other) == 1 then
  redis.call('DEL', p .. 'pipe:' .. theirs)
  return other
end
redis.call('SET', p .. 'pipe:' .. mine, me, 'PX', ttl)
return false
`

/** ARGV: p, key, instance. */
export const PIPE_RELEASE = `
if redis.call('GET', ARGV[1] .. 'pipe:' .. ARGV[2]) == ARGV[3] then
  redis.call('DEL', ARGV[1] .. 'pipe:' .. ARGV[2])
end
return 0
`
