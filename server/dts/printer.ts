// Tree -> DTS text in the layout of `dtc -O dts` (1.6.1). Without type markers (a tree read from a DTB) each
// property's type is guessed as dtc guesses it. dtc 1.6.1 prints string lists as one string with `\0` inside, which
// does not read back when the next string starts with a digit; the 'roundtrip' style prints `"a", "b"` instead.
import type { DtInfo } from './build';
import type { Loc } from './source';
import { DtNode, DtProperty, ElementType, Marker } from './tree';

export type DtsStyle = 'dtc' | 'roundtrip';

/** -T: 0 none, 1 `file:line` (the file's base name), 2 `path:line:col-line:col` of each definition. */
export type Annotation = 0 | 1 | 2;

/** ` /* where *\/` for the given source ranges; `end` picks the range's end line in the short form. */
function annotate(locs: readonly Loc[], level: Annotation, end = false): string {
  if (level === 0) return '';
  // Generated items (phandle, /__symbols__) have no source: dtc names none in the long form, omits it in the short.
  if (locs.length === 0) return level === 2 ? ' /* <no-file>:<no-line> */' : '';
  const where = locs.map((loc) => {
    const from = loc.source.positionAt(loc.start);
    const to = loc.source.positionAt(loc.end);
    if (level === 1) return `${from.file.slice(from.file.lastIndexOf('/') + 1)}:${end ? to.line : from.line}`;
    return `${from.file}:${from.line}:${from.col}-${to.line}:${to.col}`;
  });
  return ` /* ${where.join(', ')} */`;
}

const isPrint = (c: number) => c >= 0x20 && c < 0x7f;
const isStringByte = (c: number) => isPrint(c) || c === 0 || (c >= 7 && c <= 13);

const hex = (v: number | bigint, width = 2) => '0x' + v.toString(16).padStart(width, '0');

function guessType(p: DtProperty): ElementType {
  const b = p.value.bytes;
  const len = b.length;
  let notString = 0;
  let nul = 0;
  for (let i = 0; i < len; i++) {
    if (!isStringByte(b[i])) notString++;
    if (b[i] === 0) nul++;
  }
  let labelNotString = 0;
  let labelNotCell = 0;
  for (const m of p.value.markers) {
    if (m.kind !== 'label') continue;
    if (m.offset > 0 && b[m.offset - 1] !== 0) labelNotString++;
    if (m.offset % 4 !== 0) labelNotCell++;
  }
  if (b[len - 1] === 0 && notString === 0 && nul <= len - nul && labelNotString === 0) return 'string';
  if (len % 4 === 0 && labelNotCell === 0) return 'u32';
  return 'u8';
}

function escapeString(b: Uint8Array, from: number, to: number): string {
  let out = '';
  for (let i = from; i < to; i++) {
    const c = b[i];
    switch (c) {
      case 7: out += '\\a'; break;
      case 8: out += '\\b'; break;
      case 9: out += '\\t'; break;
      case 10: out += '\\n'; break;
      case 11: out += '\\v'; break;
      case 12: out += '\\f'; break;
      case 13: out += '\\r'; break;
      case 0x5c: out += '\\\\'; break;
      case 0x22: out += '\\"'; break;
      case 0: out += '\\0'; break;
      default: out += isPrint(c) ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0');
    }
  }
  return out;
}

function writeString(b: Uint8Array, from: number, len: number, style: DtsStyle): string {
  if (len === 0) return '';
  const end = from + len - 1;
  if (style === 'dtc') return `"${escapeString(b, from, end)}"`;
  const parts: string[] = [];
  let start = from;
  for (let i = from; i <= end; i++) {
    if (b[i] === 0 || i === end) {
      parts.push(`"${escapeString(b, start, i)}"`);
      start = i + 1;
    }
  }
  return parts.join(', ');
}

function writeInts(b: Uint8Array, from: number, len: number, width: number): string {
  const out: string[] = [];
  for (let i = from; i + width <= from + len; i += width) {
    if (width === 1) out.push(b[i].toString(16).padStart(2, '0'));
    else if (width === 2) out.push(hex((b[i] << 8) | b[i + 1]));
    else if (width === 4) out.push(hex(((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0));
    else {
      let v = 0n;
      for (let k = 0; k < 8; k++) v = (v << 8n) | BigInt(b[i + k]);
      out.push(hex(v));
    }
  }
  return out.join(' ');
}

const OPEN: Record<ElementType, string> = { u8: '[', u16: '/bits/ 16 <', u32: '<', u64: '/bits/ 64 <', string: '' };
const CLOSE: Record<ElementType, string> = { u8: ']', u16: '>', u32: '>', u64: '>', string: '' };
const WIDTH: Record<ElementType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, string: 1 };

function writeValue(p: DtProperty, style: DtsStyle): string {
  const b = p.value.bytes;
  const len = b.length;
  if (len === 0) return ';';
  let markers: Marker[] = p.value.markers;
  if (!markers.some((m) => m.kind === 'type')) markers = [{ kind: 'type', offset: 0, type: guessType(p) }, ...markers];
  let out = ' =';
  let type: ElementType | undefined;
  // Length of the typed run a type marker starts: up to the next type marker.
  const runEnd = (i: number) => {
    for (let k = i + 1; k < markers.length; k++) if (markers[k].kind === 'type') return markers[k].offset;
    return len;
  };
  let typedEnd = len;
  for (let i = 0; i < markers.length; i++) {
    const m = markers[i];
    const chunkEnd = i + 1 < markers.length ? markers[i + 1].offset : len;
    if (m.kind === 'type') {
      type = m.type;
      typedEnd = runEnd(i);
      out += ' ' + OPEN[type];
    } else if (m.kind === 'label') out += ` ${m.ref}:`;
    else if (m.offset) out += ' ';
    if (type === undefined) continue;
    const chunk = chunkEnd - m.offset;
    out += type === 'string' ? writeString(b, m.offset, chunk, style) : writeInts(b, m.offset, chunk, WIDTH[type]);
    if (chunkEnd === typedEnd) {
      out += CLOSE[type] + (chunkEnd === len ? '' : ',');
      type = undefined;
    }
  }
  return out + ';';
}

function writeNode(node: DtNode, level: number, style: DtsStyle, annotation: Annotation, out: string[]): void {
  const indent = '\t'.repeat(level);
  const labels = node.labels.filter((l) => !l.deleted).map((l) => `${l.name}: `).join('');
  out.push(`${indent}${labels}${node.name ? node.name : '/'} {${annotate(node.bodies, annotation)}\n`);
  for (const p of node.liveProperties()) {
    const plabels = p.labels.filter((l) => !l.deleted).map((l) => `${l.name}: `).join('');
    out.push(`${indent}\t${plabels}${p.name}${writeValue(p, style)}${annotate(p.span ? [p.span] : [], annotation)}\n`);
  }
  for (const c of node.liveChildren()) {
    out.push('\n');
    writeNode(c, level + 1, style, annotation, out);
  }
  out.push(`${indent}};${annotate(node.bodies, annotation, true)}\n`);
}

export function toDts(info: DtInfo, style: DtsStyle = 'dtc', annotation: Annotation = 0): string {
  const out = ['/dts-v1/;\n\n'];
  for (const m of info.memreserves) {
    const labels = m.labels.filter((l) => !l.deleted).map((l) => `${l.name}: `).join('');
    out.push(`${labels}/memreserve/\t${hex(m.address, 16)} ${hex(m.size, 16)};\n`);
  }
  writeNode(info.root, 0, style, annotation, out);
  return out.join('');
}
