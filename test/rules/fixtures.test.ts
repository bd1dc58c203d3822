import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRules } from '../../src/rules/loader.js';
import { evaluate } from '../../src/rules/evaluate.js';
import type { Result, Status } from '../../src/rules/types.js';
import { readCapture } from '../../src/capture/read.js';
import { cutIpvsConn } from '../../src/collect/commands.js';
import { buildSnapshot } from '../../src/model/build.js';
import { fixture, FIXTURES, snapshotOf } from '../helpers/fixtures.js';

type Expected = [rule: string, node: string | null, status: Status];

/** The article behind seed-cluster printed no conntrack counters: its fixtures skip that rule on every node. */
const SEED_SKIPS: Expected[] = ['228', '234', '253'].flatMap((n): Expected[] => [
  ['conntrack-not-full', n, 'skip'],
  // Batch B (host): the article printed no `ip addr` or `ip route`, and its swarm has no encrypted overlay.
  ...['advertise-addr-local', 'esp-allowed-for-encrypted', 'gwbridge-subnet-no-overlap', 'ingress-subnet-no-overlap', 'overlay-mtu-fits', 'rp-filter-loose-on-multihomed', 'vxlan-device-not-stale'].map((r): Expected => [r, n, 'skip']),
  // host/daemon.json (or errors.json saying the node has none) is in no capture made before the collectors read it.
  ['docker-iptables-enabled', n, 'skip'],
  // Nor `nmcli device` or `networkctl`: which network manager holds Docker's interfaces is not known there.
  ['network-manager-leaves-docker', n, 'skip'],
  // Nor `ethtool -k` (host/ethtool.txt): the vxlan-csum fixtures add it with host/addr.
  ['vxlan-checksum-offload-safe', n, 'skip'],
  // Nor `ip -d link show type vxlan` (host/vxlan.*): the vxlan-port fixtures add it.
  ['vxlan-port-not-shared', n, 'skip'],
  // Nor IPVS's connection table (ingress_sbox/ipvs-conn.txt): the ipvs-udp fixtures add it with a UDP service.
  ['ipvs-udp-flows-current', n, 'skip'],
  // Nor the kernel's modules (host/modules.txt, modules-builtin.txt, modules-dep.txt): the kernel fixtures add them.
  ['kernel-modules-present', n, 'skip'],
]);

/**
 * The ingress overlay's namespace (ingress_overlay/neigh and fdb) is in no capture of the article's
 * cluster, nor yet in the lab's: vxlan-fdb-complete skips there. The vxlan fixtures add the files.
 */
const OVERLAY_RULES = ['vxlan-fdb-complete'];
const SEED_OVERLAY_SKIPS: Expected[] = ['228', '234', '253'].flatMap((n) => OVERLAY_RULES.map((r): Expected => [r, n, 'skip']));
/**
 * The lab fixtures were captured before the collectors read the overlay namespace: once they are
 * captured again with it, delete this list (LAB_SKIPS then holds only what the lab truly lacks).
 */
const LAB_OVERLAY_SKIPS: Expected[] = ['node1', 'node2', 'node3'].flatMap((n) => OVERLAY_RULES.map((r): Expected => [r, n, 'skip']));

/**
 * The working-mesh lab has no encrypted overlay: esp-allowed-for-encrypted does not apply there. Its
 * captures predate host/daemon.json, host/nmcli.txt, host/networkctl.txt, host/ethtool.txt and
 * ingress_sbox/ipvs-conn.txt: docker-iptables-enabled, network-manager-leaves-docker,
 * vxlan-checksum-offload-safe and ipvs-udp-flows-current skip.
 */
const LAB_SKIPS: Expected[] = ['node1', 'node2', 'node3'].flatMap((n): Expected[] => [
  ['esp-allowed-for-encrypted', n, 'skip'],
  ['docker-iptables-enabled', n, 'skip'],
  ['network-manager-leaves-docker', n, 'skip'],
  // Nor host/ethtool.txt (its UML guests have no NIC driver to report).
  ['vxlan-checksum-offload-safe', n, 'skip'],
  // Nor host/vxlan.json until lab-fault-26.
  ['vxlan-port-not-shared', n, 'skip'],
  // Nor ingress_sbox/ipvs-conn.txt (IPVS's UDP connection entries): its captures predate it.
  ['ipvs-udp-flows-current', n, 'skip'],
  // Nor the kernel's modules (host/modules*.txt).
  ['kernel-modules-present', n, 'skip'],
]);
/**
 * Rules that read only files of the node's own: each runs on every node whose capture asked for one
 * of them (the file is there, or errors.json says why it is not: the node has no daemon.json, no
 * nmcli), so the seed's or the lab's skip does not apply there. Lab captures made since the
 * collectors read a file (lab-fault-26 on) have it.
 */
const NODE_FILE_RULES: Record<string, string[]> = {
  'vxlan-device-not-stale': ['host/addr.txt', 'host/addr.json'],
  'vxlan-port-not-shared': ['host/vxlan.json', 'host/vxlan.txt'],
  'docker-iptables-enabled': ['host/daemon.json'],
  'network-manager-leaves-docker': ['host/nmcli.txt', 'host/networkctl.txt'],
  'ipvs-udp-flows-current': ['ingress_sbox/ipvs-conn.txt'],
};
function capturedOwnFile(name: string, node: string, rule: string): boolean {
  const files = NODE_FILE_RULES[rule] ?? [];
  const dir = join(FIXTURES, name, 'nodes', node);
  const errors = existsSync(join(dir, 'errors.json')) ? (JSON.parse(readFileSync(join(dir, 'errors.json'), 'utf8')) as { file: string }[]).map((e) => e.file) : [];
  return files.some((f) => existsSync(join(dir, f)) || errors.includes(f));
}
/** Lab captures made before the collectors read ingress_overlay/ (lab-fault-01 to 20) skip the overlay rules. */
const hasOverlay = (name: string) => existsSync(join(FIXTURES, name, 'nodes', 'node1', 'ingress_overlay'));

/** Batch A's node rules (ingress_sbox and IPVS): all skip on a node whose capture is empty. */
const BATCH_A_NODE_RULES = ['sbox-present', 'sbox-vips-match', 'fwmark-unique', 'ipvs-service-has-mark', 'sbox-snat-present', 'ipvs-conntrack-enabled', 'ipvs-sysctls-tuned',
  'neighbour-table-headroom', 'ipvs-idle-timeout'];
/**
 * The article printed ingress_sbox's nat table only for node 234 (sbox-snat-present skips on 228 and
 * 253) and no gc_thresh3 (neighbour-table-headroom skips everywhere). A fixture that adds the input
 * lists the rule's result on that node instead.
 */
const BATCH_A_SEED_SKIPS: Expected[] = [
  ['sbox-snat-present', '228', 'skip'],
  ['sbox-snat-present', '253', 'skip'],
  ...['228', '234', '253'].map((n): Expected => ['neighbour-table-headroom', n, 'skip']),
  ...['228', '234', '253'].map((n): Expected => ['ipvs-idle-timeout', n, 'skip']),
];
/**
 * The lab's guests now boot with net.ipv4.tcp_keepalive_time = 600, below IPVS's 900 s idle timeout
 * (test/lab/uml/guest-init.sh), as ipvs-idle-timeout asks. Captures made before that (lab-fault-01
 * to 23) have the kernel's 7200 s on every node, and the rule warns on each of them there (as on any
 * default install: the catalog's ipvs-idle-timeout row); the port still answers.
 */
const LAB_STOCK_KEEPALIVE_WARNS: Expected[] = ['node1', 'node2', 'node3'].map((n): Expected => ['ipvs-idle-timeout', n, 'warn']);
const stockKeepalive = (name: string) => /tcp_keepalive_time = 7200/.test(readFileSync(join(FIXTURES, name, 'nodes', 'node1', 'host', 'sysctl.txt'), 'utf8'));

