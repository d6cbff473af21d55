-- Chooses the gateway for a new request from a list view (see list_store.view()).
--   "p2c":    two choices by weight, compared by the edge's own in-flight count per gateway.
--             The first choice comes from this worker's smooth weighted round robin (nginx's
--             algorithm, started at a random phase so workers and edges do not move in step);
--             the second is a weighted random draw. The second wins only when the first has
--             more in-flight requests above its weighted share than the second by more than
--             p2c_z standard deviations of what chance alone would give (z * sqrt(total)).
--             Plain "fewer in-flight per weight wins" pulls the split toward equal in-flight
--             counts and misses the weights by 5-10% at small concurrency; this way the split
--             follows the weights, a burst interleaves instead of herding, and a gateway that
--             holds on to requests (slow, stuck) loses traffic.
--   "random": weighted random (the list is stale: its in-flight picture no longer matters).
--   "hash":   a consistent-hash ring over the instances with weight > 0, virtual nodes in
--             proportion to weight, keyed by user id: removing one gateway moves only its users.
-- Instances with weight 0 (drained), marked down, or in `exclude` are skipped; when every usable
-- instance is marked down the marks are ignored (trying beats a certain 502).
--
-- Concurrency: the round-robin state and the hash ring live in the worker's own view (one
-- request at a time per worker); in-flight counts are read from the shared dict.
local health = require("jdy.health")
local settings = require("jdy.settings")
local ngx_crc32_long = ngx.crc32_long
local math_random = math.random
local math_floor = math.floor
local math_max = math.max
local math_sqrt = math.sqrt
local tab_sort = table.sort
local ipairs = ipairs

local _M = {version = 0.1}

-- marks: id -> true for the gateways marked down (nil: none, or marks ignored)
local function eligible(inst, exclude, marks)
    return inst.weight > 0 and not (exclude and exclude[inst.id])
           and not (marks and marks[inst.id])
end

local function down_marks(instances)
    local marks
    for _, inst in ipairs(instances) do
        if inst.weight > 0 and health.is_down(inst.id) then
            marks = marks or {}
            marks[inst.id] = true
        end
    end
    return marks
end

-- draw one instance by weight among the eligible ones, also skipping `skip`
local function draw(instances, exclude, marks, skip)
    local total = 0
    for _, inst in ipairs(instances) do
        if inst ~= skip and eligible(inst, exclude, marks) then
            total = total + inst.weight
        end
    end
    if total <= 0 then
        return nil
    end
    local r = math_random() * total
    local last
    for _, inst in ipairs(instances) do
        if inst ~= skip and eligible(inst, exclude, marks) then
            r = r - inst.weight
            last = inst
            if r < 0 then
                return inst
            end
        end
    end
    return last
end

-- smooth weighted round robin over the eligible instances (state: view.rr, id -> current)
local function next_round_robin(view, exclude, marks)
    local rr = view.rr
    if not rr then
        rr = {}
        for _, inst in ipairs(view.instances) do
            rr[inst.id] = math_random() * inst.weight
        end
        view.rr = rr
    end
    local total, best, best_current = 0, nil, nil
    for _, inst in ipairs(view.instances) do
        if eligible(inst, exclude, marks) then
            local current = rr[inst.id] + inst.weight
            rr[inst.id] = current
            total = total + inst.weight
            if not best or current > best_current then
                best, best_current = inst, current
            end
        end
    end
    if best then
        rr[best.id] = best_current - total
    end
    return best
end

local function pick_p2c(view, exclude, marks)
    local a = next_round_robin(view, exclude, marks)
    if not a then
        return nil
    end
    local b = draw(view.instances, exclude, marks, a)
    if not b then
        return a
    end
    -- in-flight above the weighted share, for a and b
    local total_weight, total_in_flight = 0, 0
    local in_flight_a, in_flight_b = 0, 0
    for _, inst in ipairs(view.instances) do
        if inst.weight > 0 then
            local n = health.in_flight(inst.id)
            total_weight = total_weight + inst.weight
            total_in_flight = total_in_flight + n
            if inst == a then
                in_flight_a = n
            elseif inst == b then
                in_flight_b = n
            end
        end
    end
    local excess_a = in_flight_a - total_in_flight * a.weight / total_weight
    local excess_b = in_flight_b - total_in_flight * b.weight / total_weight
    local threshold = math_max(1, settings.current.p2c_z * math_sqrt(total_in_flight))
    if excess_a - excess_b > threshold then
        return b
    end
    return a
end

local function build_ring(view)
    local points, owners = {}, {}
    local vnodes = settings.current.vnodes
    for _, inst in ipairs(view.instances) do
        if inst.weight > 0 then
            local n = math_max(1, math_floor(vnodes * inst.weight / view.max_weight + 0.5))
            for i = 1, n do
                local h = ngx_crc32_long(inst.id .. "#" .. i)
                points[#points + 1] = h
                owners[h] = owners[h] or inst
            end
        end
    end
    tab_sort(points)
    return {points = points, owners = owners}
end

local function pick_hash(view, user, exclude, marks)
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
    local h = ngx_crc32_long(user or "")
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
        if eligible(inst, exclude, marks) then
            return inst
        end
    end
    return nil
end

local function pick_with(view, mode, user, exclude, marks)
    if mode == "hash" then
        return pick_hash(view, user, exclude, marks)
    elseif mode == "random" then
        return draw(view.instances, exclude, marks)
    end
    return pick_p2c(view, exclude, marks)
end

-- pick(view, mode, user, exclude) -> instance | nil
function _M.pick(view, mode, user, exclude)
    local marks = down_marks(view.instances)
    local inst = pick_with(view, mode, user, exclude, marks)
    if not inst and marks then
        inst = pick_with(view, mode, user, exclude, nil)
    end
    return inst
end

return _M
