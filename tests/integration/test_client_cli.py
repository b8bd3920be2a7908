"""`connect-auth token`, `connect-auth call` and examples/list_accounts against the real server:
tokens for API keys and users, the token cache (a second call sends no token request), typed
errors that never show the secret."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import BINARY, ServerTestCase

PASSWORD = "correct horse 1"
USER = "ops@acme.test"
EXAMPLE = os.environ.get("CA_TEST_EXAMPLE", "")


class ClientCommands(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.guids, cls.api_id, cls.secret = cls.server.seed(user=USER, password=PASSWORD)
        cls.cache_home = tempfile.mkdtemp(prefix="connect-auth-cache-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.cache_home, ignore_errors=True)
        super().tearDownClass()

    def run_cli(self, *args, env=None, input_text=""):
        full_env = dict(os.environ)
        full_env.pop("CONNECT_AUTH_API_ID", None)
        full_env.pop("CONNECT_AUTH_API_SECRET", None)
        full_env["XDG_CACHE_HOME"] = self.cache_home
        full_env.update(env or {})
        return subprocess.run([BINARY, *args, "--base-url", self.server.url, "--ca-file",
                               self.server.cert_path], input=input_text, capture_output=True,
                              text=True, env=full_env, timeout=60)

    def key_env(self, secret=None):
        return {"CONNECT_AUTH_API_ID": self.api_id,
                "CONNECT_AUTH_API_SECRET": secret if secret is not None else self.secret}

    def token_requests(self):
        return len(re.findall(r'"path":"/rest/v[34]/oauth/token"', self.server.log_text()))

    def test_token_for_an_api_key(self):
        result = self.run_cli("token", "--no-cache", env=self.key_env())
        self.assertEqual(result.returncode, 0, result.stderr)
        token = result.stdout.strip()
        self.server.secrets_seen.add(token)
        self.assertEqual(self.server.accounts(token)[0], 200)

        result = self.run_cli("--json", "token", "--no-cache", env=self.key_env())
        self.assertEqual(result.returncode, 0, result.stderr)
        answer = json.loads(result.stdout)
        self.server.secrets_seen.add(answer["accessToken"])
        self.assertEqual(answer["tokenType"], "Bearer")
        self.assertGreater(answer["expiresAt"], 1_700_000_000)

    def test_call_uses_the_token_cache(self):
        before = self.token_requests()
        first = self.run_cli("call", "GET", "/rest/v3/accounts", env=self.key_env())
        self.assertEqual(first.returncode, 0, first.stderr)
        accounts = json.loads(first.stdout)
        self.assertEqual(sorted(a["accountGuid"] for a in accounts), sorted(self.guids))
        second = self.run_cli("call", "GET", "/rest/v3/accounts", env=self.key_env())
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertEqual(json.loads(second.stdout), accounts)
        self.assertEqual(self.token_requests() - before, 1,
                         "the second call should reuse the cached token")
        for name in os.listdir(os.path.join(self.cache_home, "connect-auth")):
            mode = os.stat(os.path.join(self.cache_home, "connect-auth", name)).st_mode & 0o777
            self.assertEqual(mode, 0o600, name)

    def test_user_login_asks_for_the_password_once(self):
        first = self.run_cli("call", "GET", "/rest/v3/accounts", "--user-name", USER,
                             input_text=PASSWORD + "\n")
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertEqual(len(json.loads(first.stdout)), len(self.guids))
        # No password on standard input now: the cache (access and refresh token) carries on.
        second = self.run_cli("call", "GET", "/rest/v3/accounts", "--user-name", USER)
        self.assertEqual(second.returncode, 0, second.stderr)

    def test_wrong_secret_is_a_typed_error_without_the_secret(self):
        wrong = "not-the-secret-" + "x" * 20
        result = self.run_cli("token", "--no-cache", env=self.key_env(wrong))
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("invalid_client", result.stderr)
        self.assertIn("401", result.stderr)
        self.assertNotIn(wrong, result.stderr + result.stdout)

    def test_no_credentials_is_a_usage_error(self):
        result = self.run_cli("token", "--no-cache")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--api-id", result.stderr)

    def test_example_lists_the_accounts(self):
        self.assertTrue(EXAMPLE, "CA_TEST_EXAMPLE must name the examples/list_accounts binary")
        env = dict(os.environ)
        env.update(self.key_env())
        result = subprocess.run([EXAMPLE, self.server.url, self.server.cert_path],
                                capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        for guid in self.guids:
            self.assertIn(guid, result.stdout)


if __name__ == "__main__":
    unittest.main()
