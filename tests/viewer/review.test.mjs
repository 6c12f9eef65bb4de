// Browser test of the reviewer viewer in a real Chromium (Debian's /usr/bin/chromium driven by
// playwright-core): serves a simulator run with `changewatch serve` on a free loopback port and
// walks through what a reviewer does.
//
//   node tests/viewer/review.test.mjs
// Environment:
//   CW_BINARY      changewatch executable (default build/changewatch)
//   CW_VIEWER_RUN  a run output folder to serve (copied first; default: simulate + run one into
//                  $CW_BUILD_DIR/viewer-run, reused when it is already complete)
//   CW_BUILD_DIR   where the default run and the screenshot go (default build)
//   CW_SCREENSHOT  screenshot path (default $CW_BUILD_DIR/viewer-screenshot.png)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDir, checker, ensureRun, launchChromium, readJsonl, startServer, stopServer } from './support.mjs';

const { check, failures } = checker();
const screenshot = process.env.CW_SCREENSHOT || path.join(buildDir, 'viewer-screenshot.png');

async function main() {
  const source = ensureRun();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-viewer-'));
  const outDir = path.join(tmp, 'out');
  fs.cpSync(source, outDir, { recursive: true });
  fs.rmSync(path.join(outDir, 'reviews.jsonl'), { force: true });
  const plan = JSON.parse(fs.readFileSync(path.join(outDir, 'plan.json'), 'utf8'));
  const corrPath = path.join(outDir, 'corroboration.json');
  const corr = fs.existsSync(corrPath) ? JSON.parse(fs.readFileSync(corrPath, 'utf8')) : null;

  const server = await startServer(outDir);
  console.log(`# serving ${outDir} at ${server.url}`);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const tiles = { before: 0, after: 0, score: 0, mask: 0 };
    const foreign = [];
    page.on('request', (r) => { if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) foreign.push(r.url()); });
    page.on('response', (r) => {
      const m = r.url().match(/\/tiles\/[^/]+\/[^/]+\/(before|after|score|mask)\//);
      if (m && r.status() === 200 && r.headers()['content-type'] === 'image/png') tiles[m[1]]++;
    });
    page.on('pageerror', (e) => check(false, 'no script error in the page', e.message));

    // 1. The AOI list.
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
    const aoiIds = await page.$$eval('.aoi-item', (xs) => xs.map((x) => x.dataset.aoi));
    check(aoiIds.length === plan.aois.length && plan.aois.every((a) => aoiIds.includes(a.id)),
      `AOI list shows the plan's ${plan.aois.length} AOIs`, JSON.stringify(aoiIds));

    // 2. The AOI with the false declaration: discrepancy first.
    const discrepancies = corr ? (corr.verdicts || []).filter((v) => v.verdict === 'discrepancy') : [];
    let aoi;
    if (discrepancies.length) {
      const falseDecl = discrepancies.find((v) => /FALSE/i.test(v.reference || '')) || discrepancies[0];
      aoi = falseDecl.aoi;
      check(aoiIds[0] === aoi, 'the AOI with a discrepancy is listed first', aoiIds.join(','));
    } else {
      console.log('# no corroboration.json with a discrepancy in this run: checking the evidence order instead');
      aoi = plan.jobs.find((j) => {
        const p = path.join(outDir, j.id, 'evidence.geojson');
        return fs.existsSync(p) && JSON.parse(fs.readFileSync(p, 'utf8')).features.some((f) => f.properties.feature_type !== 'footprint');
      })?.aoi || aoiIds[0];
    }
    await page.click(`.aoi-item[data-aoi="${aoi}"]`);
    await page.waitForSelector('#evidence-section:not([hidden])');
    await page.waitForFunction(() => location.hash.includes('job='));
    const hash = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1));
    const job = hash.get('job');
    check(hash.get('aoi') === aoi && job && job.startsWith(aoi + '/'), `URL hash holds aoi and job (${job})`);
    if (discrepancies.length) {
      const firstVerdict = await page.$eval('#verdicts li', (li) => li.className);
      check(firstVerdict.includes('discrepancy'), 'the first declaration row of the AOI is the discrepancy', firstVerdict);
      const cited = new Set(discrepancies.filter((v) => v.aoi === aoi).flatMap((v) => v.evidence_ids || []));
      const firstEv = await page.$eval('.ev-item', (li) => li.dataset.id).catch(() => null);
      const fcJob = JSON.parse(fs.readFileSync(path.join(outDir, job, 'evidence.geojson'), 'utf8'));
      if (fcJob.features.some((f) => cited.has(f.id))) {
        check(cited.has(firstEv), 'evidence cited by the discrepancy comes first', firstEv);
      }
    }

    // 3. Markers on the map == change + detection features of evidence.geojson.
    const fc = JSON.parse(fs.readFileSync(path.join(outDir, job, 'evidence.geojson'), 'utf8'));
    const evFeatures = fc.features.filter((f) => ['change', 'detection'].includes(f.properties.feature_type));
    await page.waitForFunction((n) => document.querySelectorAll('path.cw-marker').length === n, evFeatures.length, { timeout: 10000 })
      .catch(() => {});
    const markers = await page.$$eval('path.cw-marker', (xs) => xs.length);
    check(markers === evFeatures.length, `evidence markers on the map (${markers}) == change+detection features in evidence.geojson (${evFeatures.length})`);
    const listed = await page.$$eval('.ev-item', (xs) => xs.map((x) => x.dataset.id));
    check(listed.length === evFeatures.length && evFeatures.every((f) => listed.includes(f.id)), 'evidence list holds the same features');
    if (!discrepancies.length && listed.length > 1) {
      const score = (id) => { const p = evFeatures.find((f) => f.id === id).properties; return p.score ?? p.mean_score ?? p.area_m2 ?? 0; };
      // Registration-suspect changes come after all clean evidence (issue 17).
      const suspect = (id) => evFeatures.find((f) => f.id === id).properties.registration_suspect ? 1 : 0;
      check(listed.every((id, i) => i === 0 || suspect(listed[i - 1]) < suspect(id) ||
        (suspect(listed[i - 1]) === suspect(id) && score(listed[i - 1]) >= score(id))),
        'evidence sorted by score, highest first, registration suspects last');
    }

    // 4. Drag the swipe: before and after tiles requested and rendered.
    const mapBox = await page.locator('#map').boundingBox();
    const swipeBox = await page.locator('#swipe-handle').boundingBox();
    const startX = swipeBox.x + swipeBox.width / 2, y = swipeBox.y + swipeBox.height / 2;
    const targetX = mapBox.x + mapBox.width * 0.35;
    await page.mouse.move(startX, y);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(startX + (targetX - startX) * i / 10, y);
    await page.mouse.up();
    const swipeLeft = await page.$eval('#swipe', (e) => { const r = e.getBoundingClientRect(); return r.left + r.width / 2; });
    check(Math.abs(swipeLeft - targetX) < 4, `swipe divider moved to 35 % (${Math.round(swipeLeft - mapBox.x)} px)`);
    const clip = await page.evaluate(() => document.querySelector('.leaflet-pane.leaflet-after-pane, .leaflet-after-pane')?.style.clip || '');
    check(/rect\(/.test(clip), 'after pane is clipped at the divider', clip);
    // Rendered = a loaded tile image of the layer has opaque pixels. Polled: under the sanitizer
    // build the server renders slowly, and an edge tile can be loaded yet fully transparent.
    const opaqueTiles = () => {
      const res = {};
      for (const l of ['before', 'after', 'mask']) {
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
    await page.waitForFunction(`(() => { const r = (${opaqueTiles})(); return r.before > 0 && r.after > 0; })()`,
      null, { timeout: 60000, polling: 500 }).catch(() => {});
    const opaque = await page.evaluate(`(${opaqueTiles})()`);
    check(tiles.before > 0 && tiles.after > 0, `before and after tiles requested (${tiles.before} before, ${tiles.after} after, ${tiles.mask} mask PNG responses)`);
    check(opaque.before > 0 && opaque.after > 0, `before and after tiles rendered with image content (${opaque.before} before, ${opaque.after} after tiles)`);

    // 5. j selects the first evidence, c confirms it; the review lands in reviews.jsonl.
    let evId = null;
    if (listed.length) {
      await page.keyboard.press('j');
      await page.waitForSelector('#detail:not([hidden])');
      evId = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get('ev');
      check(evId === listed[0], `j selects the first evidence item (${evId})`);
      const chipCount = fc.features.find((f) => f.id === evId).properties.chip_after ? 1 : 0;
      if (chipCount) {
        await page.waitForFunction(() => [...document.querySelectorAll('#chips img')].some((i) => i.complete && i.naturalWidth > 0), null, { timeout: 10000 }).catch(() => {});
        const chipsOk = await page.$$eval('#chips img', (xs) => xs.filter((i) => i.complete && i.naturalWidth > 0).length);
        check(chipsOk > 0, `evidence panel shows its chips (${chipsOk})`);
      }
      await page.keyboard.press('c');
      await page.waitForSelector(`.ev-item[data-id="${evId}"] .badge.confirmed`, { timeout: 10000 }).catch(() => {});
      const lines = readJsonl(path.join(outDir, 'reviews.jsonl'));
      check(lines.some((l) => l.evidence_id === evId && l.decision === 'confirmed' && l.time),
        'pressing c appends a confirmed review with a timestamp to reviews.jsonl', JSON.stringify(lines));
      // A second item and a reject, so that the state is the last decision per id.
      if (listed.length > 1) {
        await page.keyboard.press('j');
        await page.keyboard.press('r');
        await page.waitForFunction(() => document.querySelectorAll('.ev-item .badge.rejected').length > 0, null, { timeout: 10000 }).catch(() => {});
        await page.keyboard.press('k');
        await page.waitForFunction((id) => new URLSearchParams(location.hash.slice(1)).get('ev') === id, evId);
      }

      // 6. Reload: the hash restores the selection and the review state persists.
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
      await page.waitForSelector(`.ev-item[data-id="${evId}"]`, { timeout: 10000 }).catch(() => {});
      const badge = await page.$(`.ev-item[data-id="${evId}"] .badge.confirmed`);
      check(!!badge, 'after a reload the confirmed decision is shown on the item');
      const detailState = await page.$eval('#review-state', (e) => e.textContent).catch(() => '');
      check(/confirmed/.test(detailState), 'after a reload the hash reopens the item with its decision', detailState);
    }
    check(foreign.length === 0, 'no request leaves the server (no CDN, fonts or tiles from the network)', foreign.slice(0, 3).join(' '));

    // 7. Screenshot: swipe, change overlay and the evidence panel.
    await page.waitForTimeout(500);
    fs.mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot });
    console.log(`# screenshot: ${screenshot}`);
  } finally {
    await browser.close();
    // Ctrl-C stops the server cleanly.
    const code = await stopServer(server);
    check(code === 0, `server stops cleanly on SIGINT (exit ${code})`);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (failures()) { console.log(`${failures()} check(s) failed`); process.exitCode = 1; }
  else console.log('all viewer checks passed');
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
