-- Edge benchmark "floor": the two per-request Lua entries of openresty/nginx.conf (balancer and
-- log phase) with nothing in them but the peer: round robin over the two stand-in gateways of
-- run.sh. What the edge costs above this is its own routing and in-flight counting.
local set_current_peer = require("ngx.balancer").set_current_peer

local _M = {}

local ports = {18281, 18282}
local turn = 0

function _M.balance()
    turn = turn % 2 + 1
    return set_current_peer("127.0.0.1", ports[turn])
end

_M.balance_owner = _M.balance

function _M.log()
end

_M.log_handshake = _M.log

return _M
