// Diagnostics shared by the ipsec.conf and ipsec.secrets readers. Runtime-neutral.
//
// Every problem found in a configuration is one Diagnostic: where it is (file, 1-based line and
// column), what it is, and how bad. Errors without `conn` reject the whole file (as Libreswan's
// parser does: `addconn --checkconfig` fails); errors with `conn` only stop that connection from
// loading (Libreswan's "while loading 'NAME': ..."), the rest of the file still loads.

export type Severity = "error" | "warning";

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  message: string;
  severity: Severity;
  /** the connection this problem belongs to: set for connection-level errors */
  conn?: string;
  /** the keyword concerned, as written (leftsubnet, rekeymargin, ...) */
  keyword?: string;
}

export interface Position {
  file: string;
  line: number;
  column: number;
}

export const MAX_MESSAGE = 400;

export function diag(
  severity: Severity,
  at: Position,
  message: string,
  extra?: { conn?: string; keyword?: string },
): Diagnostic {
  // a message quotes what it found; a value of megabytes makes no useful log line
  if (message.length > MAX_MESSAGE) message = message.slice(0, MAX_MESSAGE) + "...";
  const d: Diagnostic = { file: at.file, line: at.line, column: at.column, message, severity };
  if (extra?.conn !== undefined) d.conn = extra.conn;
  if (extra?.keyword !== undefined) d.keyword = extra.keyword;
  return d;
}

/** `file:line:column: error: message`, the form compilers and Libreswan's parser use. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
}

export function isFileError(d: Diagnostic): boolean {
  return d.severity === "error" && d.conn === undefined;
}
