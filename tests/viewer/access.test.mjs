// Browser test of sign-in and access control in a real Chromium (Debian's /usr/bin/chromium via
// playwright-core): `changewatch serve --users` over a simulator run with three users:
//   ana  reviewer, every AOI   signs in through the form and decides (the line names her)
//   vic  viewer, every AOI     sees no decision controls; her POST is refused (403)
//   pat  reviewer, one AOI     sees one AOI; the other AOI's tile, chip and evidence URLs are 404
//
//   node tests/viewer/access.test.mjs
// Environment as tests/viewer/review.test.mjs (CW_BINARY, CW_VIEWER_RUN, CW_BUILD_DIR); the
// screenshots go to $CW_BUILD_DIR/viewer-login.png and viewer-viewer-role.png.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binary, buildDir, checker, ensureRun, launchChromium, readJsonl, startServer, stopServer } from './support.mjs';

const { check, failures } = checker();

async function signIn(browser, url, user) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => check(false, `no script error in ${user}'s page`, e.message));
  await page.goto(url);
  await page.waitForSelector('#login-form', { timeout: 20000 });
  await page.fill('#login-user', user);
  await page.fill('#login-password', `pw-${user}`);
  await Promise.all([page.waitForNavigation(), page.click('#login-submit')]);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  return { context, page };
}

