#!/bin/bash
# Init of a working-mesh lab guest (a user-mode-linux kernel; test/lab/uml/lab.sh boots it). The
# image's /sbin/mdlab-init mounts the project read-only at /md (hostfs) and runs this file from there,
# so changing the guests' start-up does not mean rebuilding the image.
#
# Environment (kernel command line): MDLAB_NAME, MDLAB_ADDR (CIDR on eth0), MDLAB_SHARE (a host
# folder mounted read-write at /share, to carry captures out).
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C
say() { echo "mdlab-init: $*" >/dev/console; }

mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mkdir -p /share /run/mdlab
mount -t hostfs none /share -o "$MDLAB_SHARE"
hostname "$MDLAB_NAME"
echo "$MDLAB_NAME" >/etc/hostname

# What the mesh needs, as modules (shared/notes/working-mesh-lab.md).
modprobe -a overlay bridge br_netfilter veth vxlan nf_conntrack nf_nat ip_tables iptable_filter \
  iptable_nat iptable_mangle iptable_raw xt_conntrack xt_addrtype xt_MASQUERADE xt_nat xt_mark \
  xt_ipvs xt_tcpudp xt_multiport xt_comment xt_REDIRECT ipt_REJECT xt_LOG ip_vs ip_vs_rr xfrm_user \
  || say "modprobe failed"

ip link set lo up
# UML's vector driver names the interface vec0: give it the usual name.
ip link set vec0 name eth0 2>/dev/null
ip link set eth0 up
ip addr add "$MDLAB_ADDR" dev eth0
addr=${MDLAB_ADDR%/*}
# TCP keepalive below IPVS's 900 s idle timeout, as mesh-doctor's ipvs-idle-timeout asks (the stock
# 7200 s lets the mesh forget idle connections: moby/moby#31208). The healthy lab is a tuned one;
# the fault tcp-keepalive-stock puts the kernel's value back on one node.
echo 600 >/proc/sys/net/ipv4/tcp_keepalive_time || say "cannot set tcp_keepalive_time"

node /md/test/lab/uml/agent.cjs serve "$addr" 7070 >/share/agent.log 2>&1 &

# dockerd, started again whenever it exits (under a starved CPU it can give up on its containerd),
# except while /run/mdlab/hold exists: that is how the lab stops it on purpose.
(
  while :; do
    while [ -e /run/mdlab/hold ]; do sleep 1; done
    echo "== $(date +%T) dockerd start" >>/share/dockerd.log
    DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 dockerd --storage-driver=overlay2 \
      -H unix:///var/run/docker.sock -H "tcp://$addr:2375" --tls=false >>/share/dockerd.log 2>&1
    echo "== $(date +%T) dockerd exited $?" >>/share/dockerd.log
    sleep 1
  done
) &

until curl -sf --unix-socket /var/run/docker.sock http://docker/_ping >/dev/null 2>&1; do sleep 1; done
# The service's image: busybox and a page (no registry is reachable from the lab).
curl -sf --unix-socket /var/run/docker.sock -X POST -H 'Content-Type: application/x-tar' \
  --data-binary @/opt/mdlab/web.tar 'http://docker/images/create?fromSrc=-&repo=mdlab/web&tag=1' >/dev/null \
  || say "image import failed"
say "ready $MDLAB_NAME"

# PID 1 from here on: a reaper (tini, as docker-init).
exec /usr/bin/docker-init -- sleep infinity
