-- The best list as a value: validation of what ipconfig sends, and its saved copy on disk.
-- A list is {service, version, strategy, stale, generated_at, instances = {{id, host, port,
-- weight, score}}}; `version` is kept as a string. Pure functions apart from the file I/O.
local cjson = require("cjson.safe")
local io_open = io.open
local str_rep = string.rep
local tab_concat = table.concat
local math_huge = math.huge
local str_format = string.format
local str_match = string.match
local tostring = tostring
local tonumber = tonumber
local type = type
local ipairs = ipairs
local floor = math.floor

local _M = {version = 0.1}

local STRATEGIES = {score = true, manual = true, hash = true, drain = true}

local function is_ipv4(host)
    local a, b, c, d = str_match(host, "^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
    if not a then
        return false
    end
    for _, octet in ipairs({a, b, c, d}) do
        if tonumber(octet) > 255 then
            return false
        end
    end
    return true
end

-- The balancer does not resolve names: hosts are IP literals ("localhost" is accepted as
-- 127.0.0.1).
local function normalize_host(host)
    if host == "localhost" then
        return "127.0.0.1"
    end
    if is_ipv4(host) then
        return host
    end
    if str_match(host, "^%[?[%x:]+%]?$") and str_match(host, ":") then
        return host
    end
    return nil
end

_M.normalize_host = normalize_host

local function version_string(v)
    if type(v) == "number" then
        if v == floor(v) then
            return str_format("%.0f", v)
        end
        return tostring(v)
    end
    if type(v) == "string" and #v > 0 and #v <= 128 then
        return v
    end
    return nil
end

local function scalar(v)
    local t = type(v)
    if t == "string" or t == "number" then
        return v
    end
    return nil
end

local function validate_instance(i, inst, seen)
    if type(inst) ~= "table" then
        return nil, "instance " .. i .. " is not an object"
    end
    local id = inst.id
    if type(id) ~= "string" or not str_match(id, "^[%w_%.%-]+$") or #id > 64 then
        return nil, "instance " .. i .. " has a bad id"
    end
    if seen[id] then
        return nil, "instance id " .. id .. " appears twice"
    end
    seen[id] = true
    if type(inst.host) ~= "string" then
        return nil, "instance " .. id .. " has no host"
    end
    local host = normalize_host(inst.host)
    if not host then
        return nil, "instance " .. id .. " host is not an IP address: " .. inst.host
    end
    local port = inst.port
    if type(port) ~= "number" or port ~= floor(port) or port < 1 or port > 65535 then
        return nil, "instance " .. id .. " has a bad port"
    end
    local weight = inst.weight
    if type(weight) ~= "number" or weight ~= weight or weight < 0 or weight == math_huge then
        return nil, "instance " .. id .. " has a bad weight"
    end
    local score = inst.score
    if type(score) ~= "number" or score ~= score then
        score = nil
    end
    return {id = id, host = host, port = port, weight = weight, score = score}
end

-- validate(doc, max_instances) -> list, err. Rejects the whole list on any bad entry, and a
-- list with no instance of weight > 0 (it would leave the edge with nowhere to send).
function _M.validate(doc, max_instances)
    if type(doc) ~= "table" then
        return nil, "best list is not a JSON object"
    end
    local version = version_string(doc.version)
    if not version then
        return nil, "best list has no version"
    end
    local strategy = doc.strategy
    if strategy == nil or strategy == cjson.null then
        strategy = "score"
    end
    if not STRATEGIES[strategy] then
        return nil, "best list has an unknown strategy: " .. tostring(strategy)
    end
    local instances = doc.instances
    if type(instances) ~= "table" then
        return nil, "best list has no instances array"
    end
    if #instances > max_instances then
        return nil, "best list has more than " .. max_instances .. " instances"
    end
    local out, seen, usable = {}, {}, 0
    for i, inst in ipairs(instances) do
        local value, err = validate_instance(i, inst, seen)
        if not value then
            return nil, err
        end
        if value.weight > 0 then
            usable = usable + 1
        end
        out[i] = value
    end
    if usable == 0 then
        return nil, "best list has no instance with weight > 0"
    end
    return {
        service = type(doc.service) == "string" and doc.service or nil,
        version = version,
        strategy = strategy,
        stale = doc.stale == true,
        generated_at = scalar(doc.generatedAt or doc.generated_at),
        instances = out,
    }
end

-- decode(json, max_instances) -> list, err
function _M.decode(text, max_instances)
    local doc, err = cjson.decode(text)
    if not doc then
        return nil, "best list is not JSON: " .. tostring(err)
    end
    return _M.validate(doc, max_instances)
end

function _M.encode(list)
    return cjson.encode(list)
end

-- The saved list lives in two slot files, <path> and <path>.1, written in turn. The master
-- (init_by_lua) opens them; the workers inherit the open files. So the worker that saves needs
-- no write permission on the folder (nginx workers usually run as "nobody" while the prefix
-- belongs to the master's user) and a crash in the middle of a write can tear only one slot:
-- the loader takes the newest slot that is valid. A shorter text is padded with spaces (still
-- valid JSON) because Lua's io cannot truncate.

-- open_slots(path) -> slots, err: in init_by_lua.
function _M.open_slots(path)
    local slots = {}
    for i, name in ipairs({path, path .. ".1"}) do
        local created = io_open(name, "a")
        if not created then
            return nil, "failed to create " .. name
        end
        created:close()
        local file, err = io_open(name, "r+")
        if not file then
            return nil, "failed to open " .. name .. ": " .. err
        end
        slots[i] = {file = file, size = file:seek("end") or 0, name = name}
    end
    slots.next = 1
    return slots
end

-- save(slots, list, fetched_at) -> ok, err: writes the older slot.
function _M.save(slots, list, fetched_at)
    local text, err = cjson.encode({saved_at = fetched_at, list = list})
    if not text then
        return nil, "failed to encode best list: " .. err
    end
    local slot = slots[slots.next]
    local size = #text
    if slot.size > size then
        text = text .. str_rep(" ", slot.size - size)
    end
    local file = slot.file
    local ok, werr = file:seek("set", 0)
    if ok then
        ok, werr = file:write(text)
    end
    if ok then
        ok, werr = file:flush()
    end
    if not ok then
        return nil, "failed to write " .. slot.name .. ": " .. tostring(werr)
    end
    slot.size = #text
    slots.next = 3 - slots.next
    return true
end

local function load_one(name, max_instances)
    local file, err = io_open(name, "r")
    if not file then
        return nil, err
    end
    local text = file:read("*a")
    file:close()
    local doc, derr = cjson.decode(text or "")
    if type(doc) ~= "table" then
        return nil, name .. " is not JSON: " .. tostring(derr)
    end
    local list, verr = _M.validate(doc.list, max_instances)
    if not list then
        return nil, name .. " is invalid: " .. verr
    end
    return list, tonumber(doc.saved_at) or 0
end

-- load(path, max_instances) -> list, saved_at, slot | nil, err: the newest valid slot.
function _M.load(path, max_instances)
    local best, best_at, best_slot, errs = nil, -1, nil, {}
    for i, name in ipairs({path, path .. ".1"}) do
        local list, saved_at = load_one(name, max_instances)
        if list and saved_at > best_at then
            best, best_at, best_slot = list, saved_at, i
        elseif not list then
            errs[#errs + 1] = saved_at
        end
    end
    if not best then
        return nil, "no saved best list: " .. tab_concat(errs, "; ")
    end
    return best, best_at, best_slot
end

return _M
