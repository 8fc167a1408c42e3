/**
 * Stand-in for `encoding-japanese` in the Lambda bundles (esbuild alias): the mail libraries call
 * only `convert(bytes, { to: 'UNICODE', from, type: 'string' })`, which Node's TextDecoder does
 * for ISO-2022-JP, EUC-JP and Shift_JIS. Keeps ~225 KB of tables out of the runner.
 */
const LABELS: Array<[RegExp, string]> = [
  [/^(jis|iso-?2022-?jp)/i, 'iso-2022-jp'],
  [/^euc-?jp/i, 'euc-jp'],
  [/^(sjis|shift[-_]?jis|cp932|windows-31j)/i, 'shift_jis'],
];

export function convert(data: Uint8Array | number[], opts: { to?: string; from?: string; type?: string }): string {
  const from = LABELS.find(([re]) => re.test(String(opts.from ?? '')))?.[1];
  if (!from || String(opts.to ?? '').toUpperCase() !== 'UNICODE')
    throw new Error(`unsupported conversion ${opts.from} → ${opts.to} (watchpost bundle)`);
  return new TextDecoder(from).decode(data instanceof Uint8Array ? data : Uint8Array.from(data));
}

export default { convert };
