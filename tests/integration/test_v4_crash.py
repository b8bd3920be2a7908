"""kill -9 durability of refresh-token rotation (bad-inputs §E, "nothing lost" invariants 1 and
3): a few clients each chain refreshes of their own family while the server is killed with
SIGKILL at random moments and restarted on the same data directory. Afterwards every client's
last received token must still work: a 200 is only sent after its token is durably committed,
and a rotation whose answer was lost leaves the presented token inside the (30 s) grace period."""

import json
import os
import random
import threading
import time
import unittest

from harness import Client, Server, find_leaks, refresh_body

PASSWORD = "crash pass 8"
USER = "crash@acme.test"
CLIENTS = 4
CYCLES = int(os.environ.get("CA_TEST_CRASH_CYCLES", "6"))


class KillNine(unittest.TestCase):
    def test_last_received_token_survives_kill_9(self):
        seed = int(os.environ.get("CA_TEST_CRASH_SEED", str(int(time.time()))))
        rng = random.Random(seed)
        print("\ncrash test seed %d (CA_TEST_CRASH_SEED to repeat)" % seed)
        server = Server().start()
        problems = []
        refreshes = 0
        try:
            server.seed(user=USER, password=PASSWORD)
            tokens = [server.v4_login(USER, PASSWORD)["refreshToken"] for _ in range(CLIENTS)]
            for cycle in range(CYCLES):
                # Every client's last received token works after the restart (cycle > 0).
                for i in range(CLIENTS):
                    status, _, body = server.v4_refresh(tokens[i])
                    if status != 200:
                        problems.append("cycle %d, client %d: its last token after restart: "
                                        "%d %s" % (cycle, i, status, body))
                        continue
                    tokens[i] = json.loads(body)["refreshToken"]
                if problems:
                    break

                stop = threading.Event()
                counts = [0] * CLIENTS

                def chain(i):
                    client = Client(server, timeout=10)
                    try:
                        while not stop.is_set():
                            try:
                                status, _, body = client.post_v4(refresh_body(tokens[i]))
                            except Exception:
                                return  # the server died: the answer may be lost
                            if status != 200:
                                problems.append("cycle %d, client %d: %d %s"
                                                % (cycle, i, status, body))
                                return
                            tokens[i] = json.loads(body)["refreshToken"]
                            counts[i] += 1
                    finally:
                        client.close()

                threads = [threading.Thread(target=chain, args=(i,)) for i in range(CLIENTS)]
                for t in threads:
                    t.start()
                time.sleep(rng.uniform(0.2, 1.2))
                server.kill9()
                stop.set()
                for t in threads:
                    t.join(timeout=30)
                refreshes += sum(counts)
                if problems:
                    break
                server.start()
            if not problems:
                for i in range(CLIENTS):
                    status, _, body = server.v4_refresh(tokens[i])
                    if status != 200:
                        problems.append("after the last restart, client %d: %d %s"
                                        % (i, status, body))
            print("%d kill -9 cycles, %d refreshes acknowledged, %d retries answered inside grace"
                  % (CYCLES, refreshes, server.log_text().count('"replayed_in_grace"')))
            self.assertEqual(problems, [])
            self.assertGreater(refreshes, CYCLES * CLIENTS, "the load did not run")
            self.assertEqual(server.stop(), 0)
            log = server.log_text()
            self.assertEqual(len(find_leaks(log, server.secrets_seen)), 0,
                             "the server log contains secrets/tokens")
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
