-- wrk script: POST /v1/claims with a new claim each time (bench/post_throughput.py sets the environment).
--   API_KEY    an analyst's key
--   SOURCE_ID  the source the claims are attributed to
local api_key = os.getenv("API_KEY")
local source_id = os.getenv("SOURCE_ID")
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(_args)
  counter = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. api_key
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"statement":"Bench claim %d-%d-%d: shelling reported near the river crossing.",'
      .. '"source_id":"%s","channel":"statement","stated_at":"2022-05-14T09:00:00+00:00"}',
    os.time(), thread_number, counter, source_id)
  return wrk.format(nil, "/v1/claims", nil, body)
end

function done(summary, _latency, _requests)
  local errors = summary.errors
  io.write(string.format("non-2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end
