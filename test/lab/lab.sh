#!/usr/bin/env bash
# A real Docker Swarm of several dockerd on this machine, each in its own network, mount, UTS and
# PID namespaces, joined over veth pairs on a bridge (recipe: shared/notes/swarm-lab.md).
#
#   lab.sh up [N]        start N nodes (default 3), form a swarm, run a service publishing 8080
#   lab.sh down          stop everything and remove every trace (idempotent)
#   lab.sh exec NODE CMD run CMD inside node NODE's namespaces (mount, net, pid), DOCKER_HOST set
#   lab.sh docker NODE ARGS...   the docker CLI against node NODE's engine
#   lab.sh pid NODE      host PID of node NODE's dockerd
#   lab.sh nodes         the node names
#
# Needs root, dockerd (Debian's docker.io), iproute2, util-linux, busybox-static.
# Every address it uses is inside namespaces it made: 10.77.0.0/24 on the lab bridge.
# Each engine also listens on /run/docker/docker.sock inside its node (what a probe running on the
# node sees); from the machine, use $LAB/NODE/docker.sock. node1 also listens with TLS on
# tcp://10.77.0.11:2376 (certificates in $LAB/tls: ca.pem, cert.pem, key.pem for a client).
set -euo pipefail

LAB=${MD_LAB_DIR:-/tmp/mdlab}
BR=mdlab0
NET=10.77.0
IMAGE=mdlab/busybox:1
SERVICE=web
PORT=8080

