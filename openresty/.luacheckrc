-- luacheck config for the edge's Lua modules (run by edge-tests: LuacheckTests)
std = "ngx_lua"
unused_args = true
max_line_length = 100
codes = true
files["lua/jdy/*.lua"] = {}
files["bench/*.lua"] = {globals = {"wrk"}}  -- wrk scripts set wrk.method, wrk.body, ...
