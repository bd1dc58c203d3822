import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { casesFilesOf, loadCases } from '../../src/cases/load.js';
import { loadRuleFile } from '../../src/rules/loader.js';
import { ruleHead } from '../helpers/rules.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'md-cases-'));
  mkdirSync(join(dir, 'cap'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const BODY = `checks: [{assert: 'true', message: '"no"'}]\npass: '"yes"'\n`;
/** A node rule `n` and a cluster rule `c`, loaded from the temporary folder. */
const nodeRule = () => {
  writeFileSync(join(dir, 'n.yaml'), ruleHead('n', 'cases') + BODY);
  return loadRuleFile(join(dir, 'n.yaml'));
};
const clusterRule = () => {
  writeFileSync(join(dir, 'c.yaml'), ruleHead('c', 'cases').replace('scope: node', 'scope: cluster') + BODY);
  return loadRuleFile(join(dir, 'c.yaml'));
};

/** The message loading `text` as the cases of `rule` gives, the file shown by its path; 'loaded' if none. */
function problem(text: string, rule = nodeRule()): string {
  const p = join(dir, 'n.cases.yaml');
  writeFileSync(p, text);
  try {
    loadCases(p, rule);
    return 'loaded';
  } catch (e) {
    return (e as Error).message.replace(p, 'CASES');
  }
}

describe('cases files', () => {
  it('are foo.cases.yaml (or .yml) beside foo.yaml, then every YAML file directly in foo.cases/, in name order', () => {
    expect(casesFilesOf(join(dir, 'n.yaml'))).toEqual([]);
    writeFileSync(join(dir, 'n.cases.yaml'), '');
    mkdirSync(join(dir, 'n.cases', 'deeper'), { recursive: true });
    for (const f of ['b.yaml', 'a.yml', 'notes.txt', 'deeper/c.yaml']) writeFileSync(join(dir, 'n.cases', f), '');
    expect(casesFilesOf(join(dir, 'n.yaml'))).toEqual([join(dir, 'n.cases.yaml'), join(dir, 'n.cases', 'a.yml'), join(dir, 'n.cases', 'b.yaml')]);
  });

  it('give each case its capture (relative to the file), expectations and file:line', () => {
    const p = join(dir, 'n.cases.yaml');
    writeFileSync(p, '# cases\n- name: healthy\n  capture: cap\n  expect:\n    - {node: 253, subject: tcp/80, status: pass}\n- capture: ./cap\n  expect: [{node: a, status: fail}]\n');
    const cases = loadCases(p, nodeRule());
    expect(cases.map((c) => [c.name, c.capture, c.where.replace(p, 'CASES')])).toEqual([
      ['healthy', join(dir, 'cap'), 'CASES:2'],
      ['./cap', join(dir, 'cap'), 'CASES:6'],
    ]);
    // A node name YAML reads as a number is the node's name.
    expect(cases[0].expect).toEqual([{ node: '253', subject: 'tcp/80', status: 'pass' }]);
    expect(cases[1].expect).toEqual([{ node: 'a', subject: undefined, status: 'fail' }]);
  });

  it('name file, line and field of every problem', () => {
    expect(problem('')).toBe('CASES: empty: expected a list of cases');
    expect(problem('capture: cap\n')).toBe('CASES:1: (top level): must be array');
    expect(problem('- capture: cap\n  expect:\n    - {node: a, status: passed}\n')).toBe('CASES:3: [0].expect[0].status: must be one of "pass", "warn", "fail", "skip", "error"');
    expect(problem('- capture: cap\n  expect:\n    - {status: pass}\n')).toBe("CASES:3: [0].expect[0]: missing required field 'node'");
    expect(problem('- capture: cap\n  expect: []\n')).toBe('CASES:2: [0].expect: must NOT have fewer than 1 items');
    expect(problem('- capture: cap\n  expects: []\n')).toBe("CASES:1: [0]: missing required field 'expect'");
    expect(problem('- capture: cap\n  expect: [{node: a, status: pass}]\n  expects: []\n')).toBe("CASES:3: [0].expects: unknown field 'expects'");
    expect(problem('- capture: cap\n  expect: [{node: a, status: pass}]\n- capture: nowhere\n  expect: [{node: a, status: pass}]\n')).toBe("CASES:3: [1].capture: 'nowhere' is not a folder (a capture folder, relative to this file)");
    expect(problem('- capture: cap\n  expect: [{node: a, status: [pass}]\n')).toMatch(/^CASES:2: invalid YAML: /);
  });

  it("refuse a node that cannot fit the rule's scope: a cluster rule's results have no node, a node rule's always have one", () => {
    expect(problem('- capture: cap\n  expect:\n    - {node: null, status: pass}\n')).toBe("CASES:3: [0].expect[0].node: 'n' is a node rule: its results always name a node");
    expect(problem('- capture: cap\n  expect:\n    - {node: n1, status: pass}\n', clusterRule())).toBe("CASES:3: [0].expect[0].node: 'c' is a cluster rule: its results have no node (write node: null)");
    const p = join(dir, 'c.cases.yaml');
    writeFileSync(p, '- capture: cap\n  expect: [{node: cluster, status: pass}, {node: null, status: fail}]\n');
    expect(loadCases(p, clusterRule())[0].expect.map((e) => e.node)).toEqual([null, null]);
  });
});
