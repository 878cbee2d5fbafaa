// A real OpenID Provider (panva oidc-provider 9, OpenID-certified) for jitsuin's SSO tests.
// Configured by the environment (the test fixture): OP_ISSUER, OP_PORT, OP_KEY_FILE (private
// JWK), OP_CLIENT_ID, OP_CLIENT_SECRET, OP_REDIRECT_URIS and OP_POST_LOGOUT_REDIRECT_URIS
// (space-separated). Sign-in is a plain login form of this file (any password); the login
// name picks an account below.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};

// login -> claims. The subject is "sub-<login>": stable and unique, unlike the names.
const ACCOUNTS = {
  s2310001: {
    preferred_username: 's2310001', email: 's2310001@example.ac.jp', email_verified: true,
    name: 'Taro Yamada', given_name: 'Taro', family_name: 'Yamada', 'name#ja': '山田 太郎',
  },
  // Another person whose preferred_username is (re)set to s2310001: a different subject.
  imposter: {
    preferred_username: 's2310001', email: 'imposter@example.ac.jp', email_verified: true,
    name: 'Evil Twin', given_name: 'Evil', family_name: 'Twin',
  },
  // An IdP user named like jitsuin's local superuser.
  breakglass: {
    preferred_username: 'breakglass', email: 'bg@example.ac.jp', email_verified: true,
    name: 'Break Glass', given_name: 'Break', family_name: 'Glass',
  },
  noemail: { preferred_username: 'noemail', name: 'No Mail', given_name: 'No', family_name: 'Mail' },
  // Someone with no directory entry yet.
  newcomer: {
    preferred_username: 's2399999', email: 's2399999@example.ac.jp', email_verified: true,
    name: 'Ken Newcomer', given_name: 'Ken', family_name: 'Newcomer', 'name#ja': '新入 健',
  },
};

// The provider makes the ID token's `sub` of the accountId, which is "sub-<login>".
const loginOf = (id) => id.replace(/^sub-/, '');
const claimsFor = (login) => ACCOUNTS[login] ?? { preferred_username: login };
const words = (name) => (process.env[name] || '').split(/\s+/).filter(Boolean);
const CLAIMS = ['email', 'email_verified', 'name', 'name#ja', 'given_name', 'family_name', 'preferred_username'];

const provider = new Provider(env('OP_ISSUER'), {
  clients: [{
    client_id: env('OP_CLIENT_ID'),
    client_secret: env('OP_CLIENT_SECRET'),
    redirect_uris: words('OP_REDIRECT_URIS'),
    post_logout_redirect_uris: words('OP_POST_LOGOUT_REDIRECT_URIS'),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  jwks: { keys: [JSON.parse(readFileSync(env('OP_KEY_FILE'), 'utf8'))] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'name#ja', 'given_name', 'family_name', 'preferred_username'],
  },
  conformIdTokenClaims: false, // the profile claims in the ID token too, as many IdPs do
  features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, id) => {
    const login = loginOf(id);
    return { accountId: `sub-${login}`, claims: async () => ({ sub: `sub-${login}`, ...claimsFor(login) }) };
  },
  // A first-party client: consent is implied, so no consent screen after the login form.
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(CLAIMS);
    await grant.save();
    return grant;
  },
  ttl: { IdToken: 3600, AccessToken: 3600, AuthorizationCode: 60, Session: 3600, Interaction: 600, Grant: 3600 },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.on('grant.error', (ctx, err) => console.error('grant.error', err.message, err.error_description));
provider.on('end_session.error', (ctx, err) => console.error('end_session.error', err.message, err.error_description, err.cause?.message ?? ''));

// The login step (the provider leaves interactions to its host): a form, then the account
// "sub-<login>". Consent is implied by loadExistingGrant.
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const loginPage = (uid) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Campus sign-in (test OP)</title></head><body><h1>Campus sign-in (test OP)</h1>
<form method="post" action="/interaction/${escape(uid)}/login">
<label>Login <input name="login" autofocus required></label>
<label>Password <input name="password" type="password" required></label>
<button type="submit">Sign-in</button></form></body></html>`;

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const providerCallback = provider.callback();
const server = createServer(async (req, res) => {
  if (!req.url.startsWith('/interaction/')) return providerCallback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name !== 'login') throw new Error(`unexpected prompt ${details.prompt.name}`);
    if (req.method === 'POST') {
      const login = (await body(req)).get('login') || '';
      const result = { login: { accountId: `sub-${loginOf(login)}` } };
      return await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(loginPage(details.uid));
  } catch (err) {
    console.error('interaction', err);
    res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end(`interaction failed: ${err.message}`);
  }
});
server.listen(Number(env('OP_PORT')), '127.0.0.1', () => console.log(`OP ${env('OP_ISSUER')} ready`));
