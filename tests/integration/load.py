"""Background load through the cluster's HAProxy front (test_multi_node.py): client threads, each
with its own keep-alive connection, its own v4 login (refresh family) and a v3 token, cycling
through request kinds and recording every outcome with its time.

A client retries a request at most once, on a fresh connection, when it got no answer or a 503
(a refresh may then present the same token again: inside the grace period that is answered
normally). What a retry does not absorb is a failure."""

import json
import threading
import time

from harness import Client, b64, password_body, refresh_body

PAUSE_S = 0.01  # between a client's requests: leave the two cores some room for health checks
# Before the one retry, as the client library's first backoff (RetryPolicy: 200 ms): a retry
# sent at once can reach a node killed a moment ago whose socket still takes connections.
RETRY_BACKOFF_S = 0.2


def _outcome(status, headers, body):
    if status == 200:
        return "200"
    if status == 503 and "retry-after" not in headers:
        return "503 without Retry-After"
    try:
        error = json.loads(body).get("error")
    except ValueError:
        error = None
    return "%d %s" % (status, error) if error else str(status)


class Load:
    def __init__(self, cluster, name, kinds, clients=6, retry=True):
        self.cluster = cluster
        self.front = cluster.front
        self.kinds = kinds
        self.clients = clients
        self.retry = retry
        self.user = "%s@acme.test" % name
        self.password = "%s load pass 1" % name
        _, api_id, secret = self.front.seed(user=self.user, companies=(name + " Diner",),
                                            password=self.password)
        self.credential = b64(api_id + ":" + secret)
        cluster.secrets_seen.add(self.credential)
        self.refresh_tokens = []
        for _ in range(clients):
            login = self.front.v4_login(self.user, self.password)
            self.refresh_tokens.append(login["refreshToken"])
        self.access_token = self.front.token(api_id, secret)
        self.records = []  # (monotonic time, kind, outcome)
        self.lock = threading.Lock()
        self.failures = []
        self.failed_after_retry = 0
        self.absorbed = 0
        self.stopping = threading.Event()
        self.threads = []

    def start(self):
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in
                        range(self.clients)]
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join()

    # --- one request of a kind; returns the outcome
    def _request(self, client, i, kind):
        if kind == "v3":
            status, headers, body = client.request(
                "POST", "/rest/v3/oauth/token?grant_type=client_credentials",
                [("user", self.credential)])
            if status == 200:
                self.cluster.secrets_seen.add(json.loads(body)["access_token"])
        elif kind == "bearer":
            status, headers, body = client.request("GET", "/rest/v3/accounts",
                                             [("Authorization", "Bearer " + self.access_token)])
        elif kind == "refresh":
            status, headers, body = client.post_v4(refresh_body(self.refresh_tokens[i]))
            if status == 200:
                self.refresh_tokens[i] = json.loads(body)["refreshToken"]
        elif kind == "login":
            status, headers, body = client.post_v4(password_body(self.user, self.password))
        else:
            raise ValueError(kind)
        return _outcome(status, headers, body)

    def _attempt(self, client, i, kind):
        try:
            return self._request(client, i, kind)
        except OSError as e:  # no answer: reset, refused, closed
            client.close()
            return "error " + type(e).__name__

    def _run(self, i):
        client = Client(self.front)
        n = i
        while not self.stopping.is_set():
            kind = self.kinds[n % len(self.kinds)]
            n += 1
            outcome = self._attempt(client, i, kind)
            self._record(kind, outcome)
            if self.retry and (outcome.startswith("error") or outcome.startswith("503")):
                client.close()
                time.sleep(RETRY_BACKOFF_S)
                again = self._attempt(client, i, kind)
                self._record(kind, again)
                with self.lock:
                    if again == "200":
                        self.absorbed += 1
                    else:
                        self.failed_after_retry += 1
                        self.failures.append((kind, outcome, again))
            time.sleep(PAUSE_S)
        client.close()

    def _record(self, kind, outcome):
        with self.lock:
            self.records.append((time.monotonic(), kind, outcome))

    # --- results
    def statuses_between(self, start, end):
        counts = {}
        with self.lock:
            for t, kind, outcome in self.records:
                if start <= t <= end:
                    key = "%s %s" % (kind, outcome)
                    counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))

    def ok_after(self, start, kind=None):
        with self.lock:
            return sum(1 for t, k, o in self.records
                       if t >= start and o == "200" and (kind is None or k == kind))

    def summary(self):
        return "%d requests by %d clients, %d absorbed by one retry, %d failed after it; %s" % (
            len(self.records), self.clients, self.absorbed, self.failed_after_retry,
            self.statuses_between(0, float("inf")))

    def final_refresh_all(self):
        """How many clients' newest refresh tokens still refresh through the front."""
        ok = 0
        for i in range(self.clients):
            client = Client(self.front)
            for _ in range(2):
                if self._attempt(client, i, "refresh") == "200":
                    ok += 1
                    break
                time.sleep(0.2)
            client.close()
        return ok
