import { DiagnosticSink, isPromptLine, textLines, type Parsed } from './types.js';

/** A module named in one of the kernel-module files, where. */
export interface ModuleEntry {
  /** The kernel's name for it: the file's name without `.ko` and its compression, `-` read as `_`. */
  name: string;
  /** The path, for modules.builtin and modules.dep (`kernel/net/netfilter/xt_ipvs.ko.zst`); '' for /proc/modules. */
  path: string;
  line: number;
}

export interface ModulesData {
  /** By name; a name listed twice keeps its first line. */
  modules: Map<string, ModuleEntry>;
}

/** How the kernel names a module from its file or its listed name: `-` and `_` are one (kmod and the kernel alike). */
export function moduleName(s: string): string {
  return s.replace(/-/g, '_');
}

// `/proc/modules`: name size refcount deps state address (`ip_vs 177152 6 ip_vs_rr,xt_ipvs, Live 0x0...`);
// `lsmod`: name size used-by [deps] (`ip_vs                 177152  6 ip_vs_rr,xt_ipvs`).
const LOADED = /^([A-Za-z0-9_-]+)\s+(\d+)\s+(\d+|-)(?:\s+(\S+))?(?:\s+(Live|Loading|Unloading))?(?:\s+0x[0-9a-f]+)?(?:\s+\([A-Z+-]+\))?$/;
const LSMOD_HEADER = /^Module\s+Size\s+Used by$/;

/**
 * host/modules.txt: `cat /proc/modules` (the modules loaded now), or a pasted `lsmod` with its
 * header. Lines it cannot read are errors naming the line; parsing never throws.
 */
export function parseProcModules(content: string, file: string): Parsed<ModulesData> {
  const sink = new DiagnosticSink(file);
  const modules = new Map<string, ModuleEntry>();
  let lsmod = false;
  for (const { no, text } of textLines(content)) {
    const t = text.trim();
    if (LSMOD_HEADER.test(t.replace(/\s+/g, ' '))) {
      lsmod = true;
      continue;
    }
    if (isPromptLine(t)) continue;
    const m = LOADED.exec(t);
    if (!m) {
      sink.error(no, `not a line of /proc/modules ('ip_vs 177152 6 ip_vs_rr,xt_ipvs, Live 0x0000000000000000') or lsmod ('ip_vs  177152  6 ip_vs_rr,xt_ipvs'): '${t.slice(0, 80)}'`);
      continue;
    }
    const name = moduleName(m[1]);
    if (!modules.has(name)) modules.set(name, { name, path: '', line: no });
  }
  return { format: lsmod ? 'lsmod' : 'proc-modules', data: { modules }, diagnostics: sink.list };
}

// A module file's path (`kernel/net/bridge/br_netfilter.ko`, `.ko.xz`, `.ko.zst`, `.ko.gz`), and in
// modules.dep after it a colon and the paths of the modules it needs.
const MODULE_PATH = /^((?:[^\s:/]+\/)*([^\s:/]+?)\.ko(?:\.[a-z0-9]+)?)(:(?:\s+\S+\.ko(?:\.[a-z0-9]+)?)*\s*)?$/;

/**
 * host/modules-builtin.txt and host/modules-dep.txt: lines of modules.builtin (one path each) and
 * modules.dep (a path, a colon, the paths it depends on), as the collectors keep them (the mesh's
 * modules only) or pasted whole. An empty file is none of the mesh's modules there. Lines it cannot
 * read are errors naming the line.
 */
export function parseModuleFiles(content: string, file: string): Parsed<ModulesData> {
  const sink = new DiagnosticSink(file);
  const modules = new Map<string, ModuleEntry>();
  let dep = false;
  for (const { no, text } of textLines(content)) {
    const t = text.trim();
    if (isPromptLine(t) || t.startsWith('#')) continue;
    const m = MODULE_PATH.exec(t);
    if (!m) {
      sink.error(no, `not a line of modules.builtin ('kernel/net/bridge/br_netfilter.ko') or modules.dep ('kernel/net/netfilter/xt_ipvs.ko: kernel/net/netfilter/ipvs/ip_vs.ko'): '${t.slice(0, 80)}'`);
      continue;
    }
    if (m[3] !== undefined) dep = true;
    const name = moduleName(m[2]);
    if (!modules.has(name)) modules.set(name, { name, path: m[1], line: no });
  }
  return { format: dep ? 'modules.dep' : 'modules.builtin', data: { modules }, diagnostics: sink.list };
}
