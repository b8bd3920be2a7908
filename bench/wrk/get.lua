-- Plain GET of the URL given on the command line (the nginx ceiling). No request() or
-- response() callbacks: wrk sends one pre-built request, which keeps the client cheap.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
