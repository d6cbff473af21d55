-- The edge's own metrics, served by GET /_edge/metrics (loopback and the scrapers nginx.conf
-- allows) in Prometheus' text format (version 0.0.4):
--   jdy_edge_requests_total{gateway}   requests a gateway served (counted in the log phase)
--   jdy_edge_errors_total{gateway}     of those, answered with a status >= 500
--   jdy_edge_retries_total{gateway}    tries that failed on a gateway and went to another
--   jdy_edge_down_marks_total{gateway} times a gateway was marked down (a failed connect)
--   jdy_edge_no_gateway_total          requests no gateway could take (the edge answered 502)
--   jdy_edge_gateway_down{gateway}     1 while a gateway of the list is marked down
--   jdy_edge_list_source{source}       1 for where the list routed by comes from: ipconfig,
--                                      file (saved), static (configured); 0 for the others
--   jdy_edge_list_age_seconds          time since ipconfig last confirmed the list (absent
--                                      when it never has)
--   jdy_edge_list_instances            instances in that list
--
-- Counters live in shared dict `jdy_metrics`, key "<name>|<gateway>" ("<name>|" without one).
-- Concurrency: a request does not write the dict: every worker keeps its own increments
-- (pending) and a timer, armed by the first increment when none is armed, adds them with one
-- incr per key metrics_flush seconds later; so a count is at most about metrics_flush behind.
-- Rare events (down marks, no gateway) are added at once. The dict holds at most
-- max_metric_series keys: an increment for a new key beyond that is dropped with a log line.
local list_store = require("jdy.list_store")
local settings = require("jdy.settings")
local ngx_shared = ngx.shared
local ngx_log = ngx.log
local ngx_ERR = ngx.ERR
local ngx_now = ngx.now
local ngx_print = ngx.print
local ngx_header = ngx.header
local ngx_timer_at = ngx.timer.at
local ngx_worker_exiting = ngx.worker.exiting
local str_find = string.find
local str_sub = string.sub
local str_gsub = string.gsub
local str_format = string.format
local tbl_concat = table.concat
local tbl_sort = table.sort
local pairs = pairs
local ipairs = ipairs
local tostring = tostring

local _M = {version = 0.1}

local dict = ngx_shared.jdy_metrics

-- the counters, in the order they are served, with their help text
local COUNTERS = {
    {"requests", "jdy_edge_requests_total", "requests a gateway served"},
    {"errors", "jdy_edge_errors_total", "requests a gateway served with a status >= 500"},
    {"retries", "jdy_edge_retries_total", "tries that failed on a gateway and went to another"},
    {"down_marks", "jdy_edge_down_marks_total", "times a gateway was marked down"},
    {"no_gateway", "jdy_edge_no_gateway_total", "requests no gateway could take"},
}

local SOURCES = {"ipconfig", "file", "static"}

-- per worker: counter name -> gateway -> increment not yet added to the dict (no string is
-- built per request: the dict keys are made by the timer)
local pending = {}
local flush_armed = false
local warned_full = false

-- add(key, n): adds n to the dict's key, creating it within the bound
local function add(key, n)
    local _, err = dict:incr(key, n)
    if not err then
        return
    end
    -- not there yet: create it only while under the bound
    if #dict:get_keys(settings.current.max_metric_series) >= settings.current.max_metric_series
    then
        if not warned_full then
            warned_full = true
            ngx_log(ngx_ERR, "edge metrics: more than ", settings.current.max_metric_series,
                    " series, dropping ", key)
        end
        return
    end
    local _, ierr = dict:incr(key, n, 0)
    if ierr then
        ngx_log(ngx_ERR, "edge metrics: failed to count ", key, ": ", ierr)
    end
end

local function flush()
    local batch = pending
    pending = {}
    flush_armed = false
    for name, by_gateway in pairs(batch) do
        for gateway, n in pairs(by_gateway) do
            add(name .. "|" .. gateway, n)
        end
    end
end

local function arm()
    local ok, err = ngx_timer_at(settings.current.metrics_flush, flush)
    if ok then
        flush_armed = true
        return
    end
    if not ngx_worker_exiting() then
        ngx_log(ngx_ERR, "failed to arm the edge metrics timer: ", err)
    end
    flush()
