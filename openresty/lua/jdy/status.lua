-- GET /_edge/status (loopback only): what the edge routes by right now, as JSON. Per instance:
-- inFlight, and ewma: its average handshake time in seconds (jdy.latency; the largest over the
-- workers, decayed to now; null while no worker has had a handshake on it in the last minute).
local cjson = require("cjson.safe")
local fallback = require("jdy.fallback")
local health = require("jdy.health")
local latency = require("jdy.latency")
local list_store = require("jdy.list_store")
local ngx_now = ngx.now
local ngx_say = ngx.say
local ngx_header = ngx.header
local ipairs = ipairs

local _M = {version = 0.1}

function _M.serve()
    ngx_header["Content-Type"] = "application/json"
    ngx_header["Cache-Control"] = "no-store"
    local view, fetched_at = list_store.view()
    if not view then
        ngx.status = 503
        ngx_say(cjson.encode({source = "none", instances = {}}))
        return
    end
    local now = ngx_now()
    local instances = {}
    for i, inst in ipairs(view.instances) do
        instances[i] = {id = inst.id, host = inst.host, port = inst.port, weight = inst.weight,
                        inFlight = health.in_flight(inst.id),
                        ewma = latency.ewma(inst.id, now) or cjson.null,
                        down = health.is_down(inst.id)}
    end
    ngx_say(cjson.encode({
        source = view.source,
        version = view.version,
        strategy = view.strategy,
        mode = fallback.mode(view.strategy, fetched_at, now),
        ageSeconds = (fetched_at or 0) > 0 and now - fetched_at or cjson.null,
        instances = instances,
    }))
end

return _M
