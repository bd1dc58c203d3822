import { createHash } from 'node:crypto';
import type { LoadedRule, Result } from '../rules/types.js';
import type { ReportInput } from './types.js';
import { nodeLabel, parseWhere, placeOf, problems, repoFile, type Place } from './where.js';
import { safe, safeJson, wholeText } from '../util/text.js';
import { listItems } from './json.js';

/** GitHub code scanning refuses a run with more results than this (and shows the first 5,000 by severity). */
export const MAX_RESULTS = 25_000;
/** GitHub uses the first location of a result; more than 10 are not expected. */
const MAX_RELATED = 9;
/** GitHub's limit on shortDescription and fullDescription. */
const MAX_DESCRIPTION = 1024;
const MAX_NOTIFICATIONS = 1000;

const LEVEL = { fail: 'error', warn: 'warning' } as const;

/**
 * SARIF 2.1.0 (the OASIS schema, vendored in test/schemas/ and checked in the tests) for GitHub
 * code scanning (github/codeql-action/upload-sarif) and other SARIF viewers.
 *
 * - Every rule of the run is a reportingDescriptor (shortDescription: the title; fullDescription:
 *   the description; help: description, where the filled-in remediation is, references;
 *   defaultConfiguration.level from the severity as the rule file writes it: fail -> error,
 *   warn -> warning).
 * - Results are the problems only: warn (warning) and fail (error), and error results (level error,
 *   the message saying the rule could not be evaluated). Passes and skips are not results: GitHub
 *   turns every result into an alert whatever its `kind` (pass, notApplicable), so they would show
 *   as problems; the JSON and JUnit reports list them.
 * - A result the config accepts stays, at level `note` with a `suppressions` entry (external,
 *   accepted, the reason): SARIF viewers hide it as suppressed; GitHub, which ignores suppressions,
 *   shows a note, which does not fail its pull-request check.
 * - Each result's location is the capture file and line that show the fault (`where`), as a path
 *   from the repository root when the capture is in one (GitHub resolves relative paths from there),
 *   else from the capture folder; an error result points at the file its message names.
 * - partialFingerprints.primaryLocationLineHash is a hash of rule, node and subject (and the
 *   occurrence, for two results alike), not of the line: a recapture moves lines, and GitHub must
 *   still see the same alert. GitHub uses only this key, and upload-sarif keeps one that is given.
 * - tool.driver has no informationUri: package.json names no repository or homepage to point at.
 */
export function sarifReport(r: ReportInput): string {
  return wholeText(sarifReportChunks(r));
}

/** Results stringified at a time (each a few hundred bytes to a few KB): a piece stays under V8's large-object size. */
const BATCH = 16;

/** Where the results go in the document's text, as JSON.stringify writes this string. */
const RESULTS = '\u0000mesh-doctor results\u0000';

/**
 * The SARIF log in pieces, the same text as JSON.stringify(log, null, 2) + '\n' (through safeJson):
 * its results (up to 25,000, 50 MB for a swarm in trouble) are stringified a slice at a time, at the
 * depth the log holds them, rather than the whole log at once (which took that run to 680 MB).
 */
export function* sarifReportChunks(r: ReportInput): Generator<string> {
  const { log, results } = sarifLog(r);
  const run = (log.runs as Record<string, unknown>[])[0];
  // No results (the list is written `[]`: a healthy swarm's log, the usual one): whole, stringified once.
  if (results.length === 0) {
    yield safeJson(JSON.stringify(log, null, 2)) + '\n';
    return;
  }
  run.results = RESULTS;
  const text = JSON.stringify(log, null, 2);
  const marker = JSON.stringify(RESULTS);
  const at = text.indexOf(marker);
  if (at < 0 || text.indexOf(marker, at + 1) >= 0) {
    // The marker is not where only the results can be: whole.
    run.results = results;
    yield safeJson(JSON.stringify(log, null, 2)) + '\n';
    return;
  }
  // The log up to its results (its rules' descriptions: about 100 KB), then the results.
  yield safeJson(text.slice(0, at) + '[');
  for (let i = 0; i < results.length; i += BATCH) {
    // The log's results are indented by 8.
    yield safeJson(`${i === 0 ? '\n' : ',\n'}${listItems(results.slice(i, i + BATCH), 8)}`);
  }
  yield safeJson('\n      ]' + text.slice(at + marker.length)) + '\n';
}

