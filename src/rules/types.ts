export type Status = 'pass' | 'warn' | 'fail' | 'skip' | 'error';
export type Severity = 'fail' | 'warn';

/** A rule file as written (after schema validation). */
export interface RuleSpec {
  id: string;
  title: string;
  severity: Severity;
  scope: 'node' | 'cluster';
  description: string;
  requires?: string[];
  variables?: { name: string; expression: string }[];
  when?: string;
  skipMessage?: string;
  forEach?: string;
  let?: { name: string; expression: string }[];
  subject?: string;
  checks: { assert: string; severity?: Severity; message: string }[];
  pass: string;
  empty?: string;
  emptyStatus?: 'pass' | 'skip';
  evidence?: string;
  /** CEL string or list<string>: where a warn or fail was read ("file:line"); default the item's file and line. */
  where?: string;
  /** Text; each `${{ expr }}` is a CEL expression filled in from the result (port, service, node, file:line). */
  remediation: string;
  references: string[];
}

/** A compiled CEL expression: call it with the evaluation context. */
export type Program = (ctx: Record<string, unknown>) => unknown;

export interface LoadedRule {
  spec: RuleSpec;
  /**
   * What a person opens to read about the rule, as results give it in `docs`: for a bundled rule its
   * page, docs/rules/<id>.md (a link into the repository when package.json names one); for a team's
   * rule, its file (as `path`).
   */
  docs: string;
  /** The rule file as messages name it: rules/<id>.yaml for a bundled rule, else relative to the current folder. */
  path: string;
  /** The rule file's absolute path. */
  file: string;
  requires: { input: string; optional: boolean }[];
  variables: { name: string; program: Program }[];
  when?: Program;
  skipMessage?: Program;
  forEach?: Program;
  /** Per item: named values computed once, before subject and checks. */
  lets: { name: string; program: Program }[];
  subject?: Program;
  checks: { assert: Program; message: Program; severity: Severity; field: string }[];
  pass: Program;
  empty?: Program;
  evidence?: Program;
  where?: Program;
  /** The remediation as literal text and CEL holes, in order. */
  remediation: (string | Program)[];
}

/** One verdict: the record every reporter reads (spec/report-format.md). */
export interface Result {
  rule: string;
  status: Status;
  severity: Severity;
  node: string | null;
  subject: string;
  message: string;
  evidence: Record<string, unknown>;
  remediation: string;
  /** Where a warn or fail was read, as "file:line" (or "file" for an absence); empty otherwise. */
  where: string[];
  docs: string;
  /**
   * Set (by the config, after evaluation) on a warn or fail the team has accepted until a date: it
   * keeps its status but does not count toward the exit code. Absent on every other result.
   */
  accepted?: { reason: string; expires: string; config: string };
}
