# The OpenResty edge: openresty/nginx.conf and its Lua modules on the OpenResty image.
#   docker build -f docker/edge.Dockerfile -t jdy/edge .
FROM openresty/openresty:1.27.1.2-bookworm
# curl: the Compose health check reads /_edge/status
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
COPY openresty /opt/jindouyun/openresty
COPY docker/edge-entrypoint.sh /usr/local/bin/edge-entrypoint
RUN chmod 0755 /usr/local/bin/edge-entrypoint
# Placeholders of nginx.conf (see its header); IPs, not names: the balancer does not resolve.
ENV EDGE_PORT=8080 \
    IPCONFIG_URL=http://172.28.0.20:8090 \
    GATEWAYS="gw-1=172.28.0.31:8081 gw-2=172.28.0.32:8082" \
    METRICS_ALLOW=172.28.0.12
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/edge-entrypoint"]
