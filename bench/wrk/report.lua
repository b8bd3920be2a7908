-- Shared by the scenario scripts (loaded with dofile). At the end of a run, wrk calls done()
-- once; it prints one machine-readable line that bench/run.sh picks up. Latencies are in
-- microseconds, as wrk records them. errors.status counts responses with a status >= 400.
function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"rps":%.1f,' ..
      '"latency_us":{"mean":%.1f,"p50":%.0f,"p90":%.0f,"p99":%.0f,"max":%.0f},' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    seconds > 0 and summary.requests / seconds or 0,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
