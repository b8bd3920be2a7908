-- (c) GET <url> (/rest/v3/accounts) with `Authorization: Bearer <token>`, the token taken from
-- BENCH_BEARER_TOKEN.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

local token = os.getenv("BENCH_BEARER_TOKEN")
if token == nil or token == "" then
  error("BENCH_BEARER_TOKEN is not set")
end
wrk.headers["Authorization"] = "Bearer " .. token
