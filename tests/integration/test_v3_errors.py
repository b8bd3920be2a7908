"""Every error path of wire-contract §2 and §4 and the bad-input classes A, B, D, G that apply,
through real HTTPS to the real server."""

import base64
import json
import socket
import ssl
import time
import unittest

from harness import ServerTestCase, b64

TOKEN_PATH = "/rest/v3/oauth/token?grant_type=client_credentials"


class TokenEndpointErrors(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.guids, cls.api_id, cls.secret = cls.server.seed()
        cls.credential = b64(cls.api_id + ":" + cls.secret)

    def assert_error(self, response, status, code):
        got_status, headers, body = response
        self.assertEqual(got_status, status, body)
        parsed = json.loads(body)
        self.assertEqual(parsed["error"], code)
        self.assertIn("error_description", parsed)
        self.assertEqual(headers.get("cache-control"), "no-store")
        self.assertEqual(headers.get("pragma"), "no-cache")
        self.assertNotIn("sqlite", body.lower())
        return headers, parsed

    def post(self, path=TOKEN_PATH, headers=(), body=None, method="POST"):
        return self.server.request(method, path, list(headers), body)

    def test_grant_type(self):
        self.assert_error(self.post("/rest/v3/oauth/token", [("user", self.credential)]), 400,
                          "invalid_request")
        self.assert_error(self.post("/rest/v3/oauth/token?grant_type=password",
                                    [("user", self.credential)]), 400, "unsupported_grant_type")
        self.assert_error(self.post(TOKEN_PATH + "&grant_type=client_credentials",
                                    [("user", self.credential)]), 400, "invalid_request")

    def test_get_is_accepted_and_other_methods_are_405(self):
        status, _, _ = self.post(headers=[("user", self.credential)], method="GET")
        self.assertEqual(status, 200)
        headers, _ = self.assert_error(self.post(method="DELETE"), 405, "method_not_allowed")
        self.assertIn("POST", headers["allow"])
        self.assertIn("GET", headers["allow"])

    def test_malformed_credentials_are_400(self):
        cases = ["", "   ", "not base64!", self.credential[:10] + " " + self.credential[10:],
                 b64("no-colon"), b64(":secret"), b64(self.api_id + ":"),
                 self.credential + "===", "A" * 2000]
        for value in cases:
            with self.subTest(value=value[:20]):
                self.assert_error(self.post(headers=[("user", value)]), 400, "invalid_request")
        self.assert_error(self.post(), 400, "invalid_request")

    def test_wrong_unknown_and_lookalike_credentials_are_one_401(self):
        cases = [b64(self.api_id + ":wrong-secret"),
                 b64("ZZZZZZZZZZZZZZZZZZZZZZZZZ:" + self.secret),
                 b64(self.api_id.lower() + ":" + self.secret),
                 b64(self.api_id + "\x00:" + self.secret),
                 b64("' OR '1'='1:" + self.secret),
                 b64(self.api_id + ":" + self.secret + "x"),
                 b64(self.api_id[:-1] + ":" + self.secret)]
        answers = set()
        for value in cases:
            with self.subTest(value=value[:20]):
                headers, parsed = self.assert_error(self.post(headers=[("user", value)]), 401,
                                                    "invalid_client")
                answers.add((json.dumps(parsed), headers.get("www-authenticate"),
                             tuple(sorted(k for k in headers if k not in ("x-request-id", "date")))))
        self.assertEqual(len(answers), 1, answers)

    def test_credentials_two_ways_or_twice_are_400(self):
        self.assert_error(self.post(headers=[("user", self.credential),
                                             ("Authorization", "Basic " + self.credential)]),
                          400, "invalid_request")
        self.assert_error(self.post(headers=[("user", self.credential),
                                             ("user", self.credential)]), 400, "invalid_request")
        self.assert_error(self.post(headers=[("Authorization", "Basic " + self.credential),
                                             ("Authorization", "Basic " + self.credential)]),
                          400, "invalid_request")

    def test_basic_authorization_is_accepted(self):
        status, _, body = self.post(headers=[("Authorization", "Basic " + self.credential)])
        self.assertEqual(status, 200, body)
        self.server.secrets_seen.add(json.loads(body)["access_token"])

    def test_body_is_ignored_but_capped(self):
        status, _, body = self.post(headers=[("user", self.credential),
                                             ("Content-Type", "application/json")], body="{}")
        self.assertEqual(status, 200, body)
        self.server.secrets_seen.add(json.loads(body)["access_token"])
        status, _, _ = self.post(headers=[("user", self.credential)], body="x" * (70 * 1024))
        self.assertEqual(status, 413)

    def test_oversized_header_is_431(self):
        status, _, _ = self.post(headers=[("user", self.credential), ("X-Big", "a" * 9000)])
        self.assertEqual(status, 431)

    def test_duplicate_host_is_400(self):
        status, _, _ = self.post(headers=[("Host", "a"), ("Host", "b"),
                                          ("user", self.credential)])
        self.assertEqual(status, 400)

    def test_plain_http_to_the_tls_port_is_refused_without_redirect(self):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as s:
            s.sendall(b"POST " + TOKEN_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nuser: " +
                      self.credential.encode() + b"\r\n\r\n")
            try:
                data = s.recv(4096)
            except (ConnectionResetError, socket.timeout):
                data = b""
        self.assertNotIn(b"HTTP/1.1 3", data)
        self.assertNotIn(b"access_token", data)
        status, _, _ = self.post(headers=[("user", self.credential)])
        self.assertEqual(status, 200)

    def test_tls_below_1_2_is_refused(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
        except (ValueError, ssl.SSLError):
            self.skipTest("this OpenSSL cannot even offer TLS 1.1")
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as raw:
            with self.assertRaises((ssl.SSLError, ConnectionResetError, OSError)):
                with context.wrap_socket(raw) as tls:
                    tls.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n")
                    tls.recv(100)

    def test_security_headers_on_every_https_answer(self):
        answers = [self.post(headers=[("user", self.credential)]),
                   self.post(headers=[("user", b64("X" * 25 + ":wrong"))]),
                   self.post(path="/nowhere", method="GET"),
                   self.post(headers=[("Host", "a"), ("Host", "b")])]
        self.server.secrets_seen.add(json.loads(answers[0][2])["access_token"])
        self.assertEqual([status for status, _, _ in answers], [200, 401, 404, 400])
        for status, headers, _ in answers:
            with self.subTest(status=status):
                self.assertEqual(headers.get("strict-transport-security"), "max-age=31536000")
                self.assertEqual(headers.get("x-content-type-options"), "nosniff")

    def test_bare_lf_line_ends_are_400_at_once(self):
        # The read timeout is 10 s: an answer within 3 s is the refusal, not the timeout.
        context = ssl.create_default_context(cafile=self.server.cert_path)
        chunked = b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        for request in (b"GET /health/live HTTP/1.1\r\nHost: x\r\n\n", chunked + b"5\nhello",
                        chunked + b"0\r\n\n"):
            with self.subTest(request=request):
                start = time.monotonic()
                with socket.create_connection(("127.0.0.1", self.server.port), timeout=3) as raw:
                    with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                        tls.sendall(request)
                        data = b""
                        while b"\r\n\r\n" not in data:
                            chunk = tls.recv(4096)
                            if not chunk:
                                break
                            data += chunk
                self.assertTrue(data.startswith(b"HTTP/1.1 400 "), data[:200])
                self.assertIn(b"Connection: close", data)
                self.assertLess(time.monotonic() - start, 3)

    def test_keep_alive_and_pipelining(self):
        context = ssl.create_default_context(cafile=self.server.cert_path)
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                one = ("POST " + TOKEN_PATH + " HTTP/1.1\r\nHost: x\r\nuser: " +
                       self.credential + "\r\n\r\n").encode()
                two = b"GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n"
                tls.sendall(one + two)
                data = b""
                deadline = time.monotonic() + 5
                while data.count(b"HTTP/1.1 200") < 2 and time.monotonic() < deadline:
                    chunk = tls.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        self.assertEqual(data.count(b"HTTP/1.1 200"), 2, data[:300])
        self.assertLess(data.index(b"access_token"), data.index(b'"status":"live"'))
        token = json.loads(data[data.index(b"{"):data.index(b"}") + 1])["access_token"]
        self.server.secrets_seen.add(token)


class BearerErrors(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.guids, cls.api_id, cls.secret = cls.server.seed()

    def assert_invalid_token(self, headers):
        status, response_headers, body = self.server.request("GET", "/rest/v3/accounts", headers)
        self.assertEqual(status, 401, body)
        self.assertTrue(response_headers["www-authenticate"].startswith(
            'Bearer error="invalid_token"'), response_headers)

    def test_missing_malformed_and_tampered_tokens(self):
        token = self.server.token(self.api_id, self.secret)
        header, payload, signature = token.split(".")
        none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
        cases = [[("Authorization", "Bearer")], [("Authorization", "Bearer ")],
                 [("Authorization", "Token " + token)], [("Authorization", token)],
                 [("Authorization", "Bearer " + header + "." + payload)],
                 [("Authorization", "Bearer " + header + "." + payload + ".")],
                 [("Authorization", "Bearer " + none_header + "." + payload + ".")],
                 [("Authorization", "Bearer " + header + "." + payload + "." + signature[:-4])],
                 [("Authorization", "Bearer " + header + "." + payload[:-2] + "AA." + signature)],
                 [("Authorization", "Bearer " + "a" * 5000)]]
        for headers in cases:
            with self.subTest(headers=str(headers)[:60]):
                self.assert_invalid_token(headers)

    def test_no_credentials_get_the_challenge_without_an_error_code(self):
        # RFC 6750 §3.1: a request without any authentication information is no invalid token.
        status, headers, _ = self.server.request("GET", "/rest/v3/accounts")
        self.assertEqual(status, 401)
        self.assertEqual(headers["www-authenticate"], 'Bearer realm="connect-auth"')

    def test_duplicate_authorization_is_400(self):
        token = self.server.token(self.api_id, self.secret)
        status, _, _ = self.server.request("GET", "/rest/v3/accounts",
                                           [("Authorization", "Bearer " + token),
                                            ("Authorization", "Bearer " + token)])
        self.assertEqual(status, 400)

    def test_scheme_is_case_insensitive(self):
        token = self.server.token(self.api_id, self.secret)
        status, _, body = self.server.request("GET", "/rest/v3/accounts",
                                              [("Authorization", "bearer " + token)])
        self.assertEqual(status, 200, body)


if __name__ == "__main__":
    unittest.main()
