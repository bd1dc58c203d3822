import type { RuleSpec } from './types.js';

/**
 * The page a person opens for a bundled rule: docs/rules/<id>.md, one Markdown page per rule made
 * from its file (scripts/build-rule-docs.js writes them; a test holds the committed pages equal to
 * what this makes). A result's `docs` links to it.
 */

/** Where the pages are, relative to the repository (and the installed package). */
export const RULE_DOCS_DIR = 'docs/rules';

/**
 * The `docs` of a bundled rule's results: with a repository URL in package.json, a link to the page
 * in it (`<repo>/blob/main/docs/rules/<id>.md`); without one, the page's path in the repository.
 */
export function rulePageLink(id: string, repository: unknown): string {
  const base = repositoryUrl(repository);
  return base ? `${base}/blob/main/${RULE_DOCS_DIR}/${id}.md` : `${RULE_DOCS_DIR}/${id}.md`;
}

/**
 * package.json's `repository` as a web address: `{"url": "git+https://github.com/o/r.git"}`,
 * `"https://github.com/o/r"`, `"github:o/r"`, `"gitlab:o/r"`, `"o/r"`, `git@github.com:o/r.git`.
 * Undefined when there is none or it cannot be opened in a browser.
 */
export function repositoryUrl(repository: unknown): string | undefined {
  const raw = typeof repository === 'string' ? repository : typeof repository === 'object' && repository !== null ? (repository as { url?: unknown }).url : undefined;
  if (typeof raw !== 'string' || !raw.trim()) return undefined;
  let url = raw.trim();
  let m: RegExpExecArray | null;
  if ((m = /^(github|gitlab|bitbucket):([\w.-]+\/[\w.-]+)$/.exec(url))) url = `https://${m[1] === 'bitbucket' ? 'bitbucket.org' : `${m[1]}.com`}/${m[2]}`;
  else if (/^[\w.-]+\/[\w.-]+$/.test(url)) url = `https://github.com/${url}`;
  else if ((m = /^(?:git\+)?ssh:\/\/git@([^/:]+)(?::\d+)?\/(.+)$/.exec(url)) || (m = /^git@([^:]+):(.+)$/.exec(url))) url = `https://${m[1]}/${m[2]}`;
  url = url.replace(/^git\+/, '').replace(/^git:\/\//, 'https://').replace(/\.git$/, '').replace(/\/+$/, '');
  return /^https?:\/\/[^/\s]+\/\S+$/.test(url) ? url : undefined;
}

/** Capture files of each input a rule can require (docs/capture-format.md); <T> and <NAME> from the input. */
const INPUT_FILES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^host\.iptables\.(\w+)$/, (m) => `\`nodes/<NODE>/host/iptables-${m[1]}.txt\`, or the ${m[1]} table of \`host/iptables.txt\` (\`iptables-save\`, \`-S\` or \`-L\`)`],
  [/^host\.iptables-legacy$/, () => '`nodes/<NODE>/host/iptables-legacy.txt` (`iptables-legacy-save`)'],
  [/^host\.sysctl$/, () => '`nodes/<NODE>/host/sysctl.txt` (the host\'s sysctls, `key = value`)'],
  [/^host\.addr$/, () => '`nodes/<NODE>/host/addr.txt` or `addr.json` (`ip addr`, `ip -j addr`)'],
  [/^host\.vxlan$/, () => '`nodes/<NODE>/host/vxlan.json` (`ip -j -d link show type vxlan`), or `vxlan.txt` (`ip -d link show type vxlan`)'],
  [/^host\.ethtool$/, () => '`nodes/<NODE>/host/ethtool.txt` (per NIC its driver and `ethtool -k`; or pasted `ethtool -i` and `ethtool -k` output)'],
  [/^host\.modules$/, () => '`nodes/<NODE>/host/modules.txt` (`cat /proc/modules`, or a pasted `lsmod`; errors.json says "No such file" on a kernel without loadable modules)'],
  [/^host\.modules-builtin$/, () => '`nodes/<NODE>/host/modules-builtin.txt` (the mesh\'s lines of `/lib/modules/<release>/modules.builtin`)'],
  [/^host\.modules-dep$/, () => '`nodes/<NODE>/host/modules-dep.txt` (the mesh\'s lines of `/lib/modules/<release>/modules.dep`)'],
  [/^host\.routes$/, () => '`nodes/<NODE>/host/routes.txt` or `routes.json` (`ip route`, `ip -j route`)'],
  [/^host\.daemon-json$/, () => '`nodes/<NODE>/host/daemon.json` (`cat /etc/docker/daemon.json`; errors.json says "No such file" where the node has none)'],
  [/^host\.nmcli$/, () => '`nodes/<NODE>/host/nmcli.txt` (`nmcli -t -f DEVICE,TYPE,STATE,CONNECTION device`, or a pasted `nmcli device`)'],
  [/^host\.networkctl$/, () => '`nodes/<NODE>/host/networkctl.txt` (`networkctl list --no-pager --no-legend`, or a pasted `networkctl`)'],
  [/^sbox\.iptables\.(\w+)$/, (m) => `\`nodes/<NODE>/ingress_sbox/iptables-${m[1]}.txt\`, or the ${m[1]} table of \`ingress_sbox/iptables.txt\` (inside ingress_sbox)`],
  [/^sbox\.ipvs$/, () => '`nodes/<NODE>/ingress_sbox/ipvs.txt` (`/proc/net/ip_vs` or `ipvsadm -Ln` inside ingress_sbox)'],
  [/^sbox\.ipvs-timeout$/, () => '`nodes/<NODE>/ingress_sbox/ipvs-timeout.txt` (`ipvsadm -l --timeout` inside ingress_sbox)'],
  [/^sbox\.ipvs-conn$/, () => '`nodes/<NODE>/ingress_sbox/ipvs-conn.txt` (the UDP lines of `/proc/net/ip_vs_conn` inside ingress_sbox, at most 2000; or `ipvsadm -Lnc`)'],
  [/^overlay\.neigh$/, () => '`nodes/<NODE>/ingress_overlay/neigh.json` (`ip -j neigh` inside the ingress network\'s overlay namespace)'],
  [/^overlay\.fdb$/, () => '`nodes/<NODE>/ingress_overlay/fdb.json` (`bridge -j fdb show` inside the ingress network\'s overlay namespace)'],
  [/^sbox\.neigh$/, () => '`nodes/<NODE>/ingress_sbox/neigh.txt` or `neigh.json` (`ip neigh` inside ingress_sbox)'],
  [/^sbox\.addr$/, () => '`nodes/<NODE>/ingress_sbox/addr.txt` or `addr.json` (`ip addr` inside ingress_sbox)'],
  [/^sbox\.sysctl$/, () => '`nodes/<NODE>/ingress_sbox/sysctl.txt` (`net.ipv4.vs.*` and other sysctls inside ingress_sbox)'],
  [/^info$/, () => '`nodes/<NODE>/info.json` (`docker info`)'],
  [/^network\.([\w.-]+)$/, (m) => `\`nodes/<NODE>/networks/${m[1]}.json\` (\`docker network inspect ${m[1]}\`)`],
  [/^cluster\.nodes$/, () => '`cluster/nodes.json` (the Docker API\'s nodes) or `cluster/node-ls.txt` (`docker node ls`), from a manager'],
  [/^cluster\.services$/, () => '`cluster/services.json` (the Docker API\'s services), from a manager'],
  [/^cluster\.tasks$/, () => '`cluster/tasks.json` (the Docker API\'s tasks), from a manager'],
  [/^cluster\.networks$/, () => '`cluster/networks.json` (the overlay networks with their options), from a manager'],
];

