#!/bin/sh
# Fills openresty/nginx.conf's placeholders and runs OpenResty in the foreground.
# OpenResty has Lua built in (no load_module lines); listen on all interfaces inside the
# container; logs to the container's stdout/stderr. /_edge/metrics is open to METRICS_ALLOW (the
# Prometheus container) besides loopback; the ops page's queries go to PROMETHEUS_URL.
set -eu
home=/opt/jindouyun/openresty
prefix=/var/lib/jindouyun-edge
mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/temp"
sed -e "s#\${LUA_MODULES}##" \
    -e "s#\${PREFIX}#$prefix#g" \
    -e "s#\${PORT}#$EDGE_PORT#g" \
    -e "s#\${OPENRESTY}#$home#g" \
    -e "s#\${IPCONFIG_URL}#$IPCONFIG_URL#g" \
    -e "s#\${GATEWAYS}#$GATEWAYS#g" \
    -e "s#listen 127.0.0.1:#listen 0.0.0.0:#" \
    -e "s#allow 127.0.0.1; \# scrapers#allow 127.0.0.1; allow ${METRICS_ALLOW:-127.0.0.1};#" \
    -e "s#proxy_pass http://127.0.0.1:9090;#proxy_pass ${PROMETHEUS_URL:-http://127.0.0.1:9090};#" \
    -e "s#^error_log .*#error_log /dev/stderr notice;#" \
    -e "s#access_log [^ ]* edge#access_log /dev/stdout edge#" \
    "$home/nginx.conf" > "$prefix/conf/nginx.conf"
exec openresty -p "$prefix" -c conf/nginx.conf -e /dev/stderr -g "daemon off; pid $prefix/logs/nginx.pid;"
