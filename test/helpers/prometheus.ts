import { spawnSync } from 'node:child_process';

/**
 * Real consumers of the Prometheus text format, from Debian's packages (.ci/run installs them):
 * python3-prometheus-client's parser (prometheus_client.parser.text_string_to_metric_families) and
 * promtool's `check metrics` (package prometheus), which parses and lints as Prometheus does.
 */

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp: number | null;
}
export interface ParsedFamily {
  name: string;
  type: string;
  documentation: string;
  samples: ParsedSample[];
}

// Debian's python3 (the client is in its dist-packages), not whatever python3 comes first on PATH.
const PYTHON = '/usr/bin/python3';
const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "documentation": f.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": s.value,
                             "timestamp": None if s.timestamp is None else float(s.timestamp)} for s in f.samples]})
print(json.dumps(out))
`;

/** The families prometheus_client's parser reads in the text; throws with the parser's error when it refuses it. */
export function parseWithPrometheusClient(text: string): ParsedFamily[] {
  const r = spawnSync(PYTHON, ['-c', PARSE], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`${PYTHON}: ${r.error.message} (install Debian's python3-prometheus-client)`);
  if (r.status !== 0) throw new Error(`prometheus_client refused the text: ${r.stderr.trim().split('\n').pop()}`);
  return JSON.parse(r.stdout) as ParsedFamily[];
}

/** `promtool check metrics` on the text: its exit code and what it said (nothing, exit 0: valid and lint-clean). */
export function promtoolCheck(text: string): { code: number | null; output: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) throw new Error(`promtool: ${r.error.message} (install Debian's prometheus)`);
  return { code: r.status, output: (r.stdout + r.stderr).trim() };
}
