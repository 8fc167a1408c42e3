// undici's Client alone, without the rest of undici (fetch, WebSocket, caches): a quarter of the
// bundle. The module has no types of its own; it is the same class undici exports.
declare module 'undici/lib/dispatcher/client.js' {
  import { Client } from 'undici';
  export default Client;
}
