// Browser test of AIS in the viewer (issue 20, item 8) in a real Chromium: on a simulated run with
// the simulator's AIS feed (simulate --ais: three ships in four broadcast, the fourth is dark, and
// one vessel broadcasts where no ship is), the port pair shows the AIS tracks, detections coloured by AIS status, the unseen
// vessel, a matched detection's vessel name, MMSI, time gap and distance in its panel, and the
// ship-to-ship candidates with both parties and their chips.
//
//   node tests/viewer/ais.test.mjs     (CW_BINARY, CW_BUILD_DIR as in the other viewer tests)
// Leaves the screenshot at $CW_BUILD_DIR/viewer-ais.png.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binary, buildDir, checker, launchChromium, startServer, stopServer } from './support.mjs';

const { check, failures } = checker();
async function main() {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-viewer-ais-'));
  try {
    // The simulator's AIS feed and ais: section (sim/sim_ais.hpp).
    execFileSync(binary, ['-q', 'simulate', '--out', base, '--seed', '3', '--size', '1024', '--dates', '2', '--ais'], { stdio: 'inherit' });
    execFileSync(binary, ['-q', 'run', path.join(base, 'config.yaml'), '--threads', '2'], { stdio: 'inherit', cwd: base });
    const outDir = path.join(base, 'out');
    const plan = JSON.parse(fs.readFileSync(path.join(outDir, 'plan.json'), 'utf8'));
    const job = plan.jobs.find((j) => j.aoi === 'port_alpha');
    const server = await startServer(outDir);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
      page.on('pageerror', (e) => check(false, 'no script error in the page', e.message));
      await page.goto(`${server.url}#aoi=port_alpha&job=${encodeURIComponent(job.id)}`);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
      await page.waitForSelector('path.cw-track', { timeout: 20000 }).catch(() => {});
      const tracks = await page.$$eval('path.cw-track', (xs) => xs.length);
      check(tracks >= 3, `AIS tracks drawn (${tracks})`);
      const matched = await page.$$eval('path.cw-ais-matched', (xs) => xs.length);
      const dark = await page.$$eval('path.cw-ais-dark', (xs) => xs.length);
      check(matched >= 3, `detections matched to AIS drawn in their colour (${matched})`);
      check(dark >= 1, `dark detections drawn in their colour (${dark})`);
      const unseen = await page.$$eval('path.cw-unseen', (xs) => xs.length);
      check(unseen >= 1, `the unseen (spoofed) vessel is marked (${unseen})`);
      const legend = await page.$eval('#legend', (e) => e.textContent).catch(() => '');
      check(/dark/.test(legend) && /AIS track/.test(legend), 'the legend names the AIS colours', legend);
      // A matched detection's panel names the vessel.
      const ev = JSON.parse(fs.readFileSync(path.join(outDir, job.id, 'evidence.geojson'), 'utf8'));
      const m = ev.features.find((f) => f.properties.ais_status === 'matched');
      if (check(Boolean(m), 'the pair has a matched detection')) {
        await page.click(`.ev-item[data-id="${m.id}"]`);
        await page.waitForSelector('.ais-identity', { timeout: 10000 }).catch(() => {});
        const text = await page.$eval('.ais-identity', (e) => e.textContent).catch(() => '');
        check(text.includes(`MMSI ${m.properties.mmsi}`) && /Δt -?\d+ s/.test(text) && /\d+ m$/.test(text),
          'the evidence panel shows the vessel, MMSI, time gap and distance', text);
      }
      // The simulator's ship-to-ship pair: candidates listed as such, the panel naming both parties
      // and showing the candidate's chips (docs/ais.md).
      const sts = ev.features.find((f) => f.properties.feature_type === 'sts');
      if (check(Boolean(sts), 'the pair has a ship-to-ship candidate')) {
        const label = await page.$eval(`.ev-item[data-id="${sts.id}"] b`, (e) => e.textContent).catch(() => '');
        check(label === `ship-to-ship (${sts.properties.sts_source})`, 'the list names it a ship-to-ship candidate', label);
        await page.click(`.ev-item[data-id="${sts.id}"]`);
        await page.waitForSelector('.sts-parties', { timeout: 10000 }).catch(() => {});
        const text = await page.$eval('.sts-parties', (e) => e.textContent).catch(() => '');
        check(text.includes(`MMSI ${sts.properties.mmsi}`) && text.includes(`MMSI ${sts.properties.mmsi2}`) && /m from land/.test(text),
          'its panel names both parties and the distance to land', text);
        const chips = await page.$$eval('#chips img', (xs) => xs.length);
        check(chips === 3, `its before, after and mask chips are shown (${chips})`);
      }
      const shot = path.join(buildDir, 'viewer-ais.png');
      await page.screenshot({ path: shot });
      console.log(`# screenshot: ${shot}`);
    } finally {
      await browser.close();
      await stopServer(server);
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
  if (failures()) { console.log(`${failures()} check(s) failed`); process.exitCode = 1; }
  else console.log('all AIS viewer checks passed');
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
