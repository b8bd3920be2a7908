// Off-the-shelf OAuth 2.0 clients against the real server (driven by
// tests/integration/test_oauth2_clients.py): openid-client for discovery (RFC 8414), the token
// endpoint (client_credentials, password via genericGrantRequest, refresh_token), introspection
// (RFC 7662) and revocation (RFC 7009); jose as an independent resource server that verifies v4
// access tokens with the keys of the DISCOVERED jwks_uri only.
//
//   node oauth2_clients.mjs SCENARIO < input.json > observations.json
//
// input: {"issuer", "audience", "user", "password", "api": {"id", "secret"},
//         "introspector": {"id", "secret"}}
// The program does not judge the server: it runs each step as an application would and prints
// what it observed (library results, or the library's error described by describe()) as one JSON
// object; the Python test asserts. "secrets" lists every token it saw, for the log check.
// TLS: the development certificate is trusted with NODE_EXTRA_CA_CERTS; verification stays on.

import * as client from 'openid-client';
import * as jose from 'jose';
import { readFileSync } from 'node:fs';

const input = JSON.parse(readFileSync(0, 'utf8'));
const issuer = new URL(input.issuer);
const secrets = [];
const PUBLIC_CLIENT_ID = 'connect-auth';

function seen(...tokens) {
  for (const t of tokens) if (typeof t === 'string' && t) secrets.push(t);
}

// A library error as data: its class, code, HTTP status and OAuth error, the WWW-Authenticate
// challenges the library parsed, and the response body when the library left it unread.
async function describe(err) {
  const out = { name: err?.name, message: err?.message, code: err?.code };
  if (err?.status !== undefined) out.status = err.status;
  if (err?.error !== undefined) out.error = err.error;
  if (err?.error_description !== undefined) out.error_description = err.error_description;
  if (err instanceof client.WWWAuthenticateChallengeError) out.challenges = err.cause;
  else if (err?.cause !== undefined) {
    try {
      out.cause = JSON.parse(JSON.stringify(err.cause, (k, v) =>
        (v instanceof Response ? { status: v.status, headers: Object.fromEntries(v.headers) }
          : v instanceof URL ? v.href : v)));
    } catch {
      out.cause = String(err.cause);
    }
  }
  const response = err?.response ?? (err?.cause instanceof Response ? err.cause : undefined);
  if (response instanceof Response) {
    out.status = response.status;
    out.headers = Object.fromEntries(response.headers);
    if (!response.bodyUsed) {
      try { out.body = await response.text(); } catch { /* already consumed */ }
    }
  }
  return out;
}

// Runs step; returns {ok: true, value} or {ok: false, failure: describe(error)}.
async function attempt(step) {
  try {
    return { ok: true, value: await step() };
  } catch (err) {
    return { ok: false, failure: await describe(err) };
  }
}

async function discover(clientId, auth) {
  return client.discovery(issuer, clientId, undefined, auth, { algorithm: 'oauth2' });
}

const apiBasic = () => discover(input.api.id, client.ClientSecretBasic(input.api.secret));
const apiPost = () => discover(input.api.id, client.ClientSecretPost(input.api.secret));
const publicClient = () => discover(PUBLIC_CLIENT_ID, client.None());
const introspector = () =>
  discover(input.introspector.id, client.ClientSecretBasic(input.introspector.secret));

function tokenFields(tokens) {
  seen(tokens.access_token, tokens.refresh_token);
  return {
    access_token: tokens.access_token,
    token_type: tokens.token_type,
    expires_in: tokens.expires_in,
    expiresIn: tokens.expiresIn(),
    refresh_token: tokens.refresh_token ?? null,
    scope: tokens.scope ?? null,
    members: Object.keys(tokens).sort(),
  };
}

// GET /rest/v3/accounts the way an openid-client application calls a resource server.
async function accounts(config, accessToken) {
  const url = new URL('/rest/v3/accounts', issuer);
  const r = await attempt(async () => {
    const response = await client.fetchProtectedResource(config, accessToken, url, 'GET');
    return { status: response.status, body: await response.json() };
  });
  return r.ok ? r.value : r.failure;
}

async function login(config, scope = 'offline_access') {
  seen(input.password);
  const params = { username: input.user, password: input.password };
  if (scope !== null) params.scope = scope;
  return client.genericGrantRequest(config, 'password', params);
}

