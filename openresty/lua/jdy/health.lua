-- The edge's own view of each gateway: in-flight requests (shared dict `jdy_peers`, counted up
-- when a request is sent to a gateway and down in the log phase) and "down" marks (shared dict
-- `jdy_down`, set after a failed connect for down_time seconds).
--
-- Concurrency: every worker updates the counters (atomic incr), and remembers the count each
-- increment returned, so that the picker's second read of a count is usually no shared-dict
-- operation at all (recent_in_flight; at most count_max_age old). One worker's prober timer
-- re-checks each marked gateway with a TCP connect every probe_interval: a gateway that accepts
-- again is unmarked at once, one that still refuses keeps its mark. So after the first failed
-- connect no request goes to a dead gateway for as long as it stays dead. Every change of a mark
-- bumps list_store's epoch; each worker keeps its own copy of the marks (id -> expiry) for the
-- epoch it last saw, so a request reads no mark from the dict unless a mark changed.
local list_store = require("jdy.list_store")
local settings = require("jdy.settings")
local ngx_shared = ngx.shared
local ngx_now = ngx.now
local ngx_log = ngx.log
local ngx_ERR = ngx.ERR
local ngx_WARN = ngx.WARN
local ngx_NOTICE = ngx.NOTICE
local ngx_timer_at = ngx.timer.at
local ngx_thread_spawn = ngx.thread.spawn
local ngx_thread_wait = ngx.thread.wait
local ngx_socket_tcp = ngx.socket.tcp
local ngx_worker_exiting = ngx.worker.exiting
local math_random = math.random
local str_match = string.match
local tonumber = tonumber
local ipairs = ipairs
local xpcall = xpcall
local traceback = debug.traceback

local _M = {version = 0.1}

local peers = ngx_shared.jdy_peers
local down = ngx_shared.jdy_down

-- the most marks the prober checks per round (the dict holds at most a few hundred gateways)
local MAX_PROBES = 256

-- per worker: the last in-flight count this worker saw per gateway (from its own increments,
-- decrements and reads), when it saw it, and how many gateways the tables hold
local seen_n, seen_at, seen_size = {}, {}, 0

local function saw(id, n)
    if not seen_at[id] then
        if seen_size >= settings.current.max_instances then
            seen_n, seen_at, seen_size = {}, {}, 0
        end
        seen_size = seen_size + 1
    end
    seen_n[id] = n
    seen_at[id] = ngx_now()
end

-- acquire(id) -> in-flight count of id, this request included
function _M.acquire(id)
    local n, err = peers:incr(id, 1, 0)
    if not n then
        ngx_log(ngx_ERR, "failed to count in-flight for ", id, ": ", err)
        return 1
    end
    saw(id, n)
    return n
end

-- release(id): a request that acquire() counted has ended
function _M.release(id)
    local n = peers:incr(id, -1, 0)
    if n then
        if n < 0 then
            peers:set(id, 0)
            n = 0
        end
        saw(id, n)
    end
end

-- in_flight(id) -> in-flight count of id, read from the shared dict
function _M.in_flight(id)
    return peers:get(id) or 0
end

-- recent_in_flight(id) -> in-flight count of id for the picker: the one this worker saw within
-- count_max_age (its own acquire and release of id return the shared count, so with a few
-- gateways the count is seldom older than a few requests), else read from the shared dict
function _M.recent_in_flight(id)
    local at = seen_at[id]
    if at and ngx_now() - at <= settings.current.count_max_age then
        return seen_n[id]
    end
    local n = peers:get(id) or 0
    saw(id, n)
    return n
end

function _M.is_down(id)
    return down:get(id) ~= nil
end

-- per worker: the marks read for the last epoch seen (id -> expiry), the latest expiry, and
-- the view they were read for
local marks_epoch, marks_view, cached_marks, marks_until = false, nil, nil, 0

-- marks(view, epoch) -> id -> expiry (ngx.now() seconds) for the usable instances of view that
-- are marked down, or nil when none is (or every mark has expired). Reads the dict only when
-- the epoch moved since the last call in this worker.
function _M.marks(view, epoch)
    if epoch ~= marks_epoch or view ~= marks_view then
        local now, found, latest = ngx_now(), nil, 0
        local usable = view.usable
        for i = 1, #usable do
            local id = usable[i].id
            local ttl = down:ttl(id)
            if ttl then
                local until_at = now + ttl
                found = found or {}
                found[id] = until_at
                if until_at > latest then
                    latest = until_at
                end
            end
        end
        marks_epoch, marks_view, cached_marks, marks_until = epoch, view, found, latest
    end
    if cached_marks and marks_until > ngx_now() then
        return cached_marks
    end
    return nil
end

-- mark_down(id, host, port, why): called by the balancer after a failed connect.
function _M.mark_down(id, host, port, why)
    local was_down = down:get(id) ~= nil
    local ok, err = down:set(id, host .. ":" .. port, settings.current.down_time)
    if not ok then
        ngx_log(ngx_ERR, "failed to mark gateway ", id, " down: ", err)
        return
    end
    list_store.bump()
    if not was_down then
        ngx_log(ngx_WARN, "gateway ", id, " (", host, ":", port, ") marked down: ", why)
    end
end

local function probe(id, addr)
    local host, port = str_match(addr, "^(.+):(%d+)$")
    local sock = ngx_socket_tcp()
    sock:settimeout(settings.current.probe_timeout * 1000)
    local ok, err = sock:connect(host, tonumber(port))
    if ok then
        sock:close()
        down:delete(id)
        list_store.bump()
        ngx_log(ngx_NOTICE, "gateway ", id, " accepts connections again: unmarked")
        return
    end
    -- still refusing: keep it out for another down_time, while anything still names it
    if list_store.address(id) then
        down:set(id, addr, settings.current.down_time)
        list_store.bump()
    end
    return err
end

local function probe_all()
    local ids = down:get_keys(MAX_PROBES)
    local threads = {}
    for _, id in ipairs(ids) do
        local addr = down:get(id)
        if addr then
            threads[#threads + 1] = ngx_thread_spawn(probe, id, addr)
        end
    end
    for _, thread in ipairs(threads) do
        ngx_thread_wait(thread)
    end
end

local loop

loop = function(premature)
    if premature or ngx_worker_exiting() then
        return
    end
    local ok, err = xpcall(probe_all, traceback)
    if not ok then
        ngx_log(ngx_ERR, "failed to probe gateways marked down: ", err)
    end
    local interval = settings.current.probe_interval
    local delay = interval + math_random() * interval * settings.current.jitter
    local armed, terr = ngx_timer_at(delay, loop)
    if not armed and not ngx_worker_exiting() then
        ngx_log(ngx_ERR, "failed to re-arm the gateway prober: ", terr)
    end
end

-- start_prober() -> ok, err: in init_worker of the one worker that owns the timers.
function _M.start_prober()
    return ngx_timer_at(settings.current.probe_interval, loop)
end


return _M
