-- wrk script: send at a fixed rate (wrk's -t threads share it evenly; the rate per thread is
-- the script's argument), whatever the latency: each request gets the next slot of a schedule
-- (or goes at once when the schedule is behind: the load is never eased off because answers
-- are slow). Latency is counted from when a request is sent: when the schedule falls behind
-- (every connection busy), the wait for a free connection is not counted, so bench.web voids the
-- figure unless the rate was reached. Prints what bench.web reads, as p95.lua does.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]]
local clock = ffi.new("bench_timeval")

local function now_ms()
  ffi.C.gettimeofday(clock, nil)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_usec) / 1000
end

local interval, next_at

function init(args)
  interval = 1000 / tonumber(args[1])
end

function delay()
  local now = now_ms()
  if next_at == nil then
    next_at = now
  end
  local wait = next_at - now
  next_at = next_at + interval
  if wait < 0 then
    return 0
  end
  return wait
end

-- What bench.web reads after the run: p95.lua's report, from beside this script.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "p95.lua")
