-- The edge's settings: defaults, merged with the table that nginx.conf passes to init(); read
-- everywhere else. Set once in init_by_lua (the master), inherited by the workers.
local best_list = require("jdy.best_list")
local http = require("jdy.http")
local pairs = pairs
local type = type
local tostring = tostring

local _M = {version = 0.1}

local DEFAULTS = {
    -- base URL of ipconfig-service (host as an IP literal)
    ipconfig_url = "http://127.0.0.1:8090",
    -- the service whose best list the edge follows
    service = "stream-gateway",
    -- static fallback list "id=ip:port id=ip:port" (spaces or commas), used when nothing else is
    static_gateways = "",
    -- file that keeps the last good list across restarts
    saved_list_path = "",
    -- long-poll wait sent to ipconfig (?wait=<n>s), seconds
    poll_wait = 30,
    -- shortest time between two polls that brought no change (an ipconfig that does not
    -- long-poll is asked at most this often), seconds
    min_poll_interval = 1,
    -- connect timeout to ipconfig, seconds
    connect_timeout = 2,
    -- delay before the next poll after a failure, seconds (doubles up to max_retry_delay)
    retry_delay = 1,
    -- upper bound of the failure back-off, seconds
    max_retry_delay = 5,
    -- random extra delay added to every re-arm, as a fraction of the delay (and at least 10 ms)
    jitter = 0.2,
    -- age after which the last list is "stale": weighted random over its weights, seconds
    stale_age = 60,
    -- how long a gateway with a failed connect stays out of the picks (renewed by the prober), s
    down_time = 5,
    -- how often the prober tries a connect to each gateway marked down, seconds
    probe_interval = 1,
    -- connect timeout of one probe, seconds
    probe_timeout = 0.5,
    -- most instances accepted in one list
    max_instances = 256,
    -- in-flight imbalance (in standard deviations of chance) before p2c's second choice wins
    p2c_z = 2,
    -- virtual nodes on the hash ring for the instance with the largest weight
    vnodes = 1000,
    -- most points on a worker's hash ring: with many instances each gets fewer than vnodes
    max_ring_points = 65536,
    -- how long the address of a gateway that left the list is kept for its streams, seconds
    address_ttl = 3600,
    -- largest best-list body accepted, bytes
    max_body = 1048576,
    -- most requests per worker whose gateway is remembered for the log phase (in-flight count)
    max_tracked_requests = 65536,
    -- how often a worker reads the shared routing epoch: list and down-mark changes made
    -- elsewhere reach its requests at most this late (its own down marks at once), seconds
    epoch_interval = 0.01,
    -- how often a worker writes its in-flight changes to the shared dict, which is how far
    -- behind the other workers' requests the counts it routes by may be, seconds
    count_max_age = 0.01,
    -- most positions in a worker's round-robin schedule (one period of smooth weighted round
    -- robin; longer periods are cut here, which moves each share by under 1/max_schedule)
    max_schedule = 4096,
    -- time constant of the average handshake time per gateway (Peak-EWMA) that p2c weighs the
    -- in-flight counts with: a sample's weight, and an old peak's, fall by e each this, seconds
    ewma_decay = 1,
    -- handshake times under this count as equal in p2c (and are what a gateway without
    -- samples counts as); a floor above every handshake time leaves in-flight counts alone, s
    ewma_floor = 0.02,
    -- how often a worker adds its request counts to the shared metrics dict (jdy.metrics): how
    -- far behind /_edge/metrics may be, seconds
    metrics_flush = 1,
    -- most counter series (counter and gateway) the metrics dict holds
    max_metric_series = 1024,
}

local current = {}
for k, v in pairs(DEFAULTS) do
    current[k] = v
end
_M.current = current

-- init(opts) -> ok, err. Unknown names and wrongly typed values are errors.
function _M.init(opts)
    for k, v in pairs(opts or {}) do
        local default = DEFAULTS[k]
        if default == nil then
            return nil, "unknown edge setting: " .. tostring(k)
        end
        if type(v) ~= type(default) then
            return nil, "edge setting " .. k .. " must be a " .. type(default)
        end
        current[k] = v
    end
    local url, err = http.parse_url(current.ipconfig_url)
    if not url then
        return nil, "bad ipconfig_url: " .. err
    end
    if not best_list.normalize_host(url.host) then
        return nil, "ipconfig_url host must be an IP address: " .. url.host
    end
    current.ipconfig = url
    for _, name in pairs({"poll_wait", "stale_age", "down_time", "probe_interval",
                          "probe_timeout", "max_instances", "p2c_z", "vnodes",
                          "retry_delay", "max_retry_delay", "connect_timeout",
                          "min_poll_interval", "max_tracked_requests", "epoch_interval",
                          "max_ring_points", "count_max_age", "max_schedule", "ewma_decay",
                          "ewma_floor", "metrics_flush", "max_metric_series"}) do
        if current[name] <= 0 then
            return nil, "edge setting " .. name .. " must be > 0"
        end
    end
    if current.max_schedule % 1 ~= 0 then
        return nil, "edge setting max_schedule must be a whole number"
    end
    return true
end

return _M
