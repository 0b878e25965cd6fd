-- wrk script: cycle through distinct requests, each thread from its own offset.
--
--   wrk -t2 -c8 -d20s --latency -s bench/cycle.lua http://127.0.0.1:PORT/ -- FILE THREADS PATH
--
-- FILE holds one query string per line, already URL-encoded (`q=caf%C3%A9`); each request is
-- `GET PATH?<line>`. With T threads, thread k starts at line 1 + k*N/T, so that the threads
-- walk disjoint stretches of the list and no request repeats until a thread has gone through
-- N/T lines (the result says whether one did). At the end one line `WRK-RESULT {json}` gives
-- the figures, latencies in microseconds from wrk's own latency histogram (the one that
-- `--latency` prints). wrk calls request() once on thread 0 to check the script: that line
-- is skipped, never repeated.

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  threads[#threads + 1] = thread
end

local lines = {}
local position = 1
local prefix = "/"
sent = 0  -- requests made by this thread (read by done() through thread:get)
span = 0  -- requests this thread makes before it reaches another thread's first line

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    if #line > 0 then
      lines[#lines + 1] = line
    end
  end
  file:close()
  assert(#lines > 0, "no requests in " .. args[1])
  local count = tonumber(args[2]) or 1
  prefix = (args[3] or "/") .. "?"
  position = math.floor((thread_number or 0) * #lines / count) % #lines + 1
  span = math.floor(#lines / count)
end

function request()
  local line = lines[position]
  position = position % #lines + 1
  sent = sent + 1
  return wrk.format("GET", prefix .. line)
end

function done(summary, latency, requests)
  local e = summary.errors
  local most, fewest_lines = 0, math.huge
  for _, thread in ipairs(threads) do
    most = math.max(most, thread:get("sent") or 0)
    fewest_lines = math.min(fewest_lines, thread:get("span") or 0)
  end
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"most_sent_by_a_thread": %d, "distinct_per_thread": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "max": %d, "p50": %d, "p75": %d, ' ..
    '"p90": %d, "p99": %d, "p999": %d}}\n',
    summary.requests, summary.duration, summary.bytes, most, fewest_lines,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency:percentile(50), latency:percentile(75),
    latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
