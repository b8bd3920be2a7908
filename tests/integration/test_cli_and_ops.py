"""The command line and the operator-facing behaviour: help, exit codes, JSON output, plain HTTP
only on request, configuration errors, graceful shutdown."""

import json
import os
import re
import subprocess
import tempfile
import shutil
import ssl
import unittest

from harness import BINARY, Client, Server, ServerTestCase, b64, wait_until

COMMANDS = [[], ["serve"], ["account"], ["account", "create"], ["account", "list"],
            ["account", "activate"], ["account", "deactivate"], ["user"], ["user", "create"],
            ["user", "grant"], ["user", "disable"], ["user", "enable"], ["user", "list"],
            ["key"], ["key", "create"], ["key", "list"], ["key", "regenerate"], ["key", "delete"],
            ["config", "keys"], ["config", "check"]]


class Cli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="connect-auth-cli-")
        self.env = dict(os.environ)
        self.env.pop("CONNECT_AUTH_CONFIG", None)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_cli(self, *args, input_text=None):
        return subprocess.run([BINARY, "--data-dir", self.dir] + list(args), input=input_text,
                              capture_output=True, text=True, env=self.env, timeout=60)

    def test_every_command_has_help(self):
        for command in COMMANDS:
            with self.subTest(command=command):
                out = self.run_cli(*command, "--help")
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertIn("Usage", out.stdout)

    def test_exit_codes_and_messages(self):
        guid = json.loads(self.run_cli("--json", "account", "create", "--company", "Acme",
                                       "--country", "us").stdout)["accountGuid"]
        self.assertEqual(len(guid), 36)
        bad_country = self.run_cli("account", "create", "--company", "Acme", "--country", "USA")
        self.assertEqual(bad_country.returncode, 2)
        self.assertIn("country", bad_country.stderr)
        user = self.run_cli("--json", "user", "create", "--user-name", "ops@acme.test",
                            input_text="password-123\n")
        self.assertEqual(user.returncode, 0, user.stderr)
        self.assertEqual(list(json.loads(user.stdout).keys()), ["userId"])
        again = self.run_cli("user", "create", "--user-name", "ops@acme.test",
                             input_text="password-123\n")
        self.assertEqual(again.returncode, 4)
        self.assertIn("already exists", again.stderr)
        no_password = self.run_cli("user", "create", "--user-name", "x@acme.test", input_text="")
        self.assertEqual(no_password.returncode, 2)
        missing = self.run_cli("user", "grant", "--user-name", "nobody@acme.test", "--account",
                               guid, "--role", "MANAGER")
        self.assertEqual(missing.returncode, 3)
        bad_role = self.run_cli("user", "grant", "--user-name", "ops@acme.test", "--account",
                                guid, "--role", "ROOT")
        self.assertEqual(bad_role.returncode, 2)
        no_role = self.run_cli("key", "create", "--user-name", "ops@acme.test", "--account", guid)
        self.assertEqual(no_role.returncode, 2)
        self.assertIn("no role", no_role.stderr)
        self.assertEqual(self.run_cli("user", "grant", "--user-name", "ops@acme.test",
                                      "--account", guid, "--role", "reporting").returncode, 0)
        key = json.loads(self.run_cli("--json", "key", "create", "--user-name", "ops@acme.test",
                                      "--account", guid).stdout)
        self.assertEqual(list(key.keys()), ["apiId", "apiSecret"])
        listed = self.run_cli("--json", "key", "list")
        self.assertEqual(json.loads(listed.stdout)[0]["apiId"], key["apiId"])
        self.assertNotIn(key["apiSecret"], listed.stdout)
        regenerated = json.loads(self.run_cli("--json", "key", "regenerate", key["apiId"]).stdout)
        self.assertEqual(regenerated["apiId"], key["apiId"])
        self.assertNotEqual(regenerated["apiSecret"], key["apiSecret"])
        self.assertEqual(self.run_cli("key", "delete", key["apiId"]).returncode, 0)
        self.assertEqual(self.run_cli("key", "delete", key["apiId"]).returncode, 3)
        self.assertEqual(self.run_cli("key", "regenerate", "NOPE").returncode, 3)
        self.assertEqual(self.run_cli("account", "frobnicate").returncode, 2)

    def test_secret_files_are_private(self):
        self.assertEqual(self.run_cli("account", "list").returncode, 0)
        mode = os.stat(os.path.join(self.dir, "secrets", "master.key")).st_mode & 0o777
        self.assertEqual(mode, 0o600)

    def test_config_errors_name_the_key(self):
        env = dict(self.env, CONNECT_AUTH_TOKENS_V3_LIFETIME="5")
        out = subprocess.run([BINARY, "--data-dir", self.dir, "config", "check"],
                             capture_output=True, text=True, env=env, timeout=30)
        self.assertEqual(out.returncode, 2)
        self.assertIn("CONNECT_AUTH_TOKENS_V3_LIFETIME", out.stderr)
        path = os.path.join(self.dir, "bad.toml")
        with open(path, "w") as f:
            f.write("[tokens.v3]\nlifetime = 5\n")
        out = self.run_cli("--config", path, "config", "check")
        self.assertEqual(out.returncode, 2)
        self.assertIn("tokens.v3.lifetime", out.stderr)

    def test_config_keys_documents_every_environment_variable(self):
        keys = json.loads(self.run_cli("--json", "config", "keys").stdout)
        names = [k["env"] for k in keys]
        self.assertIn("CONNECT_AUTH_TOKENS_V3_LIFETIME_SECONDS", names)
        self.assertIn("CONNECT_AUTH_ISSUER", names)
        readme_path = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
        with open(readme_path, encoding="utf-8") as f:
            readme = f.read()
        for k in keys:
            self.assertIn("`%s`" % k["env"], readme, "README does not document " + k["key"])


    def test_every_readme_variable_is_accepted(self):
        # Each CONNECT_AUTH_* name the README mentions is a configuration key, or one of the
        # other variables `config keys` lists, which the configuration loader accepts.
        readme_path = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
        with open(readme_path, encoding="utf-8") as f:
            named = set(re.findall(r"CONNECT_AUTH_[A-Z0-9][A-Z0-9_]*", f.read()))
        keys = {k["env"] for k in json.loads(self.run_cli("--json", "config", "keys").stdout)}
        listing = self.run_cli("config", "keys").stdout
        others = named - keys
        self.assertEqual(others, {"CONNECT_AUTH_CONFIG", "CONNECT_AUTH_API_ID",
                                  "CONNECT_AUTH_API_SECRET", "CONNECT_AUTH_USER_NAME"})
        empty_file = os.path.join(self.dir, "empty.toml")
        open(empty_file, "w").close()
        for name in sorted(others):
            with self.subTest(variable=name):
                self.assertIn("`%s`" % name, listing)
                value = empty_file if name == "CONNECT_AUTH_CONFIG" else "some value"
                out = subprocess.run([BINARY, "--data-dir", self.dir, "config", "check"],
                                     capture_output=True, text=True, timeout=30,
                                     env=dict(self.env, **{name: value}))
                self.assertEqual(out.returncode, 0, out.stderr)


