-- wrk script for bench/ingest_ab.sh: POST /events with batches of 100 new ratings, each of
-- another new user (the most rating marks a batch can cost), and one RESULT line at the end.
local counter = 0
local thread_base = 0

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
  thread_base = 1000000 + math.random(0, 1000) * 1000000
end

function request()
  counter = counter + 1
  local events = {}
  for i = 1, 100 do
    local user = thread_base + counter * 100 + i
    events[i] = string.format('{"UserId":%d,"MovieId":%d,"Rating":4.0,"Timestamp":1700000000}', user, i)
  end
  return wrk.format("POST", "/events", { ["Content-Type"] = "application/json" },
    "[" .. table.concat(events, ",") .. "]")
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.3f p99_ms=%.3f errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end
