-- The edge's own view of each gateway: in-flight requests (counted up when a request is sent to
-- a gateway and down in the log phase, per worker, and added to shared dict `jdy_peers` by a
-- timer: see "In-flight counting" below) and "down" marks (shared dict `jdy_down`, set after a
-- failed connect for down_time seconds).
--
-- Concurrency: every worker adds its own changes to the counters (atomic incr) at most every
-- count_max_age per gateway (see "In-flight counting" below). One worker's prober timer
-- re-checks each marked gateway with a TCP connect every probe_interval: a gateway that accepts
-- again is unmarked at once, one that still refuses keeps its mark. So after the first failed
-- connect no request goes to a dead gateway for as long as it stays dead. Every change of a mark
-- bumps list_store's epoch; each worker keeps its own copy of the marks (id -> expiry) for the
-- epoch it last saw, so a request reads no mark from the dict unless a mark changed.
local list_store = require("jdy.list_store")
local metrics = require("jdy.metrics")
local settings = require("jdy.settings")
local ngx_shared = ngx.shared
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
local pairs = pairs
local xpcall = xpcall
local traceback = debug.traceback

local _M = {version = 0.1}

local peers = ngx_shared.jdy_peers
local down = ngx_shared.jdy_down

-- the most marks the prober checks per round (the dict holds at most a few hundred gateways)
local MAX_PROBES = 256

-- In-flight counting. The shared count of a gateway (key <id> in jdy_peers) is the sum of what
-- every worker has added to it. A worker does not write it on every request: it keeps its own
-- changes (pending[id]) and a timer adds them, one incr per gateway, count_max_age after the
-- first change (armed by a change when none is armed, so a quiet worker runs no timer and a
-- worker that goes quiet has written everything within count_max_age). The incr returns the
-- shared count, which the worker keeps (shared[id]): the count it uses is that plus its
-- pending changes, exact for its own requests and at most about two count_max_age behind the
-- other workers' (they write, and it reads, once per count_max_age). A gateway the worker has
-- not used since the timer last ran is read once (a get). This is one shared-dict operation per
-- gateway per count_max_age per worker instead of two per request (an incr takes the dict's
-- lock; two cost ~700 instructions, about as much as the rest of the edge's Lua). Both tables
-- hold only the gateways this worker used since the timer last ran.
local pending, shared = {}, {}
local flush_armed = false

local function flush()
    local fresh = {}
    for id, delta in pairs(pending) do
        local n, err
        if delta ~= 0 then
            n, err = peers:incr(id, delta, 0)
        else
            n = peers:get(id) or 0
        end
        if not n then
            ngx_log(ngx_ERR, "failed to count in-flight for ", id, ": ", err)
        else
            if n < 0 then -- the key was evicted or deleted while requests were in flight
                peers:set(id, 0)
                n = 0
            end
            fresh[id] = n
        end
    end
    pending, shared = {}, fresh
    flush_armed = false
end

-- arm(): the timer that writes this worker's pending changes count_max_age from now
local function arm()
    local ok, err = ngx_timer_at(settings.current.count_max_age, flush)
    if ok then
        flush_armed = true
        return
    end
    if not ngx_worker_exiting() then
        ngx_log(ngx_ERR, "failed to arm the in-flight count timer: ", err)
    end
    flush() -- write now rather than keep changes no timer will write
end

-- shared_count(id) -> the shared count of id as this worker last read it (read now when it has
-- not used id since the timer last ran)
local function shared_count(id)
    local n = shared[id]
    if n then
        return n
    end
    n = peers:get(id) or 0
    shared[id] = n
    if not pending[id] then
        pending[id] = 0 -- read again by the timer while this worker uses id
    end
    if not flush_armed then
        arm()
    end
    return n
end

-- acquire(id) -> in-flight count of id, this request included
function _M.acquire(id)
    local n = shared_count(id)
    local p = (pending[id] or 0) + 1
    pending[id] = p
    if not flush_armed then
        arm()
    end
    return n + p
end

-- release(id): a request that acquire() counted has ended
function _M.release(id)
    pending[id] = (pending[id] or 0) - 1
    if not flush_armed then
        arm()
    end
end

-- in_flight(id) -> in-flight count of id in the shared dict, plus this worker's changes not yet
-- written there (other workers' unwritten changes are at most count_max_age old)
function _M.in_flight(id)
    return (peers:get(id) or 0) + (pending[id] or 0)
end

-- recent_in_flight(id) -> in-flight count of id for the picker (see "In-flight counting")
function _M.recent_in_flight(id)
    return shared_count(id) + (pending[id] or 0)
end

function _M.is_down(id)
    return down:get(id) ~= nil
end

-- per worker: the marks read for the last epoch seen (id -> expiry), the latest expiry, and
-- the view they were read for
local marks_epoch, marks_view, cached_marks, marks_until = false, nil, nil, 0

-- marks(view, epoch, now) -> id -> expiry (ngx.now() seconds) for the usable instances of view that
-- are marked down, or nil when none is (or every mark has expired). Reads the dict only when
-- the epoch moved since the last call in this worker.
function _M.marks(view, epoch, now)
    if epoch ~= marks_epoch or view ~= marks_view then
        local found, latest = nil, 0
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
    if cached_marks and marks_until > now then
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
        metrics.count_now("down_marks", id)
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
