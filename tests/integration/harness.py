"""Starts the real connect-auth binary on a free loopback port with a temporary data directory
and offers the CLI and HTTPS helpers the integration tests use. Standard library only, so it
runs on Debian's /usr/bin/python3 (which also has python3-requests for the seed sample)."""

import base64
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import unittest

BINARY = os.environ.get("CA_TEST_BINARY", "")
SEEDS_DIR = os.environ.get("CA_TEST_SEEDS_DIR", "")
START_TIMEOUT_S = 20


def b64(text):
    return base64.b64encode(text.encode()).decode()


class Server:
    """One server process. Every secret and token a test handles is remembered, so the log check
    at the end can prove none of them was written."""

    def __init__(self, insecure_http=False, env=None, data_dir=None, extra_args=()):
        if not BINARY or not os.access(BINARY, os.X_OK):
            raise RuntimeError("CA_TEST_BINARY must name the connect-auth binary")
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="connect-auth-it-")
        self.insecure_http = insecure_http
        self.env = dict(os.environ)
        self.env.pop("CONNECT_AUTH_CONFIG", None)
        self.env.update(env or {})
        self.extra_args = list(extra_args)
        self.process = None
        self.url = None
        self.port = None
        self.secrets_seen = set()
        self.log_path = os.path.join(self.data_dir, "server.log")
        self.out_path = os.path.join(self.data_dir, "server.out")

    # --- lifecycle
    def start(self):
        args = [BINARY, "serve", "--data-dir", self.data_dir, "--listen", "127.0.0.1:0"]
        if self.insecure_http:
            args.append("--insecure-http")
        args += self.extra_args
        self._log = open(self.log_path, "ab")
        self._out = open(self.out_path, "wb")  # fresh: start() looks for this run's URL
        self.process = subprocess.Popen(args, stdout=self._out, stderr=self._log, env=self.env,
                                        stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited during start:\n" + self.log_text())
            with open(self.out_path, encoding="utf-8", errors="replace") as f:
                m = re.search(r"serving on (https?)://127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.port = int(m.group(2))
                self.url = "%s://127.0.0.1:%d" % (m.group(1), self.port)
                try:
                    if self.request("GET", "/health/ready")[0] == 200:
                        return self
                except OSError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not become ready:\n" + self.log_text())

    def stop(self, timeout=20):
        """SIGTERM, wait for the drain; returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        self._out.close()
        code = self.process.returncode
        self.process = None
        return code

    def cleanup(self):
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    @property
    def cert_path(self):
        return os.path.join(self.data_dir, "tls", "dev-cert.pem")

    def log_text(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            with open(self.out_path, encoding="utf-8", errors="replace") as f:
                return text + f.read()
        except OSError:
            return ""

    # --- HTTP
    def connection(self, timeout=10):
        if self.insecure_http:
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        context = ssl.create_default_context(cafile=self.cert_path)
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                           context=context)

    def request(self, method, path, headers=None, body=None):
        """Returns (status, headers dict with lower-case names, body text)."""
        conn = self.connection()
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in (headers or []):
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body.encode() if isinstance(body, str) else body)
            response = conn.getresponse()
            data = response.read().decode("utf-8", errors="replace")
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def token(self, api_id, secret):
        status, _, body = self.request(
            "POST", "/rest/v3/oauth/token?grant_type=client_credentials",
            [("user", b64(api_id + ":" + secret))])
        if status != 200:
            raise AssertionError("token request failed: %d %s" % (status, body))
        token = json.loads(body)["access_token"]
        self.secrets_seen.add(token)
        return token

    def accounts(self, token):
        return self.request("GET", "/rest/v3/accounts", [("Authorization", "Bearer " + token)])

    # --- CLI
    def cli(self, *args, input_text=None, check=True):
        result = subprocess.run([BINARY, "--data-dir", self.data_dir] + list(args),
                                input=input_text, capture_output=True, text=True,
                                env=self.env, timeout=60)
        if check and result.returncode != 0:
            raise AssertionError("cli %s failed (%d): %s" % (args, result.returncode,
                                                             result.stderr))
        return result

    def cli_json(self, *args, input_text=None):
        return json.loads(self.cli("--json", *args, input_text=input_text).stdout)

    def seed(self, user="ops@acme.test", companies=("Acme Diner",), password="correct horse 1"):
        """An account per company, a user with a role on each, and one key covering them all."""
        guids = [self.cli_json("account", "create", "--company", c, "--country", "US")
                 ["accountGuid"] for c in companies]
        self.cli_json("user", "create", "--user-name", user, input_text=password + "\n")
        self.secrets_seen.add(password)
        for g in guids:
            self.cli("user", "grant", "--user-name", user, "--account", g, "--role",
                     "ADMINISTRATOR")
        args = ["key", "create", "--user-name", user]
        for g in guids:
            args += ["--account", g]
        key = self.cli_json(*args)
        self.secrets_seen.add(key["apiSecret"])
        credential = b64(key["apiId"] + ":" + key["apiSecret"])
        self.secrets_seen.add(credential)
        # The server learns of the CLI's change by polling; the contract allows up to 1 s.
        took = wait_until(lambda: self.request(
            "POST", "/rest/v3/oauth/token?grant_type=client_credentials",
            [("user", credential)])[0] == 200, timeout_s=1.0)
        if took is None:
            raise AssertionError("a key created with the CLI did not work within 1 s")
        return guids, key["apiId"], key["apiSecret"]


def wait_until(predicate, timeout_s=1.0, step_s=0.02):
    """Polls predicate until it is true; returns the seconds it took, or None on timeout."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout_s:
            return None
        time.sleep(step_s)


class ServerTestCase(unittest.TestCase):
    """One server per test class; after the class, the log must hold none of the secrets."""

    insecure_http = False
    server_env = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(insecure_http=cls.insecure_http, env=cls.server_env).start()

    @classmethod
    def tearDownClass(cls):
        server = cls.server
        code = server.stop()
        try:
            if code != 0:
                raise AssertionError("server exited with %r after SIGTERM" % code)
            log = server.log_text()
            leaked = [s for s in server.secrets_seen if s and s in log]
            if leaked:
                raise AssertionError("the server log contains %d secret(s)/token(s)" % len(leaked))
        finally:
            server.cleanup()
