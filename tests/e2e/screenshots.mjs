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
// A console page that is missing (404) or cannot be reached, a 5xx answer, a page error or an uncaught
// exception in a page fails the run (exit code 1): nothing is skipped.

import fs from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import {
  Run,
  STEP_TIMEOUT_MS,
  cli,
  inviteLinkFor,
  outDir,
  pathOf,
  repoRoot,
  signInForm,
  startGuestlist,
  visit,
} from './harness.mjs';

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
  { name: 'admin-identity-providers', path: '/admin/t/default/identity-providers' },
  { name: 'admin-identity-providers-new', path: '/admin/t/default/identity-providers/new' },
  { name: 'admin-branding', path: '/admin/t/default/branding' },
  { name: 'admin-policies', path: '/admin/t/default/policies' },
  { name: 'admin-audit', path: '/admin/t/default/audit' },
];

const TOTAL_TIMEOUT_MS = 5 * 60 * 1000; // the whole run

const ADMIN = {
  email: 'admin@contoso.example',
  name: 'Avery Admin',
  password: 'correct horse battery staple 42',
};
const GUESTS = [
  { key: 'en', email: 'bob@fabrikam.example', name: 'Bob Fabrikam', language: 'en' },
  { key: 'ko', email: 'minjun@fabrikam.example', name: '김민준', language: 'ko' },
];

const execFileP = promisify(execFile);

const run = new Run('screenshots', { totalTimeoutMs: TOTAL_TIMEOUT_MS });
let shots = 0;

function fail(message) {
  run.fail(message);
}

function log(message) {
  run.log(message);
}

async function screenshot(page, name) {
  shots += 1;
  const file = path.join(outDir, `${String(shots).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: STEP_TIMEOUT_MS });
  log(`saved ${path.relative(repoRoot, file)}`);
}

// ---------------------------------------------------------------------------------------------
// The run.

async function main() {
  try {
    const { stdout } = await execFileP('fc-list', [':lang=ko'], { timeout: 10_000 });
    if (!stdout.trim()) log('warning: no Korean font (apt-get install fonts-noto-cjk); Hangul will show as boxes');
  } catch {
    /* no fontconfig tools: nothing to say */
  }

  // This run's pictures are NN-name.png; the journeys' (journey-*.png) stay.
  await fs.mkdir(outDir, { recursive: true });
  for (const n of await fs.readdir(outDir)) {
    if (n.endsWith('.png') && !n.startsWith('journey-')) await fs.rm(path.join(outDir, n), { force: true });
  }

  run.step = 'serve';
  const server = await startGuestlist(run);
  const { base, setupLink } = server;

  run.step = 'browser';
  const { page } = await run.launchBrowser();

  // First administrator.
  run.step = 'setup';
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
  run.step = 'seed';
  const group = (await cli(server, ['group', 'create', '--tenant', 'default', '--name', 'Fabrikam partners'])).group;
  const app = await cli(server, [
    'app', 'create', '--tenant', 'default', '--name', 'Contoso wiki',
    '--redirect-uri', `${base}/wiki/callback`, '--post-logout-redirect-uri', `${base}/wiki/`, '--first-party',
  ]);
  log(`created group ${group.id} and app ${app.id} (client ${app.clientId})`);
  const invited = {};
  for (const g of GUESTS) {
    const out = await cli(server, [
      'invite', '--tenant', 'default', '--email', g.email, '--name', g.name, '--language', g.language,
      '--group', group.id, '--app', app.id, '--by', ADMIN.email,
      '--text', g.language === 'ko' ? '위키에 오신 것을 환영합니다.' : 'Welcome to the wiki.',
    ]);
    if (out.outcome !== 'created') throw new Error(`inviting ${g.email}: ${JSON.stringify(out)}`);
    invited[g.key] = out;
    log(`invited ${g.email} (${g.language}): user ${out.user_id}`);
  }

  // The links in the delivered emails lead to the branded redemption page.
  const links = {};
  for (const g of GUESTS) {
    run.step = `invite-${g.key}`;
    const link = await inviteLinkFor(run, server, g.email);
    log(`email to ${g.email} links to ${link.replace(/\/invite\/.*/, '/invite/…')}`);
    res = await visit(page, link);
    if (res.status() !== 200) fail(`the invitation link answered ${res.status()}`);
    const text = await page.locator('body').innerText();
    if (!text.includes(g.email)) fail(`the redemption page does not name ${g.email}`);
    if (g.language === 'ko' && !/[\uac00-\ud7a3]/.test(text)) fail('the Korean redemption page shows no Hangul');
    const lang = await page.locator('html').getAttribute('lang');
    if (lang && !lang.toLowerCase().startsWith(g.language)) fail(`<html lang="${lang}"> on the ${g.language} page`);
    await screenshot(page, `invite-${g.key}`);
    links[g.key] = link;
  }

  // The admin console. Its first page sends a visitor who is not signed in through the sign-in page.
  let signedIn = false;
  let guestId = null;
  for (const entry of CONSOLE_PAGES) {
    run.step = entry.name;
    let target = entry.path;
    if (target.includes('{guest}')) {
      if (!guestId) {
        fail(`${entry.name} ${entry.path}: the users page links no guest`);
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
    run.step = 'signin';
    res = await visit(page, `${base}/t/default/signin`);
    if (res.status() !== 200) fail(`the sign-in page answered ${res.status()}`);
    await screenshot(page, 'signin');
    await signInForm(page, ADMIN.email, ADMIN.password);
  }
  run.step = 'apps';
  res = await visit(page, `${base}/t/default/apps`);
  if (res.status() !== 200) fail(`the app panel answered ${res.status()}`);
  await screenshot(page, 'apps');
  run.step = 'account';
  res = await visit(page, `${base}/t/default/account`);
  if (res.status() !== 200) fail(`the account page answered ${res.status()}`);
  await screenshot(page, 'account');
  run.step = 'forgot';
  res = await visit(page, `${base}/t/default/forgot`);
  if (res.status() !== 200) fail(`the forgotten-password page answered ${res.status()}`);
  await screenshot(page, 'forgot-password');

  // "Email me a code" on each invitation (in its language): the page that asks for the code. Last, so
  // the numbers of the earlier screenshots stay.
  for (const g of GUESTS) {
    run.step = `code-${g.key}`;
    res = await visit(page, links[g.key]);
    if (res.status() !== 200) fail(`the invitation link answered ${res.status()}`);
    await Promise.all([
      page.waitForURL((u) => pathOf(u.toString()).endsWith('/code'), { timeout: STEP_TIMEOUT_MS }),
      page.locator('form[action$="/code"] button[type="submit"]').click({ timeout: STEP_TIMEOUT_MS }),
    ]);
    const codeText = await page.locator('body').innerText();
    if (!codeText.includes(g.email)) fail(`the code page does not name ${g.email}`);
    if (g.language === 'ko' && !/[\uac00-\ud7a3]/.test(codeText)) fail('the Korean code page shows no Hangul');
    if ((await page.locator('input[autocomplete="one-time-code"]').count()) !== 1) fail('the code page has no code field');
    await screenshot(page, `code-${g.key}`);
  }
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

await run.main(main, () =>
  console.log(
    `screenshots: ${shots} saved to ${path.relative(repoRoot, outDir)}, ${run.failures.length} failure(s)`,
  ),
);
