-- (b) v3 token issuance: POST <url> with the client credential in the `user` header,
-- base64(API_ID:API_SECRET), taken from BENCH_USER_HEADER. The URL on the command line carries
-- the path and ?grant_type=client_credentials.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

local credential = os.getenv("BENCH_USER_HEADER")
if credential == nil or credential == "" then
  error("BENCH_USER_HEADER is not set")
end
wrk.method = "POST"
wrk.headers["user"] = credential