log() { printf '[lab] %s\n' "$*" >&2; }
die() { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

nodes() { [ -d "$LAB" ] && (cd "$LAB" && ls -d node* 2>/dev/null) || true; }
sock() { echo "unix://$LAB/$1/docker.sock"; }
dk() { local n=$1; shift; docker -H "$(sock "$n")" "$@"; }
dockerd_pid() {
  local u; u=$(cat "$LAB/$1/unshare.pid" 2>/dev/null) || return 1
  pgrep -P "$u" | head -n 1
}
in_node() {
  local n=$1; shift
  local pid; pid=$(dockerd_pid "$n") || die "$n is not running"
  [ -n "$pid" ] || die "$n has no dockerd"
  DOCKER_HOST=$(sock "$n") nsenter -t "$pid" -m -n -p -- "$@"
}

wait_for() { # seconds, description, command...
  local t=$1 what=$2; shift 2
  for _ in $(seq "$t"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  die "timed out waiting for $what"
}

# A CA, a server certificate for node1's lab address and a client certificate, for --host over TLS.
make_tls() {
  local d="$LAB/tls"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mdlab-ca -keyout "$d/ca-key.pem" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=node1 -keyout "$d/server-key.pem" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:%s.11\nextendedKeyUsage=serverAuth\n' "$NET" >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial -days 2 -extfile "$d/server.ext" -out "$d/server.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=mdlab-client -keyout "$d/key.pem" -out "$d/client.csr" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext"
  openssl x509 -req -in "$d/client.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial -days 2 -extfile "$d/client.ext" -out "$d/cert.pem" 2>/dev/null
}

start_node() {
  local i=$1 n="node$1"
  local ns="mdlab-$n" dir="$LAB/$n"
  mkdir -p "$dir/data"
  ip netns add "$ns"
  ip link add "mdlv$i" type veth peer name eth0 netns "$ns"
  ip link set "mdlv$i" master "$BR" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$NET.1$i/24" dev eth0
  ip -n "$ns" link set eth0 up
  # A private mount namespace: proc, sysfs and cgroups of its own, /run/docker on a tmpfs (the
  # exec-root, where the netns files live), so that nodes do not see each other's state.
  nsenter --net="/run/netns/$ns" unshare --kill-child --mount --uts --pid --fork --propagation private \
    bash -c "
      set -e
      hostname $n
      mount -t proc proc /proc
      mkdir -p /run/docker && mount -t tmpfs tmpfs /run/docker
      mount -t sysfs sysfs /sys
      mount -t tmpfs cgroup /sys/fs/cgroup
      for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
        mkdir -p /sys/fs/cgroup/\$c && mount -t cgroup -o \$c cgroup /sys/fs/cgroup/\$c
      done
      mkdir -p /sys/fs/cgroup/systemd && mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
      exec dockerd --data-root '$dir/data' -H '$(sock "$n")' -H unix:///run/docker/docker.sock --pidfile /run/docker/dockerd.pid $(tls_args "$i")
    " >"$dir/dockerd.log" 2>&1 &
  echo $! >"$dir/unshare.pid"
}

tls_args() {
  [ "$1" = 1 ] || return 0
  echo "--tlsverify --tlscacert $LAB/tls/ca.pem --tlscert $LAB/tls/server.pem --tlskey $LAB/tls/server-key.pem -H tcp://$NET.11:2376"
}

make_image() {
  local root="$LAB/rootfs"
  rm -rf "$root" && mkdir -p "$root/bin" "$root/www"
  cp /bin/busybox "$root/bin/busybox"
  for a in sh httpd ls cat echo sleep chroot; do ln -s busybox "$root/bin/$a"; done
  echo "mesh-doctor lab" >"$root/www/index.html"
  tar -C "$root" -c . | dk node1 import --change 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
  local n
  for n in $(nodes); do [ "$n" = node1 ] || dk node1 save "$IMAGE" | dk "$n" load >/dev/null; done
}

up() {
  local count=${1:-3}
  [ "$(id -u)" = 0 ] || die "needs root"
  for b in dockerd docker nsenter unshare ip busybox openssl; do command -v "$b" >/dev/null || die "$b is missing (apt-get install docker.io iproute2 util-linux busybox-static)"; done
  [ -z "$(nodes)" ] || die "a lab is already up in $LAB (lab.sh down first)"
  mkdir -p "$LAB"
  ip link add "$BR" type bridge
  ip link set "$BR" up
  # bridge-nf-call-iptables sends bridged frames through the host FORWARD chain.
  iptables -I FORWARD -i "$BR" -o "$BR" -j ACCEPT
  touch "$LAB/forward-rule"
  command -v openssl >/dev/null || die "openssl is missing (apt-get install openssl)"
  make_tls
  local i
  for i in $(seq "$count"); do start_node "$i"; done
  for i in $(seq "$count"); do wait_for 60 "dockerd on node$i" dk "node$i" version; done
  log "engines up"
  dk node1 swarm init --advertise-addr "$NET.11" >/dev/null
  local token; token=$(dk node1 swarm join-token -q worker)
  for i in $(seq 2 "$count"); do dk "node$i" swarm join --token "$token" --advertise-addr "$NET.1$i" "$NET.11:2377" >/dev/null; done
  wait_for 60 "all nodes Ready" bash -c "[ \$(docker -H $(sock node1) node ls --format '{{.Status}}' | grep -c Ready) = $count ]"
  log "swarm formed"
  make_image
  dk node1 service create --detach --no-resolve-image --name "$SERVICE" --replicas 2 --publish "$PORT:80" "$IMAGE" httpd -f -p 80 -h /www >/dev/null
  wait_for 120 "service tasks running" bash -c "[ \$(docker -H $(sock node1) service ps $SERVICE --filter desired-state=running --format '{{.CurrentState}}' | grep -c Running) = 2 ]"
  for i in $(seq "$count"); do wait_for 60 "ingress_sbox on node$i" in_node "node$i" test -e /run/docker/netns/ingress_sbox; done
  log "up: $count nodes, service $SERVICE publishing $PORT"
}

down() {
  local n pid
  for n in $(nodes); do
    dk "$n" swarm leave --force >/dev/null 2>&1 || true
  done
  for n in $(nodes); do
    pid=$(cat "$LAB/$n/unshare.pid" 2>/dev/null || true)
    # Signal the unshare process (a host PID): --kill-child takes dockerd down with it. Never the
    # pidfile, which says 1 inside the node's PID namespace.
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for n in $(nodes); do
    pid=$(cat "$LAB/$n/unshare.pid" 2>/dev/null || true)
    for _ in $(seq 30); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  done
  # containerd-shims re-parent to the host init when their dockerd goes: end the lab's.
  pkill -f "containerd-shim.*$LAB" 2>/dev/null || true
  pkill -f "containerd .*$LAB" 2>/dev/null || true
  for ns in $(ip netns list 2>/dev/null | awk '/^mdlab-/{print $1}'); do ip netns delete "$ns" || true; done
  for l in $(ip -o link show 2>/dev/null | awk -F': ' '/mdlv[0-9]+/{print $2}' | cut -d@ -f1); do ip link delete "$l" 2>/dev/null || true; done
  ip link delete "$BR" 2>/dev/null || true
  while iptables -D FORWARD -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null; do :; done
  # Data roots hold overlay mounts of stopped containers in no namespace any more; plain removal.
  rm -rf "$LAB"
  log "down"
}

cmd=${1:-}
shift || true
case "$cmd" in
  up) up "$@" ;;
  down) down ;;
  exec) n=$1; shift; in_node "$n" "$@" ;;
  docker) n=$1; shift; dk "$n" "$@" ;;
  pid) dockerd_pid "$1" ;;
  nodes) nodes ;;
  *) sed -n '2,13p' "$0"; exit 2 ;;
esac
