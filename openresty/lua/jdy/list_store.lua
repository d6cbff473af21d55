-- The best list in the shared dict `jdy_list`. Only the sync timer calls write() and touch();
-- the request path calls view() and address(), which only read.
--
-- Keys: "list" (JSON), "seq" (bumped on every write), "source" ("ipconfig" | "file" |
-- "static"), "fetched_at" (last contact with ipconfig that confirmed the list), "etag",
-- "addr:<id>" ("ip:port", kept address_ttl seconds so streams on a gateway that left the list
-- still reach it).
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

-- per worker: the decoded list for the last seq seen
local cached_seq, cached_view
local initial_view

local function build_view(list, source, seq)
    local by_id, usable, max_weight = {}, 0, 0
    for _, inst in ipairs(list.instances) do
        by_id[inst.id] = inst
        if inst.weight > 0 then
            usable = usable + 1
            if inst.weight > max_weight then
                max_weight = inst.weight
            end
        end
    end
    return {list = list, instances = list.instances, by_id = by_id, usable = usable,
            max_weight = max_weight, strategy = list.strategy, version = list.version,
            source = source, seq = seq}
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
    return true
end

-- touch(fetched_at): ipconfig confirmed the list (304).
function _M.touch(fetched_at)
    dict:set("fetched_at", fetched_at)
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

-- view() -> view, fetched_at | nil. The view is this worker's decoded copy:
-- {instances, by_id, usable, max_weight, strategy, version, source, seq}.
function _M.view()
    local seq = dict:get("seq")
    if seq == nil then
        local list, source, fetched_at = fallback.initial()
        if not list then
            return nil
        end
        if not initial_view then
            initial_view = build_view(list, source, 0)
        end
        return initial_view, fetched_at
    end
    if seq ~= cached_seq then
        local list = cjson.decode(dict:get("list") or "")
        if list then
            cached_view = build_view(list, dict:get("source"), seq)
            cached_seq = seq
        elseif not cached_view then
            return nil
        end
    end
    return cached_view, dict:get("fetched_at")
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
