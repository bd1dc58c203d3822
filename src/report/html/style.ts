/** The HTML report's stylesheet: inline in the page (its hash is in the page's Content-Security-Policy). */
export const STYLE = `
:root {
  --pass: #2e7d32; --warn: #f0a500; --fail: #c62828; --error: #7b1fa2; --skip: #9e9e9e; --none: #ffffff;
  --ink: #1d2125; --muted: #5f6b76; --line: #d5dbe1; --panel: #f6f8fa;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink);
}
* { box-sizing: border-box; }
body { margin: 0; padding: 0 1.2rem 2rem; background: #fff; }
header { padding: 1rem 0 .6rem; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.35rem; margin: 0 0 .3rem; }
h2 { font-size: 1.1rem; margin: 1.2rem 0 .5rem; }
h3 { font-size: 1rem; margin: .8rem 0 .4rem; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .92em; }
.muted { color: var(--muted); }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem; margin: .3rem 0; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; overflow-wrap: anywhere; white-space: pre-wrap; }
.summary { display: flex; flex-wrap: wrap; gap: .4rem; margin: .5rem 0 0; padding: 0; list-style: none; }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: .7rem; font-weight: 600; font-size: .85em; }
.s-pass { background-color: var(--pass); color: #fff; }
.s-warn { background-color: var(--warn); color: #1d2125; }
.s-fail { background-color: var(--fail); color: #fff; }
.s-error { background-color: var(--error); color: #fff; }
.s-skip { background-color: var(--skip); color: #1d2125; }
.s-none { background-color: var(--none); color: var(--muted); border: 1px dashed var(--skip); }
.acc { background-image: repeating-linear-gradient(135deg, rgba(255,255,255,.6) 0 3px, transparent 3px 7px); outline: 2px dashed #1d2125; outline-offset: -3px; }
.layout { display: grid; grid-template-columns: minmax(0, 1fr) minmax(20rem, 28rem); gap: 1.2rem; align-items: start; }
@media (max-width: 1100px) { .layout { grid-template-columns: minmax(0, 1fr); } }
.legend { display: flex; flex-wrap: wrap; gap: .35rem .8rem; align-items: center; margin: .2rem 0 .6rem; font-size: .9em; }
.legend .sw { display: inline-block; width: 1.5em; height: 1.1em; vertical-align: middle; margin-right: .25rem; border-radius: 2px; }
.scroll { overflow: auto; max-height: 80vh; border: 1px solid var(--line); }
table.matrix { border-collapse: separate; border-spacing: 2px; font-size: .8em; }
table.matrix th { font-weight: 600; background: #fff; }
table.matrix thead th { position: sticky; top: 0; z-index: 2; vertical-align: bottom; }
table.matrix thead tr.groups th { position: static; text-align: left; color: var(--muted); font-weight: 500; border-bottom: 2px solid var(--line); }
table.matrix th.rule { height: 12rem; width: 1.9rem; min-width: 1.9rem; padding: 0 0 .2rem; white-space: nowrap; }
table.matrix th.rule > span { display: inline-block; writing-mode: vertical-rl; transform: rotate(180deg); font-weight: 500; max-height: 11.8rem; overflow: hidden; text-overflow: ellipsis; }
table.matrix th.node { position: sticky; left: 0; z-index: 1; text-align: right; padding: 0 .5rem 0 .2rem; white-space: nowrap; max-width: 14rem; overflow: hidden; text-overflow: ellipsis; }
table.matrix tr.cluster th.node { font-style: italic; }
table.matrix tr.cluster td, table.matrix tr.cluster th { border-bottom: 3px solid var(--line); }
table.matrix .g0 { border-left: 3px solid var(--line); }
table.matrix td { min-width: 1.9rem; height: 1.6rem; text-align: center; white-space: nowrap; padding: 0 .15rem; border-radius: 3px; }
table.matrix td.c { cursor: pointer; font-weight: 600; }
table.matrix td.c:hover, table.matrix td.c:focus { box-shadow: 0 0 0 2px #1d2125; outline: none; }
table.matrix td.c.open { box-shadow: 0 0 0 3px #0b63c5; }
table.matrix td.e { background: #fafbfc; }
aside#detail { position: sticky; top: .5rem; max-height: 95vh; overflow: auto; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .9rem; background: var(--panel); }
aside#detail h2 { margin-top: .2rem; overflow-wrap: anywhere; }
.rule-meta p { margin: .3rem 0; white-space: pre-wrap; }
.refs { margin: .2rem 0 .6rem; padding-left: 1.2rem; }
.refs li { overflow-wrap: anywhere; }
.result { background: #fff; border: 1px solid var(--line); border-left-width: 6px; border-radius: 4px; padding: .4rem .6rem; margin: .45rem 0; }
.result.b-pass { border-left-color: var(--pass); } .result.b-warn { border-left-color: var(--warn); }
.result.b-fail { border-left-color: var(--fail); } .result.b-error { border-left-color: var(--error); }
.result.b-skip { border-left-color: var(--skip); }
.result .head { display: flex; gap: .5rem; align-items: baseline; flex-wrap: wrap; }
.result .subject { font-weight: 600; overflow-wrap: anywhere; }
.result .message, .result .remediation { margin: .3rem 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.result .remediation { background: #fffbe6; border: 1px solid #efe3a8; padding: .3rem .45rem; border-radius: 3px; }
.result .remediation::before { content: "What to do: "; font-weight: 600; }
.result .where { margin: .2rem 0; font-size: .9em; overflow-wrap: anywhere; }
.result .accepted { margin: .3rem 0; padding: .25rem .45rem; border: 1px dashed #1d2125; border-radius: 3px; font-size: .9em; white-space: pre-wrap; }
table.evidence { border-collapse: collapse; margin: .3rem 0; font-size: .85em; width: 100%; }
table.evidence th, table.evidence td { border: 1px solid var(--line); padding: .1rem .35rem; text-align: left; vertical-align: top; }
table.evidence th { width: 9rem; color: var(--muted); font-weight: 500; }
table.evidence td { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
ul.passes { list-style: none; margin: .3rem 0; padding: 0; font-size: .9em; }
ul.passes li { padding: .1rem 0 .1rem .5rem; border-left: 4px solid var(--pass); margin: .15rem 0; overflow-wrap: anywhere; }
button.more { margin: .3rem 0; }
.ports-bar { display: flex; gap: .8rem; align-items: center; flex-wrap: wrap; }
.port-list { display: flex; flex-wrap: wrap; gap: .3rem; margin: .5rem 0; max-height: 9rem; overflow: auto; }
.port-list button { border: 0; border-radius: 4px; padding: .15rem .5rem; cursor: pointer; font: inherit; font-size: .88em; }
.port-list button.sel { box-shadow: 0 0 0 3px #0b63c5; }
.port-list button .n { font-weight: 700; margin-left: .3rem; }
table.paths { border-collapse: collapse; }
table.paths th { text-align: right; padding: .3rem .6rem .3rem 0; white-space: nowrap; vertical-align: middle; max-width: 14rem; overflow: hidden; text-overflow: ellipsis; }
table.paths td { padding: .25rem 0; }
.path { display: flex; align-items: stretch; gap: 0; }
.arrow { align-self: center; padding: 0 .3rem; color: var(--muted); font-size: 1.2em; }
.hop { width: 12.5rem; border-radius: 5px; padding: .25rem .45rem; cursor: pointer; border: 2px solid transparent; }
.hop:hover, .hop:focus { outline: 2px solid #1d2125; }
.hop .label { font-weight: 700; }
.hop .st { float: right; font-size: .82em; font-weight: 600; text-transform: uppercase; }
.hop .msg { font-size: .8em; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; overflow-wrap: anywhere; }
.hop.broken { border: 3px solid #1d2125; box-shadow: 0 0 0 3px var(--fail); }
.hop.broken .st::before { content: "broken here: "; }
.hop.after { opacity: .55; }
.hop.acc { outline: 2px dashed #1d2125; }
.notes li { overflow-wrap: anywhere; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85em; }
`;
