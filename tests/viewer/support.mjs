// What the Chromium viewer tests share: TAP-style checks, serving a run folder with the build's
// changewatch, Debian's Chromium through playwright-core, and stopping the server.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(path.join(root, 'viewer', 'package.json'));
const { chromium } = require('playwright-core');

export const buildDir = path.resolve(process.env.CW_BUILD_DIR || path.join(root, 'build'));
export const binary = path.resolve(process.env.CW_BINARY || path.join(buildDir, 'changewatch'));

// check(cond, what, detail) prints "ok - what" or "not ok - what: detail"; failures() counts.
export function checker() {
  let failed = 0;
  const check = (cond, what, detail = '') => {
    if (cond) console.log(`ok - ${what}`);
    else { failed++; console.log(`not ok - ${what}${detail ? ': ' + detail : ''}`); }
    return cond;
  };
  return { check, failures: () => failed };
}

// `changewatch serve OUT --port 0` (extra arguments appended); resolves once it prints its URL.
export function startServer(outDir, extra = []) {
  return new Promise((resolve, reject) => {
    const proc = spawn(binary, ['serve', outDir, '--port', '0', '--viewer', path.join(root, 'viewer'), ...extra],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`server printed no URL: ${buf}`)), 20000);
    proc.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/https?:\/\/127\.0\.0\.1:\d+\//);
      if (m) { clearTimeout(timer); resolve({ proc, url: m[0], output: () => buf }); }
    });
    proc.stderr.on('data', (d) => { buf += d; process.stderr.write(d); });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${buf}`)); });
  });
}

// SIGINT, then the exit code (or 'timeout' after 10 s).
export async function stopServer(server) {
  const exited = new Promise((resolve) => server.proc.removeAllListeners('exit').on('exit', (code) => resolve(code)));
  server.proc.kill('SIGINT');
  return Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10000))]);
}

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// The run the review, access and overview tests serve (copies of it): CW_VIEWER_RUN, else a small
// simulated run in $CW_BUILD_DIR/viewer-run, made once and reused. A run left by an older build
// without AOI outlines in plan.json is run again (complete jobs are skipped).
export function ensureRun() {
  if (process.env.CW_VIEWER_RUN) return path.resolve(process.env.CW_VIEWER_RUN);
  const base = path.join(buildDir, 'viewer-run');
  const out = path.join(base, 'out');
  if (fs.existsSync(path.join(out, 'manifest.json'))) {
    const plan = JSON.parse(fs.readFileSync(path.join(out, 'plan.json'), 'utf8'));
    if (!(plan.aois || []).every((a) => a.outline)) {
      execFileSync(binary, ['-q', 'run', path.join(base, 'config.yaml')], { stdio: 'inherit', cwd: base });
    }
    return out;
  }
  fs.rmSync(base, { recursive: true, force: true });
  console.log(`# simulating a run in ${base} (once; reused afterwards)`);
  execFileSync(binary, ['-q', 'simulate', '--out', base, '--size', '512', '--dates', '3'], { stdio: 'inherit' });
  execFileSync(binary, ['-q', 'run', path.join(base, 'config.yaml')], { stdio: 'inherit', cwd: base });
  if (!fs.existsSync(path.join(out, 'plan.json'))) throw new Error(`run did not produce ${out}/plan.json`);
  return out;
}

export const readJsonl = (p) => fs.existsSync(p)
  ? fs.readFileSync(p, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l)) : [];