/** Every result that is not a pass, per fixture. Anything not listed must pass. */
const EXPECTED: Record<string, Expected[]> = {
  'seed-cluster': [],
  'broken-dnat-target': [['dnat-target-is-sbox', '253', 'fail']],
  'broken-dnat-duplicate': [
    ['dnat-target-is-sbox', '234', 'fail'],
    ['dnat-target-is-sbox', '234', 'fail'],
  ],
  'broken-fwmark-no-backend': [
    ['fwmark-has-backend', '228', 'fail'],
    ['ipvs-backends-match-tasks', '228', 'fail'], // the running task is missing from IPVS
  ],
  'broken-fwmark-no-service': [['fwmark-has-backend', '234', 'fail']],
  'broken-backend-arp': [
    ['backend-in-arp', '228', 'warn'],
    ['backend-in-arp', '234', 'fail'],
  ],
  'broken-engine-major': [['peer-engine-versions', null, 'fail']],
  'broken-engine-patch': [['peer-engine-versions', null, 'warn']],
  'broken-missing-dnat': [['published-port-has-dnat', '228', 'fail']],
  'broken-no-ipvs': ['228', '234', '253'].flatMap((n): Expected[] => [
    ['backend-in-arp', n, 'skip'],
    ['fwmark-has-backend', n, 'skip'],
    ['ipvs-available', n, 'fail'],
    ['ipvs-backends-match-tasks', n, 'skip'],
    ['published-port-has-dnat', n, 'fail'],
    ['published-port-has-mark', n, 'fail'],
    ['ipvs-service-has-mark', n, 'skip'], // batch A: IPVS not captured
  ]),
  'broken-missing-mark': [['published-port-has-mark', '228', 'fail']],
  'broken-stale-backend': [
    ['ipvs-backends-match-tasks', '234', 'fail'],
    ['backend-in-arp', '234', 'warn'],
  ],
  'broken-peers-incomplete': [['ingress-peers-complete', '234', 'fail']],
  'broken-ingress-recreated': [
    ['ingress-network-consistent', null, 'fail'],
    ['sbox-vips-match', '228', 'warn'], // 228's sbox holds 10.0.0.97, which no service has on 228's (old) ingress network
  ],
  'broken-ip-forward-off': [['ip-forward-enabled', '228', 'fail']],
  'broken-gwbridge-masquerade': [['gwbridge-masquerade', '234', 'fail']],
  'broken-node-down': [['swarm-nodes-ready', null, 'fail']],
  // The working-mesh lab (test/lab/uml): one fault each, on node2, whose port then did not answer.
  'lab-healthy': [],
  'lab-fault-01-dnat-deleted': [['published-port-has-dnat', 'node2', 'fail']],
  'lab-fault-02-dnat-rewritten': [['dnat-target-is-sbox', 'node2', 'fail']],
  'lab-fault-03-dnat-stale-duplicate': [
    ['dnat-target-is-sbox', 'node2', 'fail'], // the stale one, ahead
    ['dnat-target-is-sbox', 'node2', 'fail'], // the good one, now a duplicate
  ],
  'lab-fault-04-sbox-mark-deleted': [['published-port-has-mark', 'node2', 'fail']],
  'lab-fault-05-ipvs-service-deleted': [['fwmark-has-backend', 'node2', 'fail']],
  'lab-fault-06-ipvs-backend-deleted': [
    ['fwmark-has-backend', 'node2', 'fail'],
    ['ipvs-backends-match-tasks', 'node2', 'fail'],
  ],
  'lab-fault-07-ipvs-backend-weight-0': [['fwmark-has-backend', 'node2', 'fail']],
  'lab-fault-08-sbox-neigh-wrong-mac': [['backend-in-arp', 'node2', 'fail']],
  'lab-fault-09-docker-user-drop': [['forward-path-open', 'node2', 'fail']],
  'lab-fault-10-forward-reject-first': [['forward-path-open', 'node2', 'fail']],
  'lab-fault-11-ip-forward-off': [['ip-forward-enabled', 'node2', 'fail']],
  'lab-fault-12-vxlan-port-dropped': [['swarm-ports-open', 'node2', 'fail']],
  'lab-fault-13-nat-flushed': [
    ['published-port-has-dnat', 'node2', 'fail'],
    ['gwbridge-masquerade', 'node2', 'fail'],
    ['local-path-open', 'node2', 'warn'], // nat OUTPUT's jump to DOCKER-INGRESS
    ['local-path-open', 'node2', 'warn'], // POSTROUTING's MASQUERADE of local sources to docker_gwbridge
  ],
  'lab-fault-14-conntrack-full': [['conntrack-not-full', 'node2', 'fail']],
  // node2's engine is down: the probe could not run there (every node2 rule skips, saying so), and
  // the manager's view fails it.
  'lab-fault-15-sbox-snat-deleted': [['sbox-snat-present', 'node2', 'fail']],
  'lab-fault-16-ipvs-conntrack-off': [['ipvs-conntrack-enabled', 'node2', 'fail']],
  // Latent faults: the port still answered on every node (truth.json); each is a warning there.
  'lab-fault-17-ipvs-sysctls-default': [
    ['ipvs-sysctls-tuned', 'node2', 'warn'], // expire_nodest_conn = 0
    ['ipvs-sysctls-tuned', 'node2', 'warn'], // conn_reuse_mode = 1
  ],
  'lab-fault-18-ipvs-stale-service': [['ipvs-service-has-mark', 'node2', 'warn']],
  'lab-fault-19-local-path-jump-deleted': [['local-path-open', 'node2', 'warn']],
  'lab-fault-21-vxlan-fdb-row-deleted': [['vxlan-fdb-complete', 'node2', 'fail']],
  'lab-fault-22-gwbridge-route-hijacked': [['gwbridge-subnet-no-overlap', 'node2', 'fail']],
  'lab-fault-23-sbox-vip-removed': [['sbox-vips-match', 'node2', 'warn']],
  'lab-fault-24-tcp-keepalive-stock': [['ipvs-idle-timeout', 'node2', 'warn']],
  'lab-fault-25-vxlan-device-left-behind': [['vxlan-device-not-stale', 'node2', 'warn']],
  // node2's dockerd could not make the ingress network's VXLAN device: no ingress network, no sbox,
  // no DNAT there; every rule that reads them skips on node2. node1 and node3 miss node2 among their
  // ingress peers, which runs no task: a warning (their port answers).
  'lab-fault-26-vxlan-vni-taken': [
    ['vxlan-port-not-shared', 'node2', 'fail'],
    ['sbox-present', 'node2', 'fail'],
    ['published-port-has-dnat', 'node2', 'fail'],
    ['ingress-peers-complete', 'node1', 'warn'],
    ['ingress-peers-complete', 'node3', 'warn'],
    ...['backend-in-arp', 'forward-path-open', 'fwmark-has-backend', 'fwmark-unique', 'ingress-peers-complete', 'ingress-subnet-no-overlap', 'ipvs-available', 'ipvs-backends-match-tasks',
      'ipvs-conntrack-enabled', 'ipvs-idle-timeout', 'ipvs-service-has-mark', 'ipvs-sysctls-tuned', 'neighbour-table-headroom', 'published-port-has-mark', 'sbox-snat-present',
      'sbox-vips-match', 'swarm-ports-open'].map((r): Expected => [r, 'node2', 'skip']),
  ],
  // A UDP flow left on the task a service update removed, in node2's sbox (expire_nodest_conn = 0).
  // The new task's address is in no neighbour table of node1 and node3 yet: no traffic went there.
  'lab-fault-27-udp-flow-stuck': [
    ['ipvs-udp-flows-current', 'node2', 'warn'],
    ['ipvs-sysctls-tuned', 'node2', 'warn'],
    ['backend-in-arp', 'node1', 'warn'],
    ['backend-in-arp', 'node3', 'warn'],
  ],
  'broken-host-vxlan-port-shared': [['vxlan-port-not-shared', '234', 'warn']],
  'broken-host-vxlan-external': [['vxlan-port-not-shared', '253', 'fail']],
  'ok-host-vxlan-other-port': ['228', '234', '253'].map((n): Expected => ['vxlan-port-not-shared', n, 'pass']),
  'lab-fault-20-dockerd-stopped': [
    ['swarm-nodes-ready', null, 'fail'],
    ...['backend-in-arp', 'conntrack-not-full', 'dnat-target-is-sbox', 'forward-path-open', 'fwmark-has-backend', 'gwbridge-masquerade', 'ingress-peers-complete',
      'ip-forward-enabled', 'ipvs-available', 'ipvs-backends-match-tasks', 'published-port-has-dnat', 'published-port-has-mark', 'swarm-ports-open',
      'local-path-open', 'iptables-one-backend', 'overlay-mtu-fits', 'ingress-subnet-no-overlap', 'gwbridge-subnet-no-overlap', 'rp-filter-loose-on-multihomed', 'advertise-addr-local', 'vxlan-device-not-stale',
      ...BATCH_A_NODE_RULES, ...OVERLAY_RULES].map((r): Expected => [r, 'node2', 'skip']),
  ],
  // Batch A: ingress_sbox and IPVS.
  'broken-sbox-missing': [
    ['sbox-present', '228', 'fail'],
    // Not captured on 228 (the namespace is gone), or unknown without it.
    ...['backend-in-arp', 'dnat-target-is-sbox', 'forward-path-open', 'fwmark-has-backend', 'ipvs-available', 'ipvs-backends-match-tasks', 'published-port-has-mark', 'sbox-vips-match',
      'fwmark-unique', 'ipvs-service-has-mark', 'ipvs-conntrack-enabled', 'ipvs-sysctls-tuned'].map((r): Expected => [r, '228', 'skip']),
  ],
  'broken-fwmark-reused': [['fwmark-unique', '234', 'fail']],
  'broken-ipvs-stale-service': [['ipvs-service-has-mark', '228', 'warn']],
  'broken-sbox-snat-wrong': [['sbox-snat-present', '234', 'fail']],
  'broken-sbox-snat-missing': [['sbox-snat-present', '234', 'fail']],
  'broken-ipvs-conntrack-off': [['ipvs-conntrack-enabled', '253', 'fail']],
  'broken-ipvs-sysctls-default': [
    ['ipvs-sysctls-tuned', '228', 'warn'],
    ['ipvs-sysctls-tuned', '228', 'warn'],
    ['ipvs-sysctls-tuned', '228', 'warn'],
  ],
  'broken-sbox-neigh-full': [['neighbour-table-headroom', '253', 'warn']],
  'broken-ipvs-idle-timeout': ['228', '234', '253'].map((n): Expected => ['ipvs-idle-timeout', n, 'warn']),
  'ok-ipvs-idle-timeout': [],
  'broken-sbox-vips': [
    ['sbox-vips-match', '234', 'warn'],
    ['sbox-vips-match', '253', 'warn'],
  ],
  'invalid-iptables-line': [
    ['gwbridge-masquerade', '253', 'error'],
    ['dnat-target-is-sbox', '253', 'error'],
    ['published-port-has-dnat', '253', 'error'],
    ['iptables-one-backend', '253', 'error'],
    ['local-path-open', '253', 'error'],
  ],
  // Batch B (host). A fixture that adds host/addr or routes to a node lists what that node now gives
  // for rules the seed skips; 'pass' entries only override those skips.
  'broken-host-local-path': [
    ['local-path-open', '228', 'warn'],
    ['local-path-open', '228', 'warn'],
  ],
  'broken-host-iptables-split': [['iptables-one-backend', '234', 'fail']],
  // Which network manager holds Docker's interfaces: one warn per interface it holds.
  'broken-host-netmgr-nm': [
    ['network-manager-leaves-docker', '234', 'warn'], // docker_gwbridge, connected
    ['network-manager-leaves-docker', '234', 'warn'], // veth2d74e02, connecting (getting IP configuration)
  ],
  'broken-host-netmgr-networkd': ['docker0', 'docker_gwbridge', 'veth5d497dc'].map((): Expected => ['network-manager-leaves-docker', '253', 'warn']),
  'ok-host-netmgr-unmanaged': ['228', '234', '253'].map((n): Expected => ['network-manager-leaves-docker', n, 'pass']),
  'ok-host-encrypted-overlay': ['228', '234', '253'].map((n): Expected => ['esp-allowed-for-encrypted', n, 'pass']),
  // Host mode: the ingress network's VXLAN device beside its bridge in 253's own namespace; the bridge is Docker's.
  'ok-host-vxlan-host-mode': [
    ['vxlan-device-not-stale', '253', 'pass'],
    ['ingress-subnet-no-overlap', '253', 'pass'],
    ['gwbridge-subnet-no-overlap', '253', 'pass'],
    ['advertise-addr-local', '253', 'pass'],
    ['overlay-mtu-fits', '253', 'pass'],
    ['rp-filter-loose-on-multihomed', '253', 'pass'],
  ],
  'broken-host-esp-blocked': [
    ['esp-allowed-for-encrypted', '228', 'pass'],
    ['esp-allowed-for-encrypted', '253', 'pass'],
    ['esp-allowed-for-encrypted', '234', 'fail'],
    ['esp-allowed-for-encrypted', '234', 'fail'],
  ],
  'broken-host-mtu': [
    ['overlay-mtu-fits', '228', 'fail'],
    ['advertise-addr-local', '228', 'pass'],
    ['rp-filter-loose-on-multihomed', '228', 'pass'],
  ],
  'broken-host-ingress-overlap': [
    ['ingress-subnet-no-overlap', '253', 'fail'],
    ['gwbridge-subnet-no-overlap', '253', 'pass'],
    ['advertise-addr-local', '253', 'pass'],
    ['overlay-mtu-fits', '253', 'pass'],
    ['rp-filter-loose-on-multihomed', '253', 'pass'],
  ],
  'broken-host-gwbridge-overlap': [
    ['gwbridge-subnet-no-overlap', '234', 'fail'],
    ['ingress-subnet-no-overlap', '234', 'pass'],
    ['advertise-addr-local', '234', 'pass'],
    ['overlay-mtu-fits', '234', 'pass'],
    ['rp-filter-loose-on-multihomed', '234', 'pass'],
  ],
  'broken-host-rp-filter-strict': [
    ['rp-filter-loose-on-multihomed', '253', 'warn'],
    ['ingress-subnet-no-overlap', '253', 'pass'],
    ['gwbridge-subnet-no-overlap', '253', 'pass'],
    ['advertise-addr-local', '253', 'pass'],
    ['overlay-mtu-fits', '253', 'pass'],
  ],
  // host/ethtool.txt: the vmxnet3 VXLAN checksum offload (each adds host/addr too, so the addr rules run there).
  'broken-host-vxlan-csum-offload': [
    ['vxlan-checksum-offload-safe', '228', 'fail'],
    ...['advertise-addr-local', 'overlay-mtu-fits', 'rp-filter-loose-on-multihomed'].map((r): Expected => [r, '228', 'pass']),
  ],
  'ok-host-vxlan-csum-offload-off': ['228', '234', '253'].flatMap((n) => ['vxlan-checksum-offload-safe', 'advertise-addr-local', 'overlay-mtu-fits', 'rp-filter-loose-on-multihomed'].map((r): Expected => [r, n, 'pass'])),
  'ok-host-vxlan-csum-data-path-port': ['228', '234', '253'].flatMap((n) => ['vxlan-checksum-offload-safe', 'advertise-addr-local', 'overlay-mtu-fits', 'rp-filter-loose-on-multihomed'].map((r): Expected => [r, n, 'pass'])),
  'broken-host-advertise-nat': [
    ['advertise-addr-local', '228', 'warn'],
    ['overlay-mtu-fits', '228', 'skip'],
    ['rp-filter-loose-on-multihomed', '228', 'pass'],
  ],
  // dockerd's settings (host/daemon.json): 234 sets "iptables": false; 228 and 253 have none (errors.json: No such file).
  'broken-host-iptables-disabled': [
    ['docker-iptables-enabled', '234', 'warn'],
    ['docker-iptables-enabled', '228', 'pass'],
    ['docker-iptables-enabled', '253', 'pass'],
  ],
  'ok-host-daemon-json': ['228', '234', '253'].map((n): Expected => ['docker-iptables-enabled', n, 'pass']),
  // IPVS's UDP flows (ingress_sbox/ipvs-conn.txt) of a syslog service on udp/514 after its update.
  'ok-ipvs-udp-flows': ['228', '234', '253'].map((n): Expected => ['ipvs-udp-flows-current', n, 'pass']),
  'broken-ipvs-udp-flow-nodest': [
    ['ipvs-udp-flows-current', '228', 'warn'], // 2 flows to the deleted 10.0.0.88:514, expire_nodest_conn = 0
    ['ipvs-sysctls-tuned', '228', 'warn'], // that same expire_nodest_conn = 0
    ['ipvs-udp-flows-current', '234', 'pass'], // no UDP entry
    ['ipvs-udp-flows-current', '253', 'pass'], // 1 flow to the deleted 10.0.0.88:514, expire_nodest_conn = 1: gone at its next packet
  ],
  'broken-ipvs-udp-flow-quiescent': [
    ['ipvs-udp-flows-current', '234', 'warn'], // 2 flows to 10.0.0.88:514, left at weight 0, its task shut down
    ['ipvs-backends-match-tasks', '234', 'fail'], // that same weight-0 destination: a backend no running task has
    ['ipvs-udp-flows-current', '228', 'pass'],
    ['ipvs-udp-flows-current', '253', 'pass'],
  ],
  // The kernel's modules. 253: this machine's kernel (no loadable modules, no IPVS): ip_vs_rr and xt_ipvs
  // fail (IPVS itself is ipvs-available's); 234: a container capture that cannot tell for veth, vxlan,
  // xt_REDIRECT (skip); 228: not captured (the seed's skip).
  'broken-host-kernel-modules': [
    ['kernel-modules-present', '253', 'fail'], // ip_vs_rr
    ['kernel-modules-present', '253', 'fail'], // xt_ipvs
    ['kernel-modules-present', '234', 'skip'],
    ['ipvs-available', '253', 'fail'],
    ['published-port-has-dnat', '253', 'fail'],
    ['published-port-has-mark', '253', 'fail'],
    // IPVS and its sysctls not captured there (No such file).
    ...['backend-in-arp', 'fwmark-has-backend', 'ipvs-backends-match-tasks', 'ipvs-service-has-mark', 'ipvs-conntrack-enabled', 'ipvs-sysctls-tuned'].map((r): Expected => [r, '253', 'skip']),
  ],
  // 234's kernel has IPVS but not its rr scheduler: the mark has no IPVS service.
  'broken-host-kernel-no-ip-vs-rr': [
    ['kernel-modules-present', '234', 'fail'],
    ['fwmark-has-backend', '234', 'fail'],
  ],
  'ok-host-kernel-modules': ['228', '234', '253'].map((n): Expected => ['kernel-modules-present', n, 'pass']),
  // Batch C: the swarm's services and networks (cluster views).
  // The service's VIP is on a removed network: the /32 every sbox holds is one no current VIP explains.
  'broken-swarm-vip-stale-ingress': [['vips-on-current-ingress', null, 'fail'], ...['228', '234', '253'].map((n): Expected => ['sbox-vips-match', n, 'warn'])],
  // The subnet is shrunk to /29 in the networks only: 234's sbox SNAT still names the /24 it was made for.
  'broken-swarm-ingress-full': [['ingress-ip-capacity', null, 'fail'], ['sbox-snat-present', '234', 'fail']],
  // A dnsrr service has no VIP: the /32 the sboxes still hold for it is stale.
  'broken-swarm-dnsrr-ingress': [['dnsrr-no-ingress-ports', null, 'fail'], ...['228', '234', '253'].map((n): Expected => ['sbox-vips-match', n, 'warn'])],
  'broken-swarm-host-mode-port': [
    ['host-mode-ports-noted', '228', 'warn'],
    ['host-mode-ports-noted', '234', 'warn'],
  ],
  'broken-swarm-task-no-ingress-address': [['tasks-have-ingress-address', null, 'fail']],
  'broken-swarm-quorum-lost': [
    ['managers-quorum', null, 'fail'],
    ['swarm-nodes-ready', null, 'fail'],
    ['swarm-nodes-ready', null, 'fail'],
  ],
  'broken-swarm-managers-even': [['managers-quorum', null, 'warn']],
  'broken-swarm-data-path-port': [['data-path-port-agreed', null, 'fail']],
  // The ingress overlay's VXLAN forwarding rows: the seed with ingress_overlay/ on every node.
  'ok-vxlan-fdb': ['228', '234', '253'].map((n): Expected => ['vxlan-fdb-complete', n, 'pass']),
  'broken-vxlan-fdb-missing': [
    ['vxlan-fdb-complete', '234', 'fail'], // 10.0.0.98's row gone
    ['vxlan-fdb-complete', '228', 'pass'],
    ['vxlan-fdb-complete', '253', 'pass'],
  ],
  'broken-vxlan-fdb-wrong-dst': [
    ['vxlan-fdb-complete', '228', 'fail'], // 10.0.0.98 tunnelled to 234, not 253
    ['vxlan-fdb-complete', '234', 'pass'],
    ['vxlan-fdb-complete', '253', 'pass'],
  ],
  'broken-vxlan-fdb-unknown-dst': [
    ['vxlan-fdb-complete', '253', 'fail'], // 10.0.0.3 tunnelled to an address of no node
    ['vxlan-fdb-complete', '228', 'pass'],
    ['vxlan-fdb-complete', '234', 'pass'],
  ],
};

