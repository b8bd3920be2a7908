-- (b) v3 token issuance at a steady pace: each connection waits BENCH_DELAY_MS (default 10)
-- between a response and its next request, so that a few connections make a moderate load
-- rather than as much as the server can take (wrk2's fixed rate is not in Debian). wrk starts
-- a request's latency clock when the request is written, so the pause is not in the latency.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "token.lua")

local pause_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "10")

function delay()
  return pause_ms
end
