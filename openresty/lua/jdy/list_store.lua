-- The best list in the shared dict `jdy_list`. Only the sync timer calls write() and touch();
-- the request path calls epoch(), view() and address(), which only read.
--
-- Keys: "list" (JSON), "seq" (bumped on every write), "source" ("ipconfig" | "file" |
-- "static"), "fetched_at" (last contact with ipconfig that confirmed the list), "etag",
-- "addr:<id>" ("ip:port", kept address_ttl seconds so streams on a gateway that left the list
-- still reach it), "epoch" (bumped after every change a request routes by: write, touch, and
-- the down marks of jdy.health).
--
-- Concurrency: each worker keeps its own decoded copy of the list (the view) and the
-- fetched_at it read, for the epoch it last saw. A worker reads "epoch" (one shared dict get)
-- at most every epoch_interval (and at once after it bumped the epoch itself); the rest is read
-- again only when the epoch moved. A writer changes its keys first and bumps the epoch last, so
-- a reader that sees the new epoch also sees the new values.
local best_list = require("jdy.best_list")
local cjson = require("cjson.safe")
local fallback = require("jdy.fallback")
local settings = require("jdy.settings")
local ngx_shared = ngx.shared
local ngx_log = ngx.log
local ngx_ERR = ngx.ERR
local str_match = string.match
local tonumber = tonumber
local ipairs = ipairs

local _M = {version = 0.1}

local dict = ngx_shared.jdy_list

-- per worker: the epoch last seen, and the view and fetched_at read for it
local cached_epoch = false
local cached_seq, cached_view, cached_fetched_at
local initial_view

-- build_view(list, source, seq) -> view: the list plus what a pick needs precomputed, so that a
-- pick is table lookups: `usable` (array of the instances with weight > 0), `total_weight`
-- (their sum), `by_id`, `max_weight`. The picker adds its own per-worker state (rr, ring).
local function build_view(list, source, seq)
    local by_id, usable, max_weight, total_weight = {}, {}, 0, 0
    for _, inst in ipairs(list.instances) do
        by_id[inst.id] = inst
        if inst.weight > 0 then
            usable[#usable + 1] = inst
            total_weight = total_weight + inst.weight
            if inst.weight > max_weight then
                max_weight = inst.weight
            end
        end
    end
    return {list = list, instances = list.instances, by_id = by_id, usable = usable,
            total_weight = total_weight, max_weight = max_weight, strategy = list.strategy,
            version = list.version, source = source, seq = seq}
end

-- per worker: when this worker last read the epoch (ngx.now()), and what it read
local epoch_read_at, epoch_read = -1, nil

-- bump(): a change that requests route by was written (list, fetched_at, down marks).
function _M.bump()
    local ok, err = dict:incr("epoch", 1, 0)
    if not ok then
        ngx_log(ngx_ERR, "failed to bump the routing epoch: ", err)
    end
    epoch_read_at = -1
end

-- epoch(now) -> the epoch (nil before the first change), read from the dict at most every
-- epoch_interval seconds per worker.
function _M.epoch(now)
    if now - epoch_read_at >= settings.current.epoch_interval then
        epoch_read_at = now
        epoch_read = dict:get("epoch")
    end
    return epoch_read
end

-- write(list, source, fetched_at, etag) -> ok, err
function _M.write(list, source, fetched_at, etag)
    local text, err = best_list.encode(list)
    if not text then
        return nil, "failed to encode best list: " .. err
    end
    local ttl = settings.current.address_ttl
    for _, inst in ipairs(list.instances) do
        local ok, serr = dict:set("addr:" .. inst.id, inst.host .. ":" .. inst.port, ttl)
        if not ok then
            ngx_log(ngx_ERR, "failed to keep the address of ", inst.id, ": ", serr)
        end
    end
    local ok, serr = dict:set("list", text)
    if not ok then
        return nil, "failed to store best list: " .. serr
    end
    dict:set("source", source)
    dict:set("fetched_at", fetched_at)
    dict:set("etag", etag or "")
    dict:incr("seq", 1, 0)
    _M.bump()
    return true
end

-- touch(fetched_at): ipconfig confirmed the list (304).
function _M.touch(fetched_at)
    dict:set("fetched_at", fetched_at)
    _M.bump()
end

function _M.etag()
    local etag = dict:get("etag")
    if etag == "" then
        return nil
    end
    return etag
end

function _M.has_list()
    return dict:get("seq") ~= nil
end

local function refresh(epoch)
    local seq = dict:get("seq")
    if seq == nil then
        local list, source, fetched_at = fallback.initial()
        if list and not initial_view then
            initial_view = build_view(list, source, 0)
        end
        cached_view, cached_seq, cached_fetched_at = initial_view, nil, fetched_at
        cached_epoch = epoch
        return
    end
    if seq ~= cached_seq then
        local list = cjson.decode(dict:get("list") or "")
        if not list then
            -- keep the last good copy; try again on the next request
            ngx_log(ngx_ERR, "failed to decode the shared best list, seq ", seq)
            return
        end
        cached_view, cached_seq = build_view(list, dict:get("source"), seq), seq
    end
    cached_fetched_at = dict:get("fetched_at")
    cached_epoch = epoch
end

-- view([epoch]) -> view, fetched_at | nil. The view is this worker's decoded copy:
-- {instances, usable, total_weight, by_id, max_weight, strategy, version, source, seq}.
-- `epoch` is what epoch() returned for this request (read here when not given).
function _M.view(epoch)
    if epoch == nil then
        epoch = dict:get("epoch")
    end
    if epoch ~= cached_epoch then
        refresh(epoch)
    end
    if not cached_view then
        return nil
    end
    return cached_view, cached_fetched_at
end

-- address(id) -> host, port | nil: from the current list, the address book, or the static list.
function _M.address(id)
    local view = _M.view()
    local inst = view and view.by_id[id]
    if inst then
        return inst.host, inst.port
    end
    local addr = dict:get("addr:" .. id)
    if not addr then
        local list = fallback.initial()
        if list then
            for _, i in ipairs(list.instances) do
                if i.id == id then
                    return i.host, i.port
                end
            end
        end
        return nil
    end
    local host, port = str_match(addr, "^(.+):(%d+)$")
    return host, tonumber(port)
end

return _M
