"""SIGTERM with a drain delay (shutdown.drain_delay_ms): /health/ready turns 503 at once while the
node goes on serving, every answer then closes its connection (so a keep-alive client reconnects
through the load balancer), a request in flight finishes, and the process exits 0 once the delay
and the drain are over."""

import signal
import time
import unittest

from harness import Client, Server, wait_until

DELAY_MS = 1500


class DrainDelay(unittest.TestCase):
    def setUp(self):
        self.server = Server(env={"CONNECT_AUTH_SHUTDOWN_DRAIN_DELAY_MS": str(DELAY_MS)}).start()

    def tearDown(self):
        self.server.cleanup()

    def test_not_ready_at_once_then_serves_until_the_delay_ends(self):
        server = self.server
        keep_alive = Client(server).open()
        self.assertEqual(keep_alive.request("GET", "/health/live")[0], 200)
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        took = wait_until(lambda: server.request("GET", "/health/ready")[0] == 503,
                          timeout_s=0.5, step_s=0.01)
        self.assertIsNotNone(took, "/health/ready stayed 200 after SIGTERM")
        # Still serving during the delay, on old and new connections alike; every answer says
        # Connection: close.
        status, headers, _ = keep_alive.request("GET", "/health/live")
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("connection", "").lower(), "close")
        status, headers, _ = server.request("GET", "/health/live")
        self.assertEqual(status, 200)
        self.assertEqual(headers.get("connection", "").lower(), "close")
        self.assertIsNone(server.process.poll(), "the server stopped before the drain delay")
        code = server.process.wait(timeout=20)
        elapsed = time.monotonic() - signalled
        self.assertEqual(code, 0)
        self.assertGreaterEqual(elapsed, DELAY_MS / 1000 - 0.1)
        self.assertLess(elapsed, DELAY_MS / 1000 + 5)
        self.assertIn('"shutdown_requested"', server.log_text())

    def test_second_sigterm_stops_at_once(self):
        server = self.server
        server.process.send_signal(signal.SIGTERM)
        self.assertIsNotNone(wait_until(
            lambda: server.request("GET", "/health/ready")[0] == 503, timeout_s=0.5))
        began = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        self.assertEqual(server.process.wait(timeout=20), 0)
        self.assertLess(time.monotonic() - began, DELAY_MS / 1000 - 0.3)


if __name__ == "__main__":
    unittest.main()
