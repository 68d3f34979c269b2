-- The macro benchmark's write load: files requests or proposes contributions, signed in
-- (the session cookie and Content-Type come as wrk -H headers).
--   wrk -t2 -c8 -d3s --latency -s bench/post.lua http://HOST:PORT -- MODE SLUG IDS_FILE LIMIT TAG
-- MODE: "request" (POST .../objects/{id}/requests) or "contribution"
-- (POST .../objects/{id}/contributions). IDS_FILE: object ids, one a line; each call takes
-- the next one at random. LIMIT: stop each thread after this many answers (0: run for -d).
-- TAG: makes titles unique across runs.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local threads = {}
local counter = 1

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

local words = {
   "fuite", "chauffage", "toilettes", "préau", "cantine", "fenêtre", "porte", "éclairage",
   "plafond", "cour", "grillage", "radiateur", "infiltration", "peinture", "sol", "escalier",
   "ascenseur", "alarme", "portail", "robinet", "évier", "vitre", "store", "gouttière",
}
local places = {
   "salle 1", "salle 2", "salle 3", "salle 12", "gymnase", "réfectoire", "bibliothèque",
   "couloir nord", "couloir sud", "premier étage", "rez-de-chaussée", "cour arrière",
}

local mode, slug, ids, limit, tag
local n, answers = 0, 0

function init(args)
   mode, slug, limit, tag = args[1], args[2], tonumber(args[4]) or 0, args[5] or "t"
   ids = {}
   for line in io.lines(args[3]) do
      if line ~= "" then table.insert(ids, line) end
   end
   math.randomseed(os.time() * 1000 + tid)
end

local function pick(list) return list[math.random(#list)] end

function request()
   n = n + 1
   local id = pick(ids)
   local body, path
   if mode == "contribution" then
      path = "/api/v1/tenants/" .. slug .. "/objects/" .. id .. "/contributions"
      body = string.format(
         '{"vintage": "2025-2026", "values": [{"field": "atsem", "value": %d}], ' ..
         '"source": "macro benchmark %s-%d-%d"}', math.random(0, 12), tag, tid, n)
   else
      path = "/api/v1/tenants/" .. slug .. "/objects/" .. id .. "/requests"
      body = string.format(
         '{"kind": "intervention", "categories": ["cem/toilets"], ' ..
         '"title": "%s %s, %s (%s-%d-%d)", ' ..
         '"description": "Signalé pendant le banc d\'essai : %s et %s, %s, depuis lundi."}',
         pick(words), pick(words), pick(places), tag, tid, n,
         pick(words), pick(words), pick(places))
   end
   return wrk.format("POST", path, nil, body)
end

function response(status, headers, body)
   answers = answers + 1
   if limit > 0 and answers >= limit then
      wrk.thread:stop()
   end
end
