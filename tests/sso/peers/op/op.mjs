// A real OpenID Provider (panva oidc-provider 9, OpenID-certified) for jitsuin's SSO tests.
// Configured by the environment (the test fixture): OP_ISSUER, OP_PORT, OP_KEY_FILE (private
// JWK), OP_CLIENT_ID, OP_CLIENT_SECRET, OP_REDIRECT_URIS and OP_POST_LOGOUT_REDIRECT_URIS
// (space-separated). Sign-in is the provider's dev login form (any password); the login name
// picks an account below.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const env = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set`);
  return process.env[name];
};

// login -> claims. `sub` is "sub-<login>": stable and unique, unlike the names.
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

const claimsFor = (login) => ({ sub: `sub-${login}`, ...(ACCOUNTS[login] ?? { preferred_username: login }) });
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
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => claimsFor(id) }),
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
provider.listen(Number(env('OP_PORT')), '127.0.0.1', () => console.log(`OP ${env('OP_ISSUER')} ready`));
