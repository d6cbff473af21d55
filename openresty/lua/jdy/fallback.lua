-- What the edge routes by when ipconfig gives nothing: the saved list, then the static list
-- from the config; and when the last list is older than the stale age, weighted random over it.
local best_list = require("jdy.best_list")
local settings = require("jdy.settings")
local ngx_log = ngx.log
local ngx_WARN = ngx.WARN
local ngx_ERR = ngx.ERR
local str_gmatch = string.gmatch
local str_match = string.match
local tonumber = tonumber

local _M = {version = 0.1}

local initial_list, initial_source, initial_fetched_at
local slots

-- parse_static("gw-1=127.0.0.1:8081,gw-2=127.0.0.1:8082") -> list, err (equal weights)
function _M.parse_static(text)
    local doc = {version = "static", strategy = "score", instances = {}}
    for entry in str_gmatch(text or "", "[^%s,]+") do
        local id, host, port = str_match(entry, "^([^=]+)=([^:]+):(%d+)$")
        if not id then
            return nil, "bad static gateway entry: " .. entry
        end
        doc.instances[#doc.instances + 1] = {id = id, host = host, port = tonumber(port),
                                             weight = 1}
    end
    return best_list.validate(doc, settings.current.max_instances)
end

-- init(): in init_by_lua. Reads the saved file, then the static list; keeps the first that works.
function _M.init()
    local cfg = settings.current
    local static, serr = _M.parse_static(cfg.static_gateways)
    if not static and cfg.static_gateways ~= "" then
        ngx_log(ngx_ERR, "failed to parse static gateways: ", serr)
    end
    if cfg.saved_list_path ~= "" then
        local saved, saved_at, slot = best_list.load(cfg.saved_list_path, cfg.max_instances)
        local opened, oerr = best_list.open_slots(cfg.saved_list_path)
        if opened then
            -- never overwrite the newest good copy first
            opened.next = slot == 1 and 2 or 1
        else
            ngx_log(ngx_ERR, "the best list will not be saved: ", oerr)
        end
        slots = opened
        if saved then
            initial_list, initial_source, initial_fetched_at = saved, "file", saved_at
            return
        end
        ngx_log(ngx_WARN, saved_at)
    end
    if static then
        initial_list, initial_source, initial_fetched_at = static, "static", 0
    end
end

-- slots() -> the saved list's open slot files (see best_list.open_slots), or nil
function _M.slots()
    return slots
end

-- initial() -> list, source ("file" | "static"), fetched_at; nil when there is neither.
function _M.initial()
    return initial_list, initial_source, initial_fetched_at
end

-- mode(strategy, fetched_at, now) -> "random" when the list is older than the stale age,
-- "hash" for strategy hash, else "p2c".
function _M.mode(strategy, fetched_at, now)
    if now - (fetched_at or 0) > settings.current.stale_age then
        return "random"
    end
    if strategy == "hash" then
        return "hash"
    end
    return "p2c"
end

return _M
