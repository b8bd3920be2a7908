"""The C++ client library (client/) against the real server: tests/client/live_test.cpp run one
test at a time, with the server's access log read around each to count the token requests that
really arrived (wire-contract §2-§4; issue 5)."""

import os
import subprocess
import tempfile
import unittest

from harness import ServerTestCase, b64, find_leaks

LIVE_BINARY = os.environ.get("CA_TEST_CLIENT_LIVE", "")
V3_TOKEN_PATH = "/rest/v3/oauth/token"
V4_TOKEN_PATH = "/rest/v4/oauth/token"
USER = "client-lib@acme.test"
PASSWORD = "client library password 1"


class ClientLibrary(ServerTestCase):
    # The shortest v3 lifetime the configuration allows, so renewal happens within the test; a
    # refresh grace period of 0, so replaying a rotated refresh token revokes its family at once.
    server_env = {"CONNECT_AUTH_TOKENS_V3_LIFETIME_SECONDS": "60",
                  "CONNECT_AUTH_REFRESH_TOKEN_GRACE_PERIOD_SECONDS": "0"}

    @classmethod
    def setUpClass(cls):
        if not LIVE_BINARY or not os.access(LIVE_BINARY, os.X_OK):
            raise RuntimeError("CA_TEST_CLIENT_LIVE must name the client_live_tests binary")
        super().setUpClass()
        cls.guids, cls.api_id, cls.secret = cls.server.seed(
            user=USER, companies=("Acme Diner", "Acme Kitchen"), password=PASSWORD)
        cls.state_dir = tempfile.mkdtemp(prefix="connect-auth-client-")
        cls.state_file = os.path.join(cls.state_dir, "refresh-token")

    @classmethod
    def tearDownClass(cls):
        try:
            if os.path.exists(cls.state_file):
                os.unlink(cls.state_file)
            os.rmdir(cls.state_dir)
        finally:
            super().tearDownClass()

    def requests_to(self, path):
        """How many requests for path the server's access log holds (once it has settled)."""
        return self.server.requests_logged(path)

    def run_live(self, name, timeout=120):
        env = dict(os.environ)
        env.update({
            "CA_LIVE_URL": self.server.url,
            "CA_LIVE_CA": self.server.cert_path,
            "CA_LIVE_API_ID": self.api_id,
            "CA_LIVE_API_SECRET": self.secret,
            "CA_LIVE_USER": USER,
            "CA_LIVE_PASSWORD": PASSWORD,
            "CA_LIVE_STATE_FILE": self.state_file,
            "CA_LIVE_ACCOUNTS": str(len(self.guids)),
            "CA_LIVE_V3_LIFETIME": self.server_env["CONNECT_AUTH_TOKENS_V3_LIFETIME_SECONDS"],
            "CA_LIVE_RENEW_MARGIN": "58",
        })
        result = subprocess.run([LIVE_BINARY, "--gtest_filter=Live." + name], env=env,
                                capture_output=True, text=True, timeout=timeout)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, output)
        self.assertIn("[  PASSED  ] 1 test", output, output)
        secrets = {self.secret, PASSWORD, b64(self.api_id + ":" + self.secret)}
        if os.path.exists(self.state_file):
            with open(self.state_file, encoding="utf-8") as f:
                secrets.add(f.read())
        self.assertEqual(find_leaks(output, secrets), [], "the client printed a secret")
        return output

    def assert_token_requests(self, path, case, expected):
        """Runs one live case; the server must have seen exactly `expected` requests for path."""
        before = self.requests_to(path)
        self.run_live(case)
        self.assertEqual(self.requests_to(path) - before, expected, case)

    def test_v3_token_and_accounts(self):
        self.assert_token_requests(V3_TOKEN_PATH, "V3TokenAndAccounts", 1)

    def test_v3_single_flight_thirty_two_threads(self):
        self.assert_token_requests(V3_TOKEN_PATH, "V3SingleFlightThirtyTwoThreads", 1)

    def test_v3_renewal_before_expiry(self):
        # 60 s tokens, renewed after 30 s
        self.assert_token_requests(V3_TOKEN_PATH, "V3RenewalBeforeExpiry", 2)

    def test_v3_wrong_secret(self):
        # token() and accounts(): one request each, a 401 invalid_client is never retried.
        self.assert_token_requests(V3_TOKEN_PATH, "V3WrongSecretIsATypedOAuthError", 2)

    def test_v4_rotation_and_restart(self):
        before = self.requests_to(V4_TOKEN_PATH)
        self.run_live("V4LoginRefreshRotationAndStoredToken")
        self.assertEqual(self.requests_to(V4_TOKEN_PATH) - before, 3)  # login, 2 refreshes
        self.run_live("V4ContinuesFromThePersistedRefreshToken")  # a new process
        self.assertEqual(self.requests_to(V4_TOKEN_PATH) - before, 4)

    def test_v4_revoked_refresh_token_falls_back_once(self):
        # login, thief's refresh, replay, then refresh (invalid_grant) + one password login
        self.assert_token_requests(V4_TOKEN_PATH, "V4RevokedRefreshTokenFallsBackToThePasswordOnce", 5)


if __name__ == "__main__":
    unittest.main()
