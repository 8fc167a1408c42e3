/**
 * Packages the Lambda bundles replace with smaller stand-ins built on Node itself (esbuild
 * `alias`), as paths relative to the project root. Used by infra/ and by the bench that
 * measures the bundle.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  'iconv-lite': './shared/bundle-shims/iconv-lite.ts',
  'encoding-japanese': './shared/bundle-shims/encoding-japanese.ts',
};
