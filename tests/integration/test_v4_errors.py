"""Every error path of the v4 token endpoint (wire-contract §3; bad-inputs §C, §E, §F) through
real HTTPS to the real server: hostile JSON, content types, grant types and scopes, caps, the
one answer for every password failure, throttling, the bounded password queue, methods."""

import json
import statistics
import threading
import time
import unittest

from harness import (Client, ServerTestCase, V4_TOKEN_PATH, jwt_decode, password_body,
                     refresh_body)

PASSWORD = "errors pass 9"
USER = "errors@acme.test"
FAST_S = 2.0  # "fast": far below a password hash run plus network, even under ASan


def error_of(test, response, status, code=None):
    got_status, headers, body = response
    test.assertEqual(got_status, status, body[:300])
    parsed = json.loads(body)
    if code is not None:
        test.assertEqual(parsed.get("error"), code, body[:300])
    test.assertIsInstance(parsed.get("error_description", ""), str)
    test.assertEqual(headers.get("cache-control"), "no-store")
    test.assertEqual(headers.get("pragma"), "no-cache")
    for leak in ("sqlite", "boost", "exception", "/work/", ".cpp"):
        test.assertNotIn(leak, body.lower())
    return headers, parsed


class BadBodies(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.seed(user=USER, password=PASSWORD)

    def post(self, body, content_type="application/json", headers=()):
        began = time.monotonic()
        response = self.server.post_v4(body, content_type, headers)
        return response, time.monotonic() - began

    def assert_invalid_request(self, body, what, content_type="application/json", codes=None):
        response, took = self.post(body, content_type)
        if codes is None:
            error_of(self, response, 400, "invalid_request")
        else:
            self.assertIn(response[0], codes, "%s: %s" % (what, response[2][:200]))
        self.assertLess(took, FAST_S, what)
        # Nothing of the request is echoed back.
        self.assertNotIn(PASSWORD, response[2])
        return response

    def test_hostile_json_is_invalid_request_fast(self):
        valid = '"scope":"OFFLINE_ACCESS","userName":"%s","password":"%s","grantType":"PASSWORD"' \
            % (USER, PASSWORD)
        cases = {
            "deep nesting under the body cap": '{"x":' + "[" * 30000 + "]" * 30000 + "," +
                                              valid + "}",
            "deep objects": '{' + valid + ',"x":' + '{"a":' * 10000 + "1" + "}" * 10000 + "}",
            "unclosed nesting": "[" * 60000,
            "duplicate grantType": '{' + valid + ',"grantType":"REFRESH_TOKEN"}',
            "duplicate password": '{' + valid + ',"password":"other"}',
            "duplicate userName": '{"userName":"a",' + valid + '}',
            "duplicate unknown member": '{' + valid + ',"x":1,"x":2}',
            "duplicate in a nested object": '{' + valid + ',"x":{"a":1,"a":2}}',
            "$ne as password": '{"scope":"OFFLINE_ACCESS","userName":"%s","password":{"$ne":null},'
                               '"grantType":"PASSWORD"}' % USER,
            "$ne as userName": '{"userName":{"$ne":null},"password":"x","grantType":"PASSWORD"}',
            "$gt as refreshToken": '{"refreshToken":{"$gt":""},"grantType":"REFRESH_TOKEN"}',
            "array password": '{"userName":"%s","password":["%s"],"grantType":"PASSWORD"}'
                              % (USER, PASSWORD),
            "array grantType": '{"userName":"a","password":"b","grantType":["PASSWORD"]}',
            "number password": '{"userName":"%s","password":12345678,"grantType":"PASSWORD"}'
                               % USER,
            "number userName": '{"userName":1,"password":"x","grantType":"PASSWORD"}',
            "true password": '{"userName":"a","password":true,"grantType":"PASSWORD"}',
            "null password": '{"userName":"a","password":null,"grantType":"PASSWORD"}',
            "number refreshToken": '{"refreshToken":1e3,"grantType":"REFRESH_TOKEN"}',
            "number grantType": '{"userName":"a","password":"b","grantType":1}',
            "huge exponent": '{' + valid + ',"x":1e999999}',
            "huge integer": '{' + valid + ',"x":' + "9" * 60000 + '}',
            "huge number as password": '{"userName":"a","password":' + "1" * 60000 +
                                       ',"grantType":"PASSWORD"}',
            "NaN": '{' + valid + ',"x":NaN}',
            "Infinity": '{' + valid + ',"x":Infinity}',
            "invalid UTF-8 in a value": b'{"userName":"\xff\xfe","password":"x",'
                                        b'"grantType":"PASSWORD"}',
            "invalid UTF-8 in a key": b'{"\xc3\x28":1,' + valid.encode() + b'}',
            "overlong UTF-8": b'{"userName":"\xc0\xaf","password":"x","grantType":"PASSWORD"}',
            "UTF-16 surrogate bytes": b'{"userName":"\xed\xa0\x80","password":"x",'
                                      b'"grantType":"PASSWORD"}',
            "truncated UTF-8": b'{"userName":"\xe2\x82","password":"x","grantType":"PASSWORD"}',
            "lone high surrogate": '{"userName":"\\ud800","password":"x","grantType":"PASSWORD"}',
            "lone low surrogate": '{"userName":"a\\udc00b","password":"x",'
                                  '"grantType":"PASSWORD"}',
            "raw control byte": '{"userName":"a\x01","password":"x","grantType":"PASSWORD"}',
            "raw NUL": '{"userName":"a\x00","password":"x","grantType":"PASSWORD"}',
            "bad escape": '{"userName":"a\\x41","password":"x","grantType":"PASSWORD"}',
            "trailing garbage": '{' + valid + '}x',
            "trailing comma": '{' + valid + ',}',
            "line comment": '{' + valid + '} // comment',
            "block comment": '{/* c */' + valid + '}',
            "two documents": '{' + valid + '}{' + valid + '}',
            "two documents with a space": '{' + valid + '} {}',
            "empty body": "",
            "whitespace body": "   \n",
            "null": "null",
            "top-level array": '[{' + valid + '}]',
            "top-level string": '"PASSWORD"',
            "top-level number": "1",
            "top-level true": "true",
            "single quotes": "{'grantType':'PASSWORD'}",
            "unquoted keys": "{grantType:\"PASSWORD\"}",
            "form encoding": "grantType=PASSWORD&userName=a&password=b",
        }
        for name, body in cases.items():
            with self.subTest(case=name):
                self.assert_invalid_request(body, name)

    def test_numbers_that_underflow_are_harmless(self):
        # 1e-999999 is a valid JSON number (it rounds to 0); refusing it is allowed, not required.
        valid = password_body(USER, PASSWORD)
        body = json.dumps(valid)[:-1] + ',"x":-1e-999999}'
        self.assert_invalid_request(body, "underflow", codes=(200, 400))

    def test_deep_nesting_of_a_hundred_thousand_levels(self):
        # 10^5 levels do not fit in the 64 KiB body limit: refused either way, fast.
        for body in ("[" * 100000 + "]" * 100000, '{"a":' * 100000 + "1" + "}" * 100000):
            self.assert_invalid_request(body, "10^5 levels", codes=(400, 413))

    def test_missing_and_wrongly_typed_members(self):
        cases = [{"scope": "OFFLINE_ACCESS", "password": PASSWORD, "grantType": "PASSWORD"},
                 {"scope": "OFFLINE_ACCESS", "userName": USER, "grantType": "PASSWORD"},
                 {"scope": "OFFLINE_ACCESS", "userName": USER, "password": PASSWORD},
                 {"scope": "OFFLINE_ACCESS", "grantType": "REFRESH_TOKEN"},
                 {"refreshToken": None, "grantType": "REFRESH_TOKEN"},
                 {"userName": USER, "password": PASSWORD, "grantType": "PASSWORD", "scope": 1},
                 {"userName": USER, "password": PASSWORD, "grantType": "PASSWORD",
                  "scope": ["OFFLINE_ACCESS"]},
                 {"userName": USER, "password": PASSWORD, "grantType": None},
                 {}]
        for body in cases:
            with self.subTest(body=json.dumps(body)[:60]):
                self.assert_invalid_request(body, json.dumps(body)[:60])

    def test_wrong_content_type(self):
        body = json.dumps(password_body(USER, PASSWORD))
        for content_type in ("text/plain", "application/x-www-form-urlencoded",
                             "multipart/form-data; boundary=x", "application/jsonx",
                             "application/json; charset=latin1", "json", "", None):
            with self.subTest(content_type=content_type):
                self.assert_invalid_request(body, "content type %r" % content_type,
                                            content_type=content_type)
        for content_type in ("application/json; charset=utf-8", "Application/JSON",
                             "application/json;charset=UTF-8"):
            with self.subTest(content_type=content_type):
                status, _, text = self.server.post_v4(body, content_type)
                self.assertEqual(status, 200, text)

    def test_unknown_grant_type(self):
        for grant in ("CLIENT_CREDENTIALS", "client_credentials", "AUTHORIZATION_CODE",
                      "PASSWORD2", "REFRESH", "urn:ietf:params:oauth:grant-type:jwt-bearer",
                      "x" * 300):
            with self.subTest(grant=grant[:30]):
                error_of(self, self.server.post_v4({"userName": USER, "password": PASSWORD,
                                                    "grantType": grant}),
                         400, "unsupported_grant_type")

    def test_bad_scope(self):
        for scope in ("ADMIN", "OFFLINE_ACCESS ADMIN", "openid", "admin", "offline-access",
                      "OFFLINE_ACCESS,ADMIN"):
            with self.subTest(scope=scope):
                error_of(self, self.server.post_v4({"scope": scope, "userName": USER,
                                                    "password": PASSWORD,
                                                    "grantType": "PASSWORD"}),
                         400, "invalid_scope")
        refresh_token = self.server.v4_login(USER, PASSWORD)["refreshToken"]
        error_of(self, self.server.v4_refresh(refresh_token, scope="ADMIN"), 400,
                 "invalid_scope")
        status, _, text = self.server.v4_refresh(refresh_token)
        self.assertEqual(status, 200, "a refused scope must not spend the token: " + text)

    def test_over_long_credentials_are_refused_before_hashing(self):
        for body in (password_body(USER, "p" * (60 * 1024)),
                     password_body("u" * (60 * 1024) + "@acme.test", PASSWORD),
                     password_body(USER, "p" * 2000)):
            self.server.secrets_seen.add(body["password"])
            began = time.monotonic()
            error_of(self, self.server.post_v4(body), 400)
            self.assertLess(time.monotonic() - began, FAST_S)

        # Many at once stay fast: no argon2 run is queued for them.
        def flood(results):
            client = Client(self.server)
            try:
                for _ in range(10):
                    began = time.monotonic()
                    status = client.post_v4(password_body(USER, "p" * (60 * 1024)))[0]
                    results.append((status, time.monotonic() - began))
            finally:
                client.close()

        results = []
        threads = [threading.Thread(target=flood, args=(results,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual({s for s, _ in results}, {400})
        self.assertLess(max(t for _, t in results), FAST_S)

    def test_body_over_the_limit_is_413(self):
        body = json.dumps(password_body(USER, PASSWORD))[:-1] + ',"x":"' + "a" * 70000 + '"}'
        status, _, _ = self.server.post_v4(body)
        self.assertEqual(status, 413)

    def test_unknown_members_are_ignored_and_never_reach_a_token(self):
        body = dict(password_body(USER, PASSWORD), sub="root@acme.test", exp=9999999999,
                    uid="1", scp=["admin"], iss="https://evil.test", aud="evil", cid="evil",
                    ver=2, jti="AT.evil", tokenType="MAC", expiresIn="999999",
                    nested={"scope": "ADMIN", "grantType": "X", "userName": 1})
        status, _, text = self.server.post_v4(body)
        self.assertEqual(status, 200, text)
        parsed = json.loads(text)
        self.assertEqual((parsed["tokenType"], parsed["expiresIn"]), ("Bearer", "3600"))
        claims = jwt_decode(parsed["accessToken"])[1]
        self.assertEqual(claims["sub"], USER)
        self.assertEqual(claims["scp"], ["offline_access"])
        self.assertEqual(claims["ver"], 1)
        self.assertEqual(claims["exp"] - claims["iat"], 3600)
        self.assertNotIn("evil", json.dumps(claims))
        status, _, text = self.server.post_v4(dict(refresh_body(parsed["refreshToken"]),
                                                   userName="other@acme.test", sub="x"))
        self.assertEqual(status, 200, text)
        self.assertEqual(jwt_decode(json.loads(text)["accessToken"])[1]["sub"], USER)

    def test_odd_refresh_tokens_are_invalid_grant(self):
        for token in ("x", "A" * 42, "A" * 44, "A" * 43, "' OR 1=1 --", "../../etc/passwd",
                      "%00" * 20, "\u00e9" * 43, "A" * 512):
            with self.subTest(token=token[:12]):
                # Not real tokens: sent without adding them to the secrets the log is checked for.
                error_of(self, self.server.post_v4(refresh_body(token)), 400, "invalid_grant")

    def test_empty_and_huge_refresh_tokens_are_invalid_grant_per_bad_inputs_E(self):
        # bad-inputs §E: "Empty, huge, one-character-changed, SQL-laden tokens → invalid_grant".
        for token in ("", "A" * 600, "A" * (60 * 1024)):
            with self.subTest(length=len(token)):
                # Not real tokens: sent without adding them to the secrets the log is checked for.
                error_of(self, self.server.post_v4(refresh_body(token)), 400, "invalid_grant")

    def test_methods_other_than_post_are_405(self):
        for method in ("GET", "HEAD", "PUT", "DELETE", "PATCH"):
            with self.subTest(method=method):
                status, headers, _ = self.server.request(method, V4_TOKEN_PATH)
                self.assertEqual(status, 405)
                self.assertIn("POST", headers.get("allow", ""))
                self.assertNotIn("GET", headers.get("allow", ""))


class OneAnswerForEveryPasswordFailure(ServerTestCase):
    server_env = {"CONNECT_AUTH_THROTTLE_ENABLED": "false"}
    TRIES = 5

    def test_unknown_user_wrong_password_and_disabled_user_look_the_same(self):
        self.server.seed(user=USER, password=PASSWORD)
        self.server.seed(user="off@acme.test", password=PASSWORD, companies=("Off Co",))
        self.server.cli("user", "disable", "--user-name", "off@acme.test")
        cases = {"unknown user": password_body("nobody@acme.test", PASSWORD),
                 "wrong password": password_body(USER, PASSWORD + "x"),
                 "disabled user, right password": password_body("off@acme.test", PASSWORD),
                 "disabled user, wrong password": password_body("off@acme.test", "nope, wrong pw")}
        for body in cases.values():
            self.server.secrets_seen.add(body["password"])
        client = Client(self.server)
        answers, timings = {}, {}
        try:
            for _ in range(self.TRIES):
                for name, body in cases.items():
                    began = time.monotonic()
                    status, headers, text = client.post_v4(body)
                    timings.setdefault(name, []).append(time.monotonic() - began)
                    answers.setdefault(name, set()).add(
                        (status, text, tuple(sorted((k, v) for k, v in headers.items()
                                                    if k not in ("date", "x-request-id")))))
        finally:
            client.close()
        for name, seen in answers.items():
            self.assertEqual(len(seen), 1, "%s: answers differ between tries" % name)
        distinct = {next(iter(seen)) for seen in answers.values()}
        self.assertEqual(len(distinct), 1, "the failures can be told apart: %s" % distinct)
        status, text, _ = next(iter(distinct))
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(text)["error"], "invalid_grant")
        medians = {name: statistics.median(t) for name, t in timings.items()}
        print("\nmedian seconds per failure: " +
              ", ".join("%s %.3f" % (n, m) for n, m in medians.items()))
        self.assertLess(max(medians.values()) / min(medians.values()), 3.0, medians)
        # The right password still works (nothing was locked by the failures above).
        self.assertEqual(self.server.post_v4(password_body(USER, PASSWORD))[0], 200)


class Throttling(ServerTestCase):
    """Default policy: per (user name, address) 5 free failures, then 1 s doubling; a blocked
    attempt is 429 without the password being checked; a success clears the count."""

    def login_from(self, client, password, user):
        self.server.secrets_seen.add(password)
        return client.post_v4(password_body(user, password))

    def fail_until_blocked(self, client, user, limit=8):
        """Wrong passwords until the first 429; returns (statuses, the 429 response)."""
        statuses = []
        for attempt in range(1, limit + 1):
            response = self.login_from(client, "guess %d" % attempt, user)
            statuses.append(response[0])
            if response[0] == 429:
                return statuses, response
            error_of(self, response, 400, "invalid_grant")
        return statuses, None

    def test_backoff_after_five_failures(self):
        user = "victim@acme.test"
        self.server.seed(user=user, password=PASSWORD)
        client = Client(self.server, source_address="127.0.0.1")
        other = Client(self.server, source_address="127.0.0.2")
        try:
            statuses, blocked = self.fail_until_blocked(client, user)
            print("\nattempt statuses until the first 429: %s" % statuses)
            self.assertIsNotNone(blocked, "no 429 after %d failures" % len(statuses))
            self.assertEqual(statuses[:5], [400] * 5, "fewer than 5 free failures")
            # The 7th at the latest (8th: the server counts whole seconds, so a 1 s backoff that
            # starts at x.99 s may be over at once).
            self.assertLessEqual(len(statuses), 8, "no backoff after the 6th failure")
            headers, _ = error_of(self, blocked, 429)
            self.assertGreaterEqual(int(headers["retry-after"]), 1)

            # The right password while blocked: still 429, the password is not even checked.
            status, headers, _ = self.login_from(client, PASSWORD, user)
            self.assertEqual(status, 429)
            retry_after = int(headers["retry-after"])
            self.assertGreaterEqual(retry_after, 1)
            # The block is per (user, address): the same user from another address is fine.
            status, _, text = self.login_from(other, PASSWORD, user)
            self.assertEqual(status, 200, "the victim is locked out from another address: " +
                             text)

            time.sleep(retry_after + 0.1)
            status, _, text = self.login_from(client, PASSWORD, user)
            self.assertEqual(status, 200, "after Retry-After the right password: " + text)
            # The success cleared the count: a next failure is an ordinary one.
            error_of(self, self.login_from(client, "guess again", user), 400, "invalid_grant")
        finally:
            client.close()
            other.close()

    def test_five_failures_are_free_and_the_sixth_delays_the_next_attempt(self):
        # throttle.user_and_source_failures = 5 free failures; the 6th failure starts the 1 s
        # backoff, so attempt 7 is the first one refused.
        user = "victim6@acme.test"
        self.server.seed(user=user, password=PASSWORD, companies=("Victim Six",))
        client = Client(self.server, source_address="127.0.0.4")
        try:
            statuses, _ = self.fail_until_blocked(client, user)
            self.assertEqual(statuses, [400] * 6 + [429])
        finally:
            client.close()

    def test_one_address_guessing_many_users_is_slowed_down(self):
        client = Client(self.server, source_address="127.0.0.3")
        try:
            statuses = []
            for n in range(26):
                status = self.login_from(client, "spray pw 1", user="user%d@acme.test" % n)[0]
                statuses.append(status)
                if status == 429:
                    break
            print("\nsource statuses: %s" % statuses)
            self.assertEqual(statuses[:20], [400] * 20)
            self.assertIn(429, statuses)
        finally:
            client.close()


class BoundedPasswordQueue(ServerTestCase):
    server_env = {"CONNECT_AUTH_PASSWORD_WORKERS": "1", "CONNECT_AUTH_PASSWORD_QUEUE": "1",
                  "CONNECT_AUTH_THROTTLE_ENABLED": "false"}

    def test_excess_password_requests_get_503_and_the_rest_stays_fast(self):
        _, api_id, secret = self.server.seed(user=USER, password=PASSWORD)
        clients = [Client(self.server).open() for _ in range(24)]
        barrier = threading.Barrier(len(clients))
        results = []

        def attempt(client):
            barrier.wait()
            status, headers, text = client.post_v4(password_body(USER, PASSWORD))
            results.append((status, headers.get("retry-after"), text))

        threads = [threading.Thread(target=attempt, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        time.sleep(0.05)
        began = time.monotonic()
        v3 = self.server.token(api_id, secret)  # other endpoints are not stuck behind argon2
        v3_took = time.monotonic() - began
        for t in threads:
            t.join()
        for c in clients:
            c.close()
        statuses = sorted(s for s, _, _ in results)
        print("\nstatuses: %s; v3 token during the flood took %.3f s" % (statuses, v3_took))
        self.assertTrue(set(statuses) <= {200, 503}, statuses)
        self.assertIn(200, statuses)
        self.assertIn(503, statuses)
        for status, retry_after, text in results:
            if status == 503:
                self.assertIsNotNone(retry_after)
                self.assertGreaterEqual(int(retry_after), 1)
                self.assertNotEqual(json.loads(text)["error"], "invalid_grant")
        self.assertLess(v3_took, 1.0)
        self.assertEqual(self.server.accounts(v3)[0], 200)


if __name__ == "__main__":
    unittest.main()
