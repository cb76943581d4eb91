-- Lead.Capture bodies for `python -m bench.http` (wrk): 40% new leads, 40% an earlier lead's email (upper
-- case half the time), 20% an earlier lead's phone only, in the forms people type. Earlier leads are taken
-- at least 100 requests back, so a match never races the capture that creates its lead.
local path = os.getenv("LC_PATH")
local headers = {
  ["Content-Type"] = "application/json",
  ["x-LSQ-AccessKey"] = os.getenv("LC_ACCESS_KEY"),
  ["x-LSQ-SecretKey"] = os.getenv("LC_SECRET_KEY"),
}
math.randomseed(tonumber(os.getenv("LC_SEED")))

local first_names = {"Asha", "Ben", "Chen", "Divya", "Emeka", "Farah", "Goran", "Hana", "Ivan", "Jaya"}
local cities = {"Pune", "Mumbai", "Delhi", "Chennai", "Kolkata", "Bengaluru"}
local made = 0
local BACK = 100

local function email(i) return "person" .. i .. "@example.com" end
local function phone(i) return tostring(9000000000 + i * 7919 % 999999999) end
local phone_forms = {
  function(p) return p end,
  function(p) return "+91 " .. p:sub(1, 5) .. " " .. p:sub(6) end,
  function(p) return "+91-" .. p end,
  function(p) return "0" .. p end,
  function(p) return "(+91) " .. p:sub(1, 5) .. "-" .. p:sub(6) end,
}

local function pair(name, value) return '{"Attribute":"' .. name .. '","Value":"' .. value .. '"}' end

request = function()
  local r = math.random()
  local body
  if made <= BACK or r < 0.4 then
    made = made + 1
    body = "[" .. pair("FirstName", first_names[math.random(#first_names)]) .. "," .. pair("LastName", "Lead" .. made)
      .. "," .. pair("EmailAddress", email(made)) .. "," .. pair("Phone", phone(made)) .. ","
      .. pair("Source", "Web") .. "," .. pair("City", cities[math.random(#cities)]) .. "]"
  elseif r < 0.8 then
    local address = email(math.random(made - BACK))
    if math.random() < 0.5 then address = string.upper(address) end
    body = "[" .. pair("EmailAddress", address) .. "," .. pair("City", cities[math.random(#cities)]) .. "]"
  else
    local form = phone_forms[math.random(#phone_forms)]
    body = "[" .. pair("Phone", form(phone(math.random(made - BACK)))) .. "," .. pair("JobTitle", "Engineer") .. "]"
  end
  return wrk.format("POST", path, headers, body)
end
