"""`connect-auth token`, `connect-auth call` and examples/list_accounts against the real server:
tokens for API keys and users, the token cache (a second call sends no token request), typed
errors that never show the secret."""
import json
import os
import shutil
import subprocess
import tempfile
import time
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

    def setUp(self):
        self.cache_home = tempfile.mkdtemp(prefix="connect-auth-cache-")  # one per test

    def tearDown(self):
        shutil.rmtree(self.cache_home, ignore_errors=True)

    def run_cli(self, *args, env=None, input_text="", trust_dev_cert=True):
        full_env = dict(os.environ)
        full_env.pop("CONNECT_AUTH_API_ID", None)
        full_env.pop("CONNECT_AUTH_API_SECRET", None)
        full_env["XDG_CACHE_HOME"] = self.cache_home
        full_env.update(env or {})
        tls = ["--ca-file", self.server.cert_path] if trust_dev_cert else []
        return subprocess.run([BINARY, *args, "--base-url", self.server.url, *tls],
                              input=input_text, capture_output=True, text=True, env=full_env,
                              timeout=60)

    def run_local(self, *args, env=None, input_text=""):
        """The README's forms without --base-url: the local server of the same configuration
        (here its data directory and listen address), whose development certificate is trusted
        without --ca-file. The key's variables are exported as the README says."""
        full_env = dict(os.environ)
        full_env["XDG_CACHE_HOME"] = self.cache_home
        full_env.pop("CONNECT_AUTH_CONFIG", None)
        full_env["CONNECT_AUTH_SERVER_LISTEN"] = "127.0.0.1:%d" % self.server.port
        full_env.update(env or {})
        return subprocess.run([BINARY, "--data-dir", self.server.data_dir, *args],
                              input=input_text, capture_output=True, text=True, env=full_env,
                              timeout=60)

    def key_env(self, secret=None):
        return {"CONNECT_AUTH_API_ID": self.api_id,
                "CONNECT_AUTH_API_SECRET": secret if secret is not None else self.secret}

    def token_requests(self):
        return (self.server.requests_logged("/rest/v3/oauth/token") +
                self.server.requests_logged("/rest/v4/oauth/token"))

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

    def test_a_cached_token_never_stands_in_for_a_wrong_secret(self):
        self.assertEqual(self.run_cli("token", env=self.key_env()).returncode, 0)
        wrong = "another-wrong-secret-" + "y" * 20
        result = self.run_cli("token", env=self.key_env(wrong))
        self.assertEqual(result.returncode, 2, result.stdout)
        self.assertIn("invalid_client", result.stderr)

    def test_tls_is_verified_by_default(self):
        result = self.run_cli("token", "--no-cache", env=self.key_env(), trust_dev_cert=False)
        self.assertEqual(result.returncode, 5, result.stdout + result.stderr)
        self.assertIn("certificate", result.stderr.lower())
        # The message names the option that fixes it.
        self.assertIn("--ca-file", result.stderr)
        self.assertEqual(result.stdout, "")

    # --- Every README example of `token` and `call`, in each documented form.

    def assert_token_works(self, result):
        self.assertEqual(result.returncode, 0, result.stderr)
        token = result.stdout.strip()
        self.server.secrets_seen.add(token)
        self.assertEqual(self.server.accounts(token)[0], 200)

    def assert_accounts(self, result):
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(sorted(a["accountGuid"] for a in json.loads(result.stdout)),
                         sorted(self.guids))

    def test_readme_token_with_base_url(self):
        # connect-auth token --base-url https://auth.example.com
        self.assert_token_works(self.run_cli("token", env=self.key_env()))

    def test_readme_json_token_with_base_url(self):
        # connect-auth --json token --base-url https://auth.example.com
        result = self.run_cli("--json", "token", env=self.key_env())
        self.assertEqual(result.returncode, 0, result.stderr)
        answer = json.loads(result.stdout)
        self.server.secrets_seen.add(answer["accessToken"])
        self.assertEqual(list(answer), ["tokenType", "accessToken", "expiresAt"])
        self.assertEqual(self.server.accounts(answer["accessToken"])[0], 200)

    def test_readme_call_with_base_url(self):
        # connect-auth call GET /rest/v3/accounts --base-url https://auth.example.com
        self.assert_accounts(self.run_cli("call", "GET", "/rest/v3/accounts", env=self.key_env()))

    def test_readme_token_without_base_url(self):
        # Without --base-url: the local server, with the key's variables exported.
        self.assert_token_works(self.run_local("token", env=self.key_env()))

    def test_readme_json_token_without_base_url(self):
        result = self.run_local("--json", "token", env=self.key_env())
        self.assertEqual(result.returncode, 0, result.stderr)
        answer = json.loads(result.stdout)
        self.server.secrets_seen.add(answer["accessToken"])
        self.assertEqual(answer["tokenType"], "Bearer")

    def test_readme_call_without_base_url(self):
        self.assert_accounts(self.run_local("call", "GET", "/rest/v3/accounts",
                                            env=self.key_env()))

    def test_readme_call_as_a_user_without_base_url(self):
        # connect-auth call GET /rest/v3/accounts --user-name ops@acme.test
        first = self.run_local("call", "GET", "/rest/v3/accounts", "--user-name", USER,
                               input_text=PASSWORD + "\n")
        self.assert_accounts(first)
        # The password is asked for once: the cached session carries the next call.
        self.assert_accounts(self.run_local("call", "GET", "/rest/v3/accounts", "--user-name",
                                            USER))

    def test_user_name_from_the_environment(self):
        result = self.run_local("call", "GET", "/rest/v3/accounts",
                                env={"CONNECT_AUTH_USER_NAME": USER}, input_text=PASSWORD + "\n")
        self.assert_accounts(result)

    def test_configuration_file_names_the_local_server(self):
        # CONNECT_AUTH_CONFIG, and a wildcard listen address: the CLI connects on loopback,
        # where the development certificate is valid.
        path = os.path.join(self.cache_home, "connect-auth.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write('data_dir = "%s"\n[server]\nlisten = "0.0.0.0:%d"\n' % (
                self.server.data_dir, self.server.port))
        env = dict(os.environ, XDG_CACHE_HOME=self.cache_home, CONNECT_AUTH_CONFIG=path,
                   **self.key_env())
        result = subprocess.run([BINARY, "token"], capture_output=True, text=True, env=env,
                                timeout=60)
        self.assert_token_works(result)

    def test_api_secret_file_without_base_url(self):
        path = os.path.join(self.cache_home, "secret")
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.secret + "\n")
        result = self.run_local("token", "--no-cache", "--api-id", self.api_id,
                                "--api-secret-file", path)
        self.assert_token_works(result)

    def test_admin_commands_work_with_the_client_variables_exported(self):
        # One shell for both: exporting the README's variables must not break `key list`.
        result = self.run_local("--json", "key", "list",
                                env=dict(self.key_env(), CONNECT_AUTH_USER_NAME=USER))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(self.api_id, result.stdout)

    def test_a_dead_cached_refresh_token_asks_for_the_password_again(self):
        user = "cook@acme.test"
        password = "first password 1"
        self.server.secrets_seen.add(password)
        self.server.cli_json("user", "create", "--user-name", user, input_text=password + "\n")
        self.server.cli("user", "grant", "--user-name", user, "--account", self.guids[0],
                        "--role", "REPORTING")
        time.sleep(1.1)  # the server's cache learns of the new user within one second
        first = self.run_cli("call", "GET", "/rest/v3/accounts", "--user-name", user,
                             input_text=password + "\n")
        self.assertEqual(first.returncode, 0, first.stderr)
        # A new password ends every session: the cached access and refresh tokens are dead.
        new_password = "second password 2"
        self.server.secrets_seen.add(new_password)
        self.server.cli("user", "set-password", "--user-name", user,
                        input_text=new_password + "\n")
        time.sleep(1.1)  # the server's cache learns of it within one second
        again = self.run_cli("call", "GET", "/rest/v3/accounts", "--user-name", user,
                             input_text=new_password + "\n")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual([a["accountGuid"] for a in json.loads(again.stdout)], [self.guids[0]])
        # And the cache holds the new session: no password needed next time.
        third = self.run_cli("call", "GET", "/rest/v3/accounts", "--user-name", user)
        self.assertEqual(third.returncode, 0, third.stderr)

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