/**
 * published-port-reaches-task follows the packet (src/trace/path.ts). Where the hop that stops the
 * port is one another rule names (a missing DNAT, IPVS, a neighbour entry, ...), that rule reports it
 * and this one passes; it fails where the firewall's own rules stop the port. Merged into EXPECTED below.
 */
const TRACE_RULE = 'published-port-reaches-task';
const TRACE: Record<string, Expected[]> = {
  'invalid-iptables-line': [[TRACE_RULE, '253', 'error']],
  'lab-fault-09-docker-user-drop': [[TRACE_RULE, 'node2', 'fail']], // the DROP in DOCKER-USER
  'lab-fault-10-forward-reject-first': [[TRACE_RULE, 'node2', 'fail']], // the REJECT first in FORWARD
};
for (const [name, list] of Object.entries(TRACE)) EXPECTED[name].push(...list);

/** Captures of the working-mesh lab (test/lab/uml), each with what the traffic said (truth.json). */
const LAB = readdirSync(FIXTURES).filter((n) => existsSync(join(FIXTURES, n, 'truth.json'))).sort();
/** Healthy captures: the article's cluster, the working-mesh lab as it came up, and ok-* fixtures made to pass a rule whose input those two lack. */
const HEALTHY = ['seed-cluster', 'lab-healthy', ...readdirSync(FIXTURES).filter((n) => n.startsWith('ok-'))];

