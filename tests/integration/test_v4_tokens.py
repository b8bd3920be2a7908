"""v4 access tokens (wire-contract §3, §4, §6; bad-inputs §D): claims and header, the JWKS and a
signature check by an independent implementation (Node's crypto, fed only the published JWK),
what the tokens open, forged tokens, and the CLI changes that must end a user's sessions within
one second (disable, set-password) or rotate the signing key."""

import base64
import hashlib
import hmac
import json
import time
import unittest

from harness import (ServerTestCase, b64url, b64url_decode, jwt_decode, run_node, wait_until)

PASSWORD = "tokens pass 4"
CLAIMS = ["ver", "jti", "iss", "aud", "iat", "exp", "cid", "uid", "scp", "sub"]

# Reads {"jwks": …, "tokens": […]} and prints, for each token, whether its RS256 signature
# verifies with the JWK its kid names, plus every JWK's public key in PEM/DER form (for the
# algorithm-confusion forgeries).
NODE_VERIFY = r"""
const crypto = require('crypto');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const keys = input.jwks.keys;
const verified = input.tokens.map(t => {
  const [h, p, s] = t.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  const jwk = keys.find(k => k.kid === header.kid);
  if (!jwk) return false;
  const pub = crypto.createPublicKey({key: jwk, format: 'jwk'});
  return crypto.verify('RSA-SHA256', Buffer.from(h + '.' + p), pub, Buffer.from(s, 'base64url'));
});
const forms = keys.map(k => {
  const pub = crypto.createPublicKey({key: k, format: 'jwk'});
  return {kid: k.kid, bits: pub.asymmetricKeyDetails.modulusLength,
          spki_pem: pub.export({type: 'spki', format: 'pem'}),
          pkcs1_pem: pub.export({type: 'pkcs1', format: 'pem'}),
          spki_der: pub.export({type: 'spki', format: 'der'}).toString('base64')};
});
console.log(JSON.stringify({verified, forms}));
"""


def node_verify(jwks, tokens):
    return json.loads(run_node(NODE_VERIFY, json.dumps({"jwks": jwks, "tokens": tokens})))


