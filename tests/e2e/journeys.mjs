// Journeys through guestlist and the sample relying app (examples/sample_rp.rs) in headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core; no browser is downloaded).
//
// Starts `guestlist serve` (fresh data and keys, SQLite, file outbox) and the sample app on free
// loopback ports, registers the app with the CLI, and follows the journeys below, each in its own
// fresh browser profile:
//
//   a. the first administrator: the setup link, the console sign-in, a CSV upload (check, then create)
//      and its results;
//   b. a partner invited by that CSV: the link in the email, registration, joining as a guest, the
//      app's consent, and the sample app showing the guest token (acct 1, idp, tid, email);
//   c. a member of the tenant signing in to the sample app (acct 0, no idp);
//   d. a member of another tenant invited with the CLI, redeeming with that existing account
//      (idp is the other tenant's issuer);
//   e. the same person signing out through the sample app (RP-initiated logout back to the app's
//      signed-out page); signing in again asks for the password;
//   f. a partner whose organisation runs its own OpenID provider (panva's oidc-provider, pinned in
//      package.json, started from upstream.mjs): the emailed link, "Continue with Globex", the
//      provider's sign-in and consent, joining, the sample app (acct 1, idp = the provider's issuer,
//      the inviting tenant's tid); later, in a new browser, the sign-in page sends the address to
//      that provider (identifier first) and the same guest object signs in;
//   g. the partner of b, who forgot the password: "Forgot password?" on the sign-in page, the link in
//      the email, a new password, and the sample app signed in with it as the same guest;
//   h. that partner leaving the organisation on the account page: the sample app's sign-in then finds
//      no access;
//   i. a partner with no account anywhere: the emailed link, "Email me a code", the code read from the
//      delivered email, joining, the sample app (acct 1, idp mail); later, in a new browser, the sign-in
//      page's "Email me a code" with the address, a new code, and the same guest object signs in;
//   j. self-service sign-up: the account cannot sign in until the emailed link is followed and the
//      password chosen at sign-up confirms it; then the password signs in;
//   k. terms of use: the admin publishes them in the console; the code partner of i is asked to accept
//      them before the sample app signs them in, once; a new version asks again;
//   l. someone signs up with a partner's address and never confirms it; the partner, invited, redeems
//      with a code and gets in; the squatter's password no longer signs in.
//
// Every step is saved as target/screenshots/journey-<letter>-NN-<name>.png. Any 5xx answer, page
// error or failed assertion fails the run (exit code 1); everything it started is stopped by PID.
//
//   cargo build --bin guestlist --example sample_rp
//   GUESTLIST_BIN=target/debug/guestlist SAMPLE_RP_BIN=target/debug/examples/sample_rp \
//       node tests/e2e/journeys.mjs

import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  Run,
  STEP_TIMEOUT_MS,
  READY_TIMEOUT_MS,
  clickAndWait,
  cli,
  freePort,
  codeFor,
  inviteLinkFor,
  verifyLinkFor,
  resetLinkFor,
  outDir,
  pathOf,
  repoRoot,
  signInForm,
  startGuestlist,
  targetDir,
  visit,
} from './harness.mjs';

const TOTAL_TIMEOUT_MS = 8 * 60 * 1000;

const rpBin = path.resolve(process.env.SAMPLE_RP_BIN || path.join(targetDir, 'debug', 'examples', 'sample_rp'));

const ADMIN = { email: 'admin@contoso.example', name: 'Avery Admin', password: 'correct horse battery staple 42' };
const PARTNER = { email: 'dana@northwind.example', name: 'Dana Northwind', password: 'Dana walks the north wind 7' };
const PARTNER_NEW_PASSWORD = 'Dana found a new wind 8';
const SECOND_PARTNER = { email: 'lee@northwind.example', name: 'Lee Northwind' };
const MEMBER = { email: 'erin@contoso.example', name: 'Erin Member', password: 'Erin keeps the member list 3' };
const OTHER_TENANT = { slug: 'fabrikam', name: 'Fabrikam', domain: 'fabrikam.example' };
const OTHER_GUEST = { email: 'carol@fabrikam.example', name: 'Carol Fabrikam', password: 'Carol crosses tenants 9' };
const APP_NAME = 'Sample app';
const UPSTREAM = { name: 'Globex', domain: 'globex.example', clientId: 'guestlist', clientSecret: 'journeys-upstream-secret' };
const FED_GUEST = { email: 'gil@globex.example', name: 'Gil Globex' };
// A partner with no account anywhere, who signs in with codes sent by email.
const CODE_GUEST = { email: 'kim@initech.example', name: 'Kim Initech' };
// Someone who signs up to the default tenant themselves.
const SELF_MADE = { email: 'sam@contoso.example', name: 'Sam Signup', password: 'Sam signs up alone 5' };
// An address someone else signs up with before its owner is invited.
const CLAIMED = { email: 'lou@umbrella.example', name: 'Lou Umbrella', squatterPassword: 'not Lou at all 12345' };

const run = new Run('journeys', { totalTimeoutMs: TOTAL_TIMEOUT_MS });
let shots = 0;

function check(condition, message) {
  if (!condition) run.fail(message);
  return condition;
}

