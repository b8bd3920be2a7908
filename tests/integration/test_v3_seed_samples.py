"""The v3 seed document's code samples, run unchanged but for the host (and the placeholder
credential), against the real server over HTTPS with the generated development certificate."""

import json
import os
import re
import shutil
import subprocess
import unittest

from harness import ServerTestCase, b64, read_seed

SEED_HOST = "https://connect.lrsus.com"
PLACEHOLDER = "M0lYUUhFUDRIOFY1...bE5UMEZ0NWVVOEFkYkkw"


def seed_text():
    return read_seed("001_6f910169793b39e1.txt")


def check_token_body(test, body_text):
    body = json.loads(body_text)
    test.assertEqual(list(body.keys()), ["expires_in", "token_type", "access_token"])
    test.assertEqual(body["expires_in"], "1200")
    test.assertEqual(body["token_type"], "Bearer")
    test.server.secrets_seen.add(body["access_token"])
    return body["access_token"]


class SeedSamples(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = seed_text()  # first: without the seeds the class skips, no server started
        super().setUpClass()
        cls.guids, cls.api_id, cls.secret = cls.server.seed()
        cls.credential = b64(cls.api_id + ":" + cls.secret)

    def adapt(self, sample):
        self.assertIn(SEED_HOST, sample)
        self.assertIn(PLACEHOLDER, sample)
        return sample.replace(SEED_HOST, self.server.url).replace(PLACEHOLDER, self.credential)

    def test_curl_sample(self):
        m = re.search(r'curl -X "POST" "https://connect\.lrsus\.com/[^\n]*\\\n\s*-H "user: [^"]+"',
                      self.text)
        self.assertIsNotNone(m, "curl sample not found in the seed")
        command = self.adapt(m.group(0)).replace("curl ", "curl -sS --cacert %s " %
                                                 self.server.cert_path, 1)
        out = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        check_token_body(self, out.stdout)

    def test_python_requests_sample(self):
        m = re.search(r"import requests\n.*?print\('HTTP Request failed'\)\n", self.text, re.S)
        self.assertIsNotNone(m, "python requests sample not found in the seed")
        program = self.adapt(m.group(0)) + "\nsend_request()\n"
        env = dict(os.environ, REQUESTS_CA_BUNDLE=self.server.cert_path)
        out = subprocess.run(["/usr/bin/python3", "-c", program], capture_output=True, text=True,
                             env=env, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("Response HTTP Status Code   : 200", out.stdout)
        body = re.search(r"Response HTTP Response Body : b'(.*)'", out.stdout).group(1)
        check_token_body(self, body)

    def test_jquery_sample_request_with_node_fetch(self):
        # The jQuery sample's request (POST, the user header, no body) issued with Node's fetch.
        m = re.search(r'url: "(https://connect\.lrsus\.com/[^"]+)",\s*type: "(\w+)",\s*headers: '
                      r'\{\s*"user": "([^"]+)"', self.text)
        self.assertIsNotNone(m, "jQuery sample not found in the seed")
        url, method = self.adapt(m.group(1) + " " + PLACEHOLDER).split(" ")[0], m.group(2)
        node = shutil.which("node") or shutil.which("nodejs")
        self.assertIsNotNone(node, "node is required (scripts/install-deps.sh test installs it)")
        script = ("fetch(%s, {method: %s, headers: {'user': %s}})"
                  ".then(async r => { console.log(r.status); console.log(await r.text()); })"
                  ".catch(e => { console.error(e); process.exit(1); });"
                  % (json.dumps(url), json.dumps(method), json.dumps(self.credential)))
        env = dict(os.environ, NODE_EXTRA_CA_CERTS=self.server.cert_path)
        out = subprocess.run([node, "-e", script], capture_output=True, text=True, env=env,
                             timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        status, body = out.stdout.split("\n", 1)
        self.assertEqual(status, "200")
        check_token_body(self, body.strip())

    def test_java_and_objective_c_request_shape(self):
        # Request.Post(...).addHeader("user", …).execute() and NSMutableURLRequest with
        # HTTPMethod POST: a POST with the user header and no body at all.
        conn = self.server.connection()
        conn.putrequest("POST", "/rest/v3/oauth/token?grant_type=client_credentials",
                        skip_accept_encoding=True)
        conn.putheader("user", self.credential)
        conn.endheaders()
        response = conn.getresponse()
        self.assertEqual(response.status, 200)
        self.assertEqual(response.getheader("Content-Type"), "application/json")
        check_token_body(self, response.read().decode())
        conn.close()

    def test_token_opens_the_accounts_endpoint_via_localhost_name(self):
        # The dev certificate names localhost too, so clients that verify host names accept it.
        out = subprocess.run(
            ["curl", "-sS", "--cacert", self.server.cert_path, "-X", "POST",
             "https://localhost:%d/rest/v3/oauth/token?grant_type=client_credentials"
             % self.server.port, "-H", "user: " + self.credential],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        token = check_token_body(self, out.stdout)
        status, _, body = self.server.accounts(token)
        self.assertEqual(status, 200)
        accounts = json.loads(body)
        self.assertEqual([a["accountGuid"] for a in accounts], self.guids)
        self.assertEqual(list(accounts[0].keys()), ["accountGuid", "companyName", "countryCode"])


if __name__ == "__main__":
    unittest.main()
