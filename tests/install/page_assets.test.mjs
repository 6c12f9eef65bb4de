// Loads the review page of a running `changewatch serve` and checks that it is whole: every
// script and stylesheet index.html references, and every url() those stylesheets reference
// (Leaflet's images), answers 200 with content; in Chromium no request fails or leaves the
// server, the AOI list shows the plan's AOIs, and before/after map tiles render with image content.
//
//   node tests/install/page_assets.test.mjs URL OUT
// URL is the server's address (http://127.0.0.1:PORT/), OUT the run folder it serves. Used by
// tests/install/install_test.sh on an installed tree and on the extracted .deb.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'viewer', 'package.json'));
const { chromium } = require('playwright-core');

const [url, outDir] = process.argv.slice(2);
if (!url || !outDir) { console.error('usage: page_assets.test.mjs URL OUT'); process.exit(2); }

let failures = 0;
function check(cond, what, detail = '') {
  if (cond) console.log(`ok - ${what}`);
  else { failures++; console.log(`not ok - ${what}${detail ? ': ' + detail : ''}`); }
  return cond;
}

// Every asset of the page by plain HTTP, before any browser: a missing file is named here.
async function checkReferencedAssets() {
  const index = await fetch(url);
  const html = await index.text();
  check(index.status === 200 && html.includes('<html'), `GET / answers the page (${index.status})`);
  const refs = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g), ...html.matchAll(/<link[^>]*\shref="([^"]+)"/g)]
    .map((m) => new URL(m[1], url).href);
  check(refs.some((r) => r.endsWith('/leaflet.js')) && refs.some((r) => r.endsWith('/leaflet.css')),
    'index.html references Leaflet\'s script and stylesheet', refs.join(' '));
  const cssUrls = [];
  for (const ref of refs) {
    const res = await fetch(ref);
    const body = await res.text();
    check(res.status === 200 && body.length > 0, `GET ${new URL(ref).pathname} (${res.status}, ${body.length} bytes)`);
    if (ref.endsWith('.css')) {
      for (const m of body.matchAll(/url\(\s*['"]?([^'")]+)['"]?\s*\)/g)) {
        if (!/^(data:|#)/.test(m[1])) cssUrls.push(new URL(m[1], ref).href);
      }
    }
  }
  for (const ref of [...new Set(cssUrls)]) {
    const res = await fetch(ref);
    const size = (await res.arrayBuffer()).byteLength;
    check(res.status === 200 && size > 0, `GET ${new URL(ref).pathname}, referenced by a stylesheet (${res.status}, ${size} bytes)`);
  }
  return refs.length;
}

async function checkInChromium() {
  const plan = JSON.parse(fs.readFileSync(path.join(outDir, 'plan.json'), 'utf8'));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const bad = [];
    const foreign = [];
    const loaded = { script: 0, stylesheet: 0 };
    page.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('data:')) foreign.push(r.url()); });
    // Leaflet cancels the tile requests of a view it leaves (the overview map fits, then the AOI
    // is opened): an aborted tile is not a failed asset. Rendering is checked below.
    page.on('requestfailed', (r) => {
      const aborted = r.failure()?.errorText === 'net::ERR_ABORTED' && r.url().includes('/tiles/');
      if (!aborted) bad.push(`${r.url()} (${r.failure()?.errorText})`);
    });
    page.on('response', (r) => {
      const type = r.request().resourceType();
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) bad.push(`${r.url()} (${r.status()})`);
      else if (type in loaded) loaded[type]++;
    });
    page.on('pageerror', (e) => check(false, 'no script error in the page', e.message));

    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
    const aoiIds = await page.$$eval('.aoi-item', (xs) => xs.map((x) => x.dataset.aoi));
    check(aoiIds.length === plan.aois.length && plan.aois.every((a) => aoiIds.includes(a.id)),
      `AOI list shows the plan's ${plan.aois.length} AOIs`, JSON.stringify(aoiIds));
    const withJob = plan.jobs.length ? plan.jobs[0].aoi : aoiIds[0];
    await page.click(`.aoi-item[data-aoi="${withJob}"]`);
    // Rendered = a loaded tile image of the layer has opaque pixels. Tiles arrive one by one, so
    // wait (up to 30 s) until both layers have one, then count.
    const countOpaque = () => {
      const res = {};
      for (const l of ['before', 'after']) {
        res[l] = 0;
        for (const img of document.querySelectorAll(`.tiles-${l} img.leaflet-tile-loaded`)) {
          const c = document.createElement('canvas');
          c.width = img.naturalWidth; c.height = img.naturalHeight;
          const g = c.getContext('2d');
          g.drawImage(img, 0, 0);
          const d = g.getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < d.length; i += 4 * 7) if (d[i] > 0) { res[l]++; break; }
        }
      }
      return res;
    };
    await page.waitForFunction(`(${countOpaque})().before > 0 && (${countOpaque})().after > 0`, null,
      { timeout: 30000, polling: 250 }).catch(() => {});
    const opaque = await page.evaluate(countOpaque);
    check(opaque.before > 0 && opaque.after > 0,
      `before and after tiles render with image content (${opaque.before} before, ${opaque.after} after tiles)`);
    check(loaded.script >= 2 && loaded.stylesheet >= 2,
      `Chromium loaded the page's scripts (${loaded.script}) and stylesheets (${loaded.stylesheet})`);
    check(bad.length === 0, 'no request of the page failed', bad.slice(0, 5).join(' '));
    check(foreign.length === 0, 'no request leaves the server', foreign.slice(0, 3).join(' '));
  } finally {
    await browser.close();
  }
}

async function main() {
  await checkReferencedAssets();
  await checkInChromium();
  if (failures) { console.log(`${failures} check(s) failed`); process.exitCode = 1; }
  else console.log('page checks passed');
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
