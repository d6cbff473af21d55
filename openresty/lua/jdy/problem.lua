-- RFC 9457 problem details written by the edge itself (application/problem+json).
local cjson = require("cjson.safe")
local ngx_say = ngx.say
local ngx_exit = ngx.exit
local ngx_header = ngx.header
local ngx_var = ngx.var
local str_gsub = string.gsub

local _M = {version = 0.1}

local TYPE_BASE = "https://jindouyun.io/problems/"

-- send(status, kind, title, detail): ends the request with a problem.
function _M.send(status, kind, title, detail)
    ngx.status = status
    ngx_header["Content-Type"] = "application/problem+json"
    ngx_header["Cache-Control"] = "no-store"
    local body = cjson.encode({type = TYPE_BASE .. kind, title = title, status = status,
                               detail = detail, instance = ngx_var.uri})
    -- this cjson escapes "/" as "\/"; undo it so the type URI reads as written
    ngx_say((str_gsub(body, "\\/", "/")))
    return ngx_exit(status)
end

return _M
