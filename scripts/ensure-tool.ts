// The contract every `scripts/ensure-<tool>.ts` keeps (see scripts/README.md): find the tool or install it,
// and answer with what a caller needs to use it. One module per tool, so .ci/run, the test setup and
// `npm start` install through the same code and a machine is set up the same way whoever asks first.

export interface EnsureOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress for a person (installs can take minutes); never the answer itself. */
  log?: (line: string) => void;
}

/** Finds or installs the tool; resolves to its absolute path (or, for a service, the address to reach it). */
export type Ensure = (options?: EnsureOptions) => Promise<string>;

/** The tool is missing and cannot be installed here: the message is one line that says what to do. */
export class ToolMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolMissingError';
  }
}
