import { readCapture } from '../../src/capture/read.js';
import { buildSnapshot } from '../../src/model/build.js';
import { fileKind, forgetParseMemos, isPromptLine, parseMemo, textLines, TextMemo } from '../../src/parse/types.js';
import { fixture } from '../helpers/fixtures.js';

describe('TextMemo: what a text made, read once', () => {
  it('reads a text once and gives the same value after; past its bound, reads each time and keeps nothing', () => {
    const reads: string[] = [];
    const read = (t: string) => {
      reads.push(t);
      return { t };
    };
    const memo = new TextMemo<{ t: string }>(2);
    const a = memo.of('a', read);
    expect(memo.of('a', read)).toBe(a);
    memo.of('b', read);
    memo.of('c', read);
    memo.of('c', read);
    expect(reads).toEqual(['a', 'b', 'c', 'c']);
    expect([memo.get('a'), memo.get('c')]).toEqual([a, undefined]);
  });
});

describe('MemoLane.made: one object per line and reading, shared by the files that have it at that place', () => {
  it('gives back the object made for the same reading at the same line, and makes a new one otherwise', () => {
    const lane = new TextMemo<{ r: string }>().lane('x/y.txt');
    const r1 = { r: '1' };
    const r2 = { r: '2' };
    let made = 0;
    const make = (no: number) => () => ({ no, n: ++made });
    const first = lane.made(3, r1, make(3));
    expect(lane.made(3, r1, make(3))).toBe(first);
    // Another reading at that place, or the reading at another place: made anew.
    const other = lane.made(3, r2, make(3));
    expect(other).not.toBe(first);
    expect(lane.made(4, r1, make(4))).not.toBe(first);
    // The place now holds the other reading's object.
    expect(lane.made(3, r2, make(3))).toBe(other);
    expect(made).toBe(3);
  });
});

describe("the parsers' memos: kept while a capture is read, forgotten once it is modelled", () => {
  it('forgets every text and every lane of every parser memo, so that the next read reads again', () => {
    const reads: string[] = [];
    const read = (t: string) => {
      reads.push(t);
      return t.toUpperCase();
    };
    const memo = parseMemo<string>();
    memo.of('a', read);
    memo.lane('host/iptables.txt').keep(1, 'b', 'B');
    expect([memo.of('a', read), memo.lane('host/iptables.txt').get(1, 'b')]).toEqual(['A', 'B']);
    forgetParseMemos();
    expect([memo.get('a'), memo.lane('host/iptables.txt').get(1, 'b')]).toEqual([undefined, undefined]);
    memo.of('a', read);
    expect(reads).toEqual(['a', 'a']);
  });

  it('are forgotten when a snapshot is built', () => {
    const memo = parseMemo<string>();
    memo.of('kept until a snapshot is built', (t) => t);
    buildSnapshot(readCapture(fixture('seed-cluster')));
    expect(memo.get('kept until a snapshot is built')).toBeUndefined();
  });
});

describe('MemoLane: lines looked up first where the last file of their kind had them', () => {
  it('finds a line at its place in the last file, where the memo itself keeps nothing', () => {
    // A memo bound of 0 keeps nothing by text: what is found comes from the lane, by place.
    const memo = new TextMemo<string>(0);
    const lane = memo.lane('host/iptables.txt');
    expect(lane.get(3, '-A X -j DROP')).toBeUndefined();
    lane.keep(3, '-A X -j DROP', 'read 3');
    expect(lane.get(3, '-A X -j DROP')).toBe('read 3');
    // Another text at that place, or the text at another place, is not that line.
    expect(lane.get(3, '-A X -j ACCEPT')).toBeUndefined();
    expect(lane.get(4, '-A X -j DROP')).toBeUndefined();
    expect(memo.get('-A X -j DROP')).toBeUndefined();
  });

  it('finds a line moved to another place by its text, and remembers it at the new place', () => {
    const memo = new TextMemo<string>();
    const lane = memo.lane('ingress_sbox/ipvs.txt');
    lane.keep(1, 'FWM  00000100 rr', 'service 256');
    expect(lane.get(7, 'FWM  00000100 rr')).toBe('service 256');
    expect(lane.get(7, 'FWM  00000100 rr')).toBe('service 256');
    // A line read at a place replaces what the last file had there.
    lane.keep(7, 'FWM  00000101 rr', 'service 257');
    expect(lane.get(7, 'FWM  00000100 rr')).toBe('service 256');
  });

  it('keeps one lane per kind of file, each by its own places, over one memo', () => {
    const memo = new TextMemo<string>();
    const host = memo.lane('host/iptables.txt');
    const sbox = memo.lane('ingress_sbox/iptables.txt');
    expect(memo.lane('host/iptables.txt')).toBe(host);
    host.keep(5, 'line five', 'five');
    expect(sbox.get(5, 'line five')).toBe('five'); // by text, from the memo
    sbox.keep(5, 'sbox five', 'sbox');
    expect(host.get(5, 'line five')).toBe('five');
    expect(sbox.of(5, 'sbox five', () => 'read again')).toBe('sbox');
    expect(sbox.of(6, 'new', (t) => `read ${t}`)).toBe('read new');
  });

  it('looks lines past the places it keeps up in the memo alone', () => {
    const lane = new TextMemo<string>().lane('big.txt');
    lane.keep(70_000, 'far', 'far value');
    expect(lane.get(70_000, 'far')).toBe('far value');
    expect(lane.get(5, 'far')).toBe('far value');
  });
});

describe('fileKind', () => {
  it("names a capture file by its folder and name, which every node's folder repeats", () => {
    expect(fileKind('nodes/node-7/host/iptables.txt')).toBe('host/iptables.txt');
    expect(fileKind('nodes/n1/ingress_sbox/neigh.json')).toBe('ingress_sbox/neigh.json');
    expect(fileKind('ipvs.txt')).toBe('ipvs.txt');
    expect(fileKind('/abs/x.txt')).toBe('abs/x.txt');
  });
});

describe('textLines: a pasted shell prompt first is dropped, and only that', () => {
  it.each([
    ['root@node1:~# ipvsadm -Ln', true],
    ['[root@node1 ~]# iptables-save', true],
    ['sh-5.1# cat /proc/net/ip_vs', true],
    ['  -> 0A000062:0000      Masq    1      0          0', false],
    ['-> 10.0.0.98:0 Masq 1 0 0', false],
    ['-A FORWARD -j DOCKER-USER', false],
    ['net.ipv4.ip_forward = 1', false],
  ])('%s: a prompt, %s', (line, prompt) => {
    expect(isPromptLine(line)).toBe(prompt);
    expect(textLines(`${line}\nnext\n`).map((l) => l.no)).toEqual(prompt ? [2] : [1, 2]);
  });
});