end

-- count(name, gateway): one more of counter name for gateway (this worker's, written later)
function _M.count(name, gateway)
    local by_gateway = pending[name]
    if not by_gateway then
        by_gateway = {}
        pending[name] = by_gateway
    end
    by_gateway[gateway] = (by_gateway[gateway] or 0) + 1
    if not flush_armed then
        arm()
    end
end

-- served(gateway, status): the log phase of a request that gateway served
function _M.served(gateway, status)
    _M.count("requests", gateway)
    if status >= 500 then
        _M.count("errors", gateway)
    end
end

-- count_now(name, gateway): a rare event, added to the dict at once
function _M.count_now(name, gateway)
    add(name .. "|" .. (gateway or ""), 1)
end

-- a label value with \, " and newlines escaped
local function label(value)
    return (str_gsub(tostring(value), '[\\"\n]', {["\\"] = "\\\\", ['"'] = '\\"',
                                                  ["\n"] = "\\n"}))
end

local function counters(out)
    local by_name = {}
    for _, key in ipairs(dict:get_keys(settings.current.max_metric_series)) do
        local bar = str_find(key, "|", 1, true)
        if bar then
            local name = str_sub(key, 1, bar - 1)
            local rows = by_name[name]
            if not rows then
                rows = {}
                by_name[name] = rows
            end
            rows[#rows + 1] = {str_sub(key, bar + 1), dict:get(key) or 0}
        end
    end
    for _, counter in ipairs(COUNTERS) do
        local name, metric, help = counter[1], counter[2], counter[3]
        out[#out + 1] = "# HELP " .. metric .. " " .. help
        out[#out + 1] = "# TYPE " .. metric .. " counter"
        local rows = by_name[name] or {}
        tbl_sort(rows, function(a, b) return a[1] < b[1] end)
        if name == "no_gateway" then
            local total = 0
            for _, row in ipairs(rows) do
                total = total + row[2]
            end
            out[#out + 1] = metric .. " " .. total
        else
            for _, row in ipairs(rows) do
                out[#out + 1] = str_format('%s{gateway="%s"} %d', metric, label(row[1]), row[2])
            end
        end
    end
end

local function list(out, now)
    local view, fetched_at = list_store.view()
    local source = view and view.source or "none"
    out[#out + 1] = "# HELP jdy_edge_list_source 1 for the source of the list the edge routes by"
    out[#out + 1] = "# TYPE jdy_edge_list_source gauge"
    for _, s in ipairs(SOURCES) do
        out[#out + 1] = str_format('jdy_edge_list_source{source="%s"} %d', s,
                                   s == source and 1 or 0)
    end
    out[#out + 1] = "# HELP jdy_edge_list_age_seconds time since ipconfig last confirmed the list"
    out[#out + 1] = "# TYPE jdy_edge_list_age_seconds gauge"
    if fetched_at and fetched_at > 0 then
        out[#out + 1] = str_format("jdy_edge_list_age_seconds %.3f", now - fetched_at)
    end
    out[#out + 1] = "# HELP jdy_edge_list_instances instances in the list the edge routes by"
    out[#out + 1] = "# TYPE jdy_edge_list_instances gauge"
    out[#out + 1] = "jdy_edge_list_instances " .. (view and #view.instances or 0)
    out[#out + 1] = "# HELP jdy_edge_gateway_down 1 while a gateway of the list is marked down"
    out[#out + 1] = "# TYPE jdy_edge_gateway_down gauge"
    if view then
        local down = ngx_shared.jdy_down
        for _, inst in ipairs(view.instances) do
            out[#out + 1] = str_format('jdy_edge_gateway_down{gateway="%s"} %d', label(inst.id),
                                       down:get(inst.id) ~= nil and 1 or 0)
        end
    end
end

-- content_by_lua of location = /_edge/metrics
function _M.serve()
    flush() -- this worker's own increments are in the answer
    local out = {}
    counters(out)
    list(out, ngx_now())
    ngx_header["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"
    ngx_header["Cache-Control"] = "no-store"
    out[#out + 1] = ""
    ngx_print(tbl_concat(out, "\n"))
end

return _M
