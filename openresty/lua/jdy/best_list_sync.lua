-- Keeps the best list in the shared dict in step with ipconfig. Runs in ONE worker (the one
-- init_worker starts it in): a timer long-polls GET /v1/best/<service>?wait=<n>s with
-- If-None-Match, validates a 200, writes it (list_store.write) and saves it to a file; a 304
-- only confirms the list. On any failure the last list stays and the poll backs off. The timer
-- checks `premature`, traps errors with xpcall and re-arms itself with jitter.
local best_list = require("jdy.best_list")
local fallback = require("jdy.fallback")
local http = require("jdy.http")
local list_store = require("jdy.list_store")
local settings = require("jdy.settings")
local ngx_log = ngx.log
local ngx_ERR = ngx.ERR
local ngx_WARN = ngx.WARN
local ngx_NOTICE = ngx.NOTICE
local ngx_now = ngx.now
local ngx_update_time = ngx.update_time
local ngx_timer_at = ngx.timer.at
local ngx_worker_exiting = ngx.worker.exiting
local math_random = math.random
local math_min = math.min
local math_max = math.max
local xpcall = xpcall
local traceback = debug.traceback
local tostring = tostring

local _M = {version = 0.1}

-- owned by the timer's worker
local failures = 0
local saved_version

local function now()
    ngx_update_time()
    return ngx_now()
end

-- seed the dict from the saved file or the static list, once, before the first poll
local function seed()
    if list_store.has_list() then
        return
    end
    local list, source, fetched_at = fallback.initial()
    if not list then
        ngx_log(ngx_WARN, "no saved best list and no static gateways: waiting for ipconfig")
        return
    end
    local ok, err = list_store.write(list, source, fetched_at, nil)
    if not ok then
        ngx_log(ngx_ERR, "failed to seed best list: ", err)
        return
    end
    saved_version = source == "file" and list.version or nil
    ngx_log(ngx_NOTICE, "best list seeded from the ", source, " list, version ", list.version)
end

local function save(list, fetched_at)
    local slots = fallback.slots()
    if not slots or list.version == saved_version then
        return
    end
    local ok, err = best_list.save(slots, list, fetched_at)
    if not ok then
        ngx_log(ngx_ERR, "failed to save best list: ", err)
        return
    end
    saved_version = list.version
end

-- poll_once() -> ok, changed | nil, err: one long-poll round trip
function _M.poll_once()
    local cfg = settings.current
    local url = cfg.ipconfig
    local headers = {Accept = "application/json"}
    local etag = list_store.etag()
    if etag then
        headers["If-None-Match"] = etag
    end
    local res, err = http.get({
        host = url.host,
        port = url.port,
        path = url.path .. "/v1/best/" .. cfg.service .. "?wait=" .. cfg.poll_wait .. "s",
        headers = headers,
        connect_timeout = cfg.connect_timeout * 1000,
        send_timeout = cfg.connect_timeout * 1000,
        read_timeout = (cfg.poll_wait + 5) * 1000,
        max_body = cfg.max_body,
    })
    if not res then
        return nil, "failed to fetch best list: " .. err
    end
    local fetched_at = now()
    if res.status == 304 then
        list_store.touch(fetched_at)
        return true, false
    end
    if res.status ~= 200 then
        return nil, "failed to fetch best list: ipconfig answered " .. res.status
    end
    local list, verr = best_list.decode(res.body, cfg.max_instances)
    if not list then
        return nil, "rejected best list: " .. verr
    end
    local view = list_store.view()
    if view and view.source == "ipconfig" and view.version == list.version then
        list_store.touch(fetched_at)
        return true, false
    end
    local ok, werr = list_store.write(list, "ipconfig", fetched_at, res.headers["etag"])
    if not ok then
        return nil, werr
    end
    ngx_log(ngx_NOTICE, "best list version ", list.version, " (", #list.instances,
            " instances, strategy ", list.strategy, ")")
    save(list, fetched_at)
    return true, true
end

local function jittered(delay)
    return delay + math_max(0.01, delay * settings.current.jitter) * math_random()
end

local loop

loop = function(premature)
    if premature or ngx_worker_exiting() then
        return
    end
    local delay = 0
    local started = now()
    local changed = false
    local ok, err = xpcall(function()
        seed()
        local polled, perr = _M.poll_once()
        if not polled then
            ngx_log(ngx_WARN, perr, " (keeping the last list)")
            return false
        end
        changed = perr
        return true
    end, traceback)
    if not ok then
        ngx_log(ngx_ERR, "best list sync failed: ", tostring(err))
    end
    if ok and err then
        failures = 0
        -- a server that answers at once without a change (no long-poll) is not hammered
        local elapsed = now() - started
        local min = settings.current.min_poll_interval
        if not changed and elapsed < min then
            delay = min - elapsed
        end
    else
        failures = failures + 1
        local cfg = settings.current
        delay = math_min(cfg.max_retry_delay, cfg.retry_delay * 2 ^ (failures - 1))
    end
    local armed, terr = ngx_timer_at(jittered(delay), loop)
    if not armed and not ngx_worker_exiting() then
        ngx_log(ngx_ERR, "failed to re-arm best list sync: ", terr)
    end
end

-- start() -> ok, err: in init_worker of the one worker that owns the timers.
function _M.start()
    return ngx_timer_at(0, loop)
end

return _M
