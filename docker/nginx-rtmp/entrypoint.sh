#!/bin/sh
# Entrypoint of the nginx-rtmp media server image.
#
# Renders the config template (docker/nginx-rtmp/nginx.conf) with envsubst,
# limited to the placeholder list below, and runs nginx in the foreground.
# test/helpers/media.ts renders the same template the same way; keep the
# placeholder list and the value checks in sync with it.
#
#   nginx-rtmp-entrypoint              render, check, exec nginx
#   nginx-rtmp-entrypoint healthcheck  exit 0 when RTMP and HTTP answer
#   nginx-rtmp-entrypoint CMD...       render, then exec CMD (debugging)
set -eu

: "${RTMP_MODULE_PATH:=/usr/lib/nginx/modules/ngx_rtmp_module.so}"
: "${RTMP_PORT:=1935}"
: "${HTTP_PORT:=8080}"
: "${HLS_PATH:=/var/lib/nginx-rtmp/hls}"
: "${ONAIR_HOOK_URL:=http://onair:3000/api/v1/hooks/nginx-rtmp}"
: "${HOOK_SECRET:=}"
# Seconds to wait for the hook host name to resolve: nginx-rtmp resolves it
# once, at start-up, and refuses to start when it cannot.
: "${HOOK_HOST_WAIT_SEC:=60}"
: "${NGINX_RTMP_TEMPLATE:=/etc/nginx/templates/nginx-rtmp.conf}"
: "${NGINX_CONF:=/etc/nginx/nginx.conf}"
: "${NGINX_PREFIX:=/var/lib/nginx/}"

# OnAir's HLS check (auth_request); by default next to the nginx-rtmp hook.
: "${ONAIR_HLS_AUTH_URL:=${ONAIR_HOOK_URL%/nginx-rtmp}/hls}"

PLACEHOLDERS='${RTMP_MODULE_PATH} ${RTMP_PORT} ${HTTP_PORT} ${HLS_PATH} ${ONAIR_HOOK_URL} ${HOOK_SECRET} ${ONAIR_HLS_AUTH_URL}'

fail() {
    echo "nginx-rtmp: $*" >&2
    exit 1
}

port_of() {
    # "1935" or "127.0.0.1:1935" -> 1935
    echo "${1##*:}"
}

if [ "${1:-}" = "healthcheck" ]; then
    # bash's /dev/tcp: the slim image has neither curl nor wget.
    exec bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        exec 3>&-
        exec 4<>"/dev/tcp/127.0.0.1/$2" || exit 1
        printf "GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n" >&4
        IFS= read -r status <&4 || exit 1
        case "$status" in *" 200 "*) exit 0 ;; *) exit 1 ;; esac
    ' healthcheck "$(port_of "$RTMP_PORT")" "$(port_of "$HTTP_PORT")" 2>/dev/null
fi

# ---- value checks (same rules as renderNginxRtmpConfig in test/helpers/media.ts)
[ -n "$HOOK_SECRET" ] || fail "HOOK_SECRET must be set"
printf '%s' "$HOOK_SECRET" | grep -Eq '^[A-Za-z0-9._~-]+$' \
    || fail "HOOK_SECRET must be URL-safe ([A-Za-z0-9._~-])"
printf '%s' "$ONAIR_HOOK_URL" | grep -Eq '^http://[^/?#[:space:];]+(/[^?#[:space:];]*)?$' \
    || fail "ONAIR_HOOK_URL must be a plain http:// URL without query string"
printf '%s' "$ONAIR_HLS_AUTH_URL" | grep -Eq '^http://[^/?#[:space:];]+(/[^?#[:space:];]*)?$' \
    || fail "ONAIR_HLS_AUTH_URL must be a plain http:// URL without query string"
for v in RTMP_PORT HTTP_PORT; do
    eval "val=\$$v"
    printf '%s' "$val" | grep -Eq '^(([0-9]{1,3}\.){3}[0-9]{1,3}:|\[[0-9a-fA-F:]+\]:)?[0-9]{1,5}$' \
        || fail "$v must be a port or address:port"
done
case "$HLS_PATH" in
    /*/ | /) fail "HLS_PATH must not end with /" ;;
    /*) ;;
    *) fail "HLS_PATH must be absolute" ;;
esac
[ -f "$RTMP_MODULE_PATH" ] || fail "RTMP_MODULE_PATH $RTMP_MODULE_PATH does not exist"
[ -f "$NGINX_RTMP_TEMPLATE" ] || fail "template $NGINX_RTMP_TEMPLATE not found"

export RTMP_MODULE_PATH RTMP_PORT HTTP_PORT HLS_PATH ONAIR_HOOK_URL HOOK_SECRET ONAIR_HLS_AUTH_URL

# ---- render
tmp="$NGINX_CONF.tmp.$$"
envsubst "$PLACEHOLDERS" <"$NGINX_RTMP_TEMPLATE" >"$tmp"
if grep -n '\${' "$tmp" >&2; then
    rm -f "$tmp"
    fail "placeholders left in the rendered config (lines above)"
fi
mv "$tmp" "$NGINX_CONF"

# ---- HLS directory, writable by the workers (compiled-in user: nobody)
mkdir -p "$HLS_PATH"
if [ "$(id -u)" = "0" ]; then
    chown nobody:nogroup "$HLS_PATH"
fi

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

# ---- wait for the hook host to resolve
host=$(printf '%s' "$ONAIR_HOOK_URL" | sed -E 's#^http://([^/:]+|\[[^]]+\]).*#\1#')
waited=0
until getent hosts "$host" >/dev/null 2>&1; do
    case "$host" in \[*) break ;; esac
    if [ "$waited" -ge "$HOOK_HOST_WAIT_SEC" ]; then
        fail "hook host '$host' does not resolve after ${HOOK_HOST_WAIT_SEC}s"
    fi
    echo "nginx-rtmp: waiting for hook host '$host' to resolve" >&2
    sleep 1
    waited=$((waited + 1))
done

exec nginx -p "$NGINX_PREFIX" -c "$NGINX_CONF" -e stderr -g 'daemon off;'
