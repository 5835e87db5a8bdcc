// Edits a YAML manifest in place by splicing the source text at a node's range, so comments, quoting, indentation
// and every other byte stay exactly as the repository's authors wrote them. Only structural changes (a key or an
// entry that does not exist yet) go through the yaml Document printer.
import { parse, parseAllDocuments, type Document, type Scalar } from 'yaml';
import { TERMINAL, terminal } from '../failures.js';

export function parseManifests(text: string, file: string): Document.Parsed[] {
  const docs = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(docs)) return [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) throw terminal(TERMINAL.invalidConfig, `${file}: not valid YAML: ${error.message.split('\n')[0]}`);
  }
  return docs;
}

/** The text with one scalar's value replaced, written in the scalar's own style where that keeps it a string. */
export function replaceScalar(text: string, node: Scalar, value: string): string {
  const [start, end] = node.range ?? [];
  if (start === undefined || end === undefined) throw new Error('scalar without a source range');
  return text.slice(0, start) + renderScalar(value, node.type) + text.slice(end);
}

function renderScalar(value: string, style: Scalar['type']): string {
  if (style === 'QUOTE_SINGLE' && !value.includes("'")) return `'${value}'`;
  // A plain `1.20` would read back as the number 1.2: quote whatever plain style would not keep a string.
  const plainSafe = /^[A-Za-z0-9_./@:+-]+$/.test(value) && parse(value) === value;
  if (style !== 'QUOTE_DOUBLE' && plainSafe) return value;
  return JSON.stringify(value);
}

