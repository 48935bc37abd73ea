// A real OpenID Connect provider on loopback for the login tests: npm's oidc-provider,
// with its development login form (any password; the login names an account below).
//
//   node provider.mjs <config.json>
// config: {"port", "client_id", "client_secret", "redirect_uri", "accounts": {name: [groups]}}
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: [config.redirect_uri],
      token_endpoint_auth_method: 'client_secret_post'
    }
  ],
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name'],
    email: ['email'],
    groups: ['groups']
  },
  scopes: ['openid', 'profile', 'email', 'groups'],
  async findAccount(ctx, id) {
    const groups = config.accounts[id];
    if (!groups) {
      return undefined;
    }
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: id, email: `${id}@example.org`, groups };
      }
    };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['a-key-for-tests-only'] }
});
provider.on('server_error', (ctx, error) => console.error('server_error', error));
provider.listen(config.port, '127.0.0.1', () => console.log(`oidc-provider at ${issuer}`));
