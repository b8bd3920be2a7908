"""The standard OAuth surface (wire-contract §6) against the real binary: curl as a plain RFC 6749
client, revocation seen by the node that took it at once and by a second node on the same
database within one second, and password throttling on /oauth2/token."""
import json
import subprocess
import unittest
import urllib.parse

from harness import Client, Server, ServerTestCase, find_leaks, wait_until

PASSWORD = "correct horse 1"
USER = "ops@acme.test"


def form(**fields):
    return urllib.parse.urlencode(fields)


FORM = ("Content-Type", "application/x-www-form-urlencoded")


class CurlClient(ServerTestCase):
    """curl's own client authentication (-u) and form encoding (-d / --data-urlencode)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _, cls.api_id, cls.secret = cls.server.seed(user=USER, password=PASSWORD)

    def curl(self, *args):
        result = subprocess.run(
            ["curl", "-sS", "--cacert", self.server.cert_path, "-i", *args],
            capture_output=True, text=True, timeout=30, check=True)
        head, _, body = result.stdout.replace("\r\n", "\n").partition("\n\n")
        status = int(head.split()[1])
        headers = {}
        for line in head.split("\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers, body

    def test_client_credentials_with_basic(self):
        status, headers, body = self.curl("-u", "%s:%s" % (self.api_id, self.secret),
                                          "-d", "grant_type=client_credentials",
                                          self.server.url + "/oauth2/token")
        self.assertEqual(status, 200, body)
        token = json.loads(body)
        self.server.secrets_seen.add(token["access_token"])
        self.assertEqual(sorted(token), ["access_token", "expires_in", "token_type"])
        self.assertEqual(token["expires_in"], 1200)  # a JSON number (RFC 6749 §5.1)
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertEqual(headers["pragma"], "no-cache")
        self.assertEqual(self.server.accounts(token["access_token"])[0], 200)

    def test_wrong_secret_is_401_with_a_basic_challenge(self):
        status, headers, body = self.curl("-u", "%s:%s" % (self.api_id, "wrong"),
                                          "-d", "grant_type=client_credentials",
                                          self.server.url + "/oauth2/token")
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(body)["error"], "invalid_client")
        self.assertEqual(headers["www-authenticate"], 'Basic realm="connect-auth"')

    def test_password_grant_with_url_encoded_fields(self):
        status, _, body = self.curl("--data-urlencode", "username=" + USER,
                                    "--data-urlencode", "password=" + PASSWORD,
                                    "-d", "grant_type=password", "-d", "scope=offline_access",
                                    "-d", "client_id=connect-auth",
                                    self.server.url + "/oauth2/token")
        self.assertEqual(status, 200, body)
        token = json.loads(body)
        self.server.secrets_seen.update([token["access_token"], token["refresh_token"]])
        self.assertEqual(token["scope"], "offline_access")
        self.assertEqual(token["expires_in"], 3600)

    def test_duplicate_parameter_is_invalid_request(self):
        status, _, body = self.curl("-u", "%s:%s" % (self.api_id, self.secret),
                                    "-d", "grant_type=client_credentials",
                                    "-d", "grant_type=client_credentials",
                                    self.server.url + "/oauth2/token")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["error"], "invalid_request")


class RevocationAcrossNodes(unittest.TestCase):
    """Two server processes on one database: a revocation taken by node A holds on A from its
    next request and on B within one second (bad-inputs.md: once acknowledged, everywhere)."""

    @classmethod
    def setUpClass(cls):
        # Nodes of one installation share its issuer (by default each would name its own URL).
        env = {"CONNECT_AUTH_ISSUER": "https://auth.example.test"}
        cls.a = Server(env=env).start()
        cls.b = Server(data_dir=cls.a.data_dir, env=env).start()
        _, cls.api_id, cls.secret = cls.a.seed(user=USER, password=PASSWORD)
        # seed() waits for node A to see the new key; node B polls on its own.
        token = cls.a.token(cls.api_id, cls.secret)
        if wait_until(lambda: cls.b.accounts(token)[0] == 200, timeout_s=1.0) is None:
            raise AssertionError("node B did not see the new key within 1 s")

    @classmethod
    def tearDownClass(cls):
        secrets = cls.a.secrets_seen | cls.b.secrets_seen
        codes = [cls.b.stop(), cls.a.stop()]
        try:
            if codes != [0, 0]:
                raise AssertionError("servers exited with %r after SIGTERM" % codes)
            leaked = find_leaks(cls.a.log_text() + cls.b.log_text(), secrets)
            if leaked:
                raise AssertionError("the server logs contain %d secret(s)" % len(leaked))
        finally:
            cls.b.cleanup()
            cls.a.cleanup()

    def post(self, server, path, fields, headers=()):
        status, response_headers, body = server.request("POST", path, [FORM, *headers],
                                                        form(**fields))
        return status, response_headers, body

    def basic(self):
        import base64
        return ("Authorization", "Basic " + base64.b64encode(
            ("%s:%s" % (self.api_id, self.secret)).encode()).decode())

    def assert_revoked_everywhere(self, token, revoke_fields, revoke_headers=()):
        self.assertEqual(self.a.accounts(token)[0], 200)
        self.assertEqual(self.b.accounts(token)[0], 200)
        status, _, body = self.post(self.a, "/oauth2/revoke", revoke_fields, revoke_headers)
        self.assertEqual((status, body), (200, ""))
        self.assertEqual(self.a.accounts(token)[0], 401, "node A still accepts the token")
        took = wait_until(lambda: self.b.accounts(token)[0] == 401, timeout_s=1.0)
        self.assertIsNotNone(took, "node B still accepts a revoked token after 1 s")
        print("\nnode B refused the revoked token after %.0f ms" % (took * 1000))

    def login(self, server, **extra):
        """A password grant on /oauth2/token that must succeed; returns the parsed answer."""
        status, _, body = self.post(server, "/oauth2/token", {
            "grant_type": "password", "username": USER, "password": PASSWORD, **extra})
        self.assertEqual(status, 200, body)
        answer = json.loads(body)
        server.secrets_seen.update(v for k, v in answer.items() if k.endswith("_token"))
        return answer

    def test_user_access_token(self):
        token = self.login(self.a, client_id="connect-auth")["access_token"]
        self.assert_revoked_everywhere(token, {"token": token, "client_id": "connect-auth"})

    def test_api_key_access_token(self):
        token = self.a.token(self.api_id, self.secret)
        self.assert_revoked_everywhere(token, {"token": token}, [self.basic()])

    def test_refresh_token_family(self):
        refresh = self.login(self.b, scope="offline_access")["refresh_token"]
        status, _, body = self.post(self.a, "/oauth2/revoke", {"token": refresh})
        self.assertEqual((status, body), (200, ""))
        status, _, body = self.post(self.b, "/oauth2/token", {
            "grant_type": "refresh_token", "refresh_token": refresh})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["error"], "invalid_grant")


class PasswordThrottling(ServerTestCase):
    """/oauth2/token shares the v4 throttle: failures from one address for one user name end in
    429 + Retry-After."""

    def test_429_with_retry_after(self):
        self.server.seed(user=USER, password=PASSWORD)
        client = Client(self.server, source_address="127.0.0.1")
        statuses = []
        try:
            for attempt in range(10):
                guess = "guess %d" % attempt
                self.server.secrets_seen.add(guess)
                status, headers, body = client.request(
                    "POST", "/oauth2/token", [FORM],
                    form(grant_type="password", username=USER, password=guess))
                statuses.append(status)
                if status == 429:
                    self.assertGreaterEqual(int(headers["retry-after"]), 1)
                    self.assertEqual(json.loads(body)["error"], "too_many_requests")
                    break
                self.assertEqual(json.loads(body)["error"], "invalid_grant")
        finally:
            client.close()
        self.assertEqual(statuses[-1], 429, statuses)
        self.assertTrue(all(s == 400 for s in statuses[:-1]), statuses)


if __name__ == "__main__":
    unittest.main()
