import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from './fixtures.js';

/** A service name that is markup, with a terminal escape and a bidi override after it. */
export const HOSTILE_SERVICE = '<img src=x onerror=alert(1)>\u001b[31m\u202e';
/** How the report must print it: the markup as text, the controls as visible escapes. */
export const HOSTILE_SERVICE_SHOWN = '<img src=x onerror=alert(1)>\\e[31m\\u{202e}';
/** A node (a capture folder name: no slash) that is markup. */
export const HOSTILE_NODE = '<svg onload=alert(2)>';
/** A rule file's title and reference that try to end the page's script and run their own. */
export const HOSTILE_TITLE = '</script><script>alert(3)</script> & "quotes"';
export const HOSTILE_REFERENCE = 'javascript:alert(4)';

/**
 * fixtures/broken-dnat-target with its service renamed to HOSTILE_SERVICE (in every JSON file that
 * names it) and node 253 renamed to HOSTILE_NODE, and a rule folder with a rule whose title and
 * references are hostile. Returns the capture and the rule folder, under `dir`.
 */
export function hostileCapture(dir: string): { capture: string; rules: string } {
  const capture = join(dir, 'capture');
  cpSync(fixture('broken-dnat-target'), capture, { recursive: true });
  const inJson = JSON.stringify(HOSTILE_SERVICE).slice(1, -1);
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.json')) writeFileSync(p, readFileSync(p, 'utf8').replaceAll('whoami', inJson));
    }
  };
  walk(capture);
  renameSync(join(capture, 'nodes', '253'), join(capture, 'nodes', HOSTILE_NODE));
  const rules = join(dir, 'rules');
  mkdirSync(rules);
  writeFileSync(
    join(rules, 'hostile-rule.yaml'),
    [
      'id: hostile-rule',
      `title: ${JSON.stringify(HOSTILE_TITLE)}`,
      'severity: warn',
      'scope: node',
      `description: ${JSON.stringify('<b>not bold</b>\u0007 and a bell')}`,
      'requires: [cluster.services]',
      'forEach: cluster.ingressPorts',
      'subject: item.service',
      'checks:',
      '  - assert: "false"',
      '    message: \'"service " + item.service + " is named <i>so</i>"\'',
      'pass: \'"never"\'',
      'evidence: \'{"<key>": item.service}\'',
      'remediation: "Rename ${{ item.service }} </textarea><script>alert(5)</script>"',
      `references: [${JSON.stringify(HOSTILE_REFERENCE)}, "https://example.invalid/<x>"]`,
      '',
    ].join('\n'),
  );
  return { capture, rules };
}
