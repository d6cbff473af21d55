-- The user id that the hash strategy routes by: the JWT `sub` of the Authorization bearer
-- token, decoded WITHOUT verifying it (the gateway verifies; a forged sub only moves its sender
-- to another gateway, which then rejects it). No token: the client address.
local cjson = require("cjson.safe")
local b64 = require("ngx.base64")
local ngx_var = ngx.var
local str_match = string.match
local type = type

local _M = {version = 0.1}

-- sub_of(token) -> sub | nil
function _M.sub_of(token)
    local payload = str_match(token or "", "^[%w_-]+%.([%w_-]+)%.[%w_-]*$")
    if not payload then
        return nil
    end
    local json = b64.decode_base64url(payload)
    if not json then
        return nil
    end
    local claims = cjson.decode(json)
    if type(claims) ~= "table" or type(claims.sub) ~= "string" then
        return nil
    end
    return claims.sub
end

-- current() -> user id of this request
function _M.current()
    local auth = ngx_var.http_authorization
    local token = auth and str_match(auth, "^[Bb]earer%s+(%S+)")
    local sub = token and _M.sub_of(token)
    if sub then
        return sub
    end
    return "addr:" .. (ngx_var.remote_addr or "")
end

return _M
