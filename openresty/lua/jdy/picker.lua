-- Chooses the gateway for a new request from a list view (see list_store.view()) and counts it
-- in flight (health.acquire; the balancer releases it in the log phase).
--   "p2c":    two choices by weight, compared by the edge's own in-flight count per gateway.
--             The first choice comes from this worker's smooth weighted round robin (nginx's
--             algorithm, started at a random phase so workers and edges do not move in step);
--             the second is drawn by weight among the others. The second wins only when
--             the first holds more in-flight requests than its weighted share of the pair's, by
--             more than p2c_z standard deviations of what chance alone would give:
--             2 * (n_a * w_b - n_b * w_a) / (w_a + w_b) > max(1, z * sqrt(n_a + n_b)).
--             Plain "fewer in-flight per weight wins" pulls the split toward equal in-flight
--             counts and misses the weights by 5-10% at small concurrency; this way the split
--             follows the weights, a burst interleaves instead of herding, and a gateway that
--             holds on to requests (slow, stuck) loses traffic. Each count is weighed by the
--             gateway's average handshake time (Peak-EWMA, jdy.latency): the slower of the two
--             counts as (n + 1) * its time / the faster's time - 1 (see settle), so a gateway
--             that turns slow loses its traffic at low concurrency too, where counts alone
--             barely differ; times under ewma_floor count as equal, and so the rule is the
--             in-flight one while the gateways answer fast. Under strategy "manual" the
--             times are left out: the operator's weights are the split (in-flight counts
--             still break up bursts and hold off a stuck gateway). Only the two candidates'
--             counts are read (health.acquire and health.recent_in_flight: exact for this
--             worker's own requests, up to ~2 count_max_age behind the other workers'); the
--             first choice is counted before the rule runs and released again if the second
--             wins.
--             With nothing excluded or marked down (the usual case) both choices come from a
--             precomputed schedule (one round-robin period; the second choice is a random
--             position of it), so a pick runs no loop and LuaJIT compiles the balancer as one
--             trace; otherwise the same rule runs over the instances that are not blocked.
--   "random": weighted random (the list is stale: its in-flight picture no longer matters).
--   "hash":   a consistent-hash ring over the instances with weight > 0, virtual nodes in
--             proportion to weight, keyed by user id: removing one gateway moves only its users.
-- Instances with weight 0 (drained), marked down, or in `exclude` are skipped; when every usable
-- instance is marked down the marks are ignored (trying beats a certain 502).
--
-- Concurrency: the round-robin state and the hash ring live in the worker's own view (one
-- request at a time per worker); in-flight counts are in the shared dict (health); average
-- handshake times are the worker's own (latency).
local health = require("jdy.health")
local latency = require("jdy.latency")
local settings = require("jdy.settings")
local ngx_md5_bin = ngx.md5_bin
local str_byte = string.byte
local math_random = math.random
local math_floor = math.floor
local math_max = math.max
local math_min = math.min
local math_sqrt = math.sqrt
local tab_sort = table.sort
local ipairs = ipairs

local _M = {version = 0.2}

-- blocked(inst, exclude, marks, now): in `exclude`, or marked down until after now
-- (marks: id -> expiry, from health.marks; nil when nothing is marked)
local function blocked(inst, exclude, marks, now)
    if exclude and exclude[inst.id] then
        return true
    end
    if marks then
        local until_at = marks[inst.id]
        return until_at ~= nil and until_at > now
    end
    return false
end

-- draw one instance by weight among the usable ones that are not blocked, also skipping `skip`
local function draw(view, exclude, marks, now, skip)
    local usable = view.usable
    local total
    if exclude or marks then
        total = 0
        for i = 1, #usable do
            local inst = usable[i]
            if inst ~= skip and not blocked(inst, exclude, marks, now) then
                total = total + inst.weight
            end
        end
    else
        total = view.total_weight - (skip and skip.weight or 0)
    end
    if total <= 0 then
        return nil
    end
    local r = math_random() * total
    local last
    for i = 1, #usable do
        local inst = usable[i]
        if inst ~= skip and not blocked(inst, exclude, marks, now) then
            r = r - inst.weight
            last = inst
            if r < 0 then
                return inst
            end
        end
    end
    return last
end

