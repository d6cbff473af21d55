-- A small HTTP/1.1 client over cosockets: GET with headers, Content-Length, chunked or
-- read-until-close bodies, one connection per call ("Connection: close"), every step timed out.
-- lua-resty-http is not packaged for Debian; this covers what the edge needs (the best list).
local ngx_socket_tcp = ngx.socket.tcp
local str_find = string.find
local str_lower = string.lower
local str_match = string.match
local str_sub = string.sub
local tab_concat = table.concat
local tonumber = tonumber
local pairs = pairs

local _M = {version = 0.1}

local MAX_HEADERS = 64
local MAX_CHUNKS = 4096

-- parse_url("http://127.0.0.1:8090/base") -> "127.0.0.1", 8090, "/base"
function _M.parse_url(url)
    if type(url) ~= "string" then
        return nil, "url is not a string"
    end
    local host, port, path = str_match(url, "^http://([^/:]+):?(%d*)(.*)$")
    if not host then
        return nil, "not an http:// url: " .. url
    end
    port = tonumber(port) or 80
    if port < 1 or port > 65535 then
        return nil, "bad port in url: " .. url
    end
    if path == "" or str_sub(path, -1) == "/" then
        path = str_sub(path, 1, -2)
    end
    return {host = host, port = port, path = path}
end

local function read_headers(sock)
    local headers = {}
    for _ = 1, MAX_HEADERS do
        local line, err = sock:receive("*l")
        if not line then
            return nil, "failed to read headers: " .. err
        end
        if line == "" then
            return headers
        end
        local name, value = str_match(line, "^([^:]+):%s*(.-)%s*$")
        if name then
            headers[str_lower(name)] = value
        end
    end
    return nil, "too many headers"
end

local function read_chunked(sock, max_body)
    local parts, size = {}, 0
    for _ = 1, MAX_CHUNKS do
        local line, err = sock:receive("*l")
        if not line then
            return nil, "failed to read chunk size: " .. err
        end
        local len = tonumber(str_match(line, "^%s*(%x+)"), 16)
        if not len then
            return nil, "bad chunk size line"
        end
        if len == 0 then
            -- trailers end with an empty line; ignore them
            local _, terr = read_headers(sock)
            if terr then
                return nil, terr
            end
            return tab_concat(parts)
        end
        size = size + len
        if size > max_body then
            return nil, "body larger than " .. max_body .. " bytes"
        end
        local data, derr = sock:receive(len)
        if not data then
            return nil, "failed to read chunk: " .. derr
        end
        parts[#parts + 1] = data
        local _, cerr = sock:receive(2)
        if cerr then
            return nil, "failed to read chunk end: " .. cerr
        end
    end
    return nil, "too many chunks"
end

local function read_body(sock, headers, max_body)
    local te = headers["transfer-encoding"]
    if te and str_find(str_lower(te), "chunked", 1, true) then
        return read_chunked(sock, max_body)
    end
    local length = tonumber(headers["content-length"])
    if length then
        if length > max_body then
            return nil, "body larger than " .. max_body .. " bytes"
        end
        if length == 0 then
            return ""
        end
        local data, err = sock:receive(length)
        if not data then
            return nil, "failed to read body: " .. err
        end
        return data
    end
    -- no length: read until the server closes (we sent "Connection: close")
    local reader = sock:receiveuntil("\0\0\0never\0\0\0")
    local data, err, partial = reader(max_body + 1)
    if not data and err ~= "closed" then
        return nil, "failed to read body: " .. err
    end
    data = data or partial
    if #data > max_body then
        return nil, "body larger than " .. max_body .. " bytes"
    end
    return data
end

-- get(opts) -> res, err
--   opts.host, opts.port, opts.path (with query), opts.headers (table),
--   opts.connect_timeout, opts.send_timeout, opts.read_timeout (ms), opts.max_body (bytes)
--   res = {status = 200, headers = {lowercase name = value}, body = "..."}
function _M.get(opts)
    local sock = ngx_socket_tcp()
    sock:settimeouts(opts.connect_timeout or 2000, opts.send_timeout or 2000,
                     opts.read_timeout or 5000)
    local ok, err = sock:connect(opts.host, opts.port)
    if not ok then
        return nil, "failed to connect to " .. opts.host .. ":" .. opts.port .. ": " .. err
    end
    local req = {"GET ", opts.path, " HTTP/1.1\r\nHost: ", opts.host, ":", opts.port,
                 "\r\nConnection: close\r\nUser-Agent: jindouyun-edge\r\n"}
    if opts.headers then
        for name, value in pairs(opts.headers) do
            req[#req + 1] = name .. ": " .. value .. "\r\n"
        end
    end
    req[#req + 1] = "\r\n"
    local _, serr = sock:send(tab_concat(req))
    if serr then
        sock:close()
        return nil, "failed to send request: " .. serr
    end
    local status_line, rerr = sock:receive("*l")
    if not status_line then
        sock:close()
        return nil, "failed to read status line: " .. rerr
    end
    local status = tonumber(str_match(status_line, "^HTTP/1%.[01] (%d%d%d)"))
    if not status then
        sock:close()
        return nil, "bad status line: " .. str_sub(status_line, 1, 80)
    end
    local headers, herr = read_headers(sock)
    if not headers then
        sock:close()
        return nil, herr
    end
    local body = ""
    if status ~= 204 and status ~= 304 then
        local berr
        body, berr = read_body(sock, headers, opts.max_body or 1048576)
        if not body then
            sock:close()
            return nil, berr
        end
    end
    sock:close()
    return {status = status, headers = headers, body = body}
end

return _M
