// Formatting of devicetree sources in dtc's layout: one tab per nesting level, `name = value;`, `name {`, a blank
// line before each child node, no runs of blank lines, no trailing blanks. Values, comments and preprocessor lines
// keep their text; continuation lines of a value keep their alignment relative to the statement. The compiled
// tree never changes.

const DIRECTIVE = /^\s*#\s*(include|define|undef|if|ifdef|ifndef|elif|else|endif|error|warning|pragma|line)\b/;

interface ScannedLine {
  /** The code of the line with comments and string contents blanked, for brace counting and statement ends. */
  readonly code: string;
  /** The line started inside a block comment. */
  readonly inComment: boolean;
}

/** Blanks comments and string/char contents line by line, carrying block comments across lines. */
function scan(lines: readonly string[]): ScannedLine[] {
  let inComment = false;
  return lines.map((line) => {
    const startedInComment = inComment;
    let code = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (inComment) {
        if (c === '*' && line[i + 1] === '/') {
          inComment = false;
          i++;
        }
        code += ' ';
      } else if (c === '/' && line[i + 1] === '*') {
        inComment = true;
        code += ' ';
        i++;
      } else if (c === '/' && line[i + 1] === '/') {
        break;
      } else if (c === '"' || c === "'") {
        let j = i + 1;
        while (j < line.length && line[j] !== c) j += line[j] === '\\' ? 2 : 1;
        code += c + ' '.repeat(Math.max(0, Math.min(j, line.length) - i - 1)) + (j < line.length ? c : '');
        i = j;
      } else code += c;
    }
    return { code, inComment: startedInComment };
  });
}

function columns(whitespace: string): number {
  let col = 0;
  for (const c of whitespace) col = c === '\t' ? (Math.floor(col / 8) + 1) * 8 : col + 1;
  return col;
}

function indentation(cols: number): string {
  return '\t'.repeat(Math.floor(cols / 8)) + ' '.repeat(cols % 8);
}

export function formatDts(text: string): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '').replace(/\s+$/, ''));
  const scanned = scan(lines);
  const out: string[] = [];
  let depth = 0;
  let continuation: { from: number; to: number } | undefined;
  let macroContinues = false;
  lines.forEach((line, k) => {
    const { code, inComment } = scanned[k];
    const trimmedCode = code.trim();
    if (line.trim() === '') {
      const previous = out[out.length - 1];
      if (previous !== undefined && previous !== '' && !previous.endsWith('{') && k < lines.length - 1) out.push('');
      return;
    }
    if (inComment && !code.includes('*/') && trimmedCode === '') {
      out.push(line);
      return;
    }
    if (macroContinues || DIRECTIVE.test(line)) {
      macroContinues = line.endsWith('\\');
      out.push(macroContinues || !DIRECTIVE.test(line) ? line : line.trim());
      return;
    }
    const closes = trimmedCode.startsWith('}') ? 1 : 0;
    if (closes) while (out[out.length - 1] === '') out.pop();
    const level = Math.max(0, depth - closes);
    const original = columns(/^\s*/.exec(line)![0]);
    let formatted: string;
    if (continuation) {
      formatted = indentation(Math.max(continuation.to + 8, continuation.to + original - continuation.from)) + line.trim();
    } else {
      let body = line.trim();
      body = body.replace(/^((?:[A-Za-z_]\w*:\s*)*)([#A-Za-z0-9,._+?-]+)\s*=\s*/, (_, labels: string, name: string) => `${labels.replace(/:\s*/g, ': ')}${name} = `);
      if (trimmedCode.endsWith('{')) body = body.replace(/\s*\{$/, ' {');
      const opensNode = trimmedCode.endsWith('{') && level > 0;
      const previous = out[out.length - 1];
      if (opensNode && previous !== undefined && previous !== '' && !previous.trimEnd().endsWith('{') && !/^\s*(\/\/|\/\*|\*)/.test(previous)) out.push('');
      formatted = '\t'.repeat(level) + body;
    }
    for (const c of code) {
      if (c === '{') depth++;
      else if (c === '}') depth = Math.max(0, depth - 1);
    }
    // A statement that does not end on this line continues on the next (multi-line values).
    const ends = trimmedCode === '' || /[;{}]$/.test(trimmedCode);
    if (!ends && !continuation) continuation = { from: original, to: level * 8 };
    else if (ends) continuation = undefined;
    out.push(formatted);
  });
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join(eol) + (text.endsWith('\n') ? eol : '');
}