class MasterKeyMismatch(unittest.TestCase):
    def test_a_foreign_master_key_is_refused_by_admin_commands(self):
        server = Server().start()
        try:
            server.seed()
            other_key = os.path.join(server.data_dir, "other.key")
            env = dict(server.env, CONNECT_AUTH_SECRETS_MASTER_KEY_FILE=other_key)
            out = subprocess.run([BINARY, "--data-dir", server.data_dir, "account", "list"],
                                 capture_output=True, text=True, env=env, timeout=30)
            self.assertEqual(out.returncode, 2, out.stderr)
            self.assertIn("does not belong to this database", out.stderr)
        finally:
            self.assertEqual(server.stop(), 0)
            server.cleanup()


class PlainHttpOnRequest(ServerTestCase):
    insecure_http = True

    def test_tokens_over_plain_http(self):
        self.assertTrue(self.server.url.startswith("http://"))
        _, api_id, secret = self.server.seed()
        token = self.server.token(api_id, secret)
        status, headers, _ = self.server.accounts(token)
        self.assertEqual(status, 200)
        # HSTS is for HTTPS answers only (RFC 6797 §7.2); nosniff goes on every answer.
        self.assertNotIn("strict-transport-security", headers)
        self.assertEqual(headers.get("x-content-type-options"), "nosniff")