/** The capture files an input is read from; an input no rule can name throws (the test of the pages catches it). */
export function inputFiles(input: string): string {
  for (const [re, text] of INPUT_FILES) {
    const m = re.exec(input);
    if (m) return text(m);
  }
  throw new Error(`no capture file is known for input '${input}' (add it to INPUT_FILES in src/rules/docs.ts)`);
}

/** Markdown prose from rule text: `<` and `&` escaped outside code spans, so nothing reads as HTML. */
function prose(text: string): string {
  return text
    .trim()
    .split(/(`+[^`]*`+)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/&/g, '&amp;').replace(/</g, '&lt;')))
    .join('');
}

function cel(expr: string): string {
  const body = expr.trim();
  const fence = body.includes('```') ? '````' : '```';
  return `${fence}cel\n${body}\n${fence}`;
}

/**
 * The remediation as a person reads it on the page: each `${{ expr }}` hole, filled in per result
 * from the capture, is shown as ‹expr› when it is a plain name (‹node.name›), else as ‹n› with the
 * expression listed under the text.
 */
export function remediationText(text: string): { text: string; holes: string[] } {
  const holes: string[] = [];
  let out = '';
  let rest = text.trim();
  for (;;) {
    const open = rest.indexOf('${{');
    const close = open === -1 ? -1 : rest.indexOf('}}', open + 3);
    if (open === -1 || close === -1) break;
    const expr = rest.slice(open + 3, close).trim().replace(/\s+/g, ' ');
    out += rest.slice(0, open);
    if (/^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*$/.test(expr)) out += `‹${expr}›`;
    else {
      holes.push(expr);
      out += `‹${holes.length}›`;
    }
    rest = rest.slice(close + 2);
  }
  return { text: out + rest, holes };
}

/** The Markdown page of one bundled rule, from its spec; `file` is the rule file in the repository (rules/<id>.yaml). */
export function rulePage(s: RuleSpec, file: string): string {
  const L: string[] = [];
  const push = (...lines: string[]) => L.push(...lines);
  push(
    `<!-- Made from ${file} by scripts/build-rule-docs.js (npm run docs:rules): edit the rule file, then run it again. -->`,
    '',
    `# ${s.id}`,
    '',
    `**${prose(s.title)}**`,
    '',
    '| | |',
    '|---|---|',
    `| severity | \`${s.severity}\`: the worst status it gives${s.severity === 'fail' && s.checks.some((c) => c.severity === 'warn') ? ' (some checks only warn)' : ''} |`,
    `| scope | \`${s.scope}\`: ${s.scope === 'node' ? 'evaluated once per node' : 'evaluated once for the whole swarm'} |`,
    `| rule file | [${file}](../../${file}) |`,
    `| command line | \`mesh-doctor rules show ${s.id}\`, \`mesh-doctor check DIR --rule ${s.id}\` |`,
    '',
    '## What it checks',
    '',
    prose(s.description),
    '',
    '## What it reads',
    '',
  );
  const requires = s.requires ?? [];
  if (requires.length) {
    for (const r of requires) {
      const optional = r.endsWith('?');
      const input = optional ? r.slice(0, -1) : r;
      push(`- \`${input}\`${optional ? ' (optional: read when there)' : ''}: ${inputFiles(input)}`);
    }
    push(
      '',
      `An input that is not in the capture makes the rule \`skip\` (saying which file); one that is there but cannot be read or parsed makes it \`error\`, naming the file and line. The capture layout is [docs/capture-format.md](../capture-format.md).${s.scope === 'cluster' && requires.some((r) => !r.startsWith('cluster.')) ? ' A node input of a cluster rule is read from every node.' : ''}`,
    );
  } else push('Only the snapshot (no input of its own).');
  push('');

  push('## How it decides', '');
  const defs = [...(s.variables ?? []), ...(s.let ?? [])];
  if (defs.length) push('With these names (`let` ones per subject):', '', cel(defs.map((d) => `${d.name} = ${d.expression.trim().replace(/\s+/g, ' ')}`).join('\n')), '');
  if (s.when) {
    push('It applies when', '', cel(s.when), '');
    push(`and otherwise gives \`skip\`${s.skipMessage ? ', saying' : '.'}`, '');
    if (s.skipMessage) push(cel(s.skipMessage), '');
  }
  if (s.forEach) {
    push('It checks each subject of', '', cel(s.forEach), '');
    if (s.subject) push('named in its results by', '', cel(s.subject), '');
    push(`When there is none, the result is \`${s.emptyStatus ?? 'pass'}\`${s.empty ? ', saying' : '.'}`, '');
    if (s.empty) push(cel(s.empty), '');
  }
  push('The first of these checks that does not hold gives the result:', '');
  for (const [i, c] of s.checks.entries()) {
    push(`${i + 1}. \`${c.severity ?? s.severity}\` unless`, '', indent(cel(c.assert), 3), '', '   saying', '', indent(cel(c.message), 3), '');
  }
  push('When they all hold: `pass`, saying', '', cel(s.pass), '');
  if (s.where) push('A `warn` or `fail` says where the capture shows it (file:line):', '', cel(s.where), '');
  if (s.evidence) push('and carries as evidence (in the JSON report):', '', cel(s.evidence), '');

  push('## What to do when it fails', '');
  const rem = remediationText(s.remediation);
  push(prose(rem.text), '');
  push(`Each result fills in the ‹ › parts from the capture: the node, port, service, address and line it is about${rem.holes.length ? '. The longer ones:' : '.'}`, '');
  for (const [i, h] of rem.holes.entries()) push(`${i + 1}. ‹${i + 1}›`, '', indent(cel(h), 3), '');

  push('## References', '');
  for (const ref of s.references) push(/^https?:\/\/\S+$/.test(ref) ? `- <${ref}>` : `- ${prose(ref)}`);
  push('');
  return L.join('\n');
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

/** docs/rules/README.md: every bundled rule, linked to its page. */
export function rulesIndexPage(specs: RuleSpec[]): string {
  const rows = [...specs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((s) => `| [${s.id}](${s.id}.md) | ${s.severity} | ${s.scope} | ${prose(s.title).replace(/\|/g, '\\|')} |`);
  return [
    '<!-- Made from rules/*.yaml by scripts/build-rule-docs.js (npm run docs:rules). -->',
    '',
    '# The bundled rules',
    '',
    'One page per rule: what it checks, what it reads from a capture, how it decides, and what to do when it fails. Each result of `mesh-doctor check` links its rule\'s page in `docs`; `mesh-doctor rules show ID` prints the same in a terminal.',
    '',
    '| id | severity | scope | title |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
