/**
 * How a URL is shown to people (messages, result details, alarm descriptions, dashboards, pages):
 * without user info and without query values (`?api_key=…`: names kept, values out), without a
 * fragment. One helper for every kind that shows a URL.
 */

/** `name=…` for each `name=value` of a query, `…` for a bare item (it may be a token itself). */
function maskedQuery(search: string): string {
  const q = search.replace(/^\?/, '');
  if (!q) return '';
  return `?${q
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq > 0 ? `${part.slice(0, eq)}=…` : '…';
    })
    .join('&')}`;
}

/**
 * A URL as shown to people: no `user:pass@`, query values replaced with `…`, no `#fragment`.
 * A string that does not parse (a `{{…}}` template) is cleaned as text the same way.
 * @example
 * displayUrl('https://probe:pw@shop.example.com/api?api_key=abc#x') // 'https://shop.example.com/api?api_key=…'
 */
export function displayUrl(u: URL | string): string {
  let url: URL;
  if (typeof u === 'string') {
    try {
      url = new URL(u);
    } catch {
      const [beforeHash = ''] = u.split('#');
      const q = beforeHash.indexOf('?');
      const noQuery = q < 0 ? beforeHash : beforeHash.slice(0, q);
      const base = noQuery.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1');
      return q < 0 ? base : `${base}${maskedQuery(beforeHash.slice(q))}`;
    }
  } else url = u;
  return `${url.protocol}//${url.host}${url.pathname}${maskedQuery(url.search)}`;
}
