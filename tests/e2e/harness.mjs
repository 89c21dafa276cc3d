// What the browser runs share (screenshots.mjs, journeys.mjs): processes started and stopped by PID,
// a guestlist server on a free loopback port with fresh data and keys, the CLI, the invitation emails,
// and Debian's Chromium (driven by playwright-core; no browser is downloaded) on fresh profiles that
// may reach the loopback only.

import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const STEP_TIMEOUT_MS = 30 * 1000; // one navigation, click or wait
export const READY_TIMEOUT_MS = 60 * 1000; // server start (migrations, key generation)
export const MAIL_TIMEOUT_MS = 30 * 1000; // outbox delivery
export const CLI_TIMEOUT_MS = 60 * 1000;

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const outDir = path.join(repoRoot, 'target', 'screenshots');
export const targetDir = process.env.CARGO_TARGET_DIR
  ? path.resolve(repoRoot, process.env.CARGO_TARGET_DIR)
  : path.join(repoRoot, 'target');
export const guestlistBin = path.resolve(process.env.GUESTLIST_BIN || path.join(targetDir, 'debug', 'guestlist'));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function pathOf(url) {
  return new URL(url).pathname;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// One run: its failures, the processes, temporary directories and browsers it started, and the
// cleanup that stops them (by PID) whatever happens.

export class Run {
  constructor(tag, { totalTimeoutMs }) {
    this.tag = tag;
    this.totalTimeoutMs = totalTimeoutMs;
    this.failures = [];
    this.step = 'start';
    this.processes = [];
    this.dirs = [];
    this.contexts = [];
    this.finished = false;
  }

  log(message) {
    console.log(`${this.tag}: ${message}`);
  }

  fail(message) {
    const line = `[${this.step}] ${message}`;
    this.failures.push(line);
    console.error(`FAIL: ${line}`);
  }

  async tempDir(prefix) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  // Starts a process whose stdout and stderr are collected in `proc.output`.
  start(name, bin, args, { env, cwd }) {
    const child = spawn(bin, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const proc = { name, child, exit: null, output: '' };
    this.processes.push(proc);
    const collect = (chunk) => {
      proc.output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('exit', (code, signal) => {
      proc.exit = signal ? `signal ${signal}` : `code ${code}`;
    });
    child.on('error', (e) => {
      proc.exit = `spawn error: ${e.message}`;
    });
    this.log(`started ${name}: ${path.basename(bin)} ${args.join(' ')} (pid ${child.pid})`);
    return proc;
  }

  // SIGTERM, then SIGKILL after 10 s, to this process only.
  async stop(proc) {
    const { child } = proc;
    if (!child.pid || proc.exit !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      return;
    }
    if ((await Promise.race([exited, sleep(10_000).then(() => 'timeout')])) === 'timeout') {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await Promise.race([exited, sleep(5_000)]);
    }
  }

  // Polls `probe` every 200 ms; fails early when a process this run started has exited.
  async waitUntil(what, timeoutMs, probe) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value) return value;
      const gone = this.processes.find((p) => p.exit !== null && !p.stopped);
      if (gone) throw new Error(`${gone.name} exited (${gone.exit}) while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await sleep(200);
    }
  }

  async waitForHttp(url, timeoutMs) {
    await this.waitUntil(url, timeoutMs, async () => {
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
        return r.status === 200;
      } catch {
        return false;
      }
    });
  }

  // A headless Chromium on a fresh profile directory; requests off the loopback are refused.
  async launchBrowser({ locale = 'en-GB' } = {}) {
    if (!existsSync(CHROMIUM)) throw new Error(`no ${CHROMIUM} (apt-get install -y chromium)`);
    const profile = await this.tempDir('guestlist-e2e-profile-');
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      locale,
      timeout: STEP_TIMEOUT_MS * 2,
    });
    this.contexts.push(context);
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    await context.route(
      (u) => !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && /^(https?|wss?):$/.test(u.protocol),
      (route) => {
        this.fail(`refused a request off the loopback: ${route.request().url()}`);
        return route.abort('blockedbyclient');
      },
    );
    const page = context.pages()[0] || (await context.newPage());
    this.watchPage(page);
    return { context, page };
  }

  async closeBrowser(context) {
    this.contexts = this.contexts.filter((c) => c !== context);
    await Promise.race([context.close().catch(() => {}), sleep(15_000)]);
  }

  // Every 5xx, page error, crash, failed subresource and failed request is a failure of the run.
  watchPage(page) {
    page.on('pageerror', (err) => this.fail(`uncaught exception in ${page.url()}: ${err.message}`));
    page.on('crash', () => this.fail(`the page crashed at ${page.url()}`));
    page.on('response', (res) => {
      const req = res.request();
      if (res.status() >= 500) {
        this.fail(`${req.method()} ${res.url()} answered ${res.status()}`);
      } else if (res.status() >= 400 && req.resourceType() !== 'document' && !res.url().endsWith('/favicon.ico')) {
        // A stylesheet, script or image that a page names but the server does not have.
        this.fail(`${req.resourceType()} ${res.url()} answered ${res.status()}`);
      }
    });
    page.on('requestfailed', (req) => {
      const why = req.failure()?.errorText || 'failed';
      // A navigation that a newer one replaced is aborted on purpose; off-loopback requests are
      // reported where they are refused.
      if (why !== 'net::ERR_ABORTED' && why !== 'net::ERR_BLOCKED_BY_CLIENT') {
        this.fail(`${req.method()} ${req.url()} failed: ${why}`);
      }
    });
    page.on('console', (msg) => {
      // Failed loads are judged by the response watcher above.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
        console.warn(`${this.tag}: console error at ${page.url()}: ${msg.text()}`);
      }
    });
  }

  async cleanup() {
    for (const context of [...this.contexts].reverse()) await this.closeBrowser(context);
    for (const proc of [...this.processes].reverse()) {
      proc.stopped = true;
      await this.stop(proc);
    }
    for (const dir of this.dirs) await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
    this.dirs = [];
  }

  async finish(code) {
    if (this.finished) return;
    this.finished = true;
    await this.cleanup();
    process.exit(code);
  }

  // Runs `body` under a watchdog; on failure prints the processes' panics and last lines; stops
  // everything; exits 1 when anything failed. `summary()` prints the closing line.
  async main(body, summary) {
    const watchdog = setTimeout(() => {
      this.fail(`the run took longer than ${this.totalTimeoutMs / 1000} s`);
      this.finish(1);
    }, this.totalTimeoutMs);
    watchdog.unref();
    for (const sig of ['SIGINT', 'SIGTERM']) {
      process.on(sig, () => {
        this.fail(`interrupted by ${sig}`);
        this.finish(130);
      });
    }
    try {
      await body();
    } catch (e) {
      this.fail(e?.stack || String(e));
    }
    if (this.failures.length > 0) {
      for (const proc of this.processes) {
        if (!proc.output.trim()) continue;
        const lines = proc.output.split('\n');
        const panics = lines.flatMap((l, i) => (l.includes(' panicked at ') ? lines.slice(i, i + 3) : []));
        if (panics.length > 0) console.error(`--- ${proc.name} panics ---\n${panics.join('\n')}`);
        console.error(`--- ${proc.name} output (last 40 lines) ---`);
        console.error(lines.slice(-40).join('\n'));
      }
    }
    summary();
    for (const f of this.failures) console.error(`  FAIL: ${f}`);
    await this.finish(this.failures.length > 0 ? 1 : 0);
  }
}

// ---------------------------------------------------------------------------------------------
// guestlist: the server and the CLI.

export function guestlistEnv(base, dataDir, keysDir) {
  const env = { ...process.env };
  // Embedded SQLite and the file outbox, whatever the caller's environment says.
  for (const k of ['GUESTLIST_DATABASE_URL', 'GUESTLIST_SMTP_URL', 'GUESTLIST_TLS_CERT', 'GUESTLIST_TLS_KEY']) {
    delete env[k];
  }
  return {
    ...env,
    GUESTLIST_LISTEN: base.replace(/^http:\/\//, ''),
    GUESTLIST_PUBLIC_URL: base,
    GUESTLIST_DATA_DIR: dataDir,
    GUESTLIST_KEYS_DIR: keysDir,
    GUESTLIST_LOG: process.env.GUESTLIST_E2E_LOG || 'info',
    // The journeys' upstream identity provider is plain http on the loopback.
    GUESTLIST_FEDERATION_ALLOW_HTTP: 'true',
  };
}

// Starts `guestlist serve` with fresh data and keys on a free loopback port; waits for /readyz and
// the first-admin setup link on its output.
export async function startGuestlist(run) {
  if (!existsSync(guestlistBin)) {
    throw new Error(`no guestlist binary at ${guestlistBin} (build it, or set GUESTLIST_BIN)`);
  }
  const tmp = await run.tempDir('guestlist-e2e-');
  const dataDir = path.join(tmp, 'data');
  const keysDir = path.join(tmp, 'keys');
  await fs.mkdir(dataDir);
  await fs.mkdir(keysDir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = guestlistEnv(base, dataDir, keysDir);
  const proc = run.start('guestlist', guestlistBin, ['serve'], { env, cwd: tmp });
  await run.waitForHttp(`${base}/readyz`, READY_TIMEOUT_MS);
  run.log(`guestlist ready at ${base}`);
  const setupRe = new RegExp(`(${escapeRegExp(base)}/t/default/setup/[^\\s]+)`);
  const setupLink = await run.waitUntil('the first-admin setup link on the server output', 10_000, async () => {
    const m = proc.output.match(setupRe);
    return m ? m[1] : null;
  });
  return { base, env, tmp, dataDir, keysDir, proc, setupLink };
}

// Runs `guestlist --json ARGS` on the server's data (optionally writing `stdin`), returning the last
// JSON object it printed (with `all`, every one).
export async function cli(server, args, { stdin, all = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(guestlistBin, ['--json', ...args], {
      env: server.env,
      cwd: server.tmp,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, CLI_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const shown = `guestlist ${args.join(' ')}`;
      if (code !== 0) {
        reject(new Error(`${shown} exited with ${signal || code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
        return;
      }
      const lines = stdout.split('\n').filter((l) => l.trim().startsWith('{'));
      if (lines.length === 0) {
        reject(new Error(`${shown} printed no JSON: ${stdout}`));
        return;
      }
      try {
        resolve(all ? lines.map((l) => JSON.parse(l)) : JSON.parse(lines[lines.length - 1]));
      } catch (e) {
        reject(new Error(`${shown} printed bad JSON: ${e.message}`));
      }
    });
    child.stdin.end(stdin ?? '');
  });
}

