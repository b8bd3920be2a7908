"""Clients nobody here wrote (wire-contract §6, issue 4): off-the-shelf OAuth 2.0 libraries used
the way their documentation says, against the real server.

- Python: requests-oauthlib + oauthlib from Debian (python3-requests-oauthlib):
  BackendApplicationClient (client_credentials with an API key, client_secret_basic and
  client_secret_post), LegacyApplicationClient (password grant of the public client
  "connect-auth", scope offline_access) and OAuth2Session's automatic refresh.
- Node: openid-client (discovery from /.well-known/oauth-authorization-server, client_credentials,
  password via genericGrantRequest, refresh, introspection, revocation) and jose as a resource
  server that trusts only the keys of the discovered jwks_uri (tests/node/oauth2_clients.mjs).

TLS stays verified everywhere: requests gets the development certificate as `verify`, Node as
NODE_EXTRA_CA_CERTS."""

import json
import os
import time
import unittest
import urllib.parse

from harness import ServerTestCase, b64, jwt_decode, run_node_program, wait_until

try:
    import requests
    from oauthlib.oauth2 import (BackendApplicationClient, InvalidClientError, InvalidGrantError,
                                 LegacyApplicationClient)
    from requests_oauthlib import OAuth2Session
except ImportError as missing:  # scripts/install-deps.sh test installs python3-requests-oauthlib
    raise ImportError("python3-requests-oauthlib is required (apt); run with /usr/bin/python3: "
                      + str(missing))

USER = "clients@acme.test"
PASSWORD = "clients pass 4"
PUBLIC_CLIENT_ID = "connect-auth"
# A v4 audience distinct from the issuer, so the resource servers' audience check means something.
AUDIENCE = "https://accounts.acme.test"
TOKEN_PATH = "/oauth2/token"


class ResponseRecorder:
    """A requests-oauthlib compliance hook: keeps the raw token responses (the libraries parse
    them and would hide the wire: status, headers, JSON types, what the request carried)."""

    def __init__(self):
        self.responses = []

    def __call__(self, response):
        self.responses.append(response)
        return response

    @property
    def last(self):
        return self.responses[-1]


def sent_form(response):
    """The form parameters of the request that produced response."""
    body = response.request.body or ""
    if isinstance(body, bytes):
        body = body.decode()
    return dict(urllib.parse.parse_qsl(body, keep_blank_values=True))


