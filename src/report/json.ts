import type { ReportInput } from './types.js';
import { safeJson, wholeText } from '../util/text.js';

/** The JSON report of spec/report-format.md, version 1. Fields may be added, never renamed or dropped. */
export function jsonReport(r: ReportInput): string {
  return wholeText(jsonReportChunks(r));
}

/**
 * Results (or diagnostics) stringified at a time: about 100 KB of text, under V8's large-object size
 * (128 KB), so that each piece dies young in the new space; pieces of a megabyte each went to the
 * large-object space, which only a full collection frees (32 MB of them at the end of the 50-node
 * report; peak RSS 270 against 258 MB).
 */
const BATCH = 256;

/**
 * The JSON report in pieces, the same text as JSON.stringify(document, null, 2) + '\n' (through
 * safeJson): the 50-node capture's report is 130 MB, which as one string (with its escaped copy and
 * the buffer written) held the run's peak memory. The lists are stringified a batch at a time inside
 * a one-key object, which indents them as deep as the document does, and the wrapper cut off.
 */
export function* jsonReportChunks(r: ReportInput): Generator<string> {
  const head = JSON.stringify(
    {
      format: 'mesh-doctor-report',
      version: 1,
      tool: { name: 'mesh-doctor', version: r.toolVersion },
      source: r.source,
      generatedAt: r.generatedAt,
      capture: { capturedAt: r.capturedAt || null, source: r.captureSource || null, nodes: r.nodes },
      summary: r.summary,
    },
    null,
    2,
  );
  // '{\n  ...\n}' without its closing brace: the lists follow.
  let buf = head.slice(0, -2);
  for (const [name, list] of [['results', r.results], ['diagnostics', r.diagnostics]] as const) {
    buf += `,\n  "${name}": `;
    if (list.length === 0) {
      buf += '[]';
      continue;
    }
    buf += '[';
    for (let i = 0; i < list.length; i += BATCH) {
      yield safeJson(buf + (i === 0 ? '\n' : ',\n') + listItems(list.slice(i, i + BATCH), 4));
      buf = '';
    }
    buf += '\n  ]';
  }
  yield safeJson(buf + '\n}\n');
}

/**
 * Items of a list as JSON.stringify(document, null, 2) writes them where the list's items are
 * indented by `indent` (4 in this report, 8 in a SARIF log's run): one per line or more, separated by
 * commas, without the brackets. Stringified inside a one-key object, which indents them by 4, and
 * the wrapper cut off ('{\n  "x": [\n' before them, '\n  ]\n}' after).
 */
export function listItems(items: unknown[], indent: number): string {
  const text = JSON.stringify({ x: items }, null, 2).slice(11, -6);
  if (indent === 4) return text;
  const more = ' '.repeat(indent - 4);
  return more + text.replace(/\n/g, `\n${more}`);
}
