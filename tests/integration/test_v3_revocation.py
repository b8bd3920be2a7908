"""Changes made with the CLI while the server runs take effect within one second."""

import json
import unittest

from harness import ServerTestCase, b64, wait_until

TOKEN_PATH = "/rest/v3/oauth/token?grant_type=client_credentials"


class Revocation(ServerTestCase):
    def token_status(self, api_id, secret):
        return self.server.request("POST", TOKEN_PATH, [("user", b64(api_id + ":" + secret))])[0]

    def accounts_status(self, token):
        return self.server.accounts(token)[0]

    def test_new_key_works_within_a_second(self):
        guids, api_id, secret = self.server.seed(user="new@acme.test")
        took = wait_until(lambda: self.token_status(api_id, secret) == 200)
        self.assertIsNotNone(took, "a new key did not work within 1 s")

    def test_delete_stops_key_and_its_tokens_within_a_second(self):
        _, api_id, secret = self.server.seed(user="delete@acme.test")
        wait_until(lambda: self.token_status(api_id, secret) == 200)
        token = self.server.token(api_id, secret)
        self.assertEqual(self.accounts_status(token), 200)
        self.server.cli("key", "delete", api_id)
        took = wait_until(lambda: self.accounts_status(token) == 401)
        self.assertIsNotNone(took, "a deleted key's token still worked after 1 s")
        self.assertEqual(self.token_status(api_id, secret), 401)

    def test_regenerate_stops_old_secret_and_old_tokens_within_a_second(self):
        _, api_id, secret = self.server.seed(user="regen@acme.test")
        wait_until(lambda: self.token_status(api_id, secret) == 200)
        old_token = self.server.token(api_id, secret)
        new_secret = self.server.cli_json("key", "regenerate", api_id)["apiSecret"]
        self.server.secrets_seen.add(new_secret)
        took = wait_until(lambda: self.accounts_status(old_token) == 401)
        self.assertIsNotNone(took, "an old token still worked 1 s after regeneration")
        self.assertEqual(self.token_status(api_id, secret), 401)
        new_token = self.server.token(api_id, new_secret)
        self.assertEqual(self.accounts_status(new_token), 200)

    def test_deactivated_account_disappears_within_a_second(self):
        guids, api_id, secret = self.server.seed(user="multi@acme.test",
                                                 companies=("One Co", "Two Co"))
        wait_until(lambda: self.token_status(api_id, secret) == 200)
        token = self.server.token(api_id, secret)
        status, _, body = self.server.accounts(token)
        self.assertEqual(sorted(a["accountGuid"] for a in json.loads(body)), sorted(guids))
        self.server.cli("account", "deactivate", guids[0])

        def only_second():
            s, _, b = self.server.accounts(token)
            return s == 200 and [a["accountGuid"] for a in json.loads(b)] == [guids[1]]

        self.assertIsNotNone(wait_until(only_second), "inactive account still listed after 1 s")
        self.server.cli("account", "activate", guids[0])
        self.assertIsNotNone(wait_until(lambda: len(json.loads(
            self.server.accounts(token)[2])) == 2))

    def test_disabled_user_stops_its_keys_within_a_second(self):
        _, api_id, secret = self.server.seed(user="disable@acme.test")
        wait_until(lambda: self.token_status(api_id, secret) == 200)
        token = self.server.token(api_id, secret)
        self.server.cli("user", "disable", "--user-name", "disable@acme.test")
        self.assertIsNotNone(wait_until(lambda: self.accounts_status(token) == 401))
        self.assertEqual(self.token_status(api_id, secret), 401)
        # Enabling the user again restores the key, never the tokens issued before the disable.
        self.server.cli("user", "enable", "--user-name", "disable@acme.test")
        self.assertIsNotNone(wait_until(lambda: self.token_status(api_id, secret) == 200))
        self.assertEqual(self.accounts_status(token), 401)
        self.assertEqual(self.accounts_status(self.server.token(api_id, secret)), 200)


if __name__ == "__main__":
    unittest.main()
