// A real OpenID Connect provider for the tests (tests/support/oidc.rs starts it): the certified
// `oidc-provider` package, configured from the JSON file named by KENSHU_OIDC_CONFIG:
//
//   { "issuer": "http://127.0.0.1:PORT", "port": PORT, "modules": "<npm prefix>",
//     "clients": [{ "client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris" }],
//     "accounts": [{ "login", "password", "claims": {...}, "amr": ["pwd"],
//                    "misbehave": null | "audience" | "clock" | "rotated" }] }
//
// Sign-in is a plain HTML form at /interaction/:uid (login and password); a correct pair logs
// in and consents at once, so a test can drive it with a few HTTP requests. PKCE is required.
//
// Accounts flagged `misbehave` get an ID token re-signed with the provider's own key, as a
// broken or misconfigured provider would send it: "audience" names another client, "clock"
// has iat and exp two hours in the past (a provider whose clock is wrong). The token is signed
// correctly, so only the portal's claim checks can refuse it. "rotated" is a good token signed
// with a second key that the key set (/jwks) publishes only from then on, as after a key
// rotation: a client that cached the keys must fetch them again.
//
// GET /__test/counts tells how often discovery (unless asked with x-kenshu-probe) and the key
// set were fetched.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(readFileSync(process.env.KENSHU_OIDC_CONFIG, 'utf8'));

// The package is installed outside the repository (npm --prefix); ESM ignores NODE_PATH, so it
// is imported by its file.
const { default: Provider } = await import(
  pathToFileURL(join(config.modules, 'node_modules', 'oidc-provider', 'lib', 'index.js')).href
);

// Fresh signing keys for every run: the provider's, and the one it rotates to.
const newKey = () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const { kty, n, e } = jwk;
  return { privateKey, kid, jwk, public: { kty, n, e, kid, alg: 'RS256', use: 'sig' } };
};
const first = newKey();
const second = newKey();
let rotated = false;
const counts = { discovery: 0, jwks: 0 };

const accounts = new Map(config.accounts.map((a) => [a.login, a]));

const provider = new Provider(config.issuer, {
  clients: config.clients.map((c) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...c,
  })),
  jwks: { keys: [first.jwk] },
  async findAccount(ctx, id) {
    const account = accounts.get(id);
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account.claims }; } };
  },
  claims: {
    // How the person authenticated travels with every ID token, as Entra ID sends it.
    openid: ['sub', 'amr'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'employee_number'],
  },
  // Scope claims go into the ID token too (as Entra ID and most providers do), not only to
  // the userinfo endpoint.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: [randomUUID()] },
});

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// Re-signs the ID token of a misbehaving account.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body || !ctx.body.id_token) return;
  const [, payloadPart] = ctx.body.id_token.split('.');
  const payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  const account = accounts.get(payload.sub);
  if (!account || !account.misbehave) return;
  let key = first;
  if (account.misbehave === 'rotated') {
    rotated = true;
    key = second;
  } else if (account.misbehave === 'audience') {
    payload.aud = 'another-client';
  } else if (account.misbehave === 'clock') {
    payload.iat -= 7200;
    payload.exp = payload.iat + 600;
  }
  const header = b64url(JSON.stringify({ alg: 'RS256', kid: key.kid }));
  const body = b64url(JSON.stringify(payload));
  const signature = sign('sha256', Buffer.from(`${header}.${body}`), key.privateKey);
  ctx.body = { ...ctx.body, id_token: `${header}.${body}.${b64url(signature)}` };
});

const readBody = (req) => new Promise((resolve, reject) => {
  let data = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => { data += chunk; });
  req.on('end', () => resolve(data));
  req.on('error', reject);
});

const app = provider.callback();

const server = createServer(async (req, res) => {
  const path = new URL(req.url, config.issuer).pathname;
  if (path === '/__test/counts') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(counts));
    return;
  }
  // The harness's own wait for the provider (marked) is not the portal fetching discovery.
  if (path === '/.well-known/openid-configuration' && !req.headers['x-kenshu-probe']) {
    counts.discovery += 1;
  }
  if (path === '/jwks') {
    counts.jwks += 1;
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
    res.end(JSON.stringify({ keys: rotated ? [first.public, second.public] : [first.public] }));
    return;
  }
  if (!/^\/interaction\/[^/]+$/.test(path)) {
    app(req, res);
    return;
  }
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>Test provider</title>
<form method="post" action="/interaction/${details.uid}">
<label>Login <input name="login"></label>
<label>Password <input name="password" type="password"></label>
<button>Sign in</button></form>`);
      return;
    }
    const form = new URLSearchParams(await readBody(req));
    const account = accounts.get(form.get('login') || '');
    if (!account || account.password !== form.get('password')) {
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('wrong login or password');
      return;
    }
    const grant = new provider.Grant({ accountId: account.login, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, {
      login: { accountId: account.login, amr: account.amr || ['pwd'] },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  } catch (e) {
    res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(String(e && e.stack || e));
  }
});

server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${config.issuer}\n`);
});
