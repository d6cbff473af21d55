-- The best list as a value: validation of what ipconfig sends, and its saved copy on disk.
-- A list is {service, version, strategy, stale, generated_at, instances = {{id, host, port,
-- weight, score}}}; `version` is kept as a string. Pure functions apart from the file I/O.
local cjson = require("cjson.safe")
local io_open = io.open
local os_remove = os.remove
local os_rename = os.rename
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

-- save(path, list, fetched_at) -> ok, err. Writes a temporary file and renames it over the old
-- one, so a reader (a restarting nginx) sees the old file or the new one, never half of one.
function _M.save(path, list, fetched_at)
    local text, err = cjson.encode({saved_at = fetched_at, list = list})
    if not text then
        return nil, "failed to encode best list: " .. err
    end
    local tmp = path .. ".tmp"
    local file, oerr = io_open(tmp, "w")
    if not file then
        return nil, "failed to open " .. tmp .. ": " .. oerr
    end
    local ok, werr = file:write(text)
    file:close()
    if not ok then
        os_remove(tmp)
        return nil, "failed to write " .. tmp .. ": " .. werr
    end
    local renamed, rerr = os_rename(tmp, path)
    if not renamed then
        os_remove(tmp)
        return nil, "failed to rename " .. tmp .. ": " .. rerr
    end
    return true
end

-- load(path, max_instances) -> list, saved_at | nil, err
function _M.load(path, max_instances)
    local file, err = io_open(path, "r")
    if not file then
        return nil, "no saved best list: " .. err
    end
    local text = file:read("*a")
    file:close()
    local doc, derr = cjson.decode(text or "")
    if type(doc) ~= "table" then
        return nil, "saved best list is not JSON: " .. tostring(derr)
    end
    local list, verr = _M.validate(doc.list, max_instances)
    if not list then
        return nil, "saved best list is invalid: " .. verr
    end
    return list, tonumber(doc.saved_at) or 0
end

return _M