const rules = loadRules();
const results = new Map<string, Result[]>(readdirSync(FIXTURES).map((name) => [name, evaluate(rules, snapshotOf(name))]));
const key = (r: { rule: string; node: string | null; status: string }) => `${r.rule} ${r.node} ${r.status}`;

describe('rules against the fixtures', () => {
  it('covers every fixture folder in the table', () => {
    expect([...results.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('%s gives exactly its expected non-pass results', (name, expected) => {
    const got = results.get(name)!.filter((r) => r.status !== 'pass').map(key).sort();
    // A fixture's own entry for a rule on a node replaces the seed's (or lab's) skip there; 'pass' entries only do that.
    const skips = (name.startsWith('lab-') ? [...LAB_SKIPS, ...(stockKeepalive(name) ? LAB_STOCK_KEEPALIVE_WARNS : []), ...(hasOverlay(name) ? [] : LAB_OVERLAY_SKIPS)] : [...SEED_SKIPS, ...BATCH_A_SEED_SKIPS, ...SEED_OVERLAY_SKIPS]).filter(
      ([r, n]) => !expected.some(([er, en]) => er === r && en === n) && !(r === 'ipvs-idle-timeout' && name.endsWith('-ipvs-idle-timeout')) && !capturedOwnFile(name, n!, r),
    );
    const all = [...expected, ...skips].filter(([, , status]) => status !== 'pass');
    expect(got).toEqual(all.map(([rule, node, status]) => key({ rule, node, status })).sort());
  });

  it.each(rules.map((r) => r.spec.id))('%s passes on a healthy fixture and fails (or warns) on another', (id) => {
    const passing = [...results].filter(([, rs]) => rs.some((r) => r.rule === id) && rs.filter((r) => r.rule === id).every((r) => r.status === 'pass'));
    const failing = [...results].filter(([, rs]) => rs.some((r) => r.rule === id && (r.status === 'fail' || r.status === 'warn')));
    expect(passing.map(([n]) => n).filter((n) => HEALTHY.includes(n))).not.toEqual([]);
    expect(failing.length).toBeGreaterThan(0);
  });

  it.each(LAB)('%s: where the port did not answer there is a fail about that node, and nowhere else', (name) => {
    const truth = JSON.parse(readFileSync(join(FIXTURES, name, 'truth.json'), 'utf8')) as { answers: Record<string, boolean> };
    const rs = results.get(name)!;
    const failsAbout = (node: string) => rs.filter((r) => r.status === 'fail' && (r.node === node || (r.node === null && r.subject === node))).map((r) => r.rule);
    for (const [node, answers] of Object.entries(truth.answers)) {
      if (answers) expect(`${node}: ${failsAbout(node).join(', ')}`).toBe(`${node}: `);
      else expect(failsAbout(node).length).toBeGreaterThan(0);
    }
    expect(rs.filter((r) => r.status === 'error')).toEqual([]);
  });

  it.each([...results.keys()])('%s: every rule gives at least one result for every node it applies to', (name) => {
    const rs = results.get(name)!;
    const nodes = snapshotOf(name).nodes.map((n) => n.name);
    for (const rule of rules) {
      const targets = rule.spec.scope === 'cluster' ? [null] : nodes;
      for (const node of targets) expect(rs.filter((r) => r.rule === rule.spec.id && r.node === node).length).toBeGreaterThan(0);
    }
  });

  it('reports the DNAT mismatch with the message and evidence of the report spec', () => {
    const r = results.get('broken-dnat-target')!.find((x) => x.status === 'fail')!;
    expect(r).toMatchObject({
      rule: 'dnat-target-is-sbox',
      severity: 'fail',
      node: '253',
      subject: 'tcp/8080',
      message: 'DOCKER-INGRESS DNATs tcp/8080 to 192.168.0.3, but ingress_sbox is 192.168.0.2 on docker_gwbridge',
      docs: 'docs/rules/dnat-target-is-sbox.md',
    });
    expect(r.evidence).toMatchObject({ toAddress: '192.168.0.3', sboxAddress: '192.168.0.2', file: 'nodes/253/host/iptables-nat.txt' });
    expect(r.remediation).toMatch(/docker_gwbridge/);
  });

  it('names the file and line of unparseable input in the error results, and still checks the rest', () => {
    const rs = results.get('invalid-iptables-line')!;
    for (const r of rs.filter((x) => x.status === 'error')) expect(r.message).toMatch(/^cannot check: nodes\/253\/host\/iptables-nat.txt:29: /);
    // Every rule that does not read host nat still runs on 253 (ingress-peers-complete once per peer).
    const stillChecked = [...new Set(rs.filter((r) => r.node === '253' && r.status === 'pass').map((r) => r.rule))].sort();
    expect(stillChecked).toEqual(['backend-in-arp', 'forward-path-open', 'fwmark-has-backend', 'host-mode-ports-noted', 'ingress-peers-complete', 'ip-forward-enabled', 'ipvs-available', 'ipvs-backends-match-tasks', 'published-port-has-mark', 'swarm-ports-open',
      ...BATCH_A_NODE_RULES.filter((id) => !BATCH_A_SEED_SKIPS.some(([r, n]) => r === id && n === '253'))].sort());
  });

  it('says why a rule was skipped: the file that was not captured and the collector error', () => {
    const skip = results.get('broken-no-ipvs')!.find((r) => r.rule === 'fwmark-has-backend' && r.node === '253')!;
    expect(skip.message).toBe('nodes/253/ingress_sbox/ipvs.txt was not captured (cat /proc/net/ip_vs: No such file or directory)');
  });

  it('network-manager-leaves-docker names each interface a manager holds, its state and line, and fills the fix with them', () => {
    const nm = results.get('broken-host-netmgr-nm')!.filter((x) => x.rule === 'network-manager-leaves-docker' && x.status === 'warn');
    expect(nm.map((r) => [r.subject, r.where])).toEqual([
      ['docker_gwbridge', ['nodes/234/host/nmcli.txt:2']],
      ['veth2d74e02', ['nodes/234/host/nmcli.txt:5']],
    ]);
    expect(nm[1].message).toBe(
      "NetworkManager manages veth2d74e02 (ethernet, state connecting (getting IP configuration), connection 'Wired connection 4'): it can take this Docker interface's addresses off, bring it down or activate its own profile on it when links change",
    );
    expect(nm[1].evidence).toMatchObject({ interface: 'veth2d74e02', manager: 'NetworkManager', state: 'connecting (getting IP configuration)', managedOnNode: ['NetworkManager docker_gwbridge connected', 'NetworkManager veth2d74e02 connecting (getting IP configuration)'] });
    expect(nm[1].remediation).toContain('On node 234, tell NetworkManager');
    expect(nm[1].remediation).toContain('`unmanaged-devices=interface-name:docker*;interface-name:veth*;interface-name:br-*;interface-name:vx-*;interface-name:ov-*`');
    expect(nm[1].remediation).toContain('docker_gwbridge, veth2d74e02 as unmanaged');
    expect(nm[1].remediation).toContain("`nmcli connection delete 'Wired connection 4'`");
    // Connected (externally): NetworkManager only watches what Docker configured.
    expect(JSON.stringify(results.get('broken-host-netmgr-nm')!.filter((x) => x.rule === 'network-manager-leaves-docker'))).not.toMatch(/manages (docker0|vethcb80f06)/);
    const nd = results.get('broken-host-netmgr-networkd')!.find((x) => x.rule === 'network-manager-leaves-docker' && x.subject === 'docker_gwbridge')!;
    expect(nd).toMatchObject({ node: '253', status: 'warn', where: ['nodes/253/host/networkctl.txt:4'] });
    expect(nd.message).toMatch(/^systemd-networkd manages docker_gwbridge \(bridge, SETUP configuring, OPERATIONAL routable\)/);
    expect(nd.remediation).toContain('`networkctl status docker_gwbridge`');
    expect(nd.remediation).toContain('`Unmanaged=yes`');
    expect(nd.remediation).toContain('docker0, docker_gwbridge, veth5d497dc as unmanaged');
    const ok = results.get('ok-host-netmgr-unmanaged')!.filter((x) => x.rule === 'network-manager-leaves-docker');
    expect(ok.map((r) => `${r.node} ${r.status} ${r.message}`)).toEqual([
      "228 pass NetworkManager leaves Docker's 4 interface(s) alone (connected (externally), unmanaged in nodes/228/host/nmcli.txt); systemd-networkd was not read (networkctl list --no-pager --no-legend: networkctl: command not found)",
      '234 pass NetworkManager was not read (nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device: Error: NetworkManager is not running.); systemd-networkd is not running (nodes/234/host/networkctl.txt)',
      "253 pass NetworkManager was not read (nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device: nmcli: command not found); systemd-networkd leaves Docker's 3 interface(s) alone (SETUP unmanaged in nodes/253/host/networkctl.txt)",
    ]);
    expect(results.get('seed-cluster')!.find((x) => x.rule === 'network-manager-leaves-docker' && x.node === '253')).toMatchObject({
      status: 'skip',
      message: "neither nodes/253/host/nmcli.txt nor nodes/253/host/networkctl.txt is in the capture (captures made before mesh-doctor read them): which network manager holds Docker's interfaces is unknown",
    });
  });

  it('fails vxlan-checksum-offload-safe naming the NIC, its driver, the feature line and the port; passes with the offload off or another port, saying why', () => {
    const r = results.get('broken-host-vxlan-csum-offload')!.find((x) => x.rule === 'vxlan-checksum-offload-safe' && x.status === 'fail')!;
    expect(r).toMatchObject({
      node: '228',
      subject: 'underlay ens192',
      evidence: { interface: 'ens192', nodeAddr: '192.168.100.228', driver: 'vmxnet3', txChecksumIpGeneric: 'tx-checksum-ip-generic: on', fixed: false, dataPathPort: 4789 },
      where: ['nodes/228/host/ethtool.txt:1', 'nodes/228/host/ethtool.txt:6', 'nodes/228/info.json'],
    });
    expect(r.message).toMatch(/^the underlay ens192 \(192\.168\.100\.228\) is a vmxnet3 NIC with `tx-checksum-ip-generic: on` \(nodes\/228\/host\/ethtool\.txt:6\) and the swarm's VXLAN runs on UDP 4789/);
    expect(r.remediation).toContain('`ethtool -K ens192 tx-checksum-ip-generic off`');
    expect(r.remediation).toContain('On node 228');
    expect(r.remediation).toContain('docker swarm init --data-path-port 7789');
    expect(r.remediation).not.toMatch(/<[A-Z]+>/);
    const off = results.get('ok-host-vxlan-csum-offload-off')!.filter((x) => x.rule === 'vxlan-checksum-offload-safe');
    expect(off.map((x) => [x.node, x.status, x.message])).toEqual(['228', '234', '253'].map((n) => [n, 'pass', 'ens192 (vmxnet3) has `tx-checksum-ip-generic: off`: the kernel computes VXLAN\'s UDP checksums itself']));
    const port = results.get('ok-host-vxlan-csum-data-path-port')!.filter((x) => x.rule === 'vxlan-checksum-offload-safe');
    expect(port.map((x) => x.message)).toEqual(Array(3).fill("ens192 (vmxnet3) has `tx-checksum-ip-generic: on`, but the swarm's data-path port is 7789, not 4789: the vmxnet3 checksum bug is tied to 4789"));
    expect(results.get('seed-cluster')!.find((x) => x.rule === 'vxlan-checksum-offload-safe' && x.node === '253')).toMatchObject({ status: 'skip', message: 'needs nodes/253/host/addr.txt, which is not in the capture' });
  });

  it('skips vxlan-fdb-complete on a capture from before ingress_overlay/, naming the file', () => {
    for (const n of ['228', '234', '253']) {
      expect(results.get('seed-cluster')!.find((r) => r.rule === 'vxlan-fdb-complete' && r.node === n)).toMatchObject({ status: 'skip', message: `needs nodes/${n}/ingress_overlay/neigh.json, which is not in the capture` });
    }
  });

  it("names what a left-over VXLAN device blocks, from the VNI and network id in its name, at its line of ip addr", () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-vx-'));
    try {
      cpSync(fixture('ok-host-vxlan-host-mode'), dir, { recursive: true });
      const ingress = JSON.parse(readFileSync(join(dir, 'nodes/228/networks/ingress.json'), 'utf8'))[0];
      const appNet = { ...ingress, Name: 'app-net', Id: 'k2p9xw4r7t1y3u5i8o0p6a2s4', Ingress: false, Containers: {}, Peers: null, Options: { 'com.docker.network.driver.overlay.vxlanid_list': '4097' } };
      writeFileSync(join(dir, 'cluster/networks.json'), JSON.stringify([{ ...ingress, Containers: {}, Peers: null }, appNet], null, 2));
      const addr = join(dir, 'nodes/253/host/addr.txt');
      const devices = ['vx-001000-n3dex', 'vx-001001-zzzzz', 'vx-001005-k2p9x', 'vx-001fff-q7k2m'];
      writeFileSync(addr, readFileSync(addr, 'utf8').replace(/^\d+: ov-001000-n3dex:[\s\S]*$/m, '') + devices.map((d, i) => `${30 + i}: ${d}: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN group default qlen 1000\n    link/ether 4e:1b:02:6f:55:1${i} brd ff:ff:ff:ff:ff:ff\n`).join(''));
      const lines = readFileSync(addr, 'utf8').split('\n');
      const rs = evaluate(rules.filter((r) => r.spec.id === 'vxlan-device-not-stale'), buildSnapshot(readCapture(dir))).filter((r) => r.node === '253');
      expect(rs.map((r) => [r.subject, r.status, r.where])).toEqual(devices.map((d) => [`vxlan device ${d}`, 'warn', [`nodes/253/host/addr.txt:${lines.findIndex((l) => l.includes(`: ${d}:`)) + 1}`]]));
      const [own, taken, moved, gone] = rs.map((r) => r.message);
      expect(own).toMatch(/^vx-001000-n3dex \(VNI 4096, DOWN\) is in the host's own namespace \(nodes\/253\/host\/addr.txt:\d+\), where libnetwork leaves no VXLAN device: overlay ingress \(n3dex97iv1gs5ugdluoc34dxi\) cannot set up its VXLAN device on this node while it is there/);
      expect(taken).toContain('VNI 4097 now belongs to overlay app-net, which cannot set up its VXLAN device on this node');
      expect(moved).toContain('it was made for overlay app-net (k2p9xw4r7t1y3u5i8o0p6a2s4), which has VNI 4097 now, and the next overlay given VNI 4101 cannot be set up on this node');
      expect(gone).toContain('the network it was made for (id q7k2m...) is no longer in the swarm, and the next overlay given VNI 8191 cannot be set up on this node');
      expect(rs[0].remediation).toContain('`ip link delete vx-001000-n3dex`');
      expect(rs[0].remediation).toContain('a service on ingress with a task on this node');
      expect(rs[1].remediation).toContain('a service on app-net with a task on this node');
      expect(rs[3].remediation).toContain('keeps the VNI free');
      expect(rs[3].evidence).toMatchObject({ device: 'vx-001fff-q7k2m', vni: 8191, networkPrefix: 'q7k2m', network: '', vniHolders: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('warns of "iptables": false in daemon.json naming node, file:line and value; passes where the node has none; skips where it was not captured', () => {
    const rs = results.get('broken-host-iptables-disabled')!.filter((x) => x.rule === 'docker-iptables-enabled');
    const warn = rs.find((x) => x.status === 'warn')!;
    expect(warn).toMatchObject({
      node: '234',
      subject: 'daemon.json iptables',
      message: expect.stringMatching(/^node 234's \/etc\/docker\/daemon.json sets "iptables": false \(nodes\/234\/host\/daemon.json:1\): dockerd writes no iptables rules/),
      where: ['nodes/234/host/daemon.json:1'],
      evidence: { setting: 'iptables', value: 'false', file: 'nodes/234/host/daemon.json', at: 'nodes/234/host/daemon.json:1', keys: ['iptables'] },
    });
    expect(warn.remediation).toMatch(/^On node 234, remove `"iptables": false` from \/etc\/docker\/daemon.json \(nodes\/234\/host\/daemon.json:1 in the capture\)/);
    expect(warn.remediation).toContain('DOCKER-USER');
    expect(warn.remediation).not.toMatch(/NODE|<|\$\{\{/);
    expect(rs.find((x) => x.node === '228')).toMatchObject({ status: 'pass', message: 'node 228 has no /etc/docker/daemon.json (cat: /etc/docker/daemon.json: No such file or directory): "iptables" is Docker\'s default, true' });
    expect(results.get('ok-host-daemon-json')!.filter((x) => x.rule === 'docker-iptables-enabled' && x.node === '234').map((x) => x.message)).toEqual(['nodes/234/host/daemon.json sets "iptables": true', 'nodes/234/host/daemon.json sets "ip-forward": true']);
    expect(results.get('seed-cluster')!.find((x) => x.rule === 'docker-iptables-enabled' && x.node === '253')).toMatchObject({
      status: 'skip',
      message: 'needs nodes/253/host/daemon.json (/etc/docker/daemon.json, or errors.json saying the node has none), which is not in the capture',
    });
  });

  it('names the missing VXLAN row, where the capture shows it, and the real commands to fix it', () => {
    const r = results.get('broken-vxlan-fdb-missing')!.find((x) => x.rule === 'vxlan-fdb-complete' && x.status === 'fail')!;
    expect(r).toMatchObject({
      node: '234',
      subject: '10.0.0.98',
      message:
        'no VXLAN forwarding row for 10.0.0.98 (task whoami.1 on 253): the ingress overlay namespace resolves it to 02:42:0a:00:00:62 on vxlan0 (PERMANENT), but its FDB has no row for 02:42:0a:00:00:62 on vxlan0 with a dst, so frames for it are tunnelled to no node and connections from this node to it hang',
      where: ['nodes/234/ingress_overlay/neigh.txt:3', 'nodes/234/ingress_overlay/fdb.txt'],
    });
    expect(r.evidence).toMatchObject({ lladdr: '02:42:0a:00:00:62', device: 'vxlan0', heldBy: '253', expectedDst: '192.168.100.253', fdbRows: [] });
    expect(r.remediation).toContain('`nsenter --net=/run/docker/netns/1-n3dex97iv1 bridge fdb show dev vxlan0`');
    expect(r.remediation).toContain('`02:42:0a:00:00:62 dev vxlan0 dst 192.168.100.253 self permanent`');
    expect(r.remediation).toContain('`docker service update --force whoami`');
    const wrong = results.get('broken-vxlan-fdb-wrong-dst')!.find((x) => x.rule === 'vxlan-fdb-complete' && x.status === 'fail')!;
    expect(wrong).toMatchObject({ node: '228', subject: '10.0.0.98', where: ['nodes/228/ingress_overlay/neigh.json:1', 'nodes/228/ingress_overlay/fdb.json:1'] });
    expect(wrong.message).toMatch(/tunnels to 192\.168\.100\.234 \(234\), but 253 holds that address and its underlay address is 192\.168\.100\.253/);
    const stray = results.get('broken-vxlan-fdb-unknown-dst')!.find((x) => x.rule === 'vxlan-fdb-complete' && x.status === 'fail')!;
    expect(stray).toMatchObject({ node: '253', subject: '10.0.0.3' });
    expect(stray.message).toMatch(/tunnels to 192\.168\.100\.34, the address of no swarm node/);
    // The pretty-printed JSON names the lines of the entries themselves.
    expect(stray.where).toEqual(['nodes/253/ingress_overlay/neigh.json:10', 'nodes/253/ingress_overlay/fdb.json:60']);
  });
});

describe('vxlan-checksum-offload-safe, one thing of broken-host-vxlan-csum-offload changed at a time', () => {
  /*
   * vxlan-checksum-offload-safe on variants of broken-host-vxlan-csum-offload (node 228: ens192,
   * vmxnet3, tx-checksum-ip-generic on, port 4789): one thing changed at a time.
   */
  const rule = rules.filter((r) => r.spec.id === 'vxlan-checksum-offload-safe');
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'md-csum-'));
    cpSync(fixture('broken-host-vxlan-csum-offload'), dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const ETHTOOL = 'nodes/228/host/ethtool.txt';
  const edit = (file: string, fn: (t: string) => string) => writeFileSync(join(dir, file), fn(readFileSync(join(dir, file), 'utf8')));
  const on228 = () => evaluate(rule, buildSnapshot(readCapture(dir))).find((r) => r.node === '228')!;

  describe('vxlan-checksum-offload-safe', () => {
    it('fails as captured: vmxnet3, on, port 4789', () => {
      expect(on228()).toMatchObject({ status: 'fail', evidence: { driver: 'vmxnet3', dataPathPort: 4789 } });
    });

    it('passes with the offload off, also off [fixed] and off [requested on]', () => {
      for (const v of ['off', 'off [fixed]', 'off [requested on]']) {
        edit(ETHTOOL, (t) => t.replace(/tx-checksum-ip-generic: .*/, `tx-checksum-ip-generic: ${v}`));
        expect(on228()).toMatchObject({ status: 'pass', message: `ens192 (vmxnet3) has \`tx-checksum-ip-generic: ${v}\`: the kernel computes VXLAN's UDP checksums itself` });
      }
    });

    it('fails on [fixed] too, and then does not tell the user to run ethtool -K', () => {
      edit(ETHTOOL, (t) => t.replace('tx-checksum-ip-generic: on', 'tx-checksum-ip-generic: on [fixed]'));
      const r = on228();
      expect(r).toMatchObject({ status: 'fail', evidence: { fixed: true } });
      expect(r.remediation).toMatch(/`\[fixed\]` there \(ethtool cannot change it\)/);
      expect(r.remediation).not.toContain('ethtool -K');
    });

    it('passes for another driver, the bug being vmxnet3\'s', () => {
      edit(ETHTOOL, (t) => t.replace('driver vmxnet3', 'driver virtio_net'));
      expect(on228()).toMatchObject({ status: 'pass', message: "ens192 is a virtio_net NIC, not vmxnet3: the known VXLAN checksum offload bug is vmxnet3's (tx-checksum-ip-generic: on)" });
    });

    it('passes on another data-path port, naming it', () => {
      edit('nodes/228/info.json', (t) => t.replace('"DataPathPort": 4789', '"DataPathPort": 4790'));
      expect(on228()).toMatchObject({ status: 'pass', message: expect.stringContaining("the swarm's data-path port is 4790, not 4789") });
    });

    it('reads only the underlay: another NIC with the offload on does not fail', () => {
      edit(ETHTOOL, (t) => t.replace('# interface ens192', '# interface ens224 driver vmxnet3\nFeatures for ens224:\ntx-checksum-ip-generic: on\n# interface ens192').replace(/tx-checksum-ip-generic: on\n(\ttx-checksum-ipv6)/, 'tx-checksum-ip-generic: off\n$1'));
      expect(on228()).toMatchObject({ status: 'pass', subject: 'underlay ens192', message: expect.stringContaining('ens192 (vmxnet3) has `tx-checksum-ip-generic: off`') });
    });

    it('skips, saying why, where the underlay has no entry, no driver, or no tx-checksum-ip-generic line', () => {
      edit(ETHTOOL, (t) => t.replace(/ens192/g, 'ens224'));
      expect(on228()).toMatchObject({ status: 'skip', message: 'the underlay ens192 (192.168.100.228) has no entry in nodes/228/host/ethtool.txt (it lists ens224)' });
      edit(ETHTOOL, (t) => t.replace(/ens224/g, 'ens192').replace('# interface ens192 driver vmxnet3\n', ''));
      expect(on228()).toMatchObject({ status: 'skip', message: expect.stringMatching(/^nodes\/228\/host\/ethtool.txt does not say ens192's driver: add `ethtool -i ens192`/) });
      writeFileSync(join(dir, ETHTOOL), '# interface ens192 driver vmxnet3\nFeatures for ens192:\nrx-checksumming: on\n');
      expect(on228()).toMatchObject({ status: 'skip', message: expect.stringMatching(/^ens192 \(vmxnet3\) has no tx-checksum-ip-generic line/) });
    });

    it('skips as not captured where errors.json says ethtool was missing', () => {
      rmSync(join(dir, ETHTOOL));
      writeFileSync(join(dir, 'nodes/228/errors.json'), JSON.stringify([{ file: 'host/ethtool.txt', command: 'ethtool -k <IF>', error: 'ethtool: command not found on the node' }]));
      expect(on228()).toMatchObject({ status: 'skip', message: 'nodes/228/host/ethtool.txt was not captured (ethtool -k <IF>: ethtool: command not found on the node)' });
    });

    it('is an error naming file and line for a line it cannot read', () => {
      edit(ETHTOOL, (t) => t.replace('scatter-gather: on\n', 'scatter-gather: on\nSegmentation fault\n'));
      expect(on228()).toMatchObject({ status: 'error', message: expect.stringMatching(/^cannot check: nodes\/228\/host\/ethtool.txt:11: not a line of 'ethtool -k'/) });
    });
  });
});

describe('ipvs-udp-flows-current, on its fixtures and one thing of them changed at a time', () => {
  const rule = rules.filter((r) => r.spec.id === 'ipvs-udp-flows-current');
  const on = (name: string, node: string) => results.get(name)!.filter((r) => r.rule === 'ipvs-udp-flows-current' && r.node === node);

  it('warns of flows still held to a deleted destination with expire_nodest_conn = 0, naming node, destination, count, clients, expiry, service and lines', () => {
    const [r] = on('broken-ipvs-udp-flow-nodest', '228').filter((x) => x.status === 'warn');
    expect(r).toMatchObject({
      subject: 'udp to 10.0.0.88:514',
      message:
        'ingress_sbox on node 228 still has 2 UDP flows through udp/514 (service syslog) to 10.0.0.88:514 (nodes/228/ingress_sbox/ipvs-conn.txt:1), which IPVS no longer has as a destination ' +
        '(it is the address of task syslog.1 h5cz2m7ve4q9 on node 253, whose desired state is shutdown), and net.ipv4.vs.expire_nodest_conn = 0 (nodes/228/ingress_sbox/sysctl.txt:2): ' +
        'the kernel drops every packet of these flows without renewing their entries, so their clients (192.168.100.31:51514, 192.168.0.1:40122) get nothing back until the entries expire, the last in 4:57',
      evidence: { destination: '10.0.0.88:514', flows: 2, atLeast: false, clients: ['192.168.100.31:51514', '192.168.0.1:40122'], publishedPorts: [514], maxExpiresSeconds: 297, ipvsDestinations: [], expireNodestConn: '0', task: 'h5cz2m7ve4q9kx1wr8bo3n6ty', taskDesiredState: 'shutdown', services: ['syslog'] },
      where: ['nodes/228/ingress_sbox/ipvs-conn.txt:1', 'nodes/228/ingress_sbox/ipvs-conn.txt:3', 'nodes/228/ingress_sbox/sysctl.txt:2'],
    });
    expect(r.remediation).toContain('On node 228, let the kernel expire these entries at their next packet: `nsenter --net=/run/docker/netns/ingress_sbox sysctl -w net.ipv4.vs.expire_nodest_conn=1`');
    expect(r.remediation).toContain('4:57 after the capture at the latest');
    expect(r.remediation).toContain('`nsenter --net=/run/docker/netns/ingress_sbox ipvsadm -Lnc | grep 10.0.0.88:514`');
    expect(r.remediation).toContain('ipvsadm has no command that deletes one connection entry');
    // The same destination with expire_nodest_conn = 1 (253): gone at the next packet.
    expect(on('broken-ipvs-udp-flow-nodest', '253').map((x) => [x.status, x.message])).toEqual([
      ['pass', '1 UDP flow to 10.0.0.88:514, no longer an IPVS destination, ends at its next packet: net.ipv4.vs.expire_nodest_conn = 1 makes the kernel expire its entry then and schedule it anew'],
    ]);
    expect(on('broken-ipvs-udp-flow-nodest', '234').map((x) => [x.status, x.message])).toEqual([['pass', 'ingress_sbox on node 234 has no UDP connection entry (nodes/234/ingress_sbox/ipvs-conn.txt): no UDP flow is held to a task']]);
  });

  it('warns of flows held to a weight-0 destination whose task is gone, whatever expire_nodest_conn says, and says how to delete it', () => {
    const [r] = on('broken-ipvs-udp-flow-quiescent', '234').filter((x) => x.status === 'warn');
    expect(r.subject).toBe('udp to 10.0.0.88:514');
    expect(r.message).toBe(
      'ingress_sbox on node 234 still sends 2 UDP flows through udp/514 (service syslog) to 10.0.0.88:514 (nodes/234/ingress_sbox/ipvs-conn.txt:1), a destination of weight 0 in IPVS FWM 8283 whose task is gone ' +
        '(it is the address of task syslog.1 h5cz2m7ve4q9 on node 253, whose desired state is shutdown): the kernel keeps sending these flows there and renews their entries at every packet, ' +
        'so their clients (192.168.100.31:51514, 192.168.100.35:33017) are blackholed for as long as they keep sending (an entry expires 300 s after its last packet; the longest has 4:59 left); ' +
        'expire_nodest_conn does not apply to a destination that is still there',
    );
    expect(r.where).toEqual(['nodes/234/ingress_sbox/ipvs-conn.txt:1', 'nodes/234/ingress_sbox/ipvs-conn.txt:3', 'nodes/234/ingress_sbox/ipvs.txt:8']);
    expect(r.evidence).toMatchObject({ ipvsDestinations: ['FWM 8283 10.0.0.88:0 weight 0'], expireNodestConn: '1' });
    expect(r.remediation).toContain('On node 234, IPVS FWM 8283 still has 10.0.0.88 as a destination of weight 0');
    expect(r.remediation).toContain('`nsenter --net=/run/docker/netns/ingress_sbox ipvsadm -d -f 8283 -r 10.0.0.88:0`; with net.ipv4.vs.expire_nodest_conn = 1 each flow');
    expect(r.remediation).not.toMatch(/<[A-Z]+>|\$\{\{/);
    // The flow to the new task (10.0.0.91) is plainly alive: no result of its own.
    expect(on('broken-ipvs-udp-flow-quiescent', '234')).toHaveLength(1);
  });

  it('passes a node whose flows all go to live tasks with one result naming them, and a node with no UDP entry', () => {
    expect(['228', '234', '253'].map((n) => on('ok-ipvs-udp-flows', n).map((x) => `${x.status} ${x.message}`))).toEqual([
      ['pass the 2 UDP flows of ingress_sbox on node 228 (nodes/228/ingress_sbox/ipvs-conn.txt) go to 10.0.0.91:514, each in use in IPVS and held by a task that should run'],
      ['pass ingress_sbox on node 234 has no UDP connection entry (nodes/234/ingress_sbox/ipvs-conn.txt): no UDP flow is held to a task'],
      ['pass the one UDP flow of ingress_sbox on node 253 (nodes/253/ingress_sbox/ipvs-conn.txt) goes to 10.0.0.91:514, each in use in IPVS and held by a task that should run'],
    ]);
  });

  it('skips a capture from before the collectors read the table, naming the file', () => {
    expect(results.get('seed-cluster')!.find((r) => r.rule === 'ipvs-udp-flows-current' && r.node === '253')).toMatchObject({ status: 'skip', message: 'needs nodes/253/ingress_sbox/ipvs-conn.txt, which is not in the capture' });
  });

  describe('changed one thing at a time', () => {
    let dir: string;
    const make = (name: string) => {
      dir = mkdtempSync(join(tmpdir(), 'md-udp-'));
      cpSync(fixture(name), dir, { recursive: true });
    };
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const edit = (file: string, fn: (t: string) => string) => writeFileSync(join(dir, file), fn(readFileSync(join(dir, file), 'utf8')));
    const onNode = (node: string) => evaluate(rule, buildSnapshot(readCapture(dir))).filter((r) => r.node === node);
    const tasks = (fn: (t: Record<string, unknown>) => Record<string, unknown>) => edit('cluster/tasks.json', (t) => JSON.stringify((JSON.parse(t) as Record<string, unknown>[]).map(fn)));

    it('passes a weight-0 destination whose task still runs: its flows drain to it', () => {
      make('broken-ipvs-udp-flow-quiescent');
      tasks((t) => (t.ID === 'h5cz2m7ve4q9kx1wr8bo3n6ty' ? { ...t, DesiredState: 'running', Status: { State: 'running', Message: 'started' } } : t));
      expect(onNode('234').map((r) => [r.status, r.message])).toEqual([
        ['pass', '2 UDP flows through udp/514 (service syslog) go to 10.0.0.88:514, task syslog.1 h5cz2m7ve4q9 on node 253 (of weight 0 in IPVS FWM 8283: draining, its task still runs)'],
      ]);
    });

    it('warns of a destination of non-zero weight no running task holds (a stale backend), naming its weight', () => {
      make('broken-ipvs-udp-flow-quiescent');
      edit('nodes/234/ingress_sbox/ipvs.txt', (t) => t.replace('-> 0A000058:0000      Masq    0', '-> 0A000058:0000      Masq    1'));
      const [r] = onNode('234').filter((x) => x.status === 'warn');
      expect(r.message).toMatch(/^ingress_sbox on node 234 sends 2 UDP flows through udp\/514 \(service syslog\) to 10\.0\.0\.88:514 \(nodes\/234\/ingress_sbox\/ipvs-conn.txt:1\), a destination of IPVS FWM 8283 weight 1 that no task that should run holds \(it is the address of task syslog.1 h5cz2m7ve4q9 on node 253, whose desired state is shutdown\): these flows, and new ones IPVS schedules there, go nowhere/);
      expect(r.remediation).toContain('`docker service update --force syslog`');
      // No task at all has the address: said so.
      tasks((t) => (t.ID === 'h5cz2m7ve4q9kx1wr8bo3n6ty' ? { ...t, NetworksAttachments: [] } : t));
      expect(onNode('234').find((x) => x.status === 'warn')!.message).toContain('that no task that should run holds (no task in cluster/tasks.json has it)');
    });

    it('says "at least" when the collectors cut the table', () => {
      make('broken-ipvs-udp-flow-nodest');
      const line = (i: number, dest: string) => `UDP C0A86420 ${(40000 + i).toString(16).toUpperCase()} C0A80002 0202 ${dest} 0202 UDP             ${200 + (i % 90)}`;
      const lines = Array.from({ length: 2001 }, (_, i) => line(i, i % 400 === 0 ? '0A000058' : '0A00005B'));
      writeFileSync(join(dir, 'nodes/228/ingress_sbox/ipvs-conn.txt'), cutIpvsConn(lines.join('\n')));
      const rs = onNode('228');
      expect(rs.map((r) => [r.status, r.subject])).toEqual([['warn', 'udp to 10.0.0.88:514']]);
      expect(rs[0].message).toContain('still has at least 5 UDP flows through udp/514 (service syslog) to 10.0.0.88:514');
      expect(rs[0].evidence).toMatchObject({ flows: 5, atLeast: true });
      // All of them to the live task: one pass, saying "at least".
      writeFileSync(join(dir, 'nodes/228/ingress_sbox/ipvs-conn.txt'), cutIpvsConn(lines.map((l) => l.replace(' 0A000058 ', ' 0A00005B ')).join('\n')));
      expect(onNode('228').map((r) => `${r.status} ${r.message}`)).toEqual(['pass at least 2000 UDP flows of ingress_sbox on node 228 (nodes/228/ingress_sbox/ipvs-conn.txt) go to 10.0.0.91:514, each in use in IPVS and held by a task that should run']);
    });

    it("takes expire_nodest_conn missing from the sandbox's sysctls as the kernel's default, 0, and says so", () => {
      make('broken-ipvs-udp-flow-nodest');
      edit('nodes/228/ingress_sbox/sysctl.txt', (t) => t.replace('net.ipv4.vs.expire_nodest_conn = 0\n', ''));
      const [r] = onNode('228').filter((x) => x.status === 'warn');
      expect(r.message).toContain("net.ipv4.vs.expire_nodest_conn = 0 (not in nodes/228/ingress_sbox/sysctl.txt: the kernel's default)");
      expect(r.where).toContain('nodes/228/ingress_sbox/sysctl.txt');
    });

    it('skips where the table was not captured, saying why; is an error naming file and line for a line it cannot read', () => {
      make('ok-ipvs-udp-flows');
      rmSync(join(dir, 'nodes/228/ingress_sbox/ipvs-conn.txt'));
      writeFileSync(join(dir, 'nodes/228/errors.json'), JSON.stringify([{ file: 'ingress_sbox/ipvs-conn.txt', command: 'nsenter --net=/run/docker/netns/ingress_sbox grep -m 2001 ^UDP /proc/net/ip_vs_conn', error: 'grep: /proc/net/ip_vs_conn: No such file or directory' }]));
      expect(onNode('228')).toMatchObject([{ status: 'skip', message: 'nodes/228/ingress_sbox/ipvs-conn.txt was not captured (nsenter --net=/run/docker/netns/ingress_sbox grep -m 2001 ^UDP /proc/net/ip_vs_conn: grep: /proc/net/ip_vs_conn: No such file or directory)' }]);
      edit('nodes/253/ingress_sbox/ipvs-conn.txt', (t) => t.replace('UDP 04:58', 'UDP 4m58s'));
      expect(onNode('253')).toMatchObject([{ status: 'error', message: expect.stringMatching(/^cannot check: nodes\/253\/ingress_sbox\/ipvs-conn.txt:4: not a line of \/proc\/net\/ip_vs_conn/) }]);
    });
  });
});

describe('kernel-modules-present', () => {
  const rule = rules.filter((r) => r.spec.id === 'kernel-modules-present');
  const of = (name: string, node: string) => results.get(name)!.filter((x) => x.rule === 'kernel-modules-present' && x.node === node);

  it("fails on this machine's kernel for what needs IPVS, naming the node, module, how it knows and where; leaves IPVS itself to ipvs-available", () => {
    const rs = of('broken-host-kernel-modules', '253');
    expect(rs.filter((r) => r.status === 'fail').map((r) => r.subject)).toEqual(['ip_vs_rr', 'xt_ipvs']);
    // ip_vs is ipvs-available's finding there: no result of this rule repeats it.
    expect(rs.some((r) => r.subject === 'ip_vs')).toBe(false);
    const r = rs.find((x) => x.subject === 'xt_ipvs')!;
    expect(r.message).toBe(
      "node 253's kernel 6.18.44-fc-v1272 has no xt_ipvs: it needs ip_vs, which kernel 6.18.44-fc-v1272 does not have: this kernel loads no modules (nodes/253/host/modules.txt: cat: /proc/modules: No such file or directory), and ingress_sbox has no /proc/net/ip_vs (nodes/253/ingress_sbox/ipvs.txt: cat: /proc/net/ip_vs: No such file or directory). xt_ipvs is the `-m ipvs` match of ingress_sbox's SNAT rule (nat POSTROUTING `-m ipvs --ipvs -j SNAT`): without it dockerd logs \"Failed to add firewall mark rule in sbox\", and connections balanced to a task on another node get no reply (ipvs-available reports ip_vs itself); not known for xt_mark, xt_REDIRECT, iptable_mangle, veth, vxlan",
    );
    expect(r.where).toEqual(['nodes/253/host/modules.txt', 'nodes/253/ingress_sbox/ipvs.txt']);
    expect(r.evidence).toMatchObject({ module: 'xt_ipvs', state: 'missing', options: ['CONFIG_IP_VS', 'CONFIG_NETFILTER_XT_MATCH_IPVS'], kernelRelease: '6.18.44-fc-v1272', loadsModules: 'no', alsoMissing: ['ip_vs_rr'] });
    expect(r.remediation).toBe(
      "On node 253, the kernel 6.18.44-fc-v1272 was built without loadable modules (it has no /proc/modules): boot one built with CONFIG_IP_VS and CONFIG_NETFILTER_XT_MATCH_IPVS set to y (built in). The kernel lacks ip_vs_rr as well: each has its own result. Then restart dockerd (`systemctl restart docker`): it programs the ingress rules, IPVS services and devices when it starts. moby's contrib/check-config.sh lists the kernel options Docker needs.",
    );
    // What the capture shows in the kernel passes, saying how it knows.
    expect(rs.find((x) => x.subject === 'br_netfilter')).toMatchObject({ status: 'pass', message: 'net.bridge.bridge-nf-call-iptables exists, which only br_netfilter makes (nodes/253/host/sysctl.txt:4)' });
  });

  it('skips where it cannot tell (the folder not read, nothing else showing the module), naming the modules; and where nothing was captured', () => {
    expect(of('broken-host-kernel-modules', '234')).toEqual([
      expect.objectContaining({
        status: 'skip',
        message:
          'cannot tell whether kernel 4.9.36-moby has xt_REDIRECT, veth, vxlan: nodes/234/host/modules-builtin.txt was not read (grep: /lib/modules/4.9.36-moby/modules.builtin: No such file or directory); nodes/234/host/modules-dep.txt was not read (grep: /lib/modules/4.9.36-moby/modules.dep: No such file or directory), and nothing else in the capture shows it; the other 15 modules the mesh needs are there',
      }),
    ]);
    expect(of('seed-cluster', '253')).toEqual([
      expect.objectContaining({
        status: 'skip',
        message: 'needs nodes/253/host/modules.txt, modules-builtin.txt and modules-dep.txt, which are not in the capture',
      }),
    ]);
  });

  it('fails for a module in none of the three files, naming them, and tells how to get it, load it and keep it', () => {
    const r = of('broken-host-kernel-no-ip-vs-rr', '234').find((x) => x.status === 'fail')!;
    expect(r).toMatchObject({ subject: 'ip_vs_rr', where: ['nodes/234/host/modules.txt', 'nodes/234/host/modules-builtin.txt', 'nodes/234/host/modules-dep.txt'] });
    expect(r.message).toMatch(/^node 234's kernel 3\.10\.0-1160\.el7\.x86_64 has no ip_vs_rr: not loaded \(nodes\/234\/host\/modules\.txt\), not built in \(nodes\/234\/host\/modules-builtin\.txt\) and not among the modules kernel 3\.10\.0-1160\.el7\.x86_64 can load \(nodes\/234\/host\/modules-dep\.txt\)\. ip_vs_rr is IPVS's round-robin scheduler/);
    expect(r.remediation).toContain('On node 234, get ip_vs_rr into the kernel 3.10.0-1160.el7.x86_64: install the package of kernel modules that holds it, or boot a kernel built with CONFIG_IP_VS_RR set (m for a module, y built in)');
    expect(r.remediation).toContain('(`modprobe ip_vs_rr`)');
    expect(r.remediation).toContain('(`echo ip_vs_rr > /etc/modules-load.d/ip_vs_rr.conf`)');
    expect(r.remediation).not.toMatch(/<[A-Z]+>|\$\{\{/);
    expect(of('broken-host-kernel-no-ip-vs-rr', '234').find((x) => x.subject === 'ip_vs')).toMatchObject({ status: 'pass', message: 'ip_vs is loaded (nodes/234/host/modules.txt:1)' });
  });

  it('passes a module loaded (lsmod of moby/libnetwork#2227), loadable, or shown in the kernel by the capture where the modules folder was not read', () => {
    expect(of('ok-host-kernel-modules', '228').find((x) => x.subject === 'xt_MASQUERADE')?.message).toBe('ipt_MASQUERADE is loaded (nodes/228/host/modules.txt:15)');
    expect(of('ok-host-kernel-modules', '234').find((x) => x.subject === 'vxlan')?.message).toBe('vxlan can be loaded: kernel/drivers/net/vxlan.ko.xz (nodes/234/host/modules-dep.txt:18); it loads when first used');
    const on253 = of('ok-host-kernel-modules', '253');
    expect(on253.find((x) => x.subject === 'xt_mark')?.message).toBe('the kernel holds a rule with the MARK target (nodes/253/ingress_sbox/iptables-mangle.txt:4)');
    expect(on253.find((x) => x.subject === 'ip_vs_rr')?.message).toBe('an IPVS service uses rr (nodes/253/ingress_sbox/ipvs.txt:5)');
    expect(on253).toHaveLength(18);
  });

  describe('on ok-host-kernel-modules, one thing changed at a time', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'md-mod-'));
      cpSync(fixture('ok-host-kernel-modules'), dir, { recursive: true });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const edit = (file: string, fn: (t: string) => string) => writeFileSync(join(dir, file), fn(readFileSync(join(dir, file), 'utf8')));
    const on = (node: string) => evaluate(rule, buildSnapshot(readCapture(dir))).filter((r) => r.node === node);

    it('skips where the folder was not read and a module nothing else shows is not loaded (container without /lib/modules)', () => {
      edit('nodes/253/host/modules.txt', (t) => t.replace(/^veth .*\n/m, ''));
      expect(on('253')).toEqual([expect.objectContaining({ status: 'skip', message: expect.stringMatching(/^cannot tell whether kernel 3\.10\.0-1160\.el7\.x86_64 has veth: nodes\/253\/host\/modules-builtin\.txt was not read/) })]);
    });

    it("asks for iptables-nft's modules where the host says it runs it: its rules show them in the kernel, though the module files list none", () => {
      edit('nodes/234/host/iptables.txt', (t) => t.replace(/^# Generated by iptables-save v1\.4\.21/gm, '# Generated by iptables-nft-save v1.8.7 (nf_tables)'));
      const rs = on('234');
      expect(rs.filter((r) => /^(iptable_|nf_tables|nft_)/.test(r.subject)).map((r) => [r.subject, r.status, r.message])).toEqual([
        ['nf_tables', 'pass', "the kernel's nat table holds rules (nodes/234/host/iptables.txt:9)"],
        ['nft_chain_nat', 'pass', "the kernel's nat table holds rules (nodes/234/host/iptables.txt:9)"],
        ['nft_compat', 'pass', 'the kernel holds a rule with an xt match or target (nodes/234/host/iptables.txt:9)'],
      ]);
    });

    it('takes modules.dep for loadable without /proc/modules (not captured): nothing is missing', () => {
      rmSync(join(dir, 'nodes/234/host/modules.txt'));
      expect(on('234').map((r) => r.status)).toEqual(Array(18).fill('pass'));
    });

    it('gives an error naming file and line for a line it cannot read, and checks nothing from that file', () => {
      edit('nodes/234/host/modules-dep.txt', (t) => t.replace('kernel/net/netfilter/xt_mark.ko.xz:\n', 'xt_mark: loadable\n'));
      expect(on('234')).toEqual([
        expect.objectContaining({ status: 'error', message: "cannot check: nodes/234/host/modules-dep.txt:9: not a line of modules.builtin ('kernel/net/bridge/br_netfilter.ko') or modules.dep ('kernel/net/netfilter/xt_ipvs.ko: kernel/net/netfilter/ipvs/ip_vs.ko'): 'xt_mark: loadable'" }),
      ]);
    });
  });
});
