/**
 * Capture text (pcapng comments, names) on one line of a text view or a terminal. Control characters would break
 * the line structure a packet list depends on (a newline makes a fake packet line), move a terminal cursor or recolour
 * it (ESC sequences), and bidirectional overrides make text read differently from what it is ("Trojan Source").
 * They are shown as escapes instead: \n, \t, \r, and \u{XXXX} for the rest (a backslash stays as it is: the escapes are
 * for reading, not for parsing back).
 */
// C0 controls, DEL, C1 controls, line/paragraph separators, bidi marks, embeddings, overrides and isolates, BOM.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function escapeControls(s: string): string {
  return s.replace(UNSAFE, (c) => {
    switch (c) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return `\\u{${c.charCodeAt(0).toString(16).padStart(4, '0')}}`;
    }
  });
}
