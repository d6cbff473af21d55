-- Routes every /v1/ request, all in balancer_by_lua (no access phase: one Lua entry fewer per
-- request). balance(): requests for an existing stream (GET/POST/DELETE /v1/chat/stream/{id},
-- POST /v1/chat/ack/{id}) go to the gateway named in the stream id ("<node>~<random>"); others
-- to the picker's choice (a stream id that names no known gateway too: that gateway answers
-- 404). After a failed connect it marks that gateway down and tries the next choice (at most
-- max_tries gateways per request; no retry for stream routes: only the owner has the stream).
-- log() releases the in-flight count. No gateway -> 502, which nginx.conf's error_page turns
-- into a problem.
local fallback = require("jdy.fallback")
local health = require("jdy.health")
local list_store = require("jdy.list_store")
local picker = require("jdy.picker")
local settings = require("jdy.settings")
local user = require("jdy.user")
local ngx_balancer = require("ngx.balancer")
local ngx_ctx_get = function() return ngx.ctx end
local ngx_var = ngx.var
local ngx_log = ngx.log
local ngx_ERR = ngx.ERR
local ngx_WARN = ngx.WARN
local ngx_now = ngx.now
local ngx_exit = ngx.exit
local str_match = string.match
local math_min = math.min

local _M = {version = 0.1}


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

local function start(ctx, peer)
    ctx.peer = peer
    health.incr(peer.id)
    ngx_var.jdy_peer = peer.id
end

local function set_peer(peer)
    local ok, err = ngx_balancer.set_current_peer(peer.host, peer.port)
    if not ok then
        ngx_log(ngx_ERR, "failed to set gateway ", peer.id, " as peer: ", err)
        return ngx_exit(502)
    end
end

-- choose(ctx) -> peer, err: the first gateway for this request
local function choose(ctx)
    local node, owner_route = _M.owner_of(ngx_var.uri)
    if node then
        local host, port = list_store.address(node)
        if host then
            ctx.owner = true
            return {id = node, host = host, port = port}
        end
    end
    -- a new request, or a stream id that names no gateway the edge knows: any gateway
    -- answers the latter with its own 404 problem
    local view, fetched_at = list_store.view()
    if not view then
        return nil, "the edge has no gateway list yet"
    end
    local mode = fallback.mode(view.strategy, fetched_at, ngx_now())
    local uid = mode == "hash" and not owner_route and user.current() or nil
    local peer = picker.pick(view, mode, uid, nil)
    if not peer then
        return nil, "every gateway in the list is drained"
    end
    ctx.view, ctx.mode, ctx.user, ctx.tried = view, mode, uid, {[peer.id] = true}
    return peer
end

-- balancer_by_lua
function _M.balance()
    local ctx = ngx_ctx_get()
    local peer = ctx.peer
    if not peer then
        local err
        peer, err = choose(ctx)
        if not peer then
            ngx_log(ngx_ERR, "balancer: no gateway: ", err)
            return ngx_exit(502)
        end
        start(ctx, peer)
        if not ctx.owner then
            local tries = math_min(settings.current.max_tries, ctx.view.usable) - 1
            if tries > 0 then
                local ok, serr = ngx_balancer.set_more_tries(tries)
                if not ok then
                    ngx_log(ngx_ERR, "failed to set more tries: ", serr)
                end
            end
        end
        return set_peer(peer)
    end
    local state, code = ngx_balancer.get_last_failure()
    if state then
        ngx_log(ngx_WARN, "gateway ", peer.id, " (", peer.host, ":", peer.port, ") failed: ",
                state, " ", code or "")
        if state == "failed" then
            health.mark_down(peer.id, peer.host, peer.port, "connect or read failed")
        end
        if ctx.owner then
            return ngx_exit(502)
        end
        local next_peer = picker.pick(ctx.view, ctx.mode, ctx.user, ctx.tried)
        if not next_peer then
            ngx_log(ngx_ERR, "balancer: no other gateway to try after ", peer.id)
            return ngx_exit(502)
        end
        health.decr(peer.id)
        ctx.tried[next_peer.id] = true
        start(ctx, next_peer)
        peer = next_peer
    end
    return set_peer(peer)
end

-- log_by_lua
function _M.log()
    local id = ngx_var.jdy_peer
    if id and id ~= "" then
        health.decr(id)
    end
end

return _M