def sign_hs256(header, claims, secret):
    signing_input = b64url(json.dumps(header, separators=(",", ":"))) + "." + \
        b64url(json.dumps(claims, separators=(",", ":")))
    mac = hmac.new(secret if isinstance(secret, bytes) else secret.encode(),
                   signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(mac)


class V4Tokens(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = "tokens@acme.test"
        cls.guids, cls.api_id, cls.secret = cls.server.seed(
            user=cls.user, companies=("Tok One", "Tok Two"), password=PASSWORD)
        # An account the user holds no role on: never listed for them.
        cls.server.cli_json("account", "create", "--company", "Elsewhere", "--country", "FR")

    def login(self, user=None, password=PASSWORD, offline=True):
        return self.server.v4_login(user or self.user, password, offline)

    def assert_invalid_token(self, token, what=""):
        status, headers, body = self.server.accounts(token)
        self.assertEqual(status, 401, "%s: %s" % (what, body))
        self.assertTrue(headers.get("www-authenticate", "").startswith(
            'Bearer error="invalid_token"'), headers)

    def assert_invalid_grant(self, response, what=""):
        status, headers, body = response
        self.assertEqual(status, 400, "%s: %s" % (what, body))
        self.assertEqual(json.loads(body)["error"], "invalid_grant", what)
        self.assertEqual(headers.get("cache-control"), "no-store")
        return json.loads(body)

    def refresh_until_refused(self, refresh_token, timeout_s=1.0):
        """Refreshes until the answer is invalid_grant (a 200 meanwhile hands over the new
        token); returns the seconds it took, or None."""
        start = time.monotonic()
        while time.monotonic() - start <= timeout_s:
            status, _, body = self.server.v4_refresh(refresh_token)
            if status == 400 and json.loads(body)["error"] == "invalid_grant":
                return time.monotonic() - start
            self.assertEqual(status, 200, body)
            refresh_token = json.loads(body)["refreshToken"]
            time.sleep(0.02)
        return None

    # --- claims, header, JWKS, signature
    def test_claims_and_header(self):
        before = int(time.time())
        body = self.login()
        after = int(time.time())
        header, claims = jwt_decode(body["accessToken"])
        self.assertEqual(set(header), {"kid", "alg"}, header)
        self.assertEqual(header["alg"], "RS256")
        self.assertIsInstance(header["kid"], str)
        self.assertEqual(set(claims), set(CLAIMS), claims)
        self.assertEqual(claims["ver"], 1)
        self.assertTrue(claims["jti"].startswith("AT."), claims["jti"])
        self.assertGreater(len(claims["jti"]), 3 + 20)
        self.assertEqual(claims["aud"], claims["iss"])
        self.assertTrue(before - 2 <= claims["iat"] <= after + 2, (before, claims["iat"]))
        self.assertEqual(claims["exp"] - claims["iat"], 3600)
        self.assertEqual(claims["cid"], "connect-auth")
        self.assertEqual(claims["uid"], str(self.server.user_id(self.user)))
        self.assertEqual(claims["scp"], ["offline_access"])
        self.assertEqual(claims["sub"], self.user)
        second = jwt_decode(self.login()["accessToken"])[1]
        self.assertNotEqual(second["jti"], claims["jti"])
        self.assertEqual(jwt_decode(self.login(offline=False)["accessToken"])[1]["scp"], [])
        # Default issuer: the URL the server listens on (the bound port, not the configured 0).
        self.assertEqual(claims["iss"], self.server.url)

    def test_header_and_claim_order_follow_the_seed(self):
        header, claims = jwt_decode(self.login()["accessToken"])
        self.assertEqual(list(header), ["kid", "alg"])
        self.assertEqual(list(claims), CLAIMS)

    def test_jwks_publishes_only_public_rsa_keys(self):
        status, headers, body = self.server.request("GET", "/oauth2/keys")
        self.assertEqual(status, 200, body)
        self.assertIn(headers.get("content-type", "").split(";")[0].strip(),
                      ("application/json", "application/jwk-set+json"))
        jwks = json.loads(body)
        self.assertEqual(list(jwks), ["keys"])
        self.assertGreaterEqual(len(jwks["keys"]), 1)
        for key in jwks["keys"]:
            self.assertEqual(set(key), {"kty", "alg", "use", "kid", "n", "e"}, key)
            self.assertEqual((key["kty"], key["alg"], key["use"]), ("RSA", "RS256", "sig"))
            self.assertEqual(key["e"], "AQAB")
            self.assertEqual(len(b64url_decode(key["n"])), 256)  # RSA-2048
        kid = jwt_decode(self.login()["accessToken"])[0]["kid"]
        self.assertIn(kid, [k["kid"] for k in jwks["keys"]])
        self.assertNotIn("HS256", body)

    def test_signature_verifies_with_node_and_only_the_published_jwk(self):
        tokens = [self.login()["accessToken"], self.login(offline=False)["accessToken"]]
        header, payload, signature = tokens[0].split(".")
        tampered = header + "." + b64url(b64url_decode(payload).replace(
            self.user.encode(), b"tokenz@acme.test")) + "." + signature
        result = node_verify(self.server.jwks(), tokens + [tampered])
        self.assertEqual(result["verified"], [True, True, False])
        self.assertTrue(all(f["bits"] == 2048 for f in result["forms"]))

    # --- what a v4 token opens
    def test_opens_exactly_the_users_active_accounts(self):
        guids, _, _ = self.server.seed(user="accounts4@acme.test", password=PASSWORD,
                                       companies=("Four One", "Four Two", "Four Three"))
        token = self.login("accounts4@acme.test")["accessToken"]
        status, _, body = self.server.accounts(token)
        self.assertEqual(status, 200, body)
        listed = json.loads(body)
        self.assertEqual(sorted(a["accountGuid"] for a in listed), sorted(guids))
        self.assertEqual(list(listed[0]), ["accountGuid", "companyName", "countryCode"])
        self.server.cli("account", "deactivate", guids[1])

        def without_second():
            s, _, b = self.server.accounts(token)
            return s == 200 and sorted(a["accountGuid"] for a in json.loads(b)) == \
                sorted([guids[0], guids[2]])

        self.assertIsNotNone(wait_until(without_second), "an inactive account listed after 1 s")
        self.server.cli("account", "activate", guids[1])
        self.assertIsNotNone(wait_until(lambda: len(json.loads(
            self.server.accounts(token)[2])) == 3))

    def test_v3_tokens_still_work(self):
        token = self.server.token(self.api_id, self.secret)
        status, _, body = self.server.accounts(token)
        self.assertEqual(status, 200, body)
        self.assertEqual(sorted(a["accountGuid"] for a in json.loads(body)), sorted(self.guids))
        v4 = self.login()["accessToken"]
        self.assertEqual(json.loads(self.server.accounts(v4)[2]), json.loads(body))

    # --- forgeries (bad-inputs §D)
    def test_forged_tokens_are_invalid_token(self):
        token = self.login()["accessToken"]
        header, payload, signature = token.split(".")
        h, claims = jwt_decode(token)
        jwks = self.server.jwks()
        jwk = next(k for k in jwks["keys"] if k["kid"] == h["kid"])
        forms = next(f for f in node_verify(jwks, [])["forms"] if f["kid"] == h["kid"])

        def enc(obj):
            return b64url(json.dumps(obj, separators=(",", ":")))

        cases = {}
        for field, value in (("sub", "root@acme.test"), ("exp", claims["exp"] + 86400),
                             ("uid", str(int(claims["uid"]) + 1000)), ("scp", ["admin"]),
                             ("iss", "https://evil.test")):
            self.assertNotEqual(claims[field], value)
            forged = dict(claims, **{field: value})
            cases["tampered " + field] = header + "." + enc(forged) + "." + signature
        for alg in ("none", "None", "NONE", "nOnE"):
            none_header = enc({"kid": h["kid"], "alg": alg})
            cases["alg " + alg] = none_header + "." + payload + "."
            cases["alg %s with signature" % alg] = none_header + "." + payload + "." + signature
        secrets = {"jwk text": json.dumps(jwk, separators=(",", ":")),
                   "jwk text spaced": json.dumps(jwk),
                   "jwks text": json.dumps(jwks, separators=(",", ":")),
                   "spki pem": forms["spki_pem"], "pkcs1 pem": forms["pkcs1_pem"],
                   "spki der": base64.b64decode(forms["spki_der"]),
                   "modulus": b64url_decode(jwk["n"])}
        for name, secret in secrets.items():
            for hs_header in ({"kid": h["kid"], "alg": "HS256"},
                              {"kid": h["kid"], "alg": "HS256", "typ": "JWT"}):
                cases["HS256 with %s %d" % (name, len(hs_header))] = sign_hs256(hs_header,
                                                                               claims, secret)
        cases["signature stripped"] = header + "." + payload + "."
        cases["two segments"] = header + "." + payload
        cases["four segments"] = token + "." + signature
        cases["signature truncated"] = header + "." + payload + "." + signature[:-6]
        cases["signature of another token"] = header + "." + payload + "." + \
            self.login(offline=False)["accessToken"].split(".")[2]
        for kid in ("unknown-kid", "../../../../etc/passwd", "' OR '1'='1", "k" * 4000, 1, None,
                    ["x"]):
            cases["kid %r" % (kid if not isinstance(kid, str) else kid[:20])] = \
                enc({"kid": kid, "alg": "RS256"}) + "." + payload + "." + signature
        cases["jku"] = enc({"kid": h["kid"], "alg": "RS256", "jku": "https://evil.test/k"}) + \
            "." + payload + "." + signature
        for name, forged in cases.items():
            with self.subTest(case=name):
                self.server.secrets_seen.add(forged)
                self.assert_invalid_token(forged, name)
        self.assertEqual(self.server.accounts(token)[0], 200)

    def test_refresh_token_is_not_an_access_token(self):
        body = self.login()
        self.assert_invalid_token(body["refreshToken"], "refresh token as bearer")
        # and the other way round: an access token is no refresh token
        status, _, text = self.server.v4_refresh(body["accessToken"])
        self.assertEqual(status, 400, text)
        self.assertIn(json.loads(text)["error"], ("invalid_grant", "invalid_request"))

    # --- CLI changes end sessions within one second
    def test_disable_ends_access_and_refresh_tokens_and_enable_does_not_revive_them(self):
        user = "disable4@acme.test"
        self.server.seed(user=user, password=PASSWORD)
        body = self.login(user)
        self.server.secrets_seen.add("not it, wrong")
        wrong = self.server.post_v4({"userName": user, "password": "not it, wrong",
                                     "grantType": "PASSWORD"})
        wrong_description = self.assert_invalid_grant(wrong)["error_description"]
        self.assertEqual(self.server.accounts(body["accessToken"])[0], 200)
        self.server.cli("user", "disable", "--user-name", user)
        self.assertIsNotNone(wait_until(
            lambda: self.server.accounts(body["accessToken"])[0] == 401),
            "a disabled user's v4 access token still worked after 1 s")
        self.assertIsNotNone(self.refresh_until_refused(body["refreshToken"]),
                             "a disabled user's refresh token still worked after 1 s")
        refused = self.assert_invalid_grant(self.server.post_v4(
            {"scope": "OFFLINE_ACCESS", "userName": user, "password": PASSWORD,
             "grantType": "PASSWORD"}), "a disabled user's password login")
        self.assertEqual(refused["error_description"], wrong_description)

        self.server.cli("user", "enable", "--user-name", user)
        took = wait_until(lambda: self.server.post_v4(
            {"userName": user, "password": PASSWORD, "grantType": "PASSWORD"})[0] == 200)
        self.assertIsNotNone(took, "an enabled user could not log in within 1 s")
        fresh = self.login(user)
        self.assertIsNotNone(wait_until(
            lambda: self.server.accounts(fresh["accessToken"])[0] == 200))
        self.assert_invalid_token(body["accessToken"], "a token from before the disable")
        self.assert_invalid_grant(self.server.v4_refresh(body["refreshToken"]),
                                  "a refresh token from before the disable")
        self.assertEqual(self.server.v4_refresh(fresh["refreshToken"])[0], 200)

    def test_set_password_ends_sessions(self):
        user = "setpw4@acme.test"
        new_password = "brand new pass 5"
        self.server.secrets_seen.add(new_password)
        self.server.seed(user=user, password=PASSWORD)
        body = self.login(user)
        self.server.cli("user", "set-password", "--user-name", user,
                        input_text=new_password + "\n")
        self.assertIsNotNone(wait_until(
            lambda: self.server.accounts(body["accessToken"])[0] == 401),
            "an access token from before set-password still worked after 1 s")
        self.assertIsNotNone(self.refresh_until_refused(body["refreshToken"]),
                             "a refresh token from before set-password still worked after 1 s")
        self.assert_invalid_grant(self.server.post_v4(
            {"userName": user, "password": PASSWORD, "grantType": "PASSWORD"}), "old password")
        fresh = self.login(user, new_password)
        self.assertIsNotNone(wait_until(
            lambda: self.server.accounts(fresh["accessToken"])[0] == 200),
            "a token after set-password did not work")
        self.assertEqual(self.server.v4_refresh(fresh["refreshToken"])[0], 200)
        self.assert_invalid_token(body["accessToken"])


class ConfiguredV4Claims(ServerTestCase):
    server_env = {"CONNECT_AUTH_ISSUER": "https://auth.example.test",
                  "CONNECT_AUTH_TOKENS_V4_AUDIENCE": "https://api.example.test/v1",
                  "CONNECT_AUTH_TOKENS_V4_CLIENT_ID": "0oa-first-party",
                  "CONNECT_AUTH_TOKENS_V4_LIFETIME_SECONDS": "600"}

    def test_issuer_audience_client_id_and_lifetime_come_from_config(self):
        self.server.seed(user="conf@acme.test", password=PASSWORD)
        body = self.server.v4_login("conf@acme.test", PASSWORD)
        self.assertEqual(body["expiresIn"], "600")
        claims = jwt_decode(body["accessToken"])[1]
        self.assertEqual(claims["iss"], "https://auth.example.test")
        self.assertEqual(claims["aud"], "https://api.example.test/v1")
        self.assertEqual(claims["cid"], "0oa-first-party")
        self.assertEqual(claims["exp"] - claims["iat"], 600)
        self.assertEqual(self.server.accounts(body["accessToken"])[0], 200)
        status, _, text = self.server.v4_refresh(body["refreshToken"])
        self.assertEqual(status, 200, text)
        self.assertEqual(json.loads(text)["expiresIn"], "600")


class SigningKeyRotation(ServerTestCase):
    server_env = {"CONNECT_AUTH_SIGNING_KEYS_PUBLISH_DELAY_SECONDS": "1"}

    def kids(self):
        return [k["kid"] for k in self.server.jwks()["keys"]]

    def test_rotate_publishes_at_once_and_signs_after_the_delay(self):
        user = "rotate@acme.test"
        _, api_id, secret = self.server.seed(user=user, password=PASSWORD)
        old = self.server.v4_login(user, PASSWORD)["accessToken"]
        old_v3 = self.server.token(api_id, secret)
        old_kid = jwt_decode(old)[0]["kid"]
        self.assertIn(old_kid, self.kids())

        rotated = self.server.cli_json("signing-key", "rotate")
        new_kid = next(k["kid"] for k in rotated if k["algorithm"] == "RS256")
        self.assertNotEqual(new_kid, old_kid)
        self.assertIsNotNone(wait_until(lambda: new_kid in self.kids()),
                             "the new key was not published within 1 s")
        self.assertIn(old_kid, self.kids())
        self.assertEqual(node_verify(self.server.jwks(), [old])["verified"], [True])
        self.assertEqual(self.server.accounts(old)[0], 200)

        seen = []

        def signs_with_new_key():
            token = self.server.v4_login(user, PASSWORD, offline=False)["accessToken"]
            kid = jwt_decode(token)[0]["kid"]
            # Whatever key signs, it is one the JWKS already publishes.
            self.assertIn(kid, self.kids())
            seen.append(token)
            return kid == new_kid

        self.assertIsNotNone(wait_until(signs_with_new_key, timeout_s=3.0, step_s=0.2),
                             "no token signed with the new key 3 s after a 1 s publish delay")
        new = seen[-1]
        result = node_verify(self.server.jwks(), [old, new] + seen)
        self.assertTrue(all(result["verified"]), result["verified"])
        self.assertEqual(self.server.accounts(new)[0], 200)
        self.assertEqual(self.server.accounts(old)[0], 200)
        self.assertEqual(self.server.accounts(old_v3)[0], 200)
        self.assertEqual(self.server.accounts(self.server.token(api_id, secret))[0], 200)
        states = {k["kid"]: k["state"] for k in self.server.cli_json("signing-key", "list")}
        self.assertEqual(states[new_kid], "signing")
        self.assertEqual(states[old_kid], "verifying")


if __name__ == "__main__":
    unittest.main()
