"""The v4 seed document's code samples (curl, JavaScript fetch, Python http.client, and the
Objective-C request body), run unchanged but for the host and the "refresh token" placeholder,
against the real server over HTTPS with the generated development certificate. The same samples
with a PASSWORD body instead (wire-contract §3) give the refresh tokens they then exchange."""

import json
import os
import re
import subprocess
import tempfile
import unittest

from harness import (V4_TOKEN_PATH, ServerTestCase, jwt_decode, node_binary, read_seed,
                     refresh_body)

SEED_HOST = "connect.lrsus.com"
PLACEHOLDER = "refresh token"
USER = "seed4@acme.test"
PASSWORD = "v4 seed pass-7"  # no quote or backslash: it is pasted into every sample's quoting
REFRESH_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def seed_text():
    return read_seed("000_9ef06c382405ad3d.txt")


def check_v4_body(test, text, offline=True):
    """The 200 body exactly as the seed shows it: members, their order and types."""
    pairs = json.loads(text, object_pairs_hook=lambda p: p)
    names = [name for name, _ in pairs]
    expected = ["tokenType", "expiresIn", "accessToken"]
    if offline:
        expected += ["scope", "refreshToken"]
    test.assertEqual(names, expected, text[:200])
    body = dict(pairs)
    test.server.remember_v4(text)
    test.assertEqual(body["tokenType"], "Bearer")
    test.assertEqual(body["expiresIn"], "3600")  # a JSON string, as in the seed
    test.assertEqual(len(body["accessToken"].split(".")), 3)
    header, claims = jwt_decode(body["accessToken"])
    test.assertEqual(header["alg"], "RS256")
    test.assertIn("kid", header)
    test.assertEqual(claims["sub"], USER)
    if offline:
        test.assertEqual(body["scope"], "offline_access")
        test.assertRegex(body["refreshToken"], REFRESH_TOKEN_SHAPE)
    return body


def as_password_sample(sample):
    """The sample with its REFRESH_TOKEN body turned into a PASSWORD body, in the sample's own
    quoting (plain, or with backslash-escaped quotes inside a string literal)."""
    def members(m):
        q, sep = m.group(1), m.group(2)
        return '%suserName%s%s%s%s%s, %spassword%s%s%s%s%s' % (q, q, sep, q, USER, q,
                                                               q, q, sep, q, PASSWORD, q)
    out, n = re.subn(r'(\\?")refreshToken\1(:\s*)\1' + PLACEHOLDER + r'\1', members, sample)
    assert n == 1, "the refreshToken member was not found in the sample"
    assert sample.count("REFRESH_TOKEN") == 1
    return out.replace("REFRESH_TOKEN", "PASSWORD")