const scenarios = {
  // RFC 8414 discovery: the library requires metadata.issuer to equal the issuer it was given.
  async discovery() {
    const config = await apiBasic();
    const metadata = config.serverMetadata();
    // The library's default algorithm is OpenID Connect discovery; recorded, not required.
    const oidc = await attempt(() => client.discovery(issuer, input.api.id, input.api.secret));
    return {
      metadata: JSON.parse(JSON.stringify(metadata)),
      supportsPKCE: metadata.supportsPKCE(),
      oidc_default: oidc.ok ? { ok: true } : { ok: false, failure: oidc.failure },
    };
  },

  // client_credentials with the API key, client_secret_basic and client_secret_post.
  async 'client-credentials'() {
    const out = {};
    for (const [name, make] of [['basic', apiBasic], ['post', apiPost]]) {
      const config = await make();
      const tokens = await client.clientCredentialsGrant(config);
      out[name] = { tokens: tokenFields(tokens), accounts: await accounts(config, tokens.access_token) };
    }
    // Wrong secret: what the library reports for the server's 401 invalid_client.
    const wrong = await discover(input.api.id, client.ClientSecretBasic(input.api.secret + 'x'));
    out.wrong_secret = await attempt(() => client.clientCredentialsGrant(wrong));
    return out;
  },

  // password grant (genericGrantRequest, public client, no secret) then refresh_token.
  async 'password-refresh'() {
    const config = await publicClient();
    const first = await login(config);
    const refreshed = await client.refreshTokenGrant(config, first.refresh_token);
    const again = await client.refreshTokenGrant(config, refreshed.refresh_token);
    const without = await login(config, null);
    seen(input.password + 'x');
    const wrongPassword = await attempt(() => client.genericGrantRequest(config, 'password', {
      username: input.user, password: input.password + 'x', scope: 'offline_access' }));
    return {
      login: tokenFields(first),
      refreshed: tokenFields(refreshed),
      again: tokenFields(again),
      without_offline_access: tokenFields(without),
      accounts_after_refresh: await accounts(config, refreshed.access_token),
      wrong_password: wrongPassword,
    };
  },

  // RFC 7662 with an API key that has the introspection permission.
  async introspection() {
    const pub = await publicClient();
    const api = await apiBasic();
    const intro = await introspector();
    const v4 = await login(pub);
    const v3 = await client.clientCredentialsGrant(api);
    seen(v4.access_token, v4.refresh_token, v3.access_token);
    const introspect = async (config, token, hint) => {
      const r = await attempt(() => client.tokenIntrospection(
        config, token, hint ? { token_type_hint: hint } : undefined));
      return r.ok ? { ok: true, value: JSON.parse(JSON.stringify(r.value)) } : r;
    };
    const post = await discover(input.introspector.id,
                                client.ClientSecretPost(input.introspector.secret));
    return {
      v4_access: await introspect(intro, v4.access_token),
      v4_access_claims: jose.decodeJwt(v4.access_token),
      v3_access: await introspect(intro, v3.access_token, 'access_token'),
      v3_access_claims: jose.decodeJwt(v3.access_token),
      refresh: await introspect(intro, v4.refresh_token, 'refresh_token'),
      refresh_client_secret_post: await introspect(post, v4.refresh_token),
      // A wrong token_type_hint must not hide a token (RFC 7662 §2.1: extend the search).
      v4_access_wrong_hint: await introspect(intro, v4.access_token, 'refresh_token'),
      refresh_wrong_hint: await introspect(intro, v4.refresh_token, 'access_token'),
      unknown: await introspect(intro, 'not-a-token-at-all'),
      tampered: await introspect(intro, v4.access_token.slice(0, -4) + 'AAAA'),
      // An API key without the permission, and the public client, must be refused.
      without_permission: await introspect(api, v4.access_token),
      public_client: await introspect(pub, v4.access_token),
    };
  },

  // RFC 7009: after revocation the access token is refused by the resource endpoint and
  // introspects as inactive; a revoked refresh token cannot be used.
  async revocation() {
    const pub = await publicClient();
    const api = await apiBasic();
    const intro = await introspector();
    const introspect = async (token) => {
      const r = await attempt(() => client.tokenIntrospection(intro, token));
      return r.ok ? { ok: true, value: JSON.parse(JSON.stringify(r.value)) } : r;
    };
    const out = {};

    const v4 = await login(pub);
    seen(v4.access_token, v4.refresh_token);
    out.v4_before = { accounts: await accounts(pub, v4.access_token),
                      introspection: await introspect(v4.access_token) };
    // Another client's token: the API key may not revoke the user's access token.
    out.v4_by_api_key = await attempt(() => client.tokenRevocation(api, v4.access_token));
    out.v4_revoke = await attempt(() => client.tokenRevocation(pub, v4.access_token,
                                                                { token_type_hint: 'access_token' }));
    out.v4_after = { accounts: await accounts(pub, v4.access_token),
                     introspection: await introspect(v4.access_token) };
    // Revoking the access token leaves the refresh token usable (RFC 7009 §2.1 MAY, not MUST).
    out.refresh_after_access_revoked = await attempt(async () =>
      tokenFields(await client.refreshTokenGrant(pub, v4.refresh_token)));

    const second = await login(pub);
    seen(second.access_token, second.refresh_token);
    out.refresh_revoke = await attempt(() => client.tokenRevocation(pub, second.refresh_token,
                                                                     { token_type_hint: 'refresh_token' }));
    out.refresh_after = await attempt(() => client.refreshTokenGrant(pub, second.refresh_token));
    out.refresh_introspection = await introspect(second.refresh_token);

    const v3 = await client.clientCredentialsGrant(api);
    seen(v3.access_token);
    out.v3_before = await accounts(api, v3.access_token);
    // With a wrong token_type_hint, which must not hide the token (RFC 7009 §2.1).
    out.v3_revoke = await attempt(() => client.tokenRevocation(api, v3.access_token,
                                                                { token_type_hint: 'refresh_token' }));
    out.v3_after = { accounts: await accounts(api, v3.access_token),
                     introspection: await introspect(v3.access_token) };

    // Unknown tokens: 200, nothing to tell (RFC 7009 §2.2).
    out.unknown_revoke = await attempt(() => client.tokenRevocation(pub, 'no-such-token'));
    return out;
  },

  // A resource server with jose: keys only from the discovered jwks_uri, issuer and audience
  // checked, RS256 only.
  async 'jwt-resource-server'() {
    const pub = await publicClient();
    const api = await apiBasic();
    const metadata = pub.serverMetadata();
    const jwks = jose.createRemoteJWKSet(new URL(metadata.jwks_uri));
    const options = { issuer: metadata.issuer, audience: input.audience, algorithms: ['RS256'] };
    const v4 = await login(pub);
    const v3 = await client.clientCredentialsGrant(api);
    seen(v4.access_token, v4.refresh_token, v3.access_token);

    const verify = async (token, opts = options) => {
      const r = await attempt(() => jose.jwtVerify(token, jwks, opts));
      return r.ok ? { ok: true, payload: r.value.payload, protectedHeader: r.value.protectedHeader }
        : { ok: false, failure: { name: r.failure.name, code: r.failure.code,
                                  message: r.failure.message } };
    };
    const [h, p, s] = v4.access_token.split('.');
    const claims = jose.decodeJwt(v4.access_token);
    const enc = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
    const flipped = Buffer.from(s, 'base64url');
    flipped[flipped.length - 1] ^= 1;
    const unsigned = enc({ alg: 'none' }) + '.' + p + '.';
    return {
      jwks_uri: metadata.jwks_uri,
      valid: await verify(v4.access_token),
      tampered_sub: await verify(h + '.' + enc({ ...claims, sub: 'root@acme.test' }) + '.' + s),
      tampered_exp: await verify(h + '.' + enc({ ...claims, exp: claims.exp + 86400 }) + '.' + s),
      tampered_signature: await verify(h + '.' + p + '.' + flipped.toString('base64url')),
      alg_none: await verify(unsigned),
      wrong_audience: await verify(v4.access_token, { ...options, audience: 'https://elsewhere.test' }),
      wrong_issuer: await verify(v4.access_token, { ...options, issuer: 'https://evil.test' }),
      v3_hs256: await verify(v3.access_token),
      keys: jwks.jwks()?.keys?.map((k) => ({ kty: k.kty, alg: k.alg, use: k.use, kid: k.kid })),
    };
  },
};

const name = process.argv[2];
if (!Object.hasOwn(scenarios, name)) {
  console.error(`usage: node oauth2_clients.mjs ${Object.keys(scenarios).join('|')} < input.json`);
  process.exit(2);
}
try {
  const result = await scenarios[name]();
  process.stdout.write(JSON.stringify({ result, secrets }) + '\n');
} catch (err) {
  // A step that an application cannot do without: report exactly what the library said.
  process.stderr.write(`${name} failed: ${JSON.stringify(await describe(err), null, 2)}\n`);
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.stdout.write(JSON.stringify({ secrets }) + '\n');
  process.exit(1);
}
