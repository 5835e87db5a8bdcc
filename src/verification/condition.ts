// successCondition / failureCondition of a check: a small expression language over a measurement's `result`, in the
// terms of Argo Rollouts' AnalysisTemplates (`result[0] < 0.05`, `len(result) == 0 or result[0] >= 0.99`). It is
// parsed (and so checked) when promenade.yaml is loaded, and evaluated by walking the tree: never by JavaScript's
// eval or Function, since anyone who can push promenade.yaml writes these.
//
//   expr    := or
//   or      := and (('or' | '||') and)*
//   and     := not (('and' | '&&') not)*
//   not     := ('not' | '!') not | compare
//   compare := sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum)?
//   sum     := product (('+' | '-') product)*
//   product := unary (('*' | '/') unary)*
//   unary   := '-' unary | primary
//   primary := number | 'true' | 'false' | 'result' ('[' expr ']')* | ('len' | 'isNaN') '(' expr ')' | '(' expr ')'

export type ConditionNode =
  | { op: 'number'; value: number }
  | { op: 'bool'; value: boolean }
  | { op: 'result' }
  | { op: 'index'; of: ConditionNode; index: ConditionNode }
  | { op: 'call'; fn: 'len' | 'isNaN'; arg: ConditionNode }
  | { op: 'not'; arg: ConditionNode }
  | { op: 'neg'; arg: ConditionNode }
  | { op: 'and' | 'or'; left: ConditionNode; right: ConditionNode }
  | { op: '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/'; left: ConditionNode; right: ConditionNode };

/** A measurement's result: one number (a scalar, or a one-sample query) or the values of a vector. */
export type ResultValue = number | number[];
type Value = number | boolean | number[];

export class ConditionError extends Error {
  override readonly name = 'ConditionError';
}

const MAX_LENGTH = 500;
const TOKEN = /\s*(?:(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|&&|\|\||[<>()[\]!+\-*/]))/y;

export function parseCondition(text: string): ConditionNode {
  if (typeof text !== 'string' || text.trim() === '') throw new ConditionError('is empty');
  if (text.length > MAX_LENGTH) throw new ConditionError(`is longer than ${MAX_LENGTH} characters`);
  const tokens: Array<{ kind: 'num' | 'word' | 'sym'; text: string; at: number }> = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      if (text.slice(at).trim() === '') break;
      throw new ConditionError(`cannot read ${JSON.stringify(text.slice(at).trim().slice(0, 20))} at column ${at + 1 + (text.slice(at).length - text.slice(at).trimStart().length)}`);
    }
    tokens.push(m[1] ? { kind: 'num', text: m[1], at } : m[2] ? { kind: 'word', text: m[2], at } : { kind: 'sym', text: m[3]!, at });
  }
  let i = 0;
  let depth = 0;
  const peek = () => tokens[i];
  const take = (t?: string) => {
    const tok = tokens[i];
    if (!tok || (t !== undefined && tok.text !== t)) throw new ConditionError(`expected ${t ? `"${t}"` : 'more'} ${tok ? `at column ${tok.at + 1}, found "${tok.text}"` : 'at the end'}`);
    i++;
    return tok;
  };
  const is = (...texts: string[]) => peek() !== undefined && texts.includes(peek()!.text);
  const nested = <T>(f: () => T): T => {
    if (++depth > 32) throw new ConditionError('is nested too deeply');
    try {
      return f();
    } finally {
      depth--;
    }
  };

  const or = (): ConditionNode => {
    let left = and();
    while (is('or', '||')) {
      take();
      left = { op: 'or', left, right: and() };
    }
    return left;
  };
  const and = (): ConditionNode => {
    let left = not();
    while (is('and', '&&')) {
      take();
      left = { op: 'and', left, right: not() };
    }
    return left;
  };
  const not = (): ConditionNode => (is('not', '!') ? (take(), nested(() => ({ op: 'not' as const, arg: not() }))) : compare());
  const compare = (): ConditionNode => {
    const left = sum();
    if (is('==', '!=', '<', '<=', '>', '>=')) {
      const op = take().text as '==';
      return { op, left, right: sum() };
    }
    return left;
  };
  const sum = (): ConditionNode => {
    let left = product();
    while (is('+', '-')) left = { op: take().text as '+', left, right: product() };
    return left;
  };
  const product = (): ConditionNode => {
    let left = unary();
    while (is('*', '/')) left = { op: take().text as '*', left, right: unary() };
    return left;
  };
  const unary = (): ConditionNode => (is('-') ? (take(), nested(() => ({ op: 'neg' as const, arg: unary() }))) : primary());
  const primary = (): ConditionNode => {
    const tok = take();
    if (tok.kind === 'num') return { op: 'number', value: Number(tok.text) };
    if (tok.text === '(') {
      const inner = nested(or);
      take(')');
      return inner;
    }
    if (tok.text === 'true' || tok.text === 'false') return { op: 'bool', value: tok.text === 'true' };
    if (tok.text === 'result') {
      let node: ConditionNode = { op: 'result' };
      while (is('[')) {
        take('[');
        node = { op: 'index', of: node, index: nested(or) };
        take(']');
      }
      return node;
    }
    if (tok.text === 'len' || tok.text === 'isNaN') {
      take('(');
      const arg = nested(or);
      take(')');
      return { op: 'call', fn: tok.text, arg };
    }
    throw new ConditionError(`unknown ${tok.kind === 'word' ? 'name' : 'symbol'} "${tok.text}" at column ${tok.at + 1} (known: result, len, isNaN, and, or, not, numbers, comparisons)`);
  };

  const tree = or();
  if (i < tokens.length) throw new ConditionError(`unexpected "${tokens[i]!.text}" at column ${tokens[i]!.at + 1}`);
  return tree;
}

