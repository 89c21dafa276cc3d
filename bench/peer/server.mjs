// The peer of the guestlist benchmark: panva's oidc-provider (the version pinned in
// package-lock.json) on http://127.0.0.1:PORT, configured like the guestlist tenant that bench/run
// seeds, so that `loadgen run` can send it the same scenarios. See bench/README.md, "Side by side
// with a peer".
//
// Environment:
//   PEER_PORT   port on 127.0.0.1 to listen on (required)
//   PEER_SEED   write the loadgen seed (client ids and secrets, paths) to this file before listening
//
// What it sets up:
//   - signing keys generated at start: one EC P-256 key (ES256) and one RSA 2048 key (RS256);
//   - two confidential clients, client_secret_post, redirect URI http://127.0.0.1/cb, grant types
//     authorization_code and client_credentials: `bench-es256` signs ID tokens and access tokens
//     with ES256, `bench-rs256` with RS256;
//   - the clientCredentials feature, and resource indicators with one default resource
//     (urn:guestlist-bench:api, scope api.read) whose access tokens are JWTs, so both
//     client_credentials (scope api.read) and the code exchange answer with a JWT access token;
//   - the provider's own in-memory adapter class (lib/adapters/memory_adapter.js) over its own LRU
//     store, sized for a run: the default store keeps 1,000 entries, fewer than the codes a run
//     mints, so older codes would be evicted before their exchange;
//   - no development interactions (there is no sign-in UI: nothing in the benchmark needs one);
//   - GET /bench/codes?n=N (N at most 10,000): N authorization codes minted through the provider's
//     models (a Grant with scope openid and the resource's api.read, then an AuthorizationCode for
//     account `bench-user`, the ES256 client, scope openid and the redirect URI), as a JSON array.
//     This stands in for guestlist's /authorize step, which the load generator runs before its
//     measured window; it is outside the provider's routes and never measured.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';

import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const port = Number.parseInt(process.env.PEER_PORT ?? '', 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('PEER_PORT must be a port number');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = 'http://127.0.0.1/cb';
const resource = 'urn:guestlist-bench:api';
const apiScope = 'api.read';
const accountId = 'bench-user';
// Codes live as long as guestlist's in bench/run (GUESTLIST_CODE_TTL=600).
const codeTtl = 600;
const maxBatch = 10_000;

function signingKey(type, options, alg) {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-${crypto.randomUUID()}` };
}

const keys = [
  signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
  signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
];

function secret() {
  return crypto.randomBytes(32).toString('base64url');
}

const clients = [
  { id: 'bench-es256', alg: 'ES256', secret: secret() },
  { id: 'bench-rs256', alg: 'RS256', secret: secret() },
];
const algOf = new Map(clients.map((c) => [c.id, c.alg]));

// One store for every model, as the default adapter has, with room for every code of a run (each
// minted code takes about three entries: the grant, the code and the grant's member list).
const store = new LRU({ maxSize: 5_000_000 });

const provider = new Provider(issuer, {
  adapter: (model) => new MemoryAdapter(model, store),
  clients: clients.map((c) => ({
    client_id: c.id,
    client_secret: c.secret,
    token_endpoint_auth_method: 'client_secret_post',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'client_credentials'],
    response_types: ['code'],
    id_token_signed_response_alg: c.alg,
  })),
  jwks: { keys },
  cookies: { keys: [secret(), secret()] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => resource,
      // The code's resource is used at the token endpoint even though the scope holds openid.
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, indicator, client) => {
        if (indicator !== resource) {
          throw new Provider.errors.InvalidTarget();
        }
        return {
          scope: apiScope,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 3600,
          jwt: { sign: { alg: algOf.get(client.clientId) ?? 'ES256' } },
        };
      },
    },
  },
  // Not used by the benchmark (no interactive flow), but required once devInteractions is off.
  interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  clientBasedCORS: () => false,
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: codeTtl,
    ClientCredentials: 3600,
    Grant: 3600,
    IdToken: 3600,
    Interaction: 3600,
    Session: 3600,
  },
});
// Errors are answered; nothing is logged per request.
provider.on('server_error', (_ctx, error) => console.error('server_error', error));

async function mintCodes(n) {
  const client = await provider.Client.find('bench-es256');
  const authTime = Math.floor(Date.now() / 1000);
  const codes = [];
  for (let i = 0; i < n; i += 1) {
    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    grant.addOIDCScope('openid');
    grant.addResourceScope(resource, apiScope);
    const grantId = await grant.save();
    const code = new provider.AuthorizationCode({
      accountId,
      authTime,
      client,
      grantId,
      redirectUri,
      resource,
      scope: 'openid',
    });
    codes.push(await code.save());
  }
  return codes;
}

async function bench(req, res) {
  const url = new URL(req.url, issuer);
  if (req.method !== 'GET' || url.pathname !== '/bench/codes') {
    res.writeHead(404).end();
    return;
  }
  const n = Number.parseInt(url.searchParams.get('n') ?? '1', 10);
  if (!Number.isInteger(n) || n < 1 || n > maxBatch) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`n must be 1 to ${maxBatch}\n`);
    return;
  }
  try {
    const body = JSON.stringify(await mintCodes(n));
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  } catch (error) {
    console.error('minting codes failed', error);
    res.writeHead(500).end();
  }
}

if (process.env.PEER_SEED) {
  const seed = {
    tenant: 'peer',
    redirect_uri: redirectUri,
    scope: apiScope,
    es256: { clientId: clients[0].id, clientSecret: clients[0].secret },
    rs256: { clientId: clients[1].id, clientSecret: clients[1].secret },
    // Sign-in has no counterpart here; the seed needs a user all the same.
    users: [accountId],
    password: '-',
    discovery_path: '/.well-known/openid-configuration',
    jwks_path: '/jwks',
    token_path: '/token',
    codes_path: '/bench/codes',
  };
  fs.writeFileSync(process.env.PEER_SEED, `${JSON.stringify(seed)}\n`, { mode: 0o600 });
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/bench/')) {
    bench(req, res);
  } else {
    callback(req, res);
  }
});
// As many keep-alive requests per connection as the load generator sends.
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
