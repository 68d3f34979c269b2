-- Shared by the macro benchmark's wrk runs: prints one machine-readable line at the end.
-- Loaded by get.lua and post.lua (dofile); also usable alone for plain GETs:
--   wrk -t2 -c64 -d3s --latency -s bench/report.lua -H 'Accept-Encoding: gzip' URL

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, ' ..
      '"p99_us": %d, "max_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
      '"status": %d, "timeout": %d}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50.0), latency:percentile(99.0), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout))
end