/** Evaluates a parsed condition against a result; must yield true or false, else ConditionError. */
export function evaluateCondition(node: ConditionNode, result: ResultValue): boolean {
  const value = evaluate(node, result);
  if (typeof value !== 'boolean') throw new ConditionError(`evaluates to ${JSON.stringify(value)}, not true or false`);
  return value;
}

function evaluate(node: ConditionNode, result: ResultValue): Value {
  const num = (n: ConditionNode, what: string): number => {
    const v = evaluate(n, result);
    if (typeof v !== 'number') throw new ConditionError(`${what} needs a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const bool = (n: ConditionNode, what: string): boolean => {
    const v = evaluate(n, result);
    if (typeof v !== 'boolean') throw new ConditionError(`${what} needs true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  switch (node.op) {
    case 'number':
    case 'bool':
      return node.value;
    case 'result':
      return result;
    case 'index': {
      const of = evaluate(node.of, result);
      const index = num(node.index, 'an index');
      if (!Array.isArray(of)) throw new ConditionError('result is a single value, not a list: use result, not result[...]');
      if (!Number.isInteger(index) || index < 0 || index >= of.length) throw new ConditionError(`result[${index}] does not exist (result has ${of.length} value(s))`);
      return of[index]!;
    }
    case 'call': {
      const arg = evaluate(node.arg, result);
      if (node.fn === 'len') {
        if (!Array.isArray(arg)) throw new ConditionError('len() needs a list');
        return arg.length;
      }
      if (typeof arg !== 'number') throw new ConditionError('isNaN() needs a number');
      return Number.isNaN(arg);
    }
    case 'not':
      return !bool(node.arg, 'not');
    case 'neg':
      return -num(node.arg, '-');
    case 'and':
      return bool(node.left, 'and') && bool(node.right, 'and');
    case 'or':
      return bool(node.left, 'or') || bool(node.right, 'or');
    case '==':
    case '!=': {
      const l = evaluate(node.left, result);
      const r = evaluate(node.right, result);
      if (Array.isArray(l) || Array.isArray(r)) throw new ConditionError(`${node.op} compares single values; use result[0] or len(result)`);
      return node.op === '==' ? l === r : l !== r;
    }
    default: {
      const l = num(node.left, node.op);
      const r = num(node.right, node.op);
      switch (node.op) {
        case '<':
          return l < r;
        case '<=':
          return l <= r;
        case '>':
          return l > r;
        case '>=':
          return l >= r;
        case '+':
          return l + r;
        case '-':
          return l - r;
        case '*':
          return l * r;
        case '/':
          return l / r;
      }
    }
  }
}
