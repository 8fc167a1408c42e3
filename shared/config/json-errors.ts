/**
 * Where a JSON text is broken, as `line:column: message`. JSON.parse in Node 20 often says only
 * `Unexpected token '}'` with no position, so a small scanner finds the first error itself.
 */

/** Parses JSON; on a syntax error throws an Error whose message is `<line>:<column>: <what>`. */
export function parseJsonWithPosition(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const found = firstJsonError(text);
    const { line, column } = lineColumn(text, found?.at ?? text.length);
    throw new Error(`${line}:${column}: ${found?.message ?? (e as Error).message}`);
  }
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

class JsonSyntax extends Error {
  constructor(
    readonly at: number,
    message: string,
  ) {
    super(message);
  }
}

/** The offset and reason of the first syntax error, or undefined when the text is valid JSON. */
export function firstJsonError(text: string): { at: number; message: string } | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const what = () => (i >= text.length ? 'the end of the file' : JSON.stringify(text[i]));
  const fail = (expected: string): never => {
    throw new JsonSyntax(i, `expected ${expected}, found ${what()}`);
  };
  const str = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('four hex digits after \\u');
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) fail('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)');
      } else if (text.charCodeAt(i) < 0x20) fail('no raw control character or line break inside a string');
      i++;
    }
    if (i >= text.length) fail('a closing "');
    i++;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"')
          fail(
            text[i] === '}' ? 'another key after the comma (JSON has no trailing commas)' : 'a key in double quotes',
          );
        str();
        ws();
        if (text[i] !== ':') fail('":" after the key');
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail('"," or "}"');
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        ws();
        if (text[i] === ']') fail('another value after the comma (JSON has no trailing commas)');
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail('"," or "]"');
      }
    }
    if (ch === '"') {
      str();
      return;
    }
    const lit = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
    if (!lit) fail('a value (a string in double quotes, number, true, false, null, object or array)');
    i += lit![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) fail('the end of the file after the value');
    return undefined;
  } catch (e) {
    if (e instanceof JsonSyntax) return { at: e.at, message: e.message };
    throw e;
  }
}
