-- wrk script for bench/serve_ceiling.sh: GETs WRK_PATH with "{id}" replaced by
-- a random line of the file WRK_IDS, and prints one RESULT line at the end.
local path = os.getenv("WRK_PATH")
local ids = {}

function init(args)
  for line in io.lines(os.getenv("WRK_IDS")) do
    ids[#ids + 1] = line
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local target = path:gsub("{id}", ids[math.random(#ids)])
  return wrk.format("GET", target)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d seconds=%.3f p50_ms=%.3f p99_ms=%.3f errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.status + e.timeout))
end
