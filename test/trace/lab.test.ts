import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { traceNodes } from '../../src/trace/path.js';
import { FIXTURES, snapshotOf } from '../helpers/fixtures.js';

/*
 * Proven on the working-mesh lab (test/lab/uml): every capture there came with what the traffic said
 * (truth.json: did an HTTP GET of the port answer on each node). The walk's verdict must agree on
 * every node of every capture: delivered exactly where the port answered, and where it did not, a
 * drop naming the hop and the file that decided it (uncertain is not enough).
 *
 * Excluded: nothing. Faults outside iptables (conntrack full, ip_forward=0, a wrong neighbour MAC,
 * IPVS conntrack off, dockerd stopped) are hops the walk decides from the captured state.
 */
const EXCLUDED: Record<string, string> = {};

const LAB = readdirSync(FIXTURES).filter((n) => n.startsWith('lab-') && existsSync(join(FIXTURES, n, 'truth.json'))).sort();

interface Truth {
  port: string;
  answers: Record<string, boolean>;
}

describe('trace agrees with the working-mesh lab', () => {
  it('has the lab captures (a healthy one and the faults)', () => {
    expect(LAB).toContain('lab-healthy');
    expect(LAB.length).toBeGreaterThanOrEqual(21);
    expect(Object.keys(EXCLUDED).filter((k) => !LAB.includes(k))).toEqual([]);
  });

  it.each(LAB.filter((n) => !(n in EXCLUDED)))('%s: delivered exactly where the port answered, dropped at a named hop elsewhere', (name) => {
    const truth = JSON.parse(readFileSync(join(FIXTURES, name, 'truth.json'), 'utf8')) as Truth;
    const [protocol, port] = truth.port.split('/');
    const snap = snapshotOf(name);
    const traces = traceNodes(snap, protocol, Number(port));
    expect(traces.map((t) => t.node).sort()).toEqual(Object.keys(truth.answers).sort());
    for (const t of traces) {
      const answered = truth.answers[t.node];
      // The node's name goes with its verdict, so a failure says which node disagrees.
      if (answered) expect(`${t.node}: ${t.verdict}`).toBe(`${t.node}: delivered`);
      else {
        expect(`${t.node}: ${t.verdict}`).toBe(`${t.node}: dropped`);
        expect(t.decisive).not.toBeNull();
        expect(t.decisive!.status).toBe('stop');
        expect(t.decisive!.file).not.toBe('');
        expect(t.summary).toMatch(/^dropped at /);
      }
    }
  });

  it('on the healthy lab, every node is delivered with nothing assumed or undecided', () => {
    for (const t of traceNodes(snapshotOf('lab-healthy'), 'tcp', 8080)) {
      expect([t.node, t.verdict, t.undecided, t.assumed]).toEqual([t.node, 'delivered', [], []]);
    }
  });
});
