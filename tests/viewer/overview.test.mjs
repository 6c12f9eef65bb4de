// Browser test of the viewer's overview (issue 17) in a real Chromium (Debian's /usr/bin/chromium
// driven by playwright-core): the map opens on every AOI's outline, coloured by its worst verdict
// and clickable, with a legend, a scale bar and the cursor's coordinates; n/p move between pairs
// and the hash accepts a job's plan index as well as its id.
//
//   node tests/viewer/overview.test.mjs
// Environment:
//   CW_BINARY      changewatch executable (default build/changewatch)
//   CW_VIEWER_RUN  a run output folder to serve (copied first; default: simulate + run one into
//                  $CW_BUILD_DIR/viewer-run, reused when it is already complete)
//   CW_BUILD_DIR   where the default run and the screenshot go (default build)
//   CW_SCREENSHOT  screenshot path (default $CW_BUILD_DIR/viewer-screenshot.png)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDir, checker, ensureRun, launchChromium, startServer, stopServer } from './support.mjs';

const screenshot = process.env.CW_SCREENSHOT || path.join(buildDir, 'viewer-overview.png');
const { check, failures } = checker();

async function main() {
  const source = ensureRun();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-overview-'));
  const outDir = path.join(tmp, 'out');
  fs.cpSync(source, outDir, { recursive: true });
  const plan = JSON.parse(fs.readFileSync(path.join(outDir, 'plan.json'), 'utf8'));
  const corr = JSON.parse(fs.readFileSync(path.join(outDir, 'corroboration.json'), 'utf8'));
  const worst = (id) => {
    const v = corr.verdicts.filter((x) => x.aoi === id).map((x) => x.verdict);
    return ['discrepancy', 'unverifiable', 'consistent'].find((k) => v.includes(k)) || 'none';
  };

  const server = await startServer(outDir);
  console.log(`# serving ${outDir} at ${server.url}`);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    page.on('pageerror', (e) => check(false, 'no script error in the page', e.message));

    // 1. Opened without a hash: every AOI's outline, coloured by its worst verdict.
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
    await page.waitForFunction((n) => document.querySelectorAll('path.cw-aoi').length === n, plan.aois.length, { timeout: 10000 }).catch(() => {});
    const outlines = await page.$$eval('path.cw-aoi', (xs) => xs.map((x) => ({ aoi: x.getAttribute('data-aoi'), cls: x.getAttribute('class') })));
    check(outlines.length === plan.aois.length, `the overview shows ${plan.aois.length} AOI outlines (${outlines.length})`);
    for (const a of plan.aois) {
      const o = outlines.find((x) => x.aoi === a.id);
      check(o && o.cls.includes(`cw-aoi-${worst(a.id)}`), `AOI ${a.id} outlined as its worst verdict (${worst(a.id)})`, o && o.cls);
    }
    const legend = await page.$eval('#legend', (e) => e.textContent).catch(() => '');
    check(/discrepancy/.test(legend) && /detection/.test(legend) && /change/.test(legend), 'a legend names the outline and marker colours', legend);
    const scale = await page.$eval('.leaflet-control-scale-line', (e) => e.textContent).catch(() => '');
    check(/\d+ (m|km)/.test(scale), `a scale bar is shown (${scale})`);
    const mapBox = await page.locator('#map').boundingBox();
    // Left of the swipe divider (which sits at 50 % and takes its own pointer events).
    await page.mouse.move(mapBox.x + mapBox.width * 0.3, mapBox.y + mapBox.height * 0.4);
    await page.mouse.move(mapBox.x + mapBox.width * 0.3 + 5, mapBox.y + mapBox.height * 0.4 + 5);
    const coords = await page.$eval('#cursor-coords', (e) => e.textContent).catch(() => '');
    check(/^-?\d+\.\d{5}, -?\d+\.\d{5}$/.test(coords), `the cursor's coordinates are shown (${coords})`);
    await page.screenshot({ path: screenshot });
    console.log(`# screenshot: ${screenshot}`);

    // 2. Clicking an outline selects its AOI.
    const target = plan.aois[plan.aois.length - 1].id;
    const box = await page.locator(`path.cw-aoi[data-aoi="${target}"]`).boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForFunction((id) => new URLSearchParams(location.hash.slice(1)).get('aoi') === id, target, { timeout: 10000 }).catch(() => {});
    const hash = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1));
    check(hash.get('aoi') === target, `clicking the outline of ${target} selects it`, hash.toString());
    check(await page.$(`.aoi-item.selected[data-aoi="${target}"]`) !== null, 'the AOI list marks it selected');

    // 3. n and p move between the AOI's pairs.
    const pairs = plan.jobs.filter((j) => j.aoi === target).map((j) => j.id);
    if (pairs.length > 1) {
      await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('job'), null, { timeout: 10000 });
      const first = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get('job');
      await page.keyboard.press('n');
      await page.waitForFunction((j) => new URLSearchParams(location.hash.slice(1)).get('job') !== j, first, { timeout: 10000 }).catch(() => {});
      const second = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get('job');
      check(pairs.indexOf(second) === Math.min(pairs.length - 1, pairs.indexOf(first) + 1), `n moves to the next pair (${first} -> ${second})`);
      await page.keyboard.press('p');
      await page.waitForFunction((j) => new URLSearchParams(location.hash.slice(1)).get('job') === j, first, { timeout: 10000 }).catch(() => {});
      check(new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get('job') === first, 'p moves back');
    }

    // 4. The hash accepts the plan's job index: a link opened in a fresh page, as an analyst would
    // (a hash change then reload on the old page races the old page's own hash updates).
    const last = plan.jobs[plan.jobs.length - 1];
    const linked = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await linked.goto(`${server.url}#aoi=${encodeURIComponent(last.aoi)}&job=${last.index}`);
    await linked.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
    await linked.waitForSelector(`.job-item.selected[data-job="${last.id}"]`, { timeout: 10000 }).catch(() => {});
    const selected = await linked.$$eval('.job-item.selected', (xs) => xs.map((x) => x.dataset.job));
    check(selected.length === 1 && selected[0] === last.id, `#job=${last.index} opens job ${last.id}`,
      `${JSON.stringify(selected)} at ${await linked.evaluate(() => location.hash)}`);
  } finally {
    await browser.close();
    await stopServer(server);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (failures()) { console.log(`${failures()} check(s) failed`); process.exitCode = 1; }
  else console.log('all overview checks passed');
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
