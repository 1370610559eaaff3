-- make bench: count responses by status class and print one JSON line for bench/wrkload.py.
-- With BENCH_REQUESTS=<file> (lines "cookie<TAB>form body"), each request is a POST taken in
-- turn from the file, so the connections act as many shoppers with carts of their own.

local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

local requests_file = os.getenv("BENCH_REQUESTS")
local prepared = {}
local next_index = 0

function init(args)
  c1, c2, c3, c4, c5 = 0, 0, 0, 0, 0
  if requests_file then
    for line in io.lines(requests_file) do
      local cookie, body = line:match("^(.-)\t(.*)$")
      if cookie then
        local headers = {}
        for k, v in pairs(wrk.headers) do headers[k] = v end
        headers["Cookie"] = cookie
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        table.insert(prepared, wrk.format("POST", nil, headers, body))
      end
    end
    next_index = offset or 0
  end
end

if requests_file then
  function request()
    next_index = next_index % #prepared + 1
    return prepared[next_index]
  end
end

function response(status, headers, body)
  local class = math.floor(status / 100)
  if class == 2 then c2 = c2 + 1
  elseif class == 3 then c3 = c3 + 1
  elseif class == 4 then c4 = c4 + 1
  elseif class == 5 then c5 = c5 + 1
  else c1 = c1 + 1 end
end

function done(summary, latency, requests)
  local n = {0, 0, 0, 0, 0}
  for _, t in ipairs(threads) do
    n[1] = n[1] + (t:get("c1") or 0)
    n[2] = n[2] + (t:get("c2") or 0)
    n[3] = n[3] + (t:get("c3") or 0)
    n[4] = n[4] + (t:get("c4") or 0)
    n[5] = n[5] + (t:get("c5") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p75":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
    '"status":{"1xx":%d,"2xx":%d,"3xx":%d,"4xx":%d,"5xx":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(75), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean,
    n[1], n[2], n[3], n[4], n[5]))
end