class SeedSamples(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = seed_text()  # first: without the seeds the class skips, no server started
        super().setUpClass()
        cls.guids, _, _ = cls.server.seed(user=USER, password=PASSWORD)

    # --- extraction and adaptation
    def sample(self, pattern, what):
        m = re.search(pattern, self.text, re.S)
        self.assertIsNotNone(m, what + " sample not found in the seed")
        return m.group(0)

    def curl_sample(self):
        return self.sample(r"curl --location --request POST 'https://connect\.lrsus\.com/rest/v4/"
                           r"oauth/token'.*?--data-raw '\{.*?\}\n'", "curl")

    def fetch_sample(self):
        return self.sample(r"var myHeaders = new Headers\(\);.*?\.catch\(error => "
                           r"console\.log\('error', error\)\);", "JavaScript fetch")

    def http_client_sample(self):
        return self.sample(r'import http\.client\n.*?print\(data\.decode\("utf-8"\)\)',
                           "Python http.client")

    def adapt(self, sample, refresh_token=None):
        self.assertIn(SEED_HOST, sample)
        self.assertEqual(sample.count(PLACEHOLDER), 1)
        host = "127.0.0.1:%d" % self.server.port
        sample = sample.replace("https://" + SEED_HOST, "https://" + host).replace(SEED_HOST, host)
        if refresh_token is None:
            return as_password_sample(sample)
        self.server.secrets_seen.add(refresh_token)
        return sample.replace(PLACEHOLDER, refresh_token)

    # --- running
    def run_curl(self, sample):
        command = sample.replace("curl ", "curl -sS --cacert %s -w '\\n%%{http_code}' "
                                 % self.server.cert_path, 1)
        out = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        body, status = out.stdout.rsplit("\n", 1)
        self.assertEqual(status, "200", body)
        return body

    def run_fetch(self, sample):
        self.assertIsNotNone(node_binary(), "node is required")
        env = dict(os.environ, NODE_EXTRA_CA_CERTS=self.server.cert_path)
        with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
            f.write(sample + "\n")
        try:
            out = subprocess.run([node_binary(), f.name], capture_output=True, text=True,
                                 env=env, timeout=30)
        finally:
            os.unlink(f.name)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertFalse(out.stdout.startswith("error"), out.stdout)
        return out.stdout.strip()

    def run_http_client(self, sample):
        # http.client's default context trusts what OpenSSL's SSL_CERT_FILE names: the program
        # itself stays as the seed wrote it.
        env = dict(os.environ, SSL_CERT_FILE=self.server.cert_path)
        out = subprocess.run(["/usr/bin/python3", "-c", sample], capture_output=True, text=True,
                             env=env, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout.strip()

    # --- checks shared by the samples
    def login(self):
        return self.server.v4_login(USER, PASSWORD)["refreshToken"]

    def check_rotation(self, old, new):
        """After old → new: old again, inside the default 30 s grace, is answered normally with a
        sibling of new; new itself works; the sibling still works after new rotated."""
        status, _, body = self.server.v4_refresh(old)
        self.assertEqual(status, 200, "a replay inside the grace period: " + body)
        sibling = check_v4_body(self, body)["refreshToken"]
        self.assertNotIn(sibling, (old, new))
        status, _, body = self.server.v4_refresh(new)
        self.assertEqual(status, 200, "the rotated-to token: " + body)
        newest = check_v4_body(self, body)
        status, _, body = self.server.v4_refresh(sibling)
        self.assertEqual(status, 200, "the grace sibling: " + body)
        check_v4_body(self, body)
        self.assertEqual(self.server.accounts(newest["accessToken"])[0], 200)

    def check_refresh_sample(self, run, sample_text):
        old = self.login()
        body = check_v4_body(self, run(self.adapt(sample_text, old)))
        self.assertNotEqual(body["refreshToken"], old)
        status, _, accounts = self.server.accounts(body["accessToken"])
        self.assertEqual(status, 200, accounts)
        self.assertEqual(sorted(a["accountGuid"] for a in json.loads(accounts)),
                         sorted(self.guids))
        self.check_rotation(old, body["refreshToken"])

    def check_password_sample(self, run, sample_text):
        body = check_v4_body(self, run(self.adapt(sample_text)))
        status, _, refreshed = self.server.v4_refresh(body["refreshToken"])
        self.assertEqual(status, 200, refreshed)
        check_v4_body(self, refreshed)

    # --- the samples
    def test_curl_refresh_sample(self):
        self.check_refresh_sample(self.run_curl, self.curl_sample())

    def test_fetch_refresh_sample(self):
        self.check_refresh_sample(self.run_fetch, self.fetch_sample())

    def test_http_client_refresh_sample(self):
        self.check_refresh_sample(self.run_http_client, self.http_client_sample())

    def test_curl_password_sample(self):
        self.check_password_sample(self.run_curl, self.curl_sample())

    def test_fetch_password_sample(self):
        self.check_password_sample(self.run_fetch, self.fetch_sample())

    def test_http_client_password_sample(self):
        self.check_password_sample(self.run_http_client, self.http_client_sample())

    def test_objective_c_request_body(self):
        # NSMutableURLRequest: POST, Content-Type application/json, the body of the C literal.
        m = re.search(r'initWithData:\[@"(.*?)" dataUsingEncoding', self.text, re.S)
        self.assertIsNotNone(m, "Objective-C sample not found in the seed")
        literal = m.group(1)
        body = literal.replace('\\n', '\n').replace('\\"', '"')
        self.assertEqual(json.loads(body), refresh_body(PLACEHOLDER))
        old = self.login()
        conn = self.server.connection()
        conn.request("POST", V4_TOKEN_PATH, body.replace(PLACEHOLDER, old).encode(),
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        text = response.read().decode()
        conn.close()
        self.assertEqual(response.status, 200, text)
        check_v4_body(self, text)

    # --- the response around the body
    def test_headers_of_a_token_response(self):
        status, headers, body = self.server.post_v4(
            {"scope": "OFFLINE_ACCESS", "userName": USER, "password": PASSWORD,
             "grantType": "PASSWORD"})
        self.assertEqual(status, 200, body)
        check_v4_body(self, body)
        self.assertEqual(headers.get("content-type", "").split(";")[0].strip(),
                         "application/json")
        self.assertEqual(headers.get("cache-control"), "no-store")
        self.assertEqual(headers.get("pragma"), "no-cache")

    def test_without_offline_access_there_is_no_refresh_token(self):
        status, _, text = self.server.post_v4({"userName": USER, "password": PASSWORD,
                                               "grantType": "PASSWORD"})
        self.assertEqual(status, 200, text)
        parsed = check_v4_body(self, text, offline=False)
        self.assertEqual(jwt_decode(parsed["accessToken"])[1]["scp"], [])
        self.assertEqual(self.server.accounts(parsed["accessToken"])[0], 200)

    def test_scope_is_case_insensitive(self):
        status, _, text = self.server.post_v4({"scope": "offline_access", "userName": USER,
                                               "password": PASSWORD, "grantType": "PASSWORD"})
        self.assertEqual(status, 200, text)
        check_v4_body(self, text)

    def test_refresh_without_scope_keeps_the_granted_scope(self):
        status, _, text = self.server.v4_refresh(self.login(), scope=None)
        self.assertEqual(status, 200, text)
        body = check_v4_body(self, text)
        self.assertEqual(jwt_decode(body["accessToken"])[1]["scp"], ["offline_access"])


if __name__ == "__main__":
    unittest.main()
