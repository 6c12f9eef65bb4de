// Browser test of AIS in the viewer (issue 20, item 8) in a real Chromium: on a simulated run with
// an AIS feed (three ships in four broadcast, the fourth is dark, and one vessel broadcasts where
// no ship is), the port pair shows the AIS tracks, detections coloured by AIS status, the unseen
// vessel, and a matched detection's vessel name, MMSI, time gap and distance in its panel.
//
//   node tests/viewer/ais.test.mjs     (CW_BINARY, CW_BUILD_DIR as in the other viewer tests)
// Leaves the screenshot at $CW_BUILD_DIR/viewer-ais.png.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binary, buildDir, checker, launchChromium, startServer, stopServer } from './support.mjs';

const { check, failures } = checker();
const kMmsiBase = 366100000;
const kSpoofed = 366199999;

// The feed, from the simulator's truth: four fixes 3 and 1 minutes either side of each scene time
// for every ship of the port AOI except each fourth (dark), and two for the spoofed vessel at a
// point of the port far from every ship.
function writeFeed(dir) {
  const truth = JSON.parse(fs.readFileSync(path.join(dir, 'truth', 'truth.json'), 'utf8'));
  const rows = ['MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass'];
  const iso = (t) => new Date(t * 1000).toISOString().slice(0, 19);
  const sceneTime = (k) => Date.parse(truth.dates[k]) / 1000;
  const row = (mmsi, t, lon, lat, len) => rows.push(
    `${mmsi},${iso(t)},${lat.toFixed(6)},${lon.toFixed(6)},0.0,360.0,511.0,SIM ${mmsi},IMO${String(mmsi % 10000000).padStart(7, '0')},,70,1.0,${len.toFixed(0)},20,8,70,A`);
  const port = truth.ships.filter((s) => s.aoi);
  for (const s of port) {
    if (s.id % 4 === 0) continue;
    for (const dt of [-180, -60, 60, 180]) row(kMmsiBase + s.id, sceneTime(s.date_index) + dt, s.lon, s.lat, s.length_m);
  }
  // The spoofed vessel: the port point farthest from date 0's ships.
  const lons = port.map((s) => s.lon), lats = port.map((s) => s.lat);
  let best = null;
  for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) {
    const lon = Math.min(...lons) + (Math.max(...lons) - Math.min(...lons)) * i / 20;
    const lat = Math.min(...lats) + (Math.max(...lats) - Math.min(...lats)) * j / 20;
    const d = Math.min(...port.filter((s) => s.date_index === 0).map((s) => Math.hypot((s.lon - lon) * 84000, (s.lat - lat) * 111000)));
    if (!best || d > best.d) best = { d, lon, lat };
  }
  for (const dt of [-120, 120]) row(kSpoofed, sceneTime(0) + dt, best.lon, best.lat, 200);
  fs.mkdirSync(path.join(dir, 'ais'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'ais', 'feed.csv'), rows.join('\n') + '\n');
}

async function main() {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-viewer-ais-'));
  try {
    execFileSync(binary, ['-q', 'simulate', '--out', base, '--seed', '3', '--size', '1024', '--dates', '2'], { stdio: 'inherit' });
    writeFeed(base);
    fs.appendFileSync(path.join(base, 'config.yaml'), 'ais:\n  files: [ais/feed.csv]\n  match: {base_radius_m: 100, min_detectable_length_m: 20}\n');
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