// A screenshot of the current step: journey-<letter>-NN-<name>.png.
const counters = {};
async function screenshot(page, journey, name) {
  counters[journey] = (counters[journey] || 0) + 1;
  const file = path.join(outDir, `journey-${journey}-${String(counters[journey]).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: STEP_TIMEOUT_MS });
  shots += 1;
  run.log(`saved ${path.relative(repoRoot, file)}`);
}

async function heading(page) {
  return (await page.locator('h1').first().innerText({ timeout: STEP_TIMEOUT_MS })).trim();
}

function expectPath(page, re, what) {
  const p = pathOf(page.url());
  if (!re.test(p)) throw new Error(`expected ${what}, but the browser is at ${page.url()}`);
}

// ---------------------------------------------------------------------------------------------
// The sample app.

// Starts the sample app on `port` (chosen before registering the app, whose redirect URIs name it).
async function startSampleRp(port, issuer, app) {
  const listen = `127.0.0.1:${port}`;
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('SAMPLE_RP_')) delete env[k];
  // The secret goes in the environment, not on a command line that `ps` shows.
  env.SAMPLE_RP_CLIENT_SECRET = app.clientSecret;
  run.start('sample_rp', rpBin, ['--issuer', issuer, '--client-id', app.clientId, '--listen', listen], {
    env,
    cwd: repoRoot,
  });
  const url = `http://${listen}`;
  await run.waitForHttp(`${url}/`, READY_TIMEOUT_MS);
  run.log(`sample app ready at ${url}`);
  return url;
}

// After the provider's authorization endpoint: the app's consent page (once per person and app),
// then the sample app's callback with the claims. Returns the verified claims the app shows.
async function throughToClaims(page, journey, rp) {
  const consent = page.locator('form[action$="/consent"] button[name="decision"][value="accept"]');
  if (!page.url().startsWith(`${rp}/`) && (await consent.count()) > 0) {
    const h = await heading(page);
    check(h.includes(APP_NAME), `the consent page names the app: "${h}"`);
    await screenshot(page, journey, 'app-consent');
    await clickAndWait(page, consent);
  }
  return claimsShown(page, journey, rp);
}

// The claims on the sample app's page, from its raw JSON; the table must list the key claims too.
async function claimsShown(page, journey, rp) {
  if (!page.url().startsWith(`${rp}/`)) {
    const h = await heading(page).catch(() => '');
    throw new Error(`expected the sample app's claims page, but the browser is at ${page.url()} ("${h}")`);
  }
  if ((await page.locator('#raw').count()) === 0) {
    const msg = await page.locator('.error').allInnerTexts().catch(() => []);
    throw new Error(`the sample app shows no claims at ${page.url()}: "${await heading(page)}" ${msg.join(' ')}`);
  }
  await screenshot(page, journey, 'rp-claims');
  const claims = JSON.parse(await page.locator('#raw').innerText());
  const table = Object.fromEntries(
    await page
      .locator('#claims tbody tr')
      .evaluateAll((rows) => rows.map((r) => [r.dataset.claim, r.querySelector('td')?.textContent ?? ''])),
  );
  for (const name of ['iss', 'sub', 'tid', 'oid', 'acct', 'email']) {
    check(name in table, `the claims table lists ${name}`);
  }
  for (const [name, value] of Object.entries(claims)) {
    const shown = typeof value === 'string' ? value : JSON.stringify(value);
    check(table[name] === shown, `the table shows ${name} as in the token (${table[name]} vs ${shown})`);
  }
  return claims;
}

// The claims every token of the default tenant carries for `email`.
function checkTenantClaims(claims, tenant, email) {
  check(claims.iss === tenant.issuer, `iss is ${tenant.issuer}: ${claims.iss}`);
  check(claims.tid === tenant.id, `tid is the default tenant's id ${tenant.id}: ${claims.tid}`);
  check(typeof claims.oid === 'string' && claims.oid === claims.sub, `oid equals sub: ${claims.oid} / ${claims.sub}`);
  check(claims.email === email, `email is ${email}: ${claims.email}`);
}

// ---------------------------------------------------------------------------------------------
// The partner's own identity provider.

// Starts panva's oidc-provider on `port` with guestlist (at `guestlistBase`) as its one client;
// returns its issuer.
async function startUpstream(port, guestlistBase) {
  const env = {
    ...process.env,
    UPSTREAM_PORT: String(port),
    UPSTREAM_CLIENT_ID: UPSTREAM.clientId,
    UPSTREAM_CLIENT_SECRET: UPSTREAM.clientSecret,
    UPSTREAM_REDIRECT_URI: `${guestlistBase}/federation/callback`,
  };
  const here = path.join(repoRoot, 'tests', 'e2e');
  run.start('oidc-provider', process.execPath, [path.join(here, 'upstream.mjs')], { env, cwd: here });
  const issuer = `http://localhost:${port}`;
  await run.waitForHttp(`${issuer}/.well-known/openid-configuration`, READY_TIMEOUT_MS);
  run.log(`upstream provider ready at ${issuer}`);
  return issuer;
}

// At the provider's own pages: signs in as `email` (any password goes there) and consents when asked;
// ends back at guestlist.
async function throughUpstream(page, journey, upstream, email) {
  if (!page.url().startsWith(`${upstream}/`)) throw new Error(`expected the provider's sign-in, but at ${page.url()}`);
  await page.locator('input[name="login"]').fill(email);
  await page.locator('input[name="password"]').fill('whatever the provider asks');
  await screenshot(page, journey, 'upstream-signin');
  await clickAndWait(page, page.locator('button[type="submit"]'));
  if (page.url().startsWith(`${upstream}/`)) {
    await screenshot(page, journey, 'upstream-consent');
    await clickAndWait(page, page.locator('button[type="submit"]'));
  }
  if (page.url().startsWith(`${upstream}/`)) throw new Error(`the provider did not send the browser back: ${page.url()}`);
}

// ---------------------------------------------------------------------------------------------
// The journeys.

async function main() {
  if (!existsSync(rpBin)) {
    throw new Error(`no sample app at ${rpBin} (cargo build --example sample_rp, or set SAMPLE_RP_BIN)`);
  }
  await fs.mkdir(outDir, { recursive: true });
  for (const n of await fs.readdir(outDir)) {
    if (n.startsWith('journey-') && n.endsWith('.png')) await fs.rm(path.join(outDir, n), { force: true });
  }

  run.step = 'serve';
  const server = await startGuestlist(run);
  const { base } = server;
  const tenants = await cli(server, ['tenant', 'list'], { all: true });
  const tenant = tenants.find((t) => t.slug === 'default');
  if (!tenant) throw new Error(`guestlist tenant list shows no default tenant: ${JSON.stringify(tenants)}`);

  // The sample app, registered as the README says (redirect and post-logout URIs, email claim).
  run.step = 'sample app';
  const rpPort = await freePort();
  const rpBase = `http://127.0.0.1:${rpPort}`;
  const app = await cli(server, [
    'app', 'create', '--tenant', 'default', '--name', APP_NAME,
    '--redirect-uri', `${rpBase}/callback`, '--post-logout-redirect-uri', `${rpBase}/`, '--optional-claim', 'email',
  ]);
  if (!app.clientSecret) throw new Error(`app create printed no client secret: ${JSON.stringify(app)}`);
  const rp = await startSampleRp(rpPort, tenant.issuer, app);

  // a. The administrator: setup, console sign-in, CSV upload.
  run.step = 'a: setup';
  let browser = await run.launchBrowser();
  let page = browser.page;
  let res = await visit(page, server.setupLink);
  if (res.status() !== 200) throw new Error(`the setup link answered ${res.status()}`);
  await page.getByLabel('Email', { exact: true }).fill(ADMIN.email);
  await page.getByLabel('Display name', { exact: true }).fill(ADMIN.name);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByLabel('Confirm password', { exact: true }).fill(ADMIN.password);
  await screenshot(page, 'a', 'setup');
  await clickAndWait(page, page.locator('form button[type="submit"]'));
  const done = await heading(page);
  if (!/administrator created/i.test(done)) {
    const msg = await page.locator('.error').allInnerTexts().catch(() => []);
    throw new Error(`setup did not create the administrator: "${done}" ${msg.join(' ')}`);
  }
  await screenshot(page, 'a', 'setup-done');

  run.step = 'a: console sign-in';
  const uploadPath = '/admin/t/default/invitations/upload';
  await visit(page, `${base}${uploadPath}`);
  expectPath(page, /^\/t\/default\/signin$/, 'the console to send a visitor to the sign-in page');
  await screenshot(page, 'a', 'console-signin');
  await signInForm(page, ADMIN.email, ADMIN.password);
  expectPath(page, new RegExp(`^${uploadPath}$`), 'the upload page after signing in');
  await screenshot(page, 'a', 'upload');

  run.step = 'a: upload';
  const csv = [
    'Email,DisplayName,InviteRedirectURL,InvitedToApplications,Language,InvitationText',
    `${PARTNER.email},${PARTNER.name},${rp}/login,${app.id},en,Welcome to the sample app.`,
    `${SECOND_PARTNER.email},${SECOND_PARTNER.name},${rp}/login,${app.id},en,`,
    '',
  ].join('\n');
  await page
    .locator('input[type="file"][name="file"]')
    .setInputFiles({ name: 'partners.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
  await clickAndWait(page, page.locator(`form[action$="${uploadPath}"] button[type="submit"]`));
  expectPath(page, new RegExp(`^${uploadPath}$`), 'the check page of the upload');
  check((await heading(page)).includes('partners.csv'), 'the check page names the file');
  const checked = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.className));
  check(
    checked.length === 2 && checked.every((c) => c === 'valid'),
    `the check step shows two valid rows: ${JSON.stringify(checked)}`,
  );
  await screenshot(page, 'a', 'upload-check');
  await clickAndWait(page, page.locator(`form[action*="${uploadPath}/"] button[type="submit"]`));
  expectPath(page, /^\/admin\/t\/default\/invitations\/batches\/[^/]+$/, 'the results page of the upload');
  const counts = await page.locator('.counts strong').allInnerTexts();
  check(JSON.stringify(counts) === '["2","0","0"]', `2 created, 0 existing, 0 failed: ${JSON.stringify(counts)}`);
  const created = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.className));
  check(created.every((c) => c === 'created'), `every row was created: ${JSON.stringify(created)}`);
  await screenshot(page, 'a', 'upload-results');
  await run.closeBrowser(browser.context);

  // b. The partner: the emailed link, registration, joining, the app's consent, the guest token.
  run.step = 'b: redeem';
  let link = await inviteLinkFor(run, server, PARTNER.email);
  browser = await run.launchBrowser();
  page = browser.page;
  res = await visit(page, link);
  if (res.status() !== 200) throw new Error(`the invitation link answered ${res.status()}`);
  check((await page.locator('body').innerText()).includes(PARTNER.email), 'the redemption page names the invitee');
  await screenshot(page, 'b', 'invitation');
  const register = page.locator('form[action$="/register"]');
  await register.locator('input[name="display_name"]').fill(PARTNER.name);
  await register.locator('input[name="password"]').fill(PARTNER.password);
  await register.locator('input[name="confirm_password"]').fill(PARTNER.password);
  await screenshot(page, 'b', 'register');
  await clickAndWait(page, register.locator('button[type="submit"]'));
  expectPath(page, /^\/invite\/[^/]+\/consent$/, 'the invitation consent page after registering');
  await screenshot(page, 'b', 'join-consent');
  await clickAndWait(page, page.locator('form[action$="/consent"] button[value="accept"]'));

  run.step = 'b: sample app';
  let claims = await throughToClaims(page, 'b', rp);
  checkTenantClaims(claims, tenant, PARTNER.email);
  check(claims.acct === 1, `a guest's token has acct 1: ${claims.acct}`);
  check(
    typeof claims.idp === 'string' && claims.idp.startsWith(`${base}/t/`) && claims.idp !== tenant.issuer,
    `a guest's token names the home issuer in idp: ${claims.idp}`,
  );
  await run.closeBrowser(browser.context);

  // c. A member of the tenant.
  run.step = 'c: member';
  await cli(
    server,
    ['user', 'create', '--tenant', 'default', '--email', MEMBER.email, '--name', MEMBER.name, '--password-stdin'],
    { stdin: `${MEMBER.password}\n` },
  );
  browser = await run.launchBrowser();
  page = browser.page;
  await visit(page, `${rp}/`);
  await screenshot(page, 'c', 'rp-start');
  await clickAndWait(page, page.getByRole('link', { name: 'Sign in' }));
  expectPath(page, /^\/t\/default\/signin$/, "the tenant's sign-in page");
  await screenshot(page, 'c', 'signin');
  await signInForm(page, MEMBER.email, MEMBER.password);
  claims = await throughToClaims(page, 'c', rp);
  checkTenantClaims(claims, tenant, MEMBER.email);
  check(claims.acct === 0, `a member's token has acct 0: ${claims.acct}`);
  check(!('idp' in claims), `a member's token has no idp: ${claims.idp}`);
  await run.closeBrowser(browser.context);

  // d. A member of another tenant, invited with the CLI, redeems with that account.
  run.step = 'd: other tenant';
  const other = (await cli(server, [
    'tenant', 'create', '--slug', OTHER_TENANT.slug, '--name', OTHER_TENANT.name, '--domain', OTHER_TENANT.domain,
  ])).tenant;
  await cli(
    server,
    ['user', 'create', '--tenant', OTHER_TENANT.slug, '--email', OTHER_GUEST.email, '--name', OTHER_GUEST.name,
      '--password-stdin'],
    { stdin: `${OTHER_GUEST.password}\n` },
  );
  const invited = await cli(server, [
    'invite', '--tenant', 'default', '--email', OTHER_GUEST.email, '--name', OTHER_GUEST.name,
    '--redirect-url', `${rp}/login`, '--app', app.id, '--by', ADMIN.email,
  ]);
  if (invited.outcome !== 'created') throw new Error(`inviting ${OTHER_GUEST.email}: ${JSON.stringify(invited)}`);
  link = await inviteLinkFor(run, server, OTHER_GUEST.email);
  browser = await run.launchBrowser();
  page = browser.page;
  res = await visit(page, link);
  if (res.status() !== 200) throw new Error(`the invitation link answered ${res.status()}`);
  await screenshot(page, 'd', 'invitation');
  const signin = page.locator('form[action$="/signin"]');
  await signin.locator('input[name="email"]').fill(OTHER_GUEST.email);
  await signin.locator('input[name="password"]').fill(OTHER_GUEST.password);
  await clickAndWait(page, signin.locator('button[type="submit"]'));
  expectPath(page, /^\/invite\/[^/]+\/consent$/, 'the invitation consent page after signing in');
  await screenshot(page, 'd', 'join-consent');
  await clickAndWait(page, page.locator('form[action$="/consent"] button[value="accept"]'));
  claims = await throughToClaims(page, 'd', rp);
  checkTenantClaims(claims, tenant, OTHER_GUEST.email);
  check(claims.acct === 1, `a guest's token has acct 1: ${claims.acct}`);
  check(claims.idp === other.issuer, `idp is the other tenant's issuer ${other.issuer}: ${claims.idp}`);
  check(claims.oid === invited.user_id, `oid is the invited guest object ${invited.user_id}: ${claims.oid}`);
  const firstSignIn = claims;

  // e. Sign-out through the sample app, and a new sign-in asks for the password.
  run.step = 'e: sign out';
  await clickAndWait(page, page.getByRole('link', { name: 'Sign out' }));
  if (!page.url().startsWith(`${rp}/`)) throw new Error(`sign-out ended at ${page.url()}, not at the sample app`);
  check(/signed out/i.test(await heading(page)), `the sample app says you are signed out: "${await heading(page)}"`);
  await screenshot(page, 'e', 'signed-out');
  await visit(page, `${rp}/`);
  check((await page.locator('#claims').count()) === 0, 'the sample app forgot the session');

  run.step = 'e: sign in again';
  await clickAndWait(page, page.getByRole('link', { name: 'Sign in' }));
  expectPath(page, /^\/t\/default\/signin$/, 'the sign-in page (the provider session ended)');
  check(await page.locator('input[type="password"]').isVisible(), 'the sign-in page asks for the password');
  await screenshot(page, 'e', 'signin-again');
  await signInForm(page, OTHER_GUEST.email, OTHER_GUEST.password);
  claims = await throughToClaims(page, 'e', rp);
  check(claims.oid === firstSignIn.oid, `the same guest object signs in again: ${claims.oid}`);
  check(claims.sid !== firstSignIn.sid, 'a new session (sid) after signing in again');
  check(claims.auth_time >= firstSignIn.auth_time, 'auth_time does not go back');
  await run.closeBrowser(browser.context);

  // f. A partner whose organisation has its own OpenID provider.
  run.step = 'f: upstream provider';
  const upstream = await startUpstream(await freePort(), base);
  const provider = await cli(
    server,
    ['idp', 'create', '--tenant', 'default', '--name', UPSTREAM.name, '--issuer', upstream,
      '--client-id', UPSTREAM.clientId, '--client-secret-stdin', '--domain', UPSTREAM.domain],
    { stdin: `${UPSTREAM.clientSecret}\n` },
  );
  check(provider.redirectUri === `${base}/federation/callback`, `the provider is told one redirect URI: ${provider.redirectUri}`);
  const fedInvited = await cli(server, [
    'invite', '--tenant', 'default', '--email', FED_GUEST.email, '--name', FED_GUEST.name,
    '--redirect-url', `${rp}/login`, '--app', app.id, '--by', ADMIN.email,
  ]);
  if (fedInvited.outcome !== 'created') throw new Error(`inviting ${FED_GUEST.email}: ${JSON.stringify(fedInvited)}`);
  link = await inviteLinkFor(run, server, FED_GUEST.email);
  browser = await run.launchBrowser();
  page = browser.page;
  res = await visit(page, link);
  if (res.status() !== 200) throw new Error(`the invitation link answered ${res.status()}`);
  const continueWith = page.getByRole('button', { name: `Continue with ${UPSTREAM.name}` });
  check((await continueWith.count()) === 1, 'the invitation offers "Continue with Globex"');
  await screenshot(page, 'f', 'invitation');
  await clickAndWait(page, continueWith);
  await throughUpstream(page, 'f', upstream, FED_GUEST.email);
  expectPath(page, /^\/invite\/[^/]+\/consent$/, 'the invitation consent page after the provider');
  await screenshot(page, 'f', 'join-consent');
  await clickAndWait(page, page.locator('form[action$="/consent"] button[value="accept"]'));
  claims = await throughToClaims(page, 'f', rp);
  checkTenantClaims(claims, tenant, FED_GUEST.email);
  check(claims.acct === 1, `a guest's token has acct 1: ${claims.acct}`);
  check(claims.idp === upstream, `idp is the provider's issuer ${upstream}: ${claims.idp}`);
  check(claims.oid === fedInvited.user_id, `oid is the invited guest object ${fedInvited.user_id}: ${claims.oid}`);
  const federated = claims;
  await run.closeBrowser(browser.context);

  run.step = 'f: sign in again';
  browser = await run.launchBrowser();
  page = browser.page;
  await visit(page, `${rp}/`);
  await clickAndWait(page, page.getByRole('link', { name: 'Sign in' }));
  expectPath(page, /^\/t\/default\/signin$/, "the tenant's sign-in page");
  await page.getByLabel('Email', { exact: true }).fill(FED_GUEST.email);
  await screenshot(page, 'f', 'identifier-first');
  await clickAndWait(page, page.locator('form[action$="/signin"] button[type="submit"]:not([formaction])'));
  await throughUpstream(page, 'f', upstream, FED_GUEST.email);
  claims = await throughToClaims(page, 'f', rp);
  check(claims.oid === federated.oid, `the same guest object signs in again: ${claims.oid}`);
  check(claims.idp === upstream, `idp is still the provider's issuer: ${claims.idp}`);
  await run.closeBrowser(browser.context);

  // g. The partner of b forgot the password.
  run.step = 'g: forgotten password';
  browser = await run.launchBrowser();
  page = browser.page;
  await visit(page, `${rp}/`);
  await clickAndWait(page, page.getByRole('link', { name: 'Sign in' }));
  expectPath(page, /^\/t\/default\/signin$/, "the tenant's sign-in page");
  await clickAndWait(page, page.getByRole('link', { name: 'Forgot password?' }));
  expectPath(page, /^\/t\/default\/forgot$/, 'the forgotten-password page');
  await page.getByLabel('Email', { exact: true }).fill(PARTNER.email);
  await screenshot(page, 'g', 'forgot');
  await clickAndWait(page, page.locator('form[action$="/forgot"] button[type="submit"]'));
  check(/check your email/i.test(await heading(page)), `the page says to check the email: "${await heading(page)}"`);
  await screenshot(page, 'g', 'link-sent');
  const resetLink = await resetLinkFor(run, server, PARTNER.email);
  res = await visit(page, resetLink);
  if (res.status() !== 200) throw new Error(`the emailed link answered ${res.status()}`);
  await page.locator('input[name="password"]').fill(PARTNER_NEW_PASSWORD);
  await page.locator('input[name="confirm_password"]').fill(PARTNER_NEW_PASSWORD);
  await screenshot(page, 'g', 'new-password');
  await clickAndWait(page, page.locator('form[action*="/reset/"] button[type="submit"]'));
  check(/password set/i.test(await heading(page)), `the password is set: "${await heading(page)}"`);
  res = await visit(page, resetLink);
  check(res.status() === 404, `the link works once: ${res.status()}`);

  run.step = 'g: sign in with the new password';
  await visit(page, `${rp}/`);
  await clickAndWait(page, page.getByRole('link', { name: 'Sign in' }));
  expectPath(page, /^\/t\/default\/signin$/, "the tenant's sign-in page");
  await signInForm(page, PARTNER.email, PARTNER_NEW_PASSWORD);
  claims = await throughToClaims(page, 'g', rp);
  checkTenantClaims(claims, tenant, PARTNER.email);
  check(claims.acct === 1, `the same guest signs in: acct ${claims.acct}`);

  // h. The same partner leaves the organisation on the account page; the app lets them in no more.
  run.step = 'h: leave organisation';
  res = await visit(page, `${base}/t/default/apps`);
  await clickAndWait(page, page.getByRole('link', { name: 'Account' }));
  expectPath(page, /^\/t\/default\/account$/, 'the account page');
  await screenshot(page, 'h', 'account');
  const leave = page.locator('form:has(button[value="leave"])');
  await leave.locator('input[name="confirm"]').check();
  await clickAndWait(page, leave.locator('button[value="leave"]'));
  check(
    (await page.locator('body').innerText()).includes('You left the organisation.'),
    'the account page says the organisation was left',
  );
  await screenshot(page, 'h', 'left');
  // The sample app still shows its own session: it starts a new sign-in at /login.
  await visit(page, `${rp}/login`);
  expectPath(page, /^\/t\/default\/signin$/, 'the sign-in page: the session has nobody in this tenant now');
  // The password is still right (the account stays), but it has no access here: the answer is a page
  // on the sign-in path, not a way on.
  const again = page.locator('form[action$="/signin"]');
  await again.locator('input[name="email"]').fill(PARTNER.email);
  await again.locator('input[name="password"]').fill(PARTNER_NEW_PASSWORD);
  await clickAndWait(page, again.locator('button[type="submit"]:not([formaction])'));
  check(/no access/i.test(await heading(page)), `signing in to the app finds no access: "${await heading(page)}"`);
  await screenshot(page, 'h', 'no-access');
  await run.closeBrowser(browser.context);

  // i. A partner with no account anywhere redeems with a code from the email, and signs in with another.
  run.step = 'i: one-time code';
  const codeInvited = await cli(server, [
    'invite', '--tenant', 'default', '--email', CODE_GUEST.email, '--name', CODE_GUEST.name,
    '--redirect-url', `${rp}/login`, '--app', app.id, '--by', ADMIN.email,
  ]);
  if (codeInvited.outcome !== 'created') throw new Error(`inviting ${CODE_GUEST.email}: ${JSON.stringify(codeInvited)}`);
  link = await inviteLinkFor(run, server, CODE_GUEST.email);
  browser = await run.launchBrowser();
  page = browser.page;
  res = await visit(page, link);
  if (res.status() !== 200) throw new Error(`the invitation link answered ${res.status()}`);
  const emailMeACode = page.getByRole('button', { name: 'Email me a code' });
  check((await emailMeACode.count()) === 1, 'the invitation offers "Email me a code"');
  await screenshot(page, 'i', 'invitation');
  await clickAndWait(page, emailMeACode);
  check(/check your email/i.test(await heading(page)), `the code page says to check the email: "${await heading(page)}"`);
  const firstCode = await codeFor(run, server, CODE_GUEST.email);
  await page.getByLabel('Code', { exact: true }).fill(firstCode);
  await screenshot(page, 'i', 'code');
  await clickAndWait(page, page.locator('form[action$="/code/verify"] button[type="submit"]'));
  expectPath(page, /^\/invite\/[^/]+\/consent$/, 'the invitation consent page after the code');
  await clickAndWait(page, page.locator('form[action$="/consent"] button[value="accept"]'));
  claims = await throughToClaims(page, 'i', rp);
  checkTenantClaims(claims, tenant, CODE_GUEST.email);
  check(claims.acct === 1, `a guest's token has acct 1: ${claims.acct}`);
  check(claims.idp === 'mail', `idp is mail: ${claims.idp}`);
  check(claims.oid === codeInvited.user_id, `oid is the invited guest object ${codeInvited.user_id}: ${claims.oid}`);
  const byCode = claims;
  await run.closeBrowser(browser.context);

  run.step = 'i: sign in again with a new code';
  browser = await run.launchBrowser();
  page = browser.page;
  await visit(page, `${rp}/`);
  await clickAndWait(page, page.getByRole('link', { name: 'Sign in' }));
  expectPath(page, /^\/t\/default\/signin$/, "the tenant's sign-in page");
  await page.getByLabel('Email', { exact: true }).fill(CODE_GUEST.email);
  await screenshot(page, 'i', 'signin-code');
  await clickAndWait(page, page.getByRole('button', { name: 'Email me a code' }));
  const secondCode = await codeFor(run, server, CODE_GUEST.email, [firstCode]);
  await page.getByLabel('Code', { exact: true }).fill(secondCode);
  await clickAndWait(page, page.locator('form[action$="/code/verify"] button[type="submit"]'));
  claims = await throughToClaims(page, 'i', rp);
  check(claims.oid === byCode.oid, `the same guest object signs in again: ${claims.oid}`);
  check(claims.idp === 'mail', `idp is still mail: ${claims.idp}`);
  await run.closeBrowser(browser.context);

  // j. Self-service sign-up, verified by the emailed link before the first sign-in.
  run.step = 'j: sign-up';
  await cli(server, ['policy', 'set', '--tenant', 'default', '--self-service-sign-up', 'true']);
  browser = await run.launchBrowser();
  page = browser.page;
  // Another process changed the policy: the server sees it within its 5-second tenant cache.
  await run.waitUntil('the sign-up page to open', 15_000, async () => {
    const r = await visit(page, `${base}/t/default/signup`);
    return r.status() === 200 ? r : null;
  });
  await page.getByLabel('Email', { exact: true }).fill(SELF_MADE.email);
  await page.getByLabel('Display name', { exact: true }).fill(SELF_MADE.name);
  await page.locator('input[name="password"]').fill(SELF_MADE.password);
  await page.locator('input[name="confirm_password"]').fill(SELF_MADE.password);
  await clickAndWait(page, page.locator('form[action$="/signup"] button[type="submit"]'));
  check(/check your email/i.test(await heading(page)), `the sign-up says to check the email: "${await heading(page)}"`);
  await screenshot(page, 'j', 'signed-up');
  await visit(page, `${base}/t/default/signin`);
  const refused = page.locator('form[action$="/signin"]');
  await refused.locator('input[name="email"]').fill(SELF_MADE.email);
  await refused.locator('input[name="password"]').fill(SELF_MADE.password);
  await clickAndWait(page, refused.locator('button[type="submit"]:not([formaction])'));
  check(
    (await page.locator('.error').innerText()).includes('Confirm your email address first'),
    'an unverified account is told to confirm its address',
  );
  check((await page.getByRole('button', { name: 'Send the link again' }).count()) === 1, 'the page offers the link again');
  await screenshot(page, 'j', 'not-verified');
  const verifyLink = await verifyLinkFor(run, server, SELF_MADE.email);
  res = await visit(page, verifyLink);
  if (res.status() !== 200) throw new Error(`the verification link answered ${res.status()}`);
  await page.getByLabel('Password', { exact: true }).fill(SELF_MADE.password);
  await screenshot(page, 'j', 'confirm');
  await clickAndWait(page, page.getByRole('button', { name: 'Confirm my address' }));
  check(/address confirmed/i.test(await heading(page)), `the address is confirmed: "${await heading(page)}"`);
  await visit(page, `${base}/t/default/signin`);
  await signInForm(page, SELF_MADE.email, SELF_MADE.password);
  expectPath(page, /^\/t\/default\/apps$/, 'the app panel after signing in');
  await run.closeBrowser(browser.context);

  // k. Terms of use, published in the console, accepted once, and again after a new version.
  run.step = 'k: terms of use';
  browser = await run.launchBrowser();
  page = browser.page;
  const publishTerms = async (text) => {
    await visit(page, `${base}/admin/t/default/terms`);
    if (pathOf(page.url()).endsWith('/signin')) {
      await signInForm(page, ADMIN.email, ADMIN.password);
      await visit(page, `${base}/admin/t/default/terms`);
    }
    expectPath(page, /^\/admin\/t\/default\/terms$/, 'the console terms page');
    await page.locator('#text_en').fill(text);
    await clickAndWait(page, page.locator('form[action$="/terms"] button[type="submit"]'));
    check((await page.locator('body').innerText()).includes(text), 'the console shows the published terms');
  };
  await publishTerms('Partners keep our data to themselves.');
  await screenshot(page, 'k', 'console-terms');
  await run.closeBrowser(browser.context);

  const signInWithCodeTo = async (seen) => {
    browser = await run.launchBrowser();
    page = browser.page;
    await visit(page, `${rp}/`);
    await clickAndWait(page, page.getByRole('link', { name: 'Sign in' }));
    await page.getByLabel('Email', { exact: true }).fill(CODE_GUEST.email);
    await clickAndWait(page, page.getByRole('button', { name: 'Email me a code' }));
    const code = await codeFor(run, server, CODE_GUEST.email, seen);
    await page.getByLabel('Code', { exact: true }).fill(code);
    await clickAndWait(page, page.locator('form[action$="/code/verify"] button[type="submit"]'));
    return code;
  };
  const seenCodes = [firstCode, secondCode];
  seenCodes.push(await signInWithCodeTo(seenCodes));
  expectPath(page, /^\/t\/default\/terms$/, 'the terms page before the app');
  check((await page.locator('body').innerText()).includes('Partners keep our data to themselves.'), 'the terms are shown');
  await screenshot(page, 'k', 'terms');
  await page.getByLabel('I accept the terms of use').check();
  await clickAndWait(page, page.getByRole('button', { name: 'Accept and continue' }));
  claims = await throughToClaims(page, 'k', rp);
  check(claims.oid === byCode.oid, `the same guest signs in after accepting: ${claims.oid}`);
  await run.closeBrowser(browser.context);

  // Once accepted, not asked again.
  seenCodes.push(await signInWithCodeTo(seenCodes));
  claims = await throughToClaims(page, 'k', rp);
  check(claims.oid === byCode.oid, 'signed in without the terms page');
  await run.closeBrowser(browser.context);

  // A new version asks again.
  browser = await run.launchBrowser();
  page = browser.page;
  await publishTerms('Version two: partners also delete copies after the project.');
  await run.closeBrowser(browser.context);
  seenCodes.push(await signInWithCodeTo(seenCodes));
  expectPath(page, /^\/t\/default\/terms$/, 'the terms page again after a new version');
  check((await page.locator('body').innerText()).includes('Version two'), 'the new version is shown');
  await page.getByLabel('I accept the terms of use').check();
  await clickAndWait(page, page.getByRole('button', { name: 'Accept and continue' }));
  claims = await throughToClaims(page, 'k', rp);
  check(claims.oid === byCode.oid, 'signed in after accepting the new version');
  await run.closeBrowser(browser.context);

  // l. A squatter's unconfirmed sign-up does not keep the address's owner out.
  run.step = 'l: unverified account taken over';
  // The squatter signs up at another organisation whose sign-up is open.
  await cli(server, ['tenant', 'create', '--slug', 'openclub', '--name', 'Open Club', '--domain', 'openclub.example']);
  await cli(server, ['policy', 'set', '--tenant', 'openclub', '--self-service-sign-up', 'true']);
  browser = await run.launchBrowser();
  page = browser.page;
  await run.waitUntil('the open sign-up page', 15_000, async () => {
    const r = await visit(page, `${base}/t/openclub/signup`);
    return r.status() === 200 ? r : null;
  });
  await page.getByLabel('Email', { exact: true }).fill(CLAIMED.email);
  await page.getByLabel('Display name', { exact: true }).fill('Somebody Else');
  await page.locator('input[name="password"]').fill(CLAIMED.squatterPassword);
  await page.locator('input[name="confirm_password"]').fill(CLAIMED.squatterPassword);
  await clickAndWait(page, page.locator('form[action$="/signup"] button[type="submit"]'));
  check(/check your email/i.test(await heading(page)), 'the squatter is told to confirm the address');
  await run.closeBrowser(browser.context);
  const claimedInvite = await cli(server, [
    'invite', '--tenant', 'default', '--email', CLAIMED.email, '--name', CLAIMED.name,
    '--redirect-url', `${rp}/login`, '--app', app.id, '--by', ADMIN.email,
  ]);
  if (claimedInvite.outcome !== 'created') throw new Error(`inviting ${CLAIMED.email}: ${JSON.stringify(claimedInvite)}`);
  link = await inviteLinkFor(run, server, CLAIMED.email);
  browser = await run.launchBrowser();
  page = browser.page;
  await visit(page, link);
  await clickAndWait(page, page.getByRole('button', { name: 'Email me a code' }));
  await page.getByLabel('Code', { exact: true }).fill(await codeFor(run, server, CLAIMED.email));
  await clickAndWait(page, page.locator('form[action$="/code/verify"] button[type="submit"]'));
  expectPath(page, /^\/invite\/[^/]+\/consent$/, 'the consent page: the claim did not stand in the way');
  const box = page.getByLabel('I accept the terms of use');
  if ((await box.count()) > 0) await box.check();
  await clickAndWait(page, page.locator('form[action$="/consent"] button[value="accept"]'));
  claims = await throughToClaims(page, 'l', rp);
  check(claims.idp === 'mail' && claims.oid === claimedInvite.user_id, `the owner is the guest: ${claims.oid}`);
  await run.closeBrowser(browser.context);
  browser = await run.launchBrowser();
  page = browser.page;
  await visit(page, `${base}/t/openclub/signin`);
  const squatter = page.locator('form[action$="/signin"]');
  await squatter.locator('input[name="email"]').fill(CLAIMED.email);
  await squatter.locator('input[name="password"]').fill(CLAIMED.squatterPassword);
  await clickAndWait(page, squatter.locator('button[type="submit"]:not([formaction])'));
  check(pathOf(page.url()).endsWith('/signin'), "the squatter's password no longer signs in");
  await run.closeBrowser(browser.context);
}

await run.main(main, () => {
  const where = path.relative(repoRoot, outDir);
  console.log(`journeys: ${shots} screenshots in ${where}, ${run.failures.length} failure(s)`);
});
