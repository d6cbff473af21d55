-- Routes every /v1/ request, all in balancer_by_lua (no access phase: one Lua entry fewer per
-- request). nginx.conf has two upstreams, so that the request path itself says which rule
-- applies and a new request never looks at its URI:
--   balance():       upstream jdy_gateways (handshakes, everything else under /v1/): the
--                    picker's choice.
--   balance_owner(): upstream jdy_owners (GET/POST/DELETE /v1/chat/stream/{id},
--                    POST /v1/chat/ack/{id}): the gateway named in the stream id
--                    ("<node>~<random>"); a stream id that names no known gateway, or whose
--                    gateway cannot be reached (gone), goes to the picker's choice: that gateway
--                    finds in etcd who serves the gone gateway's streams now (the survivor that
--                    took its reply partition over) and proxies the reader there, or answers 200
--                    text/event-stream with a retry: while none has yet, or 404 when none will.
-- After a failed connect it marks that gateway down and tries the next choice: nginx grants a
-- request as many tries as its upstream has servers, and upstream jdy_gateways lists three
-- placeholders, so a new request tries at most three gateways with no per-request
-- set_more_tries (measured: ~300 of the ~1,000 instructions its Lua adds). No gateway -> 502,
-- which nginx.conf's error_page turns into a problem. log() releases the in-flight count of the
-- gateway that served the request; log_handshake() (location = /v1/chat/handshake) also gives
-- jdy.latency the handshake's time on it: from the balancer's choice (of its last try) to the
-- log phase, both ngx.now() kept per request beside the gateway (`since`). Both count the request
-- (and an error status) for its gateway in jdy.metrics; retry() counts a retry, and a request no
-- gateway can take is counted too.
--
-- A new request usually reads and writes no shared dict: the routing epoch (list and down marks
-- are this worker's copies while it does not move) is read at most every epoch_interval, and a
-- timer writes the worker's in-flight changes at most every count_max_age (jdy.health). The
-- balancer reads ngx.now() once per call, the log phase once for a handshake, else not at all.
-- The gateway that serves a request is remembered in a per-worker table keyed by the request's
-- address (from resty.core's get_request(); balancer and log phase of a request run in the
-- same worker), not in ngx.var or ngx.ctx: resty.core's ngx.var read cannot be JIT-compiled
-- (ffi.string in a tail call) and costs ~1 us per request interpreted; ngx.ctx creates a table
-- and a cleanup per request. An entry for the request means a retry: ngx.balancer's
-- get_last_failure() is called only then.
--
-- Concurrency: `serving` is this worker's own (one request runs Lua at a time per worker). An
-- entry lives from the balancer to the log phase of its request, so the table holds at most
-- the worker's requests in flight; max_tracked_requests bounds it all the same (a request over
-- the bound is not counted in flight, and not retried elsewhere). An entry left by a request
-- whose log phase never ran is released when its request address is reused.
local fallback = require("jdy.fallback")
local health = require("jdy.health")
local latency = require("jdy.latency")
local metrics = require("jdy.metrics")
local list_store = require("jdy.list_store")
local picker = require("jdy.picker")
local settings = require("jdy.settings")
local user = require("jdy.user")
local ffi = require("ffi")
local get_request = require("resty.core.base").get_request
local ngx_balancer = require("ngx.balancer")
local set_current_peer = ngx_balancer.set_current_peer
local get_last_failure = ngx_balancer.get_last_failure
local ngx_var = ngx.var
local ngx_log = ngx.log
local ngx_ERR = ngx.ERR
local ngx_WARN = ngx.WARN
local ngx_now = ngx.now
local ngx_exit = ngx.exit
local str_match = string.match
local ffi_cast = ffi.cast
local tonumber = tonumber

local _M = {version = 0.3}

-- per worker: request key -> id of the gateway counted in flight for it; number of entries;
-- request key -> when that gateway was chosen (ngx.now())
local serving, serving_n = {}, 0
local since = {}

-- request_key() -> this request's address as a number (get_request() gives a new cdata
-- pointer object each time: as a table key it would never match)
local function request_key()
    return tonumber(ffi_cast("uintptr_t", get_request()))
end

-- serve(key, id, now): the request goes to gateway id, chosen at now, which the picker (or
-- acquire) counted in flight; log() releases it
local function serve(key, id, now)
    if serving_n >= settings.current.max_tracked_requests then
        ngx_log(ngx_ERR, "more than ", serving_n, " requests in flight in this worker: ",
                "this one is not counted")
        health.release(id)
        return
    end
    serving_n = serving_n + 1
    serving[key] = id
    since[key] = now
end

