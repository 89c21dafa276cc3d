// Screenshots of guestlist's pages in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser is downloaded).
//
// Starts `guestlist serve` on a free loopback port with fresh data and keys directories, sets up the
// first administrator through the one-time link, seeds a group, an app and two guest invitations
// (English and Korean) with the CLI, opens the links from the delivered emails, signs in to the admin
// console and saves full-page PNGs to target/screenshots/NN-name.png.
//
//   GUESTLIST_BIN=/path/to/guestlist node tests/e2e/screenshots.mjs
//
// A console page that answers 404 is reported as SKIPPED (the console is still being built); a 5xx
// answer, a page error or an uncaught exception in a page fails the run (exit code 1).

import { chromium } from 'playwright-core';
import { spawn, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The admin console pages to capture, in order. `{guest}` stands for the id of a guest user, found
// through a link on the users page.
const CONSOLE_PAGES = [
  { name: 'admin-users', path: '/admin/t/default/users' },
  { name: 'admin-user-guest', path: '/admin/t/default/users/{guest}' },
  { name: 'admin-invitations', path: '/admin/t/default/invitations' },
  { name: 'admin-invitations-new', path: '/admin/t/default/invitations/new' },
  { name: 'admin-invitations-upload', path: '/admin/t/default/invitations/upload' },
  { name: 'admin-groups', path: '/admin/t/default/groups' },
  { name: 'admin-apps', path: '/admin/t/default/apps' },
  { name: 'admin-branding', path: '/admin/t/default/branding' },
  { name: 'admin-policies', path: '/admin/t/default/policies' },
  { name: 'admin-audit', path: '/admin/t/default/audit' },
];

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const TOTAL_TIMEOUT_MS = 5 * 60 * 1000; // the whole run
const STEP_TIMEOUT_MS = 30 * 1000; // one navigation, click or wait
const READY_TIMEOUT_MS = 60 * 1000; // server start (migrations, key generation)
const MAIL_TIMEOUT_MS = 30 * 1000; // outbox delivery
const CLI_TIMEOUT_MS = 60 * 1000;

const ADMIN = {
  email: 'admin@contoso.example',
  name: 'Avery Admin',
  password: 'correct horse battery staple 42',
};
const GUESTS = [
  { key: 'en', email: 'bob@fabrikam.example', name: 'Bob Fabrikam', language: 'en' },
  { key: 'ko', email: 'minjun@fabrikam.example', name: '김민준', language: 'ko' },
];

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const outDir = path.join(repoRoot, 'target', 'screenshots');
const targetDir = process.env.CARGO_TARGET_DIR
  ? path.resolve(repoRoot, process.env.CARGO_TARGET_DIR)
  : path.join(repoRoot, 'target');
const bin = path.resolve(process.env.GUESTLIST_BIN || path.join(targetDir, 'debug', 'guestlist'));

const execFileP = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Bookkeeping of results.

const failures = [];
const skipped = [];
let shots = 0;
let step = 'start';

function fail(message) {
  const line = `[${step}] ${message}`;
  failures.push(line);
  console.error(`FAIL: ${line}`);
}

function log(message) {
  console.log(`screenshots: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// The server.

const state = {
  server: null, // child process
  serverExit: null, // exit code/signal once it ended
  output: '', // stdout and stderr together
  tmp: null, // data and keys
  profile: null, // browser profile
  context: null,
};

async function freePort() {
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

function serverEnv(base, dataDir, keysDir) {
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
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what, timeoutMs, probe) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (state.serverExit !== null) {
      throw new Error(`the server exited (${state.serverExit}) while waiting for ${what}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

async function startServer(env, cwd) {
  const child = spawn(bin, ['serve'], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  state.server = child;
  const collect = (chunk) => {
    state.output += chunk.toString('utf8');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.on('exit', (code, signal) => {
    state.serverExit = signal ? `signal ${signal}` : `code ${code}`;
  });
  child.on('error', (e) => {
    state.serverExit = `spawn error: ${e.message}`;
  });
  log(`started ${bin} serve (pid ${child.pid})`);
}

async function stopServer() {
  const child = state.server;
  if (!child || state.serverExit !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = sleep(10_000).then(() => 'timeout');
  if ((await Promise.race([exited, timer])) === 'timeout') {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await Promise.race([exited, sleep(5_000)]);
  }
}

async function cli(env, cwd, args) {
  const { stdout } = await execFileP(bin, ['--json', ...args], {
    env,
    cwd,
    timeout: CLI_TIMEOUT_MS,
    maxBuffer: 1 << 20,
  });
  const lines = stdout.split('\n').filter((l) => l.trim().startsWith('{'));
  if (lines.length === 0) throw new Error(`guestlist ${args.join(' ')} printed no JSON: ${stdout}`);
  return JSON.parse(lines[lines.length - 1]);
}

// ---------------------------------------------------------------------------------------------
// Emails in the outbox: `{data_dir}/outbox/*.eml`, bodies quoted-printable or base64.

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

// Polls the outbox for the email to `address` and returns its redemption link.
async function inviteLinkFor(outbox, address, base) {
  return waitUntil(`the invitation email to ${address} in ${outbox}`, MAIL_TIMEOUT_MS, async () => {
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
      const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const links = [...text.matchAll(new RegExp(`${escaped}/invite/[A-Za-z0-9_~.%-]+(?:/[a-z]+)?`, 'g'))].map(
        (x) => x[0],
      );
      const link = links.find((l) => !/\/invite\/[^/]+\/[a-z]+$/.test(l));
      if (link) return link;
      throw new Error(`the email ${p} to ${address} holds no /invite/ link`);
    }
    return null;
  });
}

// ---------------------------------------------------------------------------------------------
// The browser.

async function screenshot(page, name) {
  shots += 1;
  const file = path.join(outDir, `${String(shots).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: STEP_TIMEOUT_MS });
  log(`saved ${path.relative(repoRoot, file)}`);
}

function watchPage(page) {
  page.on('pageerror', (err) => fail(`uncaught exception in ${page.url()}: ${err.message}`));
  page.on('crash', () => fail(`the page crashed at ${page.url()}`));
  page.on('response', (res) => {
    const req = res.request();
    if (res.status() >= 500) {
      fail(`${req.method()} ${res.url()} answered ${res.status()}`);
    } else if (res.status() >= 400 && req.resourceType() !== 'document' && !res.url().endsWith('/favicon.ico')) {
      // A stylesheet, script or image that a page names but the server does not have.
      fail(`${req.resourceType()} ${res.url()} answered ${res.status()}`);
    }
  });
  page.on('requestfailed', (req) => {
    const why = req.failure()?.errorText || 'failed';
    // A navigation that a newer one replaced is aborted on purpose; off-loopback requests are
    // reported where they are refused.
    if (why !== 'net::ERR_ABORTED' && why !== 'net::ERR_BLOCKED_BY_CLIENT') {
      fail(`${req.method()} ${req.url()} failed: ${why}`);
    }
  });
  page.on('console', (msg) => {
    // Failed loads are judged by the response watcher above (5xx) and by each step (404 skips).
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
      console.warn(`screenshots: console error at ${page.url()}: ${msg.text()}`);
    }
  });
}

// Navigates and returns the final response; a 5xx is recorded by the response watcher.
async function visit(page, url) {
  const res = await page.goto(url, { waitUntil: 'load', timeout: STEP_TIMEOUT_MS });
  if (!res) throw new Error(`no response for ${url}`);
  return res;
}

function pathOf(url) {
  return new URL(url).pathname;
}

async function signInForm(page, email, password) {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await Promise.all([
    page.waitForURL((u) => pathOf(u.toString()) !== '/t/default/signin', { timeout: STEP_TIMEOUT_MS }).catch(() => {}),
    page.getByRole('button', { name: 'Sign in' }).click({ timeout: STEP_TIMEOUT_MS }),
  ]);
  await page.waitForLoadState('load', { timeout: STEP_TIMEOUT_MS });
  if (pathOf(page.url()) === '/t/default/signin') {
    const msg = await page.locator('.error').allInnerTexts().catch(() => []);
    throw new Error(`sign-in as ${email} did not leave the sign-in page ${msg.join(' ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The run.

async function run() {
  if (!existsSync(bin)) throw new Error(`no guestlist binary at ${bin} (build it, or set GUESTLIST_BIN)`);
  if (!existsSync(CHROMIUM)) throw new Error(`no ${CHROMIUM} (apt-get install -y chromium)`);

  try {
    const { stdout } = await execFileP('fc-list', [':lang=ko'], { timeout: 10_000 });
    if (!stdout.trim()) log('warning: no Korean font (apt-get install fonts-noto-cjk); Hangul will show as boxes');
  } catch {
    /* no fontconfig tools: nothing to say */
  }

  await fs.mkdir(outDir, { recursive: true });
  for (const n of await fs.readdir(outDir)) {
    if (n.endsWith('.png')) await fs.rm(path.join(outDir, n), { force: true });
  }

  state.tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'guestlist-e2e-'));
  const dataDir = path.join(state.tmp, 'data');
  const keysDir = path.join(state.tmp, 'keys');
  await fs.mkdir(dataDir);
  await fs.mkdir(keysDir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = serverEnv(base, dataDir, keysDir);

  step = 'serve';
  await startServer(env, state.tmp);
  await waitUntil(`${base}/readyz`, READY_TIMEOUT_MS, async () => {
    try {
      const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) });
      return r.status === 200;
    } catch {
      return false;
    }
  });
  log(`server ready at ${base}`);
  const setupRe = new RegExp(`(${base.replace(/[.]/g, '\\.')}/t/default/setup/[^\\s]+)`);
  const setupLink = await waitUntil('the first-admin setup link on the server output', 10_000, async () => {
    const m = state.output.match(setupRe);
    return m ? m[1] : null;
  });

  step = 'browser';
  state.profile = await fs.mkdtemp(path.join(os.tmpdir(), 'guestlist-e2e-profile-'));
  state.context = await chromium.launchPersistentContext(state.profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    locale: 'en-GB',
    timeout: STEP_TIMEOUT_MS * 2,
  });
  state.context.setDefaultTimeout(STEP_TIMEOUT_MS);
  state.context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  // Loopback only: anything else is refused before it leaves the browser.
  await state.context.route(
    (u) => !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && /^(https?|wss?):$/.test(u.protocol),
    (route) => {
      fail(`refused a request off the loopback: ${route.request().url()}`);
      return route.abort('blockedbyclient');
    },
  );
  const page = state.context.pages()[0] || (await state.context.newPage());
  watchPage(page);

  // First administrator.
  step = 'setup';
  let res = await visit(page, setupLink);
  if (res.status() !== 200) throw new Error(`the setup link answered ${res.status()}`);
  await page.getByLabel('Email', { exact: true }).fill(ADMIN.email);
  await page.getByLabel('Display name', { exact: true }).fill(ADMIN.name);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Confirm password', { exact: true }).fill(ADMIN.password);
  await screenshot(page, 'setup');
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load', timeout: STEP_TIMEOUT_MS }),
    page.getByRole('button', { name: 'Create account' }).click(),
  ]);
  const done = await page.locator('h1').first().innerText();
  if (!/administrator created/i.test(done)) {
    const msg = await page.locator('.error').allInnerTexts().catch(() => []);
    throw new Error(`setup did not create the administrator: "${done}" ${msg.join(' ')}`);
  }
  await screenshot(page, 'setup-done');

  // Seed with the CLI against the same data directory.
  step = 'seed';
  const group = await cli(env, state.tmp, ['group', 'create', '--tenant', 'default', '--name', 'Fabrikam partners']);
  const app = await cli(env, state.tmp, [
    'app', 'create', '--tenant', 'default', '--name', 'Contoso wiki',
    '--redirect-uri', `${base}/wiki/callback`, '--post-logout-redirect-uri', `${base}/wiki/`, '--first-party',
  ]);
  log(`created group ${group.id} and app ${app.id} (client ${app.client_id})`);
  const invited = {};
  for (const g of GUESTS) {
    const out = await cli(env, state.tmp, [
      'invite', '--tenant', 'default', '--email', g.email, '--name', g.name, '--language', g.language,
      '--group', group.id, '--app', app.id, '--by', ADMIN.email,
      '--text', g.language === 'ko' ? '위키에 오신 것을 환영합니다.' : 'Welcome to the wiki.',
    ]);
    if (out.outcome !== 'created') throw new Error(`inviting ${g.email}: ${JSON.stringify(out)}`);
    invited[g.key] = out;
    log(`invited ${g.email} (${g.language}): user ${out.user_id}`);
  }

  // The links in the delivered emails lead to the branded redemption page.
  for (const g of GUESTS) {
    step = `invite-${g.key}`;
    const link = await inviteLinkFor(path.join(dataDir, 'outbox'), g.email, base);
    log(`email to ${g.email} links to ${link.replace(/\/invite\/.*/, '/invite/…')}`);
    res = await visit(page, link);
    if (res.status() !== 200) fail(`the invitation link answered ${res.status()}`);
    const text = await page.locator('body').innerText();
    if (!text.includes(g.email)) fail(`the redemption page does not name ${g.email}`);
    if (g.language === 'ko' && !/[\uac00-\ud7a3]/.test(text)) fail('the Korean redemption page shows no Hangul');
    const lang = await page.locator('html').getAttribute('lang');
    if (lang && !lang.toLowerCase().startsWith(g.language)) fail(`<html lang="${lang}"> on the ${g.language} page`);
    await screenshot(page, `invite-${g.key}`);
  }

  // The admin console. Its first page sends a visitor who is not signed in through the sign-in page.
  let signedIn = false;
  let guestId = null;
  for (const entry of CONSOLE_PAGES) {
    step = entry.name;
    let target = entry.path;
    if (target.includes('{guest}')) {
      if (!guestId) {
        skipped.push(`${entry.name} ${entry.path}: no link to a guest on the users page`);
        console.log(`SKIPPED: ${entry.name} ${entry.path} (no link to a guest on the users page)`);
        continue;
      }
      target = target.replace('{guest}', guestId);
    }
    res = await visit(page, base + target);
    if (pathOf(page.url()) === '/t/default/signin' && res.status() === 200) {
      if (signedIn) {
        fail(`${target} sent a signed-in administrator to the sign-in page`);
        continue;
      }
      await screenshot(page, 'signin');
      await signInForm(page, ADMIN.email, ADMIN.password);
      signedIn = true;
      if (pathOf(page.url()) !== target) {
        fail(`after signing in the browser is at ${pathOf(page.url())}, not back at ${target}`);
        res = await visit(page, base + target);
      } else {
        res = (await page.reload({ waitUntil: 'load' })) || res;
      }
    }
    const status = res.status();
    if (status === 404) {
      skipped.push(`${entry.name} ${target}: 404`);
      console.log(`SKIPPED: ${entry.name} ${target} answered 404 (not built yet)`);
      continue;
    }
    if (status >= 500) {
      // Already recorded by the response watcher; keep the picture of the error page.
      await screenshot(page, `${entry.name}-error`);
      continue;
    }
    if (status !== 200) {
      fail(`${target} answered ${status}`);
      await screenshot(page, `${entry.name}-error`);
      continue;
    }
    if (pathOf(page.url()) !== target) fail(`${target} ended at ${pathOf(page.url())}`);
    await screenshot(page, entry.name);
    if (entry.path === '/admin/t/default/users') {
      guestId = await findGuestLink(page, Object.values(invited).map((i) => i.user_id));
      if (!guestId) fail('the users page has no link to an invited guest (/admin/t/default/users/{id})');
    }
  }

  // Without a console to send us there, sign in directly to show the sign-in page and the app panel.
  if (!signedIn) {
    step = 'signin';
    res = await visit(page, `${base}/t/default/signin`);
    if (res.status() !== 200) fail(`the sign-in page answered ${res.status()}`);
    await screenshot(page, 'signin');
    await signInForm(page, ADMIN.email, ADMIN.password);
  }
  step = 'apps';
  res = await visit(page, `${base}/t/default/apps`);
  if (res.status() !== 200) fail(`the app panel answered ${res.status()}`);
  await screenshot(page, 'apps');
}

// The id of the first guest we invited that the users page links to (`/admin/t/default/users/{id}`).
async function findGuestLink(page, guestIds) {
  const hrefs = await page
    .locator('a[href*="/admin/t/default/users/"]')
    .evaluateAll((as) => as.map((a) => a.getAttribute('href') || ''));
  for (const href of hrefs) {
    const m = new URL(href, 'http://127.0.0.1').pathname.match(/^\/admin\/t\/default\/users\/([^/]+)\/?$/);
    if (m && guestIds.includes(decodeURIComponent(m[1]))) return decodeURIComponent(m[1]);
  }
  return null;
}

async function cleanup() {
  if (state.context) {
    await Promise.race([state.context.close().catch(() => {}), sleep(15_000)]);
    state.context = null;
  }
  await stopServer();
  for (const dir of [state.profile, state.tmp]) {
    if (dir) await fs.rm(dir, { recursive: true, force: true }).catch(() => {});
  }
  state.profile = null;
  state.tmp = null;
}

let finished = false;
async function finish(code) {
  if (finished) return;
  finished = true;
  await cleanup();
  process.exit(code);
}

const watchdog = setTimeout(() => {
  fail(`the run took longer than ${TOTAL_TIMEOUT_MS / 1000} s`);
  finish(1);
}, TOTAL_TIMEOUT_MS);
watchdog.unref();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    fail(`interrupted by ${sig}`);
    finish(130);
  });
}

try {
  await run();
} catch (e) {
  fail(e?.stack || String(e));
}
if (failures.length > 0 && state.output.trim()) {
  const lines = state.output.split('\n');
  const panics = lines.flatMap((l, i) => (l.includes(' panicked at ') ? lines.slice(i, i + 3) : []));
  if (panics.length > 0) console.error(`--- server panics ---\n${panics.join('\n')}`);
  console.error('--- server output (last 40 lines) ---');
  console.error(lines.slice(-40).join('\n'));
}
console.log(
  `screenshots: ${shots} saved to ${path.relative(repoRoot, outDir)}, ${skipped.length} skipped, ${failures.length} failure(s)`,
);
for (const f of failures) console.error(`  FAIL: ${f}`);
await finish(failures.length > 0 ? 1 : 0);
