-- wrk script of the metadata throughput benchmark.
--
--   wrk ... -s wrk-script.lua http://127.0.0.1:PORT/p2/x/y.json                 one path (wrk's static request)
--   wrk ... -s wrk-script.lua http://127.0.0.1:PORT/ -- PATHS_FILE              round-robin over the paths
--
-- PATHS_FILE holds one URL path per line. Requests are formatted once, in init(), so the
-- per-request Lua work is a table lookup. Each thread starts at a different offset. The -H
-- headers (Authorization, Accept-Encoding) are part of every request.
-- done() prints one line "WRK_RESULT {json}" that run.ts parses.

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file = args[1]
  if file == nil or file == "" then
    return -- single path: keep wrk's static request (no Lua per request)
  end
  local prepared = {}
  for line in io.lines(file) do
    if line ~= "" then
      table.insert(prepared, wrk.format(nil, line))
    end
  end
  assert(#prepared > 0, "no paths in " .. file)
  local count = #prepared
  local next_index = (thread_index or 0) * math.floor(count / 2) % count
  request = function()
    next_index = next_index % count + 1
    return prepared[next_index]
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