local function forget(key, id)
    serving[key] = nil
    since[key] = nil
    serving_n = serving_n - 1
    health.release(id)
end

-- owner_of(uri) -> node | nil, is_owner_route
function _M.owner_of(uri)
    local stream_id = str_match(uri, "^/v1/chat/stream/([^/]+)/?$")
                      or str_match(uri, "^/v1/chat/ack/([^/]+)/?$")
    if not stream_id then
        return nil, false
    end
    local node = str_match(stream_id, "^([%w_%.%-]+)~")
    if node and #node > 64 then
        node = nil
    end
    return node, true
end

local function set_peer(id, host, port)
    local ok, err = set_current_peer(host, port)
    if not ok then
        ngx_log(ngx_ERR, "failed to set gateway ", id, " as peer: ", err)
        return ngx_exit(502)
    end
end

-- pick(exclude, owner_route, now) -> peer (counted in flight), view | nil, err
local function pick(exclude, owner_route, now)
    local epoch = list_store.epoch(now)
    local view, fetched_at = list_store.view(epoch)
    if not view then
        return nil, "the edge has no gateway list yet"
    end
    latency.follow(view)
    local mode = fallback.mode(view.strategy, fetched_at, now)
    local uid = mode == "hash" and not owner_route and user.current() or nil
    local peer = picker.pick(view, mode, uid, exclude, health.marks(view, epoch, now), now)
    if not peer then
        return nil, "every gateway in the list is drained"
    end
    return peer, view
end

local function first(key, owner_route, now)
    local peer, view = pick(nil, owner_route, now)
    if not peer then
        ngx_log(ngx_ERR, "balancer: no gateway: ", view)
        metrics.count_now("no_gateway")
        return ngx_exit(502)
    end
    serve(key, peer.id, now)
    return set_peer(peer.id, peer.host, peer.port)
end

-- the last try of the request `key` failed: mark its gateway down (connect or read failure)
-- and try a gateway this request has not tried yet (for an owner route too: its owner is gone,
-- and any gateway finds who serves its streams now)
local function retry(key, state, code, now)
    local id = serving[key]
    local host, port = list_store.address(id)
    ngx_log(ngx_WARN, "gateway ", id, " (", host, ":", port, ") failed: ", state, " ",
            code or "")
    if state == "failed" and host then
        health.mark_down(id, host, port, "connect or read failed")
    end
    local ctx = ngx.ctx
    local tried = ctx.jdy_tried
    if not tried then
        tried = {}
        ctx.jdy_tried = tried
    end
    tried[id] = true
    metrics.count("retries", id)
    local next_peer = pick(tried, false, now)
    if not next_peer then
        ngx_log(ngx_ERR, "balancer: no other gateway to try after ", id)
        metrics.count_now("no_gateway")
        return ngx_exit(502)
    end
    health.release(id)
    serving[key] = next_peer.id
    since[key] = now
    return set_peer(next_peer.id, next_peer.host, next_peer.port)
end

-- returns the last failure when this is a retry; a request whose key is already served but
-- has no last failure is a new request at the address of one whose log phase never ran: that
-- entry is released
local function last_failure(key)
    local state, code = get_last_failure()
    if not state then
        forget(key, serving[key])
    end
    return state, code
end

-- balancer_by_lua of upstream jdy_gateways
function _M.balance()
    local key = request_key()
    local now = ngx_now()
    if serving[key] then
        local state, code = last_failure(key)
        if state then
            return retry(key, state, code, now)
        end
    end
    return first(key, false, now)
end

-- balancer_by_lua of upstream jdy_owners
function _M.balance_owner()
    local key = request_key()
    local now = ngx_now()
    local node, owner_route = _M.owner_of(ngx_var.uri)
    local host, port
    if node then
        host, port = list_store.address(node)
    end
    if serving[key] then
        local state, code = last_failure(key)
        if state then
            return retry(key, state, code, now)
        end
    end
    if not host then
        -- a stream id that names no gateway the edge knows: any gateway finds its owner
        return first(key, owner_route, now)
    end
    health.acquire(node)
    serve(key, node, now)
    return set_peer(node, host, port)
end

-- log_by_lua
function _M.log()
    local key = request_key()
    local id = serving[key]
    if id then
        metrics.served(id, ngx.status)
        forget(key, id)
    end
end

-- log_by_lua of location = /v1/chat/handshake: log(), and the handshake's time is a sample of
-- its gateway's latency
function _M.log_handshake()
    local key = request_key()
    local id = serving[key]
    if id then
        local now = ngx_now()
        latency.observe(id, now - since[key], now)
        metrics.served(id, ngx.status)
        forget(key, id)
    end
end

return _M