-- smooth weighted round robin over the usable instances that are not blocked
-- (state: view.rr, the current value per position in view.usable)
local function next_round_robin(view, exclude, marks, now)
    local usable = view.usable
    local rr = view.rr
    if not rr then
        rr = {}
        for i = 1, #usable do
            rr[i] = math_random() * usable[i].weight
        end
        view.rr = rr
    end
    local total, best, best_i, best_current = 0, nil, 0, 0
    for i = 1, #usable do
        local inst = usable[i]
        if not blocked(inst, exclude, marks, now) then
            local weight = inst.weight
            local current = rr[i] + weight
            rr[i] = current
            total = total + weight
            if not best or current > best_current then
                best, best_i, best_current = inst, i, current
            end
        end
    end
    if best then
        rr[best_i] = best_current - total
    end
    return best
end

-- gcd(a, b) of two positive integers
local function gcd(a, b)
    while b > 0 do
        a, b = b, a % b
    end
    return a
end

-- The round-robin schedule of a view: the first L picks of smooth weighted round robin over the
-- usable instances, where L is one whole period (total weight / gcd of the weights) up to
-- max_schedule; and for each position the next instance after it that differs (the second
-- choice's fallback). Built once per list version and worker, on the first pick after the
-- list changed, so that a pick has no loop: LuaJIT then compiles the whole balancer path as one
-- trace. The build takes L x instances steps: 3-4 ms for 256 instances at L = 4,096, ~1 ms for
-- 32, nothing to speak of for a handful (measured in a worker).
local function build_schedule(view)
    local usable = view.usable
    local n = #usable
    local g = 0
    for i = 1, n do
        local w = usable[i].weight
        if w ~= math_floor(w) then
            g = nil
            break
        end
        g = gcd(w, g)
    end
    local len = settings.current.max_schedule
    if g and g > 0 and view.total_weight / g < len then
        len = view.total_weight / g
    end
    local current, sched = {}, {}
    for i = 1, n do
        current[i] = 0
    end
    for k = 1, len do
        local best_i, best_current = 1, nil
        for i = 1, n do
            local c = current[i] + usable[i].weight
            current[i] = c
            if not best_current or c > best_current then
                best_i, best_current = i, c
            end
        end
        current[best_i] = best_current - view.total_weight
        sched[k] = usable[best_i]
    end
    -- other[k]: the first instance after position k (cyclically) that is not sched[k]
    local other = {}
    for pass = 1, 2 do
        for k = len, 1, -1 do
            local after = k < len and k + 1 or 1
            if sched[after] ~= sched[k] then
                other[k] = sched[after]
            elseif pass == 2 or k < len then
                other[k] = other[after]
            end
        end
    end
    view.schedule, view.schedule_other, view.schedule_len = sched, other, len
    view.cursor = math_random(len)
    return sched
end

-- p2c's decision: a (first choice, already counted in flight: n_a includes this request)
-- or b, by the rule in the header; returns the one chosen, counted in flight. Each count n
-- enters the rule as the load (n + 1) * cost / m - 1, cost being the gateway's average
-- handshake time (jdy.latency, at least ewma_floor) and m the smaller of the two: the faster
-- gateway's load is its count, the slower's is what its count would be at the faster one's
-- speed. Equal costs (no samples, or both under the floor) leave the counts as they are.
local function settle(a, n_a, b, now, timed)
    n_a = n_a - 1 -- before this request
    local c_a, c_b = 1, 1
    if timed then
        c_a, c_b = latency.cost(a.id, now), latency.cost(b.id, now)
    end
    local m = c_a < c_b and c_a or c_b
    local w_a, w_b = a.weight, b.weight
    local z = settings.current.p2c_z
    local l_a = (n_a + 1) * c_a / m - 1
    -- the excess is at most `bound` (n_b = 0: l_b = c_b / m - 1) and the threshold at least
    -- max(1, z * sqrt(l_a + l_b)): when that already keeps a, b's count need not be read
    local l_b = c_b / m - 1
    local bound = 2 * (l_a * w_b - l_b * w_a) / (w_a + w_b)
    if bound <= 1 or bound <= z * math_sqrt(l_a + l_b) then
        return a
    end
    l_b = (health.recent_in_flight(b.id) + 1) * c_b / m - 1
    local excess = 2 * (l_a * w_b - l_b * w_a) / (w_a + w_b)
    if excess > 1 and excess > z * math_sqrt(l_a + l_b) then
        health.release(a.id)
        health.acquire(b.id)
        return b
    end
    return a
end

-- p2c when nothing is excluded or marked down: the first choice is the next in this worker's
-- schedule, the second the instance at a random position of it (or, when that is the first
-- choice, the next other one after that position)
local function pick_p2c_scheduled(view, now)
    local sched = view.schedule or build_schedule(view)
    local len = view.schedule_len
    if len == 0 then
        return nil
    end
    local pos = view.cursor
    local a = sched[pos]
    view.cursor = pos < len and pos + 1 or 1
    local n_a = health.acquire(a.id)
    local r = math_random(len)
    local b = sched[r]
    if b == a then
        b = view.schedule_other[r]
        if not b then
            return a
        end
    end
    return settle(a, n_a, b, now, view.strategy ~= "manual")
end

-- p2c when some instance is excluded or marked down: the same rule over round robin and a
-- weighted draw among the instances that are not
local function pick_p2c(view, exclude, marks, now)
    if not exclude and not marks then
        return pick_p2c_scheduled(view, now)
    end
    local a = next_round_robin(view, exclude, marks, now)
    if not a then
        return nil
    end
    local n_a = health.acquire(a.id)
    local b = draw(view, exclude, marks, now, a)
    if not b then
        return a
    end
    return settle(a, n_a, b, now, view.strategy ~= "manual")
end

-- A point on the ring: the first four bytes of the key's MD5 as an unsigned 32-bit number. CRC32
-- (nginx's own choice) is linear, and keys that differ in a digit or two ("gw-1#7", "gw-2#7")
-- land in correlated places: three real gateway ids with 160 points each took 39/25/36% of the
-- ring. MD5 points spread as random ones do (about 1/sqrt(points) relative spread). The ring is
-- built once per list version and worker; one MD5 of the user id per hash-routed request.
local function point(key)
    local b1, b2, b3, b4 = str_byte(ngx_md5_bin(key), 1, 4)
    return ((b1 * 256 + b2) * 256 + b3) * 256 + b4
end

local function build_ring(view)
    local points, owners = {}, {}
    local cfg = settings.current
    local vnodes = math_min(cfg.vnodes, math_floor(cfg.max_ring_points / math_max(1, #view.usable)))
    for _, inst in ipairs(view.usable) do
        local n = math_max(1, math_floor(vnodes * inst.weight / view.max_weight + 0.5))
        for i = 1, n do
            local h = point(inst.id .. "#" .. i)
            points[#points + 1] = h
            owners[h] = owners[h] or inst
        end
    end
    tab_sort(points)
    return {points = points, owners = owners}
end

local function pick_hash(view, user, exclude, marks, now)
    local ring = view.ring
    if not ring then
        ring = build_ring(view)
        view.ring = ring
    end
    local points = ring.points
    local n = #points
    if n == 0 then
        return nil
    end
    local h = point(user or "")
    -- first point >= h (binary search), wrapping around
    local lo, hi = 1, n
    while lo < hi do
        local mid = math_floor((lo + hi) / 2)
        if points[mid] < h then
            lo = mid + 1
        else
            hi = mid
        end
    end
    if points[lo] < h then
        lo = 1
    end
    for k = 0, n - 1 do
        local inst = ring.owners[points[(lo - 1 + k) % n + 1]]
        if not blocked(inst, exclude, marks, now) then
            return inst
        end
    end
    return nil
end

local function pick_with(view, mode, user, exclude, marks, now)
    local inst
    if mode == "hash" then
        inst = pick_hash(view, user, exclude, marks, now)
    elseif mode == "random" then
        inst = draw(view, exclude, marks, now, nil)
    else
        return pick_p2c(view, exclude, marks, now)
    end
    if inst then
        health.acquire(inst.id)
    end
    return inst
end

-- pick(view, mode, user, exclude, marks, now) -> instance | nil. `marks`: health.marks() (nil
-- when no gateway is marked down); `exclude`: id -> true for the gateways this request tried;
-- `now`: ngx.now() of this request. The returned instance is already counted in flight.
function _M.pick(view, mode, user, exclude, marks, now)
    local inst = pick_with(view, mode, user, exclude, marks, now)
    if not inst and marks then
        inst = pick_with(view, mode, user, exclude, nil, now)
    end
    return inst
end

return _M
