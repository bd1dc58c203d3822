#!/usr/bin/env bash
# The working-mesh lab: a Docker Swarm of three user-mode-linux guests (Debian's user-mode-linux,
# kernel 6.1 with IPVS, VXLAN and netfilter as modules) whose routing mesh really carries traffic.
# Facts behind it: shared/notes/working-mesh-lab.md.
#
#   lab.sh up            build the guests' root image if it is not cached, boot three guests, form
#                        the swarm (node1 manager, node2 and node3 workers), run service web
#                        publishing 8080 in ingress mode (one task, on node3), wait until the port
#                        answers on every node
#   lab.sh down          stop everything and remove every trace (idempotent)
#   lab.sh status        what runs: guests, engines, swarm, the port from every node
#   lab.sh image         build the root image only (cached: a rerun finds it and does nothing)
#   lab.sh exec NODE [--stdin FILE] ARGV...
#                        run ARGV inside guest NODE (as root), through its agent; its exit code
#   lab.sh docker NODE ARGS...    the docker CLI against NODE's engine (tcp, from the lab namespace)
#   lab.sh ns ARGV...    run ARGV in the lab's network namespace (where the guests are reachable)
#   lab.sh curl NODE     GET the published port on NODE from the lab namespace; exit 0 if it answers
#
# Everything lives in network namespace mdmesh: the bridge, the taps, the guests' addresses
# (10.78.0.0/24; node N is 10.78.0.1N) and every process that talks to them. Needs root and Debian's
# user-mode-linux, debootstrap, e2fsprogs, iproute2, util-linux, docker.io (the docker CLI only), curl,
# and gcc with libc6-dev for xstate-shim.c, which every guest runs with (a CPU with AMX has a larger
# FPU state than UML 6.1 can restore: see that file).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
LAB=${MD_UML_LAB_DIR:-/tmp/mdmesh}
CACHE=${MD_UML_CACHE:-/var/cache/mesh-doctor-uml}
SHM=/dev/shm/mdmesh
NS=mdmesh
BR=mdm0
NET=10.78.0
NODES=(node1 node2 node3)
PORT=8080
SERVICE=web
TASK_NODE=node3
IMAGE=mdlab/web:1
MEM=${MD_UML_MEM:-1G}
PKGS=docker.io,iptables,iproute2,kmod,curl,busybox-static,procps,util-linux,ipvsadm,netbase,ca-certificates,conntrack,libstdc++6
MODULES=(overlay bridge br_netfilter veth vxlan nf_conntrack nf_nat ip_tables iptable_filter iptable_nat
  iptable_mangle iptable_raw xt_conntrack xt_addrtype xt_MASQUERADE xt_nat xt_mark xt_ipvs xt_tcpudp
  xt_multiport xt_comment xt_REDIRECT ipt_REJECT xt_LOG ip_vs ip_vs_rr xfrm_user)

