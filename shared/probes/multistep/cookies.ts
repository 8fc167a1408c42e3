/**
 * A small cookie jar for a flow: cookies a response sets are sent on later steps to the same
 * host (what a browser does for a login session). Domain, path and secure attributes are not
 * modelled: a flow talks to one site, and the jar lives for one run.
 */
export class CookieJar {
  private readonly byHost = new Map<string, Map<string, string>>();

  /** Takes the `set-cookie` header of a response (several joined with ", ", as headers read). */
  store(host: string, setCookie: string | undefined): void {
    if (!setCookie) return;
    // Split between cookies, not inside an Expires date ("Wed, 21 Oct 2026 …").
    for (const one of setCookie.split(/,\s*(?=[^;,=\s]+=)/)) {
      const [pair = '', ...attrs] = one.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const jar = this.byHost.get(host) ?? new Map<string, string>();
      this.byHost.set(host, jar);
      const expired = attrs.some((a) => {
        const [k = '', v = ''] = a.split('=').map((x) => x.trim());
        if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
        if (k.toLowerCase() === 'expires') return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
  }

  /** The `cookie` header for a request to `host`, or undefined when there is nothing to send. */
  header(host: string): string | undefined {
    const jar = this.byHost.get(host);
    if (!jar || jar.size === 0) return undefined;
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}
