"""scripts/test.sh, the README's test command, run in a scratch copy of the repository layout with
cmake, ninja, ctest, install-deps and the fuzzers replaced by stubs: whatever fails (a build, a
suite, the fuzzers), every stage still runs, the summary line is printed, and the exit code says
whether anything failed."""

import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

# Each stub notes its call in $STUB_LOG. ninja fails for the build directories in $FAIL_BUILD;
# ctest prints the summary line of $CTEST_<dir> ("passed failed" counts, default "10 0") and
# exits non-zero when a test failed, as CTest does.
STUBS = {
    "cmake": """#!/bin/bash
while [ $# -gt 0 ]; do [ "$1" = -B ] && dir=$2; shift; done
mkdir -p "$dir"
echo "cmake $(basename "$dir")" >>"$STUB_LOG"
""",
    "ninja": """#!/bin/bash
dir=$(basename "$2")
echo "ninja $dir" >>"$STUB_LOG"
for bad in $FAIL_BUILD; do
  [ "$bad" = "$dir" ] && { echo "FAILED: some.cpp.o" >&2; exit 1; }
done
exit 0
""",
    "ctest": """#!/bin/bash
dir=$(basename "$PWD")
echo "ctest $dir" >>"$STUB_LOG"
var="CTEST_${dir//-/_}"
read -r ok bad <<<"${!var:-10 0}"
total=$((ok + bad))
echo "$((ok * 100 / total))% tests passed, $bad tests failed out of $total"
[ "$bad" -eq 0 ]
""",
}


class TestScript(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="connect-auth-test-sh-")
        self.repo = os.path.join(self.dir, "repo")
        self.bin = os.path.join(self.dir, "bin")
        for d in ("scripts", "fuzz"):
            os.makedirs(os.path.join(self.repo, d))
        os.makedirs(self.bin)
        shutil.copy(os.path.join(ROOT, "scripts", "test.sh"),
                    os.path.join(self.repo, "scripts", "test.sh"))
        self.write(os.path.join(self.repo, "scripts", "install-deps.sh"), "exit 0\n")
        self.write(os.path.join(self.repo, "fuzz", "run.sh"),
                   'echo "fuzz" >>"$STUB_LOG"\nexit "${FUZZ_RC:-0}"\n')
        for name, text in STUBS.items():
            self.write(os.path.join(self.bin, name), text)
        self.log = os.path.join(self.dir, "stubs.log")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def write(path, text):
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)

    def run_script(self, *args, **env):
        full_env = dict(os.environ, PATH=self.bin + os.pathsep + os.environ["PATH"],
                        STUB_LOG=self.log, HOME=self.dir, **env)
        result = subprocess.run(["bash", os.path.join(self.repo, "scripts", "test.sh"), *args],
                                capture_output=True, text=True, env=full_env, timeout=60)
        with open(self.log, encoding="utf-8") as f:
            calls = f.read().split("\n")
        summary = re.findall(r"^(\d+) passed, (\d+) failed$", result.stdout, re.M)
        return result, [c for c in calls if c], summary

    def test_everything_passing_exits_0(self):
        result, calls, summary = self.run_script()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("ALL TESTS PASSED", result.stdout)
        self.assertEqual(summary, [("21", "0")])  # 10 + 10 tests and the fuzzers
        self.assertEqual(calls, ["cmake build", "ninja build", "ctest build", "cmake build-asan",
                                 "ninja build-asan", "ctest build-asan", "fuzz"])

    def test_a_failing_suite_still_runs_the_other_stages_and_the_summary(self):
        result, calls, summary = self.run_script(CTEST_build="8 2")
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(summary, [("19", "2")], result.stdout)
        self.assertIn("FAILED: release", result.stdout)
        self.assertIn("ctest build-asan", calls)
        self.assertIn("fuzz", calls)

    def test_a_failing_build_is_a_failed_stage_and_its_tests_do_not_run(self):
        result, calls, summary = self.run_script(FAIL_BUILD="build")
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(summary, [("11", "1")], result.stdout + result.stderr)
        self.assertIn("release build", result.stdout)
        self.assertNotIn("ctest build", calls)  # no stale binaries tested
        self.assertEqual(calls[-3:], ["ninja build-asan", "ctest build-asan", "fuzz"])

    def test_a_failing_sanitizer_build_and_fuzzers_are_counted(self):
        result, calls, summary = self.run_script(FAIL_BUILD="build-asan", FUZZ_RC="1")
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(summary, [("10", "2")], result.stdout + result.stderr)
        self.assertIn("sanitizers build", result.stdout)
        self.assertIn("fuzzers", result.stdout)
        self.assertNotIn("ctest build-asan", calls)

    def test_quick_runs_the_release_stage_only_and_still_summarises(self):
        result, calls, summary = self.run_script("--quick", CTEST_build="9 1")
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(summary, [("9", "1")], result.stdout)
        self.assertEqual(calls, ["cmake build", "ninja build", "ctest build"])


if __name__ == "__main__":
    unittest.main()