class OAuth2Clients(ServerTestCase):
    server_env = {"CONNECT_AUTH_TOKENS_V4_AUDIENCE": AUDIENCE}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        server = cls.server
        cls.guids, cls.api_id, cls.secret = server.seed(
            user=USER, companies=("Clients One", "Clients Two"), password=PASSWORD)
        # openid-client form-urlencodes the id and the secret inside Basic (RFC 6749 §2.3.1), so a
        # "-" or "_" of the base64url secret travels as %2D / %5F. Give the key a secret with one,
        # so that the server's decoding is exercised on every run (not three runs in four).
        for _ in range(30):
            if "-" in cls.secret or "_" in cls.secret:
                break
            cls.secret = server.cli_json("key", "regenerate", cls.api_id)["apiSecret"]
            server.secrets_seen.add(cls.secret)
        credential = b64(cls.api_id + ":" + cls.secret)
        server.secrets_seen.add(credential)
        if wait_until(lambda: server.request(
                "POST", "/rest/v3/oauth/token?grant_type=client_credentials",
                [("user", credential)])[0] == 200, timeout_s=1.0) is None:
            raise AssertionError("a regenerated key did not work within 1 s")
        # An API key allowed to introspect (RFC 7662 needs an authorized caller).
        key = server.cli_json("key", "create", "--user-name", USER, "--account", cls.guids[0],
                              "--introspect")
        cls.introspector = (key["apiId"], key["apiSecret"])
        server.secrets_seen.add(key["apiSecret"])
        cls.token_url = server.url + TOKEN_PATH
        cls.accounts_url = server.url + "/rest/v3/accounts"

    def remember(self, token):
        for name in ("access_token", "refresh_token"):
            if isinstance(token.get(name), str):
                self.server.secrets_seen.add(token[name])
        return token

    def assert_accounts(self, status_body, guids=None):
        status, body = status_body
        self.assertEqual(status, 200, body)
        self.assertEqual(sorted(a["accountGuid"] for a in body), sorted(guids or self.guids))

    def get_accounts(self, session):
        response = session.get(self.accounts_url, verify=self.server.cert_path)
        return response.status_code, response.json()

    # --- Python: requests-oauthlib / oauthlib
    def backend_session(self):
        session = OAuth2Session(client=BackendApplicationClient(client_id=self.api_id))
        self.addCleanup(session.close)
        recorder = ResponseRecorder()
        session.register_compliance_hook("access_token_response", recorder)
        return session, recorder

    def test_backend_application_client_secret_basic(self):
        session, recorder = self.backend_session()
        # No auth given: requests-oauthlib sends client_id/client_secret as HTTP Basic.
        token = self.remember(session.fetch_token(self.token_url, client_id=self.api_id,
                                                  client_secret=self.secret,
                                                  verify=self.server.cert_path))
        raw = recorder.last
        self.assertTrue(raw.request.headers["Authorization"].startswith("Basic "))
        self.assertNotIn("client_secret", sent_form(raw))
        self.assertEqual(sent_form(raw).get("grant_type"), "client_credentials")
        self.assertEqual(raw.status_code, 200, raw.text)
        self.assertEqual(raw.headers.get("Cache-Control"), "no-store")
        self.assertEqual(raw.headers.get("Pragma"), "no-cache")
        self.assertEqual(raw.json()["expires_in"], 1200)  # a JSON number on /oauth2/token
        self.assertEqual(token["token_type"], "Bearer")
        self.assertNotIn("refresh_token", token)
        self.assertGreater(token["expires_at"], time.time() + 1100)
        header, claims = jwt_decode(token["access_token"])
        self.assertEqual((header["alg"], claims["sub"]), ("HS256", self.api_id))
        self.assert_accounts(self.get_accounts(session))

    def test_backend_application_client_secret_post(self):
        session, recorder = self.backend_session()
        token = self.remember(session.fetch_token(self.token_url, client_id=self.api_id,
                                                  client_secret=self.secret,
                                                  include_client_id=True,
                                                  verify=self.server.cert_path))
        form = sent_form(recorder.last)
        self.assertNotIn("Authorization", recorder.last.request.headers)
        self.assertEqual((form.get("client_id"), form.get("client_secret")),
                         (self.api_id, self.secret))
        self.assertEqual(token["expires_in"], 1200)
        self.assert_accounts(self.get_accounts(session))

    def test_backend_application_client_wrong_secret(self):
        session, recorder = self.backend_session()
        with self.assertRaises(InvalidClientError):
            session.fetch_token(self.token_url, client_id=self.api_id,
                                client_secret=self.secret[:-1] + ("A" if self.secret[-1] != "A"
                                                                  else "B"),
                                verify=self.server.cert_path)
        raw = recorder.last
        self.assertEqual(raw.status_code, 401, raw.text)
        self.assertTrue(raw.headers.get("WWW-Authenticate", "").startswith("Basic"), raw.headers)

    def password_session(self, **kwargs):
        # The scope goes on the oauthlib client too: fetch_token sends the client's scope (the
        # session's is what responses and refreshes are compared with).
        client = LegacyApplicationClient(client_id=PUBLIC_CLIENT_ID, scope=["offline_access"])
        session = OAuth2Session(client=client, scope=["offline_access"], **kwargs)
        self.addCleanup(session.close)
        recorder = ResponseRecorder()
        session.register_compliance_hook("access_token_response", recorder)
        session.register_compliance_hook("refresh_token_response", recorder)
        return session, recorder

    def password_login(self, session):
        # include_client_id=True: the public client identifies itself with the client_id form
        # field and no secret (token_endpoint_auth_method "none").
        return self.remember(session.fetch_token(self.token_url, username=USER, password=PASSWORD,
                                                 include_client_id=True,
                                                 verify=self.server.cert_path))

    def test_legacy_application_client_password_grant(self):
        session, recorder = self.password_session()
        before = int(time.time())
        token = self.password_login(session)
        raw = recorder.last
        form = sent_form(raw)
        self.assertNotIn("Authorization", raw.request.headers)
        self.assertEqual((form["grant_type"], form["client_id"], form["scope"]),
                         ("password", PUBLIC_CLIENT_ID, "offline_access"))
        self.assertEqual(raw.status_code, 200, raw.text)
        self.assertEqual(raw.headers.get("Cache-Control"), "no-store")
        wire = raw.json()
        self.assertEqual(wire["expires_in"], 3600)
        self.assertEqual(wire["scope"], "offline_access")
        self.assertEqual(token["scope"], ["offline_access"])  # oauthlib's parsed form
        self.assertIsInstance(token["refresh_token"], str)
        header, claims = jwt_decode(token["access_token"])
        self.assertEqual(header["alg"], "RS256")
        self.assertEqual((claims["sub"], claims["cid"], claims["iss"], claims["aud"]),
                         (USER, PUBLIC_CLIENT_ID, self.server.url, AUDIENCE))
        self.assertGreaterEqual(claims["iat"], before - 2)
        self.assert_accounts(self.get_accounts(session))

    def test_legacy_application_client_wrong_password(self):
        session, recorder = self.password_session()
        self.server.secrets_seen.add(PASSWORD + "!")
        with self.assertRaises(InvalidGrantError):
            session.fetch_token(self.token_url, username=USER, password=PASSWORD + "!",
                                include_client_id=True, verify=self.server.cert_path)
        self.assertEqual(recorder.last.status_code, 400, recorder.last.text)

    def test_automatic_refresh(self):
        first, _ = self.password_session()
        old = dict(self.password_login(first))
        # The application stored the token and comes back after it expired: expires_at in the
        # past makes oauthlib raise TokenExpiredError, and OAuth2Session refreshes by itself.
        stored = dict(old, expires_at=time.time() - 60)
        updates = []
        session, recorder = self.password_session(
            token=stored, auto_refresh_url=self.token_url,
            auto_refresh_kwargs={"client_id": PUBLIC_CLIENT_ID}, token_updater=updates.append)
        self.assert_accounts(self.get_accounts(session))
        self.assertEqual(len(updates), 1, "the library did not refresh by itself")
        new = self.remember(updates[0])
        raw = recorder.last
        self.assertEqual(raw.status_code, 200, raw.text)
        self.assertNotIn("Authorization", raw.request.headers)
        form = sent_form(raw)
        self.assertEqual((form["grant_type"], form["client_id"]),
                         ("refresh_token", PUBLIC_CLIENT_ID))
        # The refresh token rotated; the new access token is what the session now sends.
        self.assertNotEqual(new["refresh_token"], old["refresh_token"])
        self.assertNotEqual(new["access_token"], old["access_token"])
        self.assertGreater(new["expires_at"], time.time() + 3500)
        self.assertEqual(session.token["access_token"], new["access_token"])
        status, _, body = self.server.accounts(new["access_token"])
        self.assertEqual(status, 200, body)
        self.assertNotEqual(jwt_decode(new["access_token"])[1]["jti"],
                            jwt_decode(old["access_token"])[1]["jti"])
        # And the rotated token refreshes again, explicitly this time.
        newer = self.remember(session.refresh_token(self.token_url, client_id=PUBLIC_CLIENT_ID,
                                                    verify=self.server.cert_path))
        self.assertNotIn(newer["refresh_token"], (old["refresh_token"], new["refresh_token"]))

    # --- Node: openid-client and jose
    def node(self, scenario):
        """Runs one scenario of tests/node/oauth2_clients.mjs; returns its observations."""
        api_id, api_secret = self.api_id, self.secret
        program_input = {
            "issuer": self.server.url, "audience": AUDIENCE, "user": USER, "password": PASSWORD,
            "api": {"id": api_id, "secret": api_secret},
            "introspector": {"id": self.introspector[0], "secret": self.introspector[1]},
        }
        env = dict(os.environ, NODE_EXTRA_CA_CERTS=self.server.cert_path)
        env.pop("NODE_TLS_REJECT_UNAUTHORIZED", None)
        out = run_node_program("oauth2_clients.mjs", [scenario], json.dumps(program_input),
                               env=env, timeout=120)
        lines = out.stdout.strip().splitlines()
        parsed = json.loads(lines[-1]) if lines else {}
        self.server.secrets_seen.update(parsed.get("secrets", []))
        self.assertEqual(out.returncode, 0, "node %s: %s" % (scenario, out.stderr))
        return parsed["result"]

    def assert_failure(self, attempt, status, error=None, what=""):
        """attempt is the Node program's {ok, value|failure}; the library must have refused with
        this HTTP status (and OAuth error code, when the library surfaces it)."""
        self.assertFalse(attempt["ok"], "%s: expected %d, the library succeeded: %s"
                         % (what, status, attempt))
        failure = attempt["failure"]
        self.assertEqual(failure.get("status"), status, "%s: %s" % (what, failure))
        if error is not None:
            found = failure.get("error")
            if found is None and failure.get("body"):
                found = json.loads(failure["body"]).get("error")
            self.assertEqual(found, error, "%s: %s" % (what, failure))
        return failure

    def test_node_discovery(self):
        result = self.node("discovery")
        md = result["metadata"]
        url = self.server.url
        self.assertEqual(md["issuer"], url)
        self.assertEqual(md["token_endpoint"], url + "/oauth2/token")
        self.assertEqual(md["revocation_endpoint"], url + "/oauth2/revoke")
        self.assertEqual(md["introspection_endpoint"], url + "/oauth2/introspect")
        self.assertEqual(md["jwks_uri"], url + "/oauth2/keys")
        self.assertEqual(md["grant_types_supported"],
                         ["client_credentials", "password", "refresh_token"])
        self.assertEqual(md["token_endpoint_auth_methods_supported"],
                         ["client_secret_basic", "client_secret_post", "none"])
        self.assertEqual(md["scopes_supported"], ["offline_access"])

    def test_node_client_credentials(self):
        result = self.node("client-credentials")
        for method in ("basic", "post"):
            tokens = result[method]["tokens"]
            self.assertEqual(tokens["token_type"], "bearer", method)  # lower-cased by the library
            self.assertEqual(tokens["expires_in"], 1200, method)
            self.assertIsNone(tokens["refresh_token"], method)
            self.assertEqual(jwt_decode(tokens["access_token"])[1]["sub"], self.api_id)
            self.assert_accounts((result[method]["accounts"]["status"],
                                  result[method]["accounts"]["body"]))
        failure = self.assert_failure(result["wrong_secret"], 401, "invalid_client",
                                      "wrong secret")
        self.assertEqual(failure.get("challenges", [{}])[0].get("scheme"), "basic", failure)

    def test_node_password_grant_and_refresh(self):
        result = self.node("password-refresh")
        login, refreshed, again = result["login"], result["refreshed"], result["again"]
        for name, tokens in (("login", login), ("refreshed", refreshed), ("again", again)):
            self.assertEqual(tokens["expires_in"], 3600, name)
            self.assertEqual(tokens["scope"], "offline_access", name)
            self.assertIsInstance(tokens["refresh_token"], str, name)
            self.assertEqual(jwt_decode(tokens["access_token"])[1]["cid"], PUBLIC_CLIENT_ID)
        self.assertEqual(len({login["refresh_token"], refreshed["refresh_token"],
                              again["refresh_token"]}), 3, "every refresh rotates")
        without = result["without_offline_access"]
        self.assertIsNone(without["refresh_token"])
        self.assertIsNone(without["scope"])
        self.assert_accounts((result["accounts_after_refresh"]["status"],
                              result["accounts_after_refresh"]["body"]))
        self.assert_failure(result["wrong_password"], 400, "invalid_grant", "wrong password")

    def test_node_introspection(self):
        result = self.node("introspection")
        url = self.server.url
        v4 = result["v4_access"]
        self.assertTrue(v4["ok"], v4)
        claims = result["v4_access_claims"]
        self.assertEqual(v4["value"], {
            "active": True, "token_type": "Bearer", "client_id": PUBLIC_CLIENT_ID, "sub": USER,
            "exp": claims["exp"], "iat": claims["iat"], "iss": url, "jti": claims["jti"],
            "username": USER, "scope": "offline_access", "aud": AUDIENCE})
        self.assertEqual(result["v4_access_wrong_hint"], v4, "a wrong token_type_hint")
        v3 = result["v3_access"]
        self.assertTrue(v3["ok"], v3)
        claims = result["v3_access_claims"]
        self.assertEqual(v3["value"], {
            "active": True, "token_type": "Bearer", "client_id": self.api_id, "sub": self.api_id,
            "exp": claims["exp"], "iat": claims["iat"], "iss": url, "jti": claims["jti"]})
        for name in ("refresh", "refresh_client_secret_post", "refresh_wrong_hint"):
            refresh = result[name]
            self.assertTrue(refresh["ok"], refresh)
            value = refresh["value"]
            self.assertEqual({k: value.get(k) for k in
                              ("active", "token_type", "client_id", "username", "sub", "scope")},
                             {"active": True, "token_type": "refresh_token",
                              "client_id": PUBLIC_CLIENT_ID, "username": USER, "sub": USER,
                              "scope": "offline_access"}, name)
            self.assertGreater(value["exp"], value["iat"], name)
        for name in ("unknown", "tampered"):
            self.assertEqual(result[name], {"ok": True, "value": {"active": False}}, name)
        self.assert_failure(result["without_permission"], 401, "invalid_client",
                            "API key without the introspection permission")
        self.assert_failure(result["public_client"], 401, "invalid_client", "the public client")

    def test_node_revocation(self):
        result = self.node("revocation")
        before = result["v4_before"]
        self.assertEqual(before["accounts"]["status"], 200, before)
        self.assertTrue(before["introspection"]["value"]["active"], before)
        self.assert_failure(result["v4_by_api_key"], 400, "unauthorized_client",
                            "an API key revoking the public client's token")
        self.assertTrue(result["v4_revoke"]["ok"], result["v4_revoke"])
        after = result["v4_after"]
        # The library saw 401 with a Bearer invalid_token challenge (RFC 6750 §3).
        self.assertEqual(after["accounts"].get("status"), 401, after)
        self.assertEqual(after["accounts"]["challenges"][0]["scheme"], "bearer", after)
        self.assertEqual(after["accounts"]["challenges"][0]["parameters"].get("error"),
                         "invalid_token", after)
        self.assertEqual(after["introspection"], {"ok": True, "value": {"active": False}})
        self.assertTrue(result["refresh_after_access_revoked"]["ok"],
                        result["refresh_after_access_revoked"])

        self.assertTrue(result["refresh_revoke"]["ok"], result["refresh_revoke"])
        self.assert_failure(result["refresh_after"], 400, "invalid_grant",
                            "a revoked refresh token")
        self.assertEqual(result["refresh_introspection"], {"ok": True, "value": {"active": False}})

        self.assertEqual(result["v3_before"]["status"], 200, result["v3_before"])
        self.assertTrue(result["v3_revoke"]["ok"], result["v3_revoke"])
        self.assertEqual(result["v3_after"]["accounts"].get("status"), 401, result["v3_after"])
        self.assertEqual(result["v3_after"]["introspection"],
                         {"ok": True, "value": {"active": False}})
        self.assertTrue(result["unknown_revoke"]["ok"], result["unknown_revoke"])

    def test_node_jose_resource_server(self):
        result = self.node("jwt-resource-server")
        self.assertEqual(result["jwks_uri"], self.server.url + "/oauth2/keys")
        valid = result["valid"]
        self.assertTrue(valid["ok"], valid)
        self.assertEqual(valid["payload"]["sub"], USER)
        self.assertEqual(valid["payload"]["aud"], AUDIENCE)
        self.assertEqual(valid["protectedHeader"]["alg"], "RS256")
        self.assertIn(valid["protectedHeader"]["kid"], [k["kid"] for k in result["keys"]])
        refused = {
            "tampered_sub": "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            "tampered_exp": "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            "tampered_signature": "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            "alg_none": "ERR_JOSE_ALG_NOT_ALLOWED",
            "wrong_audience": "ERR_JWT_CLAIM_VALIDATION_FAILED",
            "wrong_issuer": "ERR_JWT_CLAIM_VALIDATION_FAILED",
            "v3_hs256": "ERR_JOSE_ALG_NOT_ALLOWED",
        }
        for name, code in refused.items():
            self.assertFalse(result[name]["ok"], "%s was accepted: %s" % (name, result[name]))
            self.assertEqual(result[name]["failure"]["code"], code, name)


if __name__ == "__main__":
    unittest.main()
