// The local dashboard's page script: a router with one function per view (overview, check page).
// Views re-render on their own timer; leaving a view stops it. Every value shown is escaped (view.js).
import { viewCheck } from './check.js';
import { viewOverview } from './overview.js';

const main = document.getElementById('main');
let stop = () => {};

/** `#/check/<id>?range=24h` → the check page; anything else → the overview. */
function route() {
  stop();
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const m = /^\/check\/(.+)$/.exec(path);
  const params = new URLSearchParams(query);
  stop = m ? viewCheck(main, decodeURIComponent(m[1]), params) : viewOverview(main);
}

window.addEventListener('hashchange', () => {
  route();
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
});
route();
