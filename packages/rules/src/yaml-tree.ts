import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { RuleRefusal } from './rule-refusal';

/** A YAML value with the line it starts on, so that every refusal can name the line of the construct. */
export type YNode =
  | { kind: 'map'; line: number; entries: YEntry[] }
  | { kind: 'seq'; line: number; items: YNode[] }
  | { kind: 'scalar'; line: number; value: string | boolean | null; quoted: boolean };

export interface YEntry {
  key: string;
  line: number;
  value: YNode;
}

export interface YDocument {
  /** 1-based line of the document's first content. */
  line: number;
  /** The document's source text (for the content hash). */
  text: string;
  root?: YNode;
  /** A YAML syntax error of this document, with its line. */
  error?: { message: string; line: number };
}

/**
 * Bounds on what one rule file may expand to. Aliases are resolved while walking, so an alias bomb (a few lines
 * whose aliases nest into billions of nodes) is cut off by the node budget instead of exhausting memory.
 */
export const MAX_YAML_NODES = 100_000;
export const MAX_YAML_DEPTH = 64;

function lineOf(lc: LineCounter, offset: number | undefined): number {
  return offset === undefined ? 1 : lc.linePos(offset).line;
}

function convert(doc: Document, node: unknown, lc: LineCounter, budget: { nodes: number }, depth: number): YNode {
  if (++budget.nodes > MAX_YAML_NODES) {
    throw new RuleRefusal(`YAML expands to more than ${MAX_YAML_NODES} nodes (aliases nested too deep?)`);
  }
  if (depth > MAX_YAML_DEPTH) throw new RuleRefusal(`YAML nested deeper than ${MAX_YAML_DEPTH} levels`);
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target === undefined) throw new RuleRefusal(`YAML alias *${node.source} has no anchor`, lineOf(lc, node.range?.[0]));
    return convert(doc, target, lc, budget, depth + 1);
  }
  const n = node as Node | null | undefined;
  const line = lineOf(lc, n?.range?.[0]);
  if (n === null || n === undefined) return { kind: 'scalar', line, value: null, quoted: false };
  if (isMap(n)) {
    const entries: YEntry[] = [];
    for (const pair of n.items) {
      const k = pair.key as Node | null;
      const keyLine = lineOf(lc, k?.range?.[0]);
      if (!isScalar(k)) throw new RuleRefusal('YAML map key is not a plain value', keyLine);
      const key = k.value === null ? '' : String(k.value);
      entries.push({ key, line: keyLine, value: convert(doc, pair.value, lc, budget, depth + 1) });
    }
    return { kind: 'map', line, entries };
  }
  if (isSeq(n)) return { kind: 'seq', line, items: n.items.map((i) => convert(doc, i, lc, budget, depth + 1)) };
  if (isScalar(n)) {
    const quoted = n.type === 'QUOTE_DOUBLE' || n.type === 'QUOTE_SINGLE' || n.type === 'BLOCK_LITERAL' || n.type === 'BLOCK_FOLDED';
    const v = n.value;
    if (v === null || v === undefined) return { kind: 'scalar', line, value: null, quoted };
    if (typeof v === 'boolean') return { kind: 'scalar', line, value: v, quoted };
    // Numbers keep the text written in the rule (`0.10`, `007`): values compare as text.
    if (typeof v === 'number' || typeof v === 'bigint') return { kind: 'scalar', line, value: n.source ?? String(v), quoted };
    if (typeof v === 'string') return { kind: 'scalar', line, value: v, quoted };
    throw new RuleRefusal(`unsupported YAML value of type ${typeof v}`, line);
  }
  throw new RuleRefusal('unsupported YAML construct', line);
}

/** Every document of a rule file, each converted on its own: a syntax error in one leaves the others usable. */
export function parseYamlDocuments(text: string): YDocument[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const out: YDocument[] = [];
  for (const doc of list) {
    const start = doc.range[0];
    const docText = text.slice(start, doc.range[2]);
    const line = lineOf(lc, doc.contents?.range?.[0] ?? start);
    const err = doc.errors[0];
    if (err) {
      out.push({ line, text: docText, error: { message: err.message.split('\n')[0] ?? err.message, line: lineOf(lc, err.pos[0]) } });
      continue;
    }
    if (doc.contents === null) continue;
    try {
      out.push({ line, text: docText, root: convert(doc, doc.contents, lc, { nodes: 0 }, 0) });
    } catch (e) {
      if (!(e instanceof RuleRefusal)) throw e;
      out.push({ line, text: docText, error: { message: e.message, line: e.line ?? line } });
    }
  }
  return out;
}

/** Plain JavaScript value of a node, for metadata fields. */
export function plain(node: YNode): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(plain);
  return Object.fromEntries(node.entries.map((e) => [e.key, plain(e.value)]));
}

export function entry(node: YNode, key: string): YEntry | undefined {
  return node.kind === 'map' ? node.entries.find((e) => e.key === key) : undefined;
}
