/** Text from a peer or a config made safe for one log line: control characters (C0 and DEL) found or replaced. */

function isControl(code: number): boolean {
  return code < 0x20 || code === 0x7f;
}

/** True when `text` holds a control character (a newline, an escape, a NUL…). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isControl(text.charCodeAt(i))) return true;
  return false;
}

/** `text` with every run of control characters replaced by one space. */
export function withoutControlCharacters(text: string): string {
  let out = '';
  let inRun = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (isControl(c)) {
      if (!inRun) out += ' ';
      inRun = true;
    } else {
      out += text[i];
      inRun = false;
    }
  }
  return out;
}
