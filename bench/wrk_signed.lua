-- wrk script: POST pre-signed Twilio webhooks, each with its own MessageSid, and count the answers.
--
--   wrk -t T -c C -d D -s bench/wrk_signed.lua http://127.0.0.1:PORT -- REQUESTS_FILE T [once|cycle]
--
-- REQUESTS_FILE has one request per line: path, TAB, X-Twilio-Signature, TAB, form body (written by
-- bench/ingest.py, which computed the signatures with twilio's own RequestValidator). Thread k of T
-- sends lines k, k+T, k+2T, ...: "once" (the default) sends each line once and stops the thread when
-- its share runs out, so no MessageSid is ever sent twice; "cycle" starts its share again (for an app
-- that stores nothing). done() prints one line, "WRKJSON {...}".

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   local path, nthreads = args[1], tonumber(args[2])
   cycle = args[3] == "cycle"
   reqs = {}
   local i = 0
   for line in io.lines(path) do
      if i % nthreads == id then
         local p, sig, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
         reqs[#reqs + 1] = wrk.format("POST", p, {
            ["Content-Type"] = "application/x-www-form-urlencoded",
            ["X-Twilio-Signature"] = sig,
         }, body)
      end
      i = i + 1
   end
   issued, ok, other, exhausted = 0, 0, 0, 0
end

function request()
   if cycle and issued >= #reqs then
      exhausted = 1
      issued = 0
   elseif issued >= #reqs then
      exhausted = 1
      wrk.thread:stop()
      -- stop() ends the thread's loop after this round of events, so what is returned here may still be
      -- sent: a GET to a path neither app has (404), never a second copy of a signed message
      return wrk.format("GET", "/__wrk_out_of_requests")
   end
   issued = issued + 1
   return reqs[issued]
end

function response(status, headers, body)
   if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
   local issued_all, ok_all, other_all, exhausted_all = 0, 0, 0, 0
   for _, t in ipairs(threads) do
      issued_all = issued_all + t:get("issued")
      ok_all = ok_all + t:get("ok")
      other_all = other_all + t:get("other")
      exhausted_all = exhausted_all + t:get("exhausted")
   end
   local e = summary.errors
   io.write(string.format(
      'WRKJSON {"duration_us": %d, "requests": %d, "bytes": %d, "issued": %d, "ok": %d, "non_200": %d, ' ..
      '"exhausted_threads": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}}\n',
      summary.duration, summary.requests, summary.bytes, issued_all, ok_all, other_all, exhausted_all,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
