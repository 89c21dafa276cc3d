// A foreign OpenID provider for the journeys: panva's oidc-provider (the version pinned in
// package.json), in memory, with its built-in development sign-in pages (any login and password go;
// the login is the person's email and subject). It knows one client, guestlist, whose redirect URI is
// guestlist's `/federation/callback`. Started and stopped by the journeys' harness (by PID).
//
//   UPSTREAM_PORT=… UPSTREAM_CLIENT_ID=… UPSTREAM_CLIENT_SECRET=… UPSTREAM_REDIRECT_URI=… node upstream.mjs

import Provider from 'oidc-provider';

const need = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const port = Number(need('UPSTREAM_PORT'));
// `localhost`, not 127.0.0.1: the browser keeps this provider's cookies apart from guestlist's.
const issuer = `http://localhost:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: need('UPSTREAM_CLIENT_ID'),
      client_secret: need('UPSTREAM_CLIENT_SECRET'),
      redirect_uris: [need('UPSTREAM_REDIRECT_URI')],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    },
  ],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: id, email_verified: true, name: `Partner ${id.split('@')[0]}` };
      },
    };
  },
  pkce: { required: () => true },
  cookies: { keys: ['journeys-only-cookie-key'] },
});

// The development pages import a web font from off the loopback in their inline style, which the
// journeys' browser refuses (and reports): leave the import out.
provider.use(async (ctx, next) => {
  await next();
  if (typeof ctx.body === 'string' && ctx.type === 'text/html') {
    ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);?/g, '');
  }
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`upstream ready at ${issuer}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
