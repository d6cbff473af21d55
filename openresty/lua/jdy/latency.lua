-- The edge's own latency picture of each gateway between list updates: Peak-EWMA of handshake
-- times (as Finagle, Linkerd and Envoy keep it), which p2c's second choice weighs with the
-- in-flight count (jdy.picker), so that a gateway that turns slow loses traffic within about a
-- second instead of at ipconfig's next list.
--
-- Samples: only handshakes (location = /v1/chat/handshake, balanced by the picker) feed it, in
-- their log phase (balancer.log_handshake); streams, acks and cancels (balance_owner) do not: a
-- stream lasts as long as its answer. A sample is the time from the balancer's choice of the
-- gateway (its last try, after a retry) to the log phase, both ngx.now() (the event loop's
-- clock, 1 ms): for a handshake, whose answer is small, that is the gateway's service time.
-- ngx.var.upstream_header_time would say the same but costs ~1 us per request (resty.core's
-- ngx.var read is not JIT-compiled) and lists every try after a retry.
--
-- The average, per gateway: `cost` and `stamp` (when it was last updated). A sample rtt at
-- `now`: w = exp(-(now - stamp) / ewma_decay); cost = rtt when rtt > cost (a gateway that turns
-- slow is seen at its first slow answer), else cost * w + rtt * (1 - w). Read at `now`, the cost
-- decays with the time since its last sample even when no sample comes: cost * exp(-(now -
-- stamp) / ewma_decay), never below ewma_floor. So a gateway that was slow once and since gets
-- no traffic looks like the fleet again after ln(cost / ewma_floor) * ewma_decay (300 ms at the
-- defaults: ~2.7 s; p2c tries it a little earlier, as it wants a clear difference before the
-- second choice wins) and is tried again; its next answer, if still slow, sets the peak again.
-- The floor is also the cost of a gateway with no sample yet, and latencies under it count as
-- equal: gateways that answer fast (the usual case) differ only by noise (a few ms, and a
-- single late answer is a peak), and p2c then compares in-flight counts alone, as it does
-- without latency data.
--
-- Where it lives: per worker, in two Lua tables keyed by gateway id. A handshake's sample is
-- known in the worker that picked its gateway, and that worker's picks are what it corrects:
-- reading and writing a Lua table costs nothing next to a shared-dict operation (which takes
-- the dict's lock), and with one or two workers per machine each sees enough handshakes for its
-- own average. The tables follow the list: follow(view), called by the balancer with each
-- request's view (a comparison while the list stays), drops every gateway that left it, and a
-- sample for a gateway no longer in the list is ignored; so they hold at most the gateways of
-- the current list (max_instances).
--
-- Status: a timer per worker (started in init_worker, every PUBLISH_INTERVAL) writes the
-- worker's changed averages to shared dict `jdy_peers` (key "ewma:<worker id>:<gateway id>",
-- value "<cost> <stamp>"), so the request path has no shared-dict write and no ngx.timer.at
-- (which is not JIT-compiled); follow() deletes the keys of gateways that left the list and
-- every key expires after KEEP seconds without a sample, so the dict holds at most workers x
-- gateways of the list of them. ewma(id, now) reads them for /_edge/status: the largest
-- decayed cost over the workers.
--
-- JIT: cost() (on the balancer's path, twice per p2c pick) and observe() have no branch on the
-- values (math.max/min instead): a cost that turns from under the floor to above it and back,
-- as handshake times near the floor do, would otherwise fork the compiled balancer path into
-- side traces, some of which fall back to the interpreter. A gateway with no sample has
-- cost 0 and stamp 0 (follow sets them), which the first sample replaces as a peak.
--
-- Concurrency: the tables are this worker's own (one request runs Lua at a time per worker);
-- the timer runs in the same worker.
local settings = require("jdy.settings")
local ngx_shared = ngx.shared
local ngx_log = ngx.log
local ngx_ERR = ngx.ERR
local ngx_timer_every = ngx.timer.every
local ngx_worker_id = ngx.worker.id
local ngx_worker_count = ngx.worker.count
local math_exp = math.exp
local math_max = math.max
local math_min = math.min
local str_match = string.match
local tonumber = tonumber
local pairs = pairs
local next = next

local _M = {version = 0.1}

local peers = ngx_shared.jdy_peers

-- how often a worker writes its changed averages for /_edge/status, and how long a written one
-- is kept without a newer sample, seconds
local PUBLISH_INTERVAL = 0.5
local KEEP = 60

-- per worker: gateway id -> average handshake time (s) and when it was last updated (ngx.now())
local cost, stamp = {}, {}
-- the view the tables follow, its by_id, and the ids whose average changed since the last write
local followed, followed_by_id = nil, nil
local changed = {}

local function key(worker, id)
    return "ewma:" .. worker .. ":" .. id
end

-- decayed(c, since, now, decay) -> c decayed from since to now (unchanged when the clock went
-- back)
local function decayed(c, since, now, decay)
    local age = now - since
    if age <= 0 then
        return c
    end
    return c * math_exp(-age / decay)
end

-- cost(id, now) -> the average handshake time of id as p2c weighs it: decayed to now, at least
-- ewma_floor (ewma_floor when there is no sample). Branch-free (math.max, math.min): a cost
-- that is now above the floor, now under it, must not fork the JIT-compiled balancer path
function _M.cost(id, now)
    local cfg = settings.current
    local w = math_exp(math_min((stamp[id] or now) - now, 0) / cfg.ewma_decay)
    return math_max((cost[id] or 0) * w, cfg.ewma_floor)
end

local function publish(premature)
    if premature or not next(changed) then
        return
    end
    local worker = ngx_worker_id()
    for id in pairs(changed) do
        local c = cost[id]
        if c then
            local ok, err = peers:set(key(worker, id), c .. " " .. stamp[id], KEEP)
            if not ok then
                ngx_log(ngx_ERR, "failed to publish the latency of ", id, ": ", err)
            end
        end
    end
    changed = {}
end

-- start() -> ok, err: in init_worker of every worker, the timer that writes the worker's
-- changed averages every PUBLISH_INTERVAL (a timer armed by samples would put ngx.timer.at,
-- which is not JIT-compiled, on the request path)
function _M.start()
    return ngx_timer_every(PUBLISH_INTERVAL, publish)
end

-- observe(id, rtt, now): a handshake on gateway id took rtt seconds, ending at now
function _M.observe(id, rtt, now)
    if not followed_by_id or not followed_by_id[id] then
        return -- the gateway left the list since it was picked
    end
    -- rtt > c: the peak; else the average (which is then at least rtt): the larger of the two,
    -- without a branch; a gateway with no sample has c = 0 (see follow)
    local w = math_exp(math_min(stamp[id] - now, 0) / settings.current.ewma_decay)
    local c = cost[id]
    rtt = math_max(rtt, 0) -- the clock went back
    cost[id] = math_max(rtt, c * w + rtt * (1 - w))
    stamp[id] = now
    changed[id] = true
end

-- follow(view): the balancer's view for this request; when it is a new one, the averages of
-- gateways no longer in it are dropped (with their shared keys)
function _M.follow(view)
    if view == followed then
        return
    end
    local by_id = view.by_id
    followed, followed_by_id = view, by_id
    local worker = ngx_worker_id()
    for id in pairs(by_id) do
        if not cost[id] then
            cost[id], stamp[id] = 0, 0 -- no sample yet: the first one sets the peak
        end
    end
    for id in pairs(cost) do
        if not by_id[id] then
            cost[id], stamp[id], changed[id] = nil, nil, nil
            peers:delete(key(worker, id))
        end
    end
end

-- ewma(id, now) -> the largest average handshake time of id over the workers, decayed to now,
-- as last written by their timers (no floor), or nil when no worker has a sample
function _M.ewma(id, now)
    local decay = settings.current.ewma_decay
    local best
    for worker = 0, ngx_worker_count() - 1 do
        local value = peers:get(key(worker, id))
        if value then
            local c, s = str_match(value, "^(%S+) (%S+)$")
            c = decayed(tonumber(c), tonumber(s), now, decay)
            if not best or c > best then
                best = c
            end
        end
    end
    return best
end

return _M