async function main() {
  const source = ensureRun();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cw-access-'));
  const outDir = path.join(tmp, 'out');
  fs.cpSync(source, outDir, { recursive: true });
  fs.rmSync(path.join(outDir, 'reviews.jsonl'), { force: true });
  fs.rmSync(path.join(outDir, 'audit.jsonl'), { force: true });
  const plan = JSON.parse(fs.readFileSync(path.join(outDir, 'plan.json'), 'utf8'));
  const aoiIds = plan.aois.map((a) => a.id);
  if (aoiIds.length < 2) throw new Error('the run needs two AOIs');
  // The scoped partner gets an AOI whose job has evidence with a chip; the other AOI is off limits.
  const hasChip = (j) => {
    const p = path.join(outDir, j.id, 'evidence.geojson');
    return fs.existsSync(p) && JSON.parse(fs.readFileSync(p, 'utf8')).features.some((f) => f.properties.chip_after);
  };
  const chipJob = plan.jobs.find(hasChip) || plan.jobs[0];
  const other = plan.jobs.find((j) => j.aoi !== chipJob.aoi);
  const scoped = other.aoi === aoiIds[0] ? aoiIds[1] : aoiIds[0];
  const foreign = plan.jobs.find((j) => j.aoi !== scoped);
  const usersFile = path.join(tmp, 'users.json');
  for (const [user, role, aoi] of [['ana', 'reviewer', 'all'], ['vic', 'viewer', 'all'], ['pat', 'reviewer', scoped]]) {
    execFileSync(binary, ['users', 'add', usersFile, user, '--role', role, '--aoi', aoi], { input: `pw-${user}\n` });
  }
  const server = await startServer(outDir, ['--users', usersFile]);
  console.log(`# serving ${outDir} at ${server.url} with users ana (reviewer), vic (viewer), pat (reviewer of ${scoped})`);
  const browser = await launchChromium();
  const reviews = path.join(outDir, 'reviews.jsonl');
  try {
    // 0. No session: the sign-in form, and the API refuses.
    {
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.waitForSelector('#login-form', { timeout: 20000 });
      check(await page.$('#aois li') === null, 'without a session the page shows the sign-in form and no AOI');
      const status = await page.evaluate(async () => (await fetch('/api/aois')).status);
      check(status === 401, `GET /api/aois without a session is 401 (${status})`);
      await page.fill('#login-user', 'ana');
      await page.fill('#login-password', 'wrong');
      await page.click('#login-submit');
      await page.waitForFunction(() => document.querySelector('#login-error').textContent.length > 0);
      const err = await page.$eval('#login-error', (e) => e.textContent);
      check(err === 'sign-in failed: wrong user name or password', 'a wrong password is refused with the generic message', err);
      await page.screenshot({ path: path.join(buildDir, 'viewer-login.png') });
      await page.close();
    }

    // 1. ana, reviewer: signs in, sees who she is, decides with the button.
    {
      const { context, page } = await signIn(browser, server.url, 'ana');
      const who = await page.$eval('#signed-in', (e) => e.textContent);
      check(/Signed in as ana \(reviewer; all AOIs\)/.test(who), 'the page shows who is signed in', who);
      check(await page.$('#reviewer') === null, 'no free-text reviewer field once signed in');
      await page.click(`.aoi-item[data-aoi="${chipJob.aoi}"]`);
      await page.waitForSelector('#evidence-section:not([hidden])');
      await page.waitForSelector('.ev-item', { timeout: 10000 });
      await page.keyboard.press('j');
      await page.waitForSelector('#detail:not([hidden])');
      const ev = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get('ev');
      await page.click('#detail .buttons button[data-decision="confirmed"]');
      await page.waitForSelector(`.ev-item[data-id="${ev}"] .badge.confirmed`, { timeout: 10000 }).catch(() => {});
      const lines = readJsonl(reviews);
      check(lines.length === 1 && lines[0].evidence_id === ev && lines[0].decision === 'confirmed' &&
        lines[0].reviewer === 'ana' && lines[0].role === 'reviewer' && lines[0].seq === 1,
        'the Confirm button appends a review by ana (reviewer), seq 1', JSON.stringify(lines));
      await page.click('#sign-out');
      await page.waitForSelector('#login-form', { timeout: 10000 });
      check(true, 'sign-out returns to the sign-in form');
      await context.close();
    }

    // 2. vic, viewer: no decision controls; her POST (with a valid CSRF token) is refused.
    {
      const { context, page } = await signIn(browser, server.url, 'vic');
      await page.click(`.aoi-item[data-aoi="${chipJob.aoi}"]`);
      await page.waitForSelector('.ev-item', { timeout: 10000 });
      await page.keyboard.press('j');
      await page.waitForSelector('#detail:not([hidden])');
      const buttons = await page.$$eval('#detail button[data-decision]', (xs) => xs.length);
      check(buttons === 0, `a viewer's page has no decision buttons (${buttons})`);
      check(await page.$('#comment') === null, "a viewer's page has no comment box");
      await page.keyboard.press('c');
      await page.waitForTimeout(300);
      const ev = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get('ev');
      const res = await page.evaluate(async (id) => {
        const s = await (await fetch('/api/session')).json();
        const r = await fetch('/api/reviews', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf },
          body: JSON.stringify({ evidence_id: id, decision: 'rejected', comment: 'x' }) });
        return { status: r.status, body: await r.text() };
      }, ev);
      check(res.status === 403, `a viewer's POST /api/reviews is 403 (${res.status} ${res.body})`);
      check(readJsonl(reviews).length === 1, 'reviews.jsonl unchanged by the viewer (the c key and the POST)');
      await page.screenshot({ path: path.join(buildDir, 'viewer-viewer-role.png') });
      await context.close();
    }

    // 3. pat, scoped to one AOI: lists it alone; the other AOI's tile, chip and evidence are 404 by URL.
    {
      const { context, page } = await signIn(browser, server.url, 'pat');
      const listed = await page.$$eval('.aoi-item', (xs) => xs.map((x) => x.dataset.aoi));
      check(listed.length === 1 && listed[0] === scoped, `pat's AOI list is [${scoped}]`, JSON.stringify(listed));
      const fc = JSON.parse(fs.readFileSync(path.join(outDir, foreign.id, 'evidence.geojson'), 'utf8'));
      const chip = fc.features.map((f) => f.properties.chip_after).find(Boolean);
      const urls = [`/tiles/${foreign.id}/after/12/0/0.png`, `/tiles/${foreign.id}/mask/14/9000/6000.png`,
        `/api/evidence?job=${foreign.id}`, `/files/${foreign.id}/evidence.geojson`];
      if (chip) urls.push(`/files/${foreign.id}/${chip}`);
      for (const u of urls) {
        const resp = await page.goto(server.url.replace(/\/$/, '') + u);
        check(resp.status() === 404, `pat opening ${u} gets 404 (${resp.status()})`);
      }
      const own = await page.goto(server.url.replace(/\/$/, '') + `/api/evidence?job=${plan.jobs.find((j) => j.aoi === scoped).id}`);
      check(own.status() === 200, `pat reads her own AOI's evidence (${own.status()})`);
      await context.close();
    }
    const audit = readJsonl(path.join(outDir, 'audit.jsonl'));
    check(audit.some((a) => a.user === 'pat' && a.status === 404) && audit.every((a, i) => a.seq === i + 1),
      `audit.jsonl records pat's refused requests, chained (${audit.length} lines)`);
  } finally {
    await browser.close();
    const exited = new Promise((resolve) => server.proc.removeAllListeners('exit').on('exit', (code) => resolve(code)));
    server.proc.kill('SIGINT');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10000))]);
    check(code === 0, `server stops cleanly on SIGINT (exit ${code})`);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (failures()) { console.log(`${failures()} check(s) failed`); process.exitCode = 1; }
  else console.log('all access checks passed');
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