class ConfiguredLifetimeAndIssuer(ServerTestCase):
    server_env = {"CONNECT_AUTH_TOKENS_V3_LIFETIME_SECONDS": "600",
                  "CONNECT_AUTH_ISSUER": "https://auth.example.test"}

    def test_lifetime_and_issuer_come_from_config(self):
        _, api_id, secret = self.server.seed()
        status, _, body = self.server.request(
            "POST", "/rest/v3/oauth/token?grant_type=client_credentials",
            [("user", b64(api_id + ":" + secret))])
        parsed = json.loads(body)
        self.server.secrets_seen.add(parsed["access_token"])
        self.assertEqual(parsed["expires_in"], "600")
        import base64 as b
        payload = parsed["access_token"].split(".")[1]
        claims = json.loads(b.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        self.assertEqual(claims["iss"], "https://auth.example.test")
        self.assertEqual(claims["exp"] - claims["iat"], 600)
        self.assertEqual(claims["sub"], api_id)


class ConnectionsPerSource(ServerTestCase):
    server_env = {"CONNECT_AUTH_LIMITS_MAX_CONNECTIONS_PER_SOURCE": "3"}

    def test_one_address_cannot_hold_every_connection(self):
        held = [Client(self.server, "127.0.0.1") for _ in range(3)]
        try:
            for client in held:
                self.assertEqual(client.request("GET", "/health/live")[0], 200)
            # The fourth from the same address is closed at once (here: during the handshake).
            with self.assertRaises((ssl.SSLError, OSError)):
                Client(self.server, "127.0.0.1", timeout=5).request("GET", "/health/live")
            # Another address is served, and so are the connections already held.
            other = Client(self.server, "127.0.0.2")
            self.assertEqual(other.request("GET", "/health/live")[0], 200)
            other.close()
            self.assertEqual(held[0].request("GET", "/health/live")[0], 200)
            # A connection that ends gives its slot back.
            held.pop().close()
            took = wait_until(lambda: self.try_live("127.0.0.1"), timeout_s=2.0)
            self.assertIsNotNone(took, "the freed slot was not given back")
        finally:
            for client in held:
                client.close()

    def try_live(self, source):
        client = Client(self.server, source, timeout=5)
        try:
            return client.request("GET", "/health/live")[0] == 200
        except (ssl.SSLError, OSError):
            return False
        finally:
            client.close()


class StartupFailures(unittest.TestCase):
    def test_port_in_use_is_reported(self):
        first = Server().start()
        try:
            out = subprocess.run([BINARY, "serve", "--data-dir", first.data_dir, "--listen",
                                  "127.0.0.1:%d" % first.port], capture_output=True, text=True,
                                 timeout=30)
            self.assertNotEqual(out.returncode, 0)
            self.assertIn(str(first.port), out.stderr)
        finally:
            self.assertEqual(first.stop(), 0)
            first.cleanup()

    def test_restart_keeps_keys_and_tokens(self):
        # The issuer is part of the deployment: pinned here, because each start on port 0 gets a
        # new port and the default issuer is the URL actually served.
        server = Server(env={"CONNECT_AUTH_ISSUER": "https://auth.restart.test"}).start()
        try:
            _, api_id, secret = server.seed()
            token = server.token(api_id, secret)
            self.assertEqual(server.stop(), 0)
            server.start()
            self.assertEqual(server.accounts(token)[0], 200)
            self.assertEqual(server.request("POST",
                                            "/rest/v3/oauth/token?grant_type=client_credentials",
                                            [("user", b64(api_id + ":" + secret))])[0], 200)
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
