-- Entry points that nginx.conf calls: init(opts) in init_by_lua, init_worker() in
-- init_worker_by_lua, and per request balance() / balance_owner() (balancer_by_lua of the two
-- upstreams), log() and log_handshake() (log_by_lua), which are jdy.balancer's functions.
-- nginx.conf keeps this module in the global `jdy` so that a request runs no require(). Worker 0
-- owns the timers (best list sync and the down-mark prober); nginx restarts a dead worker with
-- the same id, so exactly one worker runs them.
local fallback = require("jdy.fallback")
local settings = require("jdy.settings")
local ngx_log = ngx.log
local ngx_ERR = ngx.ERR
local ngx_worker_id = ngx.worker.id
local math_randomseed = math.randomseed
local ngx_now = ngx.now
local ngx_worker_pid = ngx.worker.pid
local error = error

local _M = {version = 0.1}

function _M.init(opts)
    local ok, err = settings.init(opts)
    if not ok then
        error("failed to configure the edge: " .. err)
    end
    fallback.init()
    -- preload in the master so workers share the compiled code
    local balancer = require("jdy.balancer")
    _M.balance = balancer.balance
    _M.balance_owner = balancer.balance_owner
    _M.log = balancer.log
    _M.log_handshake = balancer.log_handshake
    require("jdy.best_list_sync")
    require("jdy.status")
    require("jdy.metrics")
end

function _M.init_worker()
    math_randomseed(ngx_now() * 1000 + ngx_worker_pid())
    local ok, err = require("jdy.latency").start()
    if not ok then
        ngx_log(ngx_ERR, "failed to start the latency publish timer: ", err)
    end
    if ngx_worker_id() ~= 0 then
        return
    end
    ok, err = require("jdy.best_list_sync").start()
    if not ok then
        ngx_log(ngx_ERR, "failed to start best list sync: ", err)
    end
    ok, err = require("jdy.health").start_prober()
    if not ok then
        ngx_log(ngx_ERR, "failed to start the gateway prober: ", err)
    end
end

return _M