// ---------------------------------------------------------------------------------------------
// Delivered email. Today the file outbox: `{data_dir}/outbox/*.eml`, bodies quoted-printable or
// base64. `linkInEmail` is the one place that reads it.

function decodeQuotedPrintable(text) {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

// The decoded text of every leaf part of a MIME message, concatenated.
function decodedBodies(raw) {
  const msg = raw.replace(/\r\n/g, '\n');
  const out = [];
  const re = /content-transfer-encoding:[ \t]*([^\n]+)/gi;
  let m;
  let sawPart = false;
  while ((m = re.exec(msg)) !== null) {
    sawPart = true;
    const encoding = m[1].trim().toLowerCase();
    const afterHeader = msg.slice(m.index);
    const bodyStart = afterHeader.indexOf('\n\n');
    if (bodyStart < 0) break;
    const bodyAll = afterHeader.slice(bodyStart + 2);
    const bodyEnd = bodyAll.indexOf('\n--');
    const body = bodyEnd < 0 ? bodyAll : bodyAll.slice(0, bodyEnd);
    if (encoding === 'base64') out.push(Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8'));
    else if (encoding === 'quoted-printable') out.push(decodeQuotedPrintable(body));
    else out.push(body);
    re.lastIndex = m.index + bodyStart + 2 + (bodyEnd < 0 ? bodyAll.length : bodyEnd);
  }
  if (!sawPart) {
    const start = msg.indexOf('\n\n');
    out.push(start < 0 ? msg : msg.slice(start + 2));
  }
  return out.join('\n');
}

// The unfolded value of the first header `name` in the header block of `raw`.
function header(raw, name) {
  const head = raw.replace(/\r\n/g, '\n').split('\n\n')[0];
  const unfolded = head.replace(/\n[ \t]+/g, ' ');
  const line = unfolded.split('\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line ? line.slice(name.length + 1).trim() : '';
}

// Waits for the newest email to `address` delivered by `server` that holds a link `pick` chooses among
// the links matching `pattern` (a regular expression source, after the server's base URL).
async function linkInEmail(run, server, address, what, pattern, pick = (links) => links[0]) {
  const outbox = path.join(server.dataDir, 'outbox');
  const { base } = server;
  return run.waitUntil(`the ${what} email to ${address} in ${outbox}`, MAIL_TIMEOUT_MS, async () => {
    let names;
    try {
      names = (await fs.readdir(outbox)).filter((n) => n.endsWith('.eml'));
    } catch {
      return null;
    }
    // Newest first.
    const files = await Promise.all(
      names.map(async (n) => {
        const p = path.join(outbox, n);
        return { p, mtime: (await fs.stat(p)).mtimeMs };
      }),
    );
    files.sort((a, b) => b.mtime - a.mtime);
    for (const { p } of files) {
      const raw = await fs.readFile(p, 'utf8');
      if (!header(raw, 'To').toLowerCase().includes(address.toLowerCase())) continue;
      const text = decodedBodies(raw);
      const links = [...text.matchAll(new RegExp(`${escapeRegExp(base)}${pattern}`, 'g'))].map((x) => x[0]);
      const link = pick(links);
      if (link) return link;
    }
    return null;
  });
}

// Waits for the newest invitation email to `address` delivered by `server`; its redemption link.
export function inviteLinkFor(run, server, address) {
  return linkInEmail(run, server, address, 'invitation', '/invite/[A-Za-z0-9_~.%-]+(?:/[a-z]+)?', (links) =>
    links.find((l) => !/\/invite\/[^/]+\/[a-z]+$/.test(l)),
  );
}

// Waits for an email to `address` holding a one-time code (8 digits on a line of their own) that is
// not among `seen` (the codes read before); the code.
export async function codeFor(run, server, address, seen = []) {
  const outbox = path.join(server.dataDir, 'outbox');
  return run.waitUntil(`a new one-time code email to ${address} in ${outbox}`, MAIL_TIMEOUT_MS, async () => {
    let names;
    try {
      names = (await fs.readdir(outbox)).filter((n) => n.endsWith('.eml'));
    } catch {
      return null;
    }
    for (const n of names) {
      const raw = await fs.readFile(path.join(outbox, n), 'utf8');
      if (!header(raw, 'To').toLowerCase().includes(address.toLowerCase())) continue;
      const m = decodedBodies(raw).match(/^\s*(\d{8})\s*$/m);
      if (m && !seen.includes(m[1])) return m[1];
    }
    return null;
  });
}

// Waits for the newest email to `address` that asks to confirm it; its single-use link.
export function verifyLinkFor(run, server, address) {
  return linkInEmail(run, server, address, 'address verification', '/t/[a-z0-9-]+/verify/[A-Za-z0-9_~.%-]+');
}

// Waits for the newest forgotten-password email to `address`; its single-use link.
export function resetLinkFor(run, server, address) {
  return linkInEmail(run, server, address, 'password reset', '/t/[a-z0-9-]+/reset/[A-Za-z0-9_~.%-]+');
}

// ---------------------------------------------------------------------------------------------
// Pages.

// Navigates and returns the final response; a 5xx is recorded by the response watcher.
export async function visit(page, url) {
  const res = await page.goto(url, { waitUntil: 'load', timeout: STEP_TIMEOUT_MS });
  if (!res) throw new Error(`no response for ${url}`);
  return res;
}

// Clicks `locator` and waits for the navigation it starts to load.
// A form that answers at its own URL (a page with an error, "check your email") navigates too, so
// this waits for the main frame's next navigation, not for the URL to change.
export async function clickAndWait(page, locator) {
  const navigated = page
    .waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: STEP_TIMEOUT_MS })
    .catch(() => {});
  await locator.click({ timeout: STEP_TIMEOUT_MS });
  await navigated;
  await page.waitForLoadState('load', { timeout: STEP_TIMEOUT_MS });
}

// Fills and submits a tenant's sign-in page (`/t/{slug}/signin`), failing when it stays there.
export async function signInForm(page, email, password) {
  const signinPath = pathOf(page.url());
  const form = page.locator('form[action$="/signin"]');
  await form.locator('input[name="email"]').fill(email);
  await form.locator('input[name="password"]').fill(password);
  await Promise.all([
    page.waitForURL((u) => pathOf(u.toString()) !== signinPath, { timeout: STEP_TIMEOUT_MS }).catch(() => {}),
    // The sign-in button, not "Email me a code" (which posts the same form elsewhere).
    form.locator('button[type="submit"]:not([formaction])').click({ timeout: STEP_TIMEOUT_MS }),
  ]);
  await page.waitForLoadState('load', { timeout: STEP_TIMEOUT_MS });
  if (pathOf(page.url()) === signinPath) {
    const msg = await page.locator('.error').allInnerTexts().catch(() => []);
    throw new Error(`sign-in as ${email} did not leave ${signinPath} ${msg.join(' ')}`);
  }
}