log() { printf '[uml-lab %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '[uml-lab] error: %s\n' "$*" >&2; exit 1; }

idx() { echo "${1#node}"; }
addr() { echo "$NET.1$(idx "$1")"; }
in_ns() { ip netns exec "$NS" "$@"; }
dk() { local n=$1; shift; in_ns docker -H "tcp://$(addr "$n"):2375" "$@"; }
agent() { local n=$1; shift; in_ns node "$HERE/agent.cjs" call "$(addr "$n")" "$@"; }
gexec() {
  local n=$1 opts=(); shift
  if [ "${1:-}" = --stdin ]; then opts=(--stdin-file "$2"); shift 2; fi
  agent "$n" "${opts[@]}" -- "$@"
}

wait_for() { # seconds, description, command...  (returns 1 on time-out, after saying so)
  local t=$1 what=$2 start=$SECONDS; shift 2
  while ! "$@" >/dev/null 2>&1; do
    [ $((SECONDS - start)) -lt "$t" ] || { log "timed out after ${t}s waiting for $what"; return 1; }
    sleep 2
  done
}

# What the guests said, for a bring-up that did not finish (CI keeps only the output).
tell_guests() {
  local n
  for n in "${NODES[@]}"; do
    echo "---- $n: guest $(guest_alive "$n" && echo running || echo 'not running'); console (last 25 lines):" >&2
    tail -n 25 "$LAB/$n.console" 2>/dev/null | tr -cd '\11\12\40-\176' >&2 || true
    echo "---- $n: dockerd.log (last 15 lines):" >&2
    tail -n 15 "$LAB/share/$n/dockerd.log" 2>/dev/null >&2 || true
  done
  echo "---- machine: $(uptime); $(free -m | awk '/Mem:/{print $3" MB used, "$7" MB available"}')" >&2
  ps -eo pcpu,rss,comm --sort=-pcpu | head -n 8 >&2 || true
}

kver() { ls /usr/lib/uml/modules | sort -V | tail -n 1; }

# The image's own init: mount the project (hostfs) and run test/lab/uml/guest-init.sh from it.
stub_init() {
  cat <<'EOF'
#!/bin/sh
mount -t proc proc /proc
mkdir -p /md
mount -r -t hostfs none /md -o "$MDLAB_REPO" || echo "mdlab: cannot mount $MDLAB_REPO" >/dev/console
exec /bin/bash /md/test/lab/uml/guest-init.sh
EOF
}

# Everything the image is made from; a change to any of it makes a new image.
image_key() {
  { echo "$PKGS"; kver; node --version; stub_init; echo v1; } | sha256sum | cut -c1-16
}
image_path() { echo "$CACHE/$(image_key)/root.img"; }

# linux.uml's ptrace shim for hosts whose XSAVE area is larger than UML's buffer (xstate-shim.c),
# built once per source text (a file beside the image folders, which build_image's clean-up keeps).
shim_path() { echo "$CACHE/xstate-shim-$(sha256sum "$HERE/xstate-shim.c" | cut -c1-16).so"; }

build_shim() {
  local so; so=$(shim_path)
  [ -f "$so" ] && return 0
  command -v gcc >/dev/null || die "gcc is missing (apt-get install gcc libc6-dev): the guests run with $HERE/xstate-shim.c"
  mkdir -p "$CACHE"
  rm -f "$CACHE"/xstate-shim-*.so
  gcc -O2 -Wall -Werror -shared -fPIC -o "$so.tmp" "$HERE/xstate-shim.c" -ldl || die "cannot build $HERE/xstate-shim.c"
  mv "$so.tmp" "$so"
  log "xstate shim built: $so"
}

build_image() {
  local img; img=$(image_path)
  if [ -f "$img" ]; then log "root image cached: $img"; return 0; fi
  for b in debootstrap mkfs.ext4 linux.uml; do command -v "$b" >/dev/null || die "$b is missing (apt-get install user-mode-linux debootstrap e2fsprogs)"; done
  local dir; dir=$(dirname "$img")
  local tmp="$dir.tmp" k; k=$(kver)
  rm -rf "$tmp" && mkdir -p "$tmp"
  log "building the guests' root image with debootstrap (once; a few minutes)"
  debootstrap --variant=minbase --include="$PKGS" bookworm "$tmp/root" >"$tmp/debootstrap.log" 2>&1 \
    || { tail -n 20 "$tmp/debootstrap.log" >&2; die "debootstrap failed (log: $tmp/debootstrap.log)"; }
  local r="$tmp/root"
  # The UML kernel has no nf_tables for IPv4: the guests use iptables-legacy.
  chroot "$r" update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
  chroot "$r" update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null
  : >"$r/etc/resolv.conf"
  mkdir -p "$r/lib/modules"
  cp -a "/usr/lib/uml/modules/$k" "$r/lib/modules/$k"
  # Node.js for the agent and for running mesh-doctor inside a guest (same Debian release, same libc).
  install -m 0755 "$(command -v node)" "$r/usr/local/bin/node"
  stub_init >"$r/sbin/mdlab-init" && chmod 0755 "$r/sbin/mdlab-init"
  # The service's image: busybox with its applets and one page.
  local w="$tmp/web"
  mkdir -p "$w/bin" "$w/www" "$r/opt/mdlab"
  cp "$r/bin/busybox" "$w/bin/busybox"
  for a in sh httpd ls cat echo sleep chroot env base64 wget; do ln -s busybox "$w/bin/$a"; done
  echo "mesh-doctor working-mesh lab" >"$w/www/index.html"
  tar -C "$w" -cf "$r/opt/mdlab/web.tar" .
  rm -rf "$r"/var/cache/apt/archives/*.deb "$r"/var/lib/apt/lists/*
  truncate -s 4G "$tmp/root.img"
  mkfs.ext4 -q -F -L mdlab -d "$r" "$tmp/root.img"
  rm -rf "$r" "$w"
  mv "$tmp/root.img" "$tmp/debootstrap.log" "$dir/" 2>/dev/null || { mkdir -p "$dir" && mv "$tmp/root.img" "$tmp/debootstrap.log" "$dir/"; }
  rm -rf "$tmp"
  # Older images (another key) are of no use any more.
  for old in "$CACHE"/*/; do [ "${old%/}" = "$dir" ] || rm -rf "$old"; done
  log "root image built: $img ($(du -h "$img" | cut -f1) used)"
}

guest_pid() { cat "$LAB/$1.pid" 2>/dev/null; }
guest_alive() { local p; p=$(guest_pid "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

start_guest() {
  local n=$1 i; i=$(idx "$n")
  local img; img=$(image_path)
  in_ns ip tuntap add dev "mdmt$i" mode tap
  in_ns ip link set "mdmt$i" master "$BR" up
  # Its own session and process group (stopped by group, never by name); memory files on a tmpfs.
  in_ns setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$LAB/$n.pid" \
    env TMPDIR="$SHM" LD_PRELOAD="$(shim_path)" linux.uml umid="mdmesh-$n" uml_dir="$LAB/uml" mem="$MEM" \
    ubd0="$LAB/$n.cow,$img" root=/dev/ubda rw \
    "vec0:transport=tap,ifname=mdmt$i,mac=02:00:0a:4e:00:1$i" \
    init=/sbin/mdlab-init MDLAB_NAME="$n" MDLAB_ADDR="$(addr "$n")/24" MDLAB_REPO="$REPO" MDLAB_SHARE="$LAB/share/$n" \
    con=null con0=fd:0,fd:1 </dev/null >"$LAB/$n.console" 2>&1 &
  for _ in $(seq 50); do [ -s "$LAB/$n.pid" ] && return 0; sleep 0.1; done
  die "$n did not start"
}

engine_ready() { in_ns curl -sf -m 5 "http://$(addr "$1"):2375/_ping" >/dev/null; }
guest_ready() { grep -q "mdlab-init: ready" "$LAB/$1.console" 2>/dev/null; }
port_answers() { in_ns curl -sf -m "${2:-5}" "http://$(addr "$1"):$PORT/" | grep -q "working-mesh lab"; }
all_answer() { local n; for n in "${NODES[@]}"; do port_answers "$n" 3 || return 1; done; }

up() {
  [ "$(id -u)" = 0 ] || die "needs root"
  for b in linux.uml debootstrap mkfs.ext4 ip nsenter setsid curl docker node; do
    command -v "$b" >/dev/null || die "$b is missing (apt-get install user-mode-linux debootstrap e2fsprogs iproute2 util-linux curl docker.io)"
  done
  [ ! -e "$LAB" ] || die "a lab is already up in $LAB (lab.sh down first)"
  build_image
  build_shim
  local t0=$SECONDS
  mkdir -p "$LAB/uml" "$SHM"
  for n in "${NODES[@]}"; do mkdir -p "$LAB/share/$n"; done
  ip netns add "$NS"
  in_ns ip link set lo up
  in_ns ip link add "$BR" type bridge
  in_ns ip addr add "$NET.1/24" dev "$BR"
  in_ns ip link set "$BR" up
  for n in "${NODES[@]}"; do start_guest "$n"; done
  for n in "${NODES[@]}"; do
    wait_for 600 "$n to boot, start dockerd and import the image ($LAB/$n.console)" guest_ready "$n" \
      || { tell_guests; die "timed out after 600s waiting for $n to boot, start dockerd and import the image"; }
  done
  log "guests ready ($((SECONDS - t0))s)"
  dk node1 swarm init --advertise-addr "$(addr node1)" >/dev/null
  local token; token=$(dk node1 swarm join-token -q worker)
  for n in "${NODES[@]:1}"; do dk "$n" swarm join --token "$token" --advertise-addr "$(addr "$n")" "$(addr node1):2377" >/dev/null; done
  wait_for 180 "all nodes Ready" bash -c "[ \$(ip netns exec $NS docker -H tcp://$(addr node1):2375 node ls --format '{{.Status}}' | grep -c Ready) = ${#NODES[@]} ]" \
    || { tell_guests; die "the swarm did not form"; }
  log "swarm formed ($((SECONDS - t0))s)"
  dk node1 service create --detach --no-resolve-image --name "$SERVICE" --replicas 1 \
    --constraint "node.hostname==$TASK_NODE" --publish "$PORT:80" "$IMAGE" httpd -f -p 80 -h /www >/dev/null
  wait_for 900 "port $PORT to answer on every node" all_answer \
    || { tell_guests; dk node1 service ps --no-trunc "$SERVICE" >&2 || true; die "port $PORT does not answer on every node"; }
  log "up: ${NODES[*]}, service $SERVICE publishing $PORT, answering everywhere ($((SECONDS - t0))s)"
}

down() {
  local n p
  for n in "${NODES[@]}"; do
    p=$(guest_pid "$n" || true)
    [ -n "$p" ] && kill -TERM -- "-$p" 2>/dev/null || true
  done
  for n in "${NODES[@]}"; do
    p=$(guest_pid "$n" || true)
    [ -n "$p" ] || continue
    for _ in $(seq 20); do kill -0 -- "-$p" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$p" 2>/dev/null || true
  done
  # Whatever UML left behind of ours (its helper processes keep the group; this is a last resort).
  pkill -KILL -f "umid=mdmesh-" 2>/dev/null || true
  ip netns delete "$NS" 2>/dev/null || true
  rm -rf "$LAB" "$SHM"
  log "down"
}

status() {
  local n
  ip netns list 2>/dev/null | grep -qw "$NS" || { echo "lab: down"; return 0; }
  echo "lab: up ($LAB)"
  for n in "${NODES[@]}"; do
    local s="guest $n $(addr "$n"):"
    if guest_alive "$n"; then s+=" running"; else s+=" stopped"; fi
    if engine_ready "$n"; then s+=", engine up"; else s+=", engine down"; fi
    if port_answers "$n" 3; then s+=", port $PORT answers"; else s+=", port $PORT does not answer"; fi
    echo "$s"
  done
  dk node1 node ls 2>/dev/null || true
  dk node1 service ps "$SERVICE" 2>/dev/null || true
}

cmd=${1:-}
shift || true
case "$cmd" in
  up) up ;;
  down) down ;;
  status) status ;;
  image) build_image ;;
  exec) n=$1; shift; gexec "$n" "$@" ;;
  docker) n=$1; shift; dk "$n" "$@" ;;
  ns) in_ns "$@" ;;
  curl) port_answers "$1" "${2:-5}" ;;
  path) image_path ;;
  *) sed -n '2,25p' "$0"; exit 2 ;;
esac