/** The SARIF log, its results apart. */
function sarifLog(r: ReportInput): { log: Record<string, unknown>; results: unknown[] } {
  const index = new Map<string, number>(r.rules.map((x, i) => [x.spec.id, i]));
  const all = problems(r.results);
  const shown = all.slice(0, MAX_RESULTS);
  const seen = new Map<string, number>();
  const results = shown.map((x) => result(r, x, index.get(x.rule), seen));
  const baseId = r.capturePath === undefined ? 'CAPTURE' : '%SRCROOT%';
  const notifications = r.diagnostics.slice(0, MAX_NOTIFICATIONS).map((d) => ({
    level: d.severity === 'error' ? 'error' : 'warning',
    message: { text: `capture note: ${safe(d.message, true)}` },
    locations: [location(r, { file: d.file, line: d.line || undefined }, baseId)],
  }));
  if (r.diagnostics.length > MAX_NOTIFICATIONS) notifications.push({ level: 'note', message: { text: `${r.diagnostics.length - MAX_NOTIFICATIONS} more capture notes: the JSON report lists them all` }, locations: [] });
  if (all.length > shown.length) {
    notifications.push({ level: 'warning', message: { text: `${all.length - shown.length} results left out: GitHub code scanning takes at most ${MAX_RESULTS} per run (errors and failures were kept first); the JSON report lists them all` }, locations: [] });
  }
  const driver: Record<string, unknown> = { name: 'mesh-doctor', version: r.toolVersion };
  if (/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/.test(r.toolVersion)) driver.semanticVersion = r.toolVersion;
  driver.rules = r.rules.map(descriptor);
  const log = {
    $schema: 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        originalUriBaseIds: {
          [baseId]: {
            description: {
              text:
                r.capturePath === undefined
                  ? `The capture folder (${safe(r.source)}): result paths are relative to it.`
                  : 'The root of the repository that holds the capture: result paths are relative to it.',
            },
          },
        },
        invocations: [{ executionSuccessful: true, endTimeUtc: r.generatedAt, toolExecutionNotifications: notifications }],
        results,
        properties: {
          source: r.source,
          capturedAt: r.capturedAt || null,
          capturePath: r.capturePath ?? null,
          nodes: r.nodes,
          summary: r.summary,
          durationMs: Math.round(r.durationMs),
        },
      },
    ],
  };
  return { log, results };
}

function descriptor(rule: LoadedRule) {
  const s = rule.spec;
  const help = [
    s.description.trim(),
    '',
    `Each ${s.severity === 'fail' ? 'failure' : 'warning'} of this rule says what to do on its node, filled in with the node, the port or address and the capture line (the remediation, after "What to do:" in the result's message).`,
    `Details: mesh-doctor rules show ${s.id} (${rule.docs})`,
  ];
  if (s.references.length) help.push('', 'References:', ...s.references.map((u) => `- ${u}`));
  return {
    id: s.id,
    name: clip(s.id, 255),
    shortDescription: { text: clip(safe(s.title), MAX_DESCRIPTION) },
    fullDescription: { text: clip(safe(s.description.trim(), true), MAX_DESCRIPTION) },
    help: { text: safe(help.join('\n'), true) },
    defaultConfiguration: { level: LEVEL[s.severity] },
    properties: { tags: ['docker-swarm', 'routing-mesh', s.scope], 'problem.severity': LEVEL[s.severity] },
  };
}

function result(r: ReportInput, x: Result, ruleIndex: number | undefined, seen: Map<string, number>) {
  const label = nodeLabel(x.node);
  const head = `${label}${x.subject ? `, ${x.subject}` : ''}: `;
  const parts = [
    x.status === 'error'
      ? `${label}: ${x.rule} could not be evaluated here (an error of the check, not a finding about the mesh): ${x.message}`
      : `${head}${x.message}`,
  ];
  if (x.where.length > 1) parts.push(`Where: ${x.where.map((w) => repoFile(r, w)).join(', ')}`);
  if (x.accepted) parts.push(`Accepted by the config until ${x.accepted.expires} (${x.accepted.config}): ${x.accepted.reason}`);
  if (x.remediation) parts.push(`What to do: ${x.remediation}`);
  const baseId = r.capturePath === undefined ? 'CAPTURE' : '%SRCROOT%';
  const place = placeOf(x) ?? { file: x.node === null ? 'cluster/' : `nodes/${x.node}/` };
  const identity = `${x.rule}\0${x.node ?? ''}\0${x.subject}`;
  const n = (seen.get(identity) ?? 0) + 1;
  seen.set(identity, n);
  const out: Record<string, unknown> = {
    ruleId: x.rule,
    ...(ruleIndex === undefined ? {} : { ruleIndex }),
    level: x.accepted ? 'note' : x.status === 'warn' ? 'warning' : 'error',
    message: { text: safe(parts.join('\n\n'), true) },
    locations: [location(r, place, baseId)],
    partialFingerprints: { primaryLocationLineHash: `${createHash('sha256').update(identity).digest('hex').slice(0, 16)}:${n}` },
    properties: { status: x.status, severity: x.severity, node: x.node, subject: x.subject, ...(x.status === 'error' ? {} : { evidence: x.evidence }) },
  };
  if (x.where.length > 1) out.relatedLocations = x.where.slice(1, 1 + MAX_RELATED).map((w, i) => ({ id: i + 1, ...location(r, parseWhere(w), baseId) }));
  if (x.accepted) out.suppressions = [{ kind: 'external', status: 'accepted', justification: `${x.accepted.reason} (until ${x.accepted.expires}; ${x.accepted.config})` }];
  return out;
}

/** A SARIF location: the file as a relative URI reference (each segment percent-encoded) under its base, and the line when known. */
function location(r: ReportInput, p: Place, uriBaseId: string) {
  // encodeURIComponent leaves a `/` between segments (and a folder's trailing one) as it is.
  const uri = repoFile(r, p.file).split('/').map(encodeURIComponent).join('/');
  return {
    physicalLocation: {
      artifactLocation: { uri, uriBaseId },
      ...(p.line ? { region: { startLine: p.line } } : {}),
    },
  };
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
