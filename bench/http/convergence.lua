-- The read load of convergence.sh: cycles through the probed product (PRODUCT, default 7), the
-- featured list, the first page and a few other products, so the keys a write invalidates are hot
-- on every process while the probe measures. Requests are formatted once, in init.
local requests = {}
local n = 0

init = function(args)
  local product = os.getenv("PRODUCT") or "7"
  local paths = {
    "/api/products/" .. product,
    "/api/products/featured",
    "/api/products?page=1&pageSize=20",
    "/api/products/" .. product,
    "/api/products/1",
    "/api/products/42",
    "/api/products/" .. product,
    "/api/products/featured",
  }
  for i, path in ipairs(paths) do
    requests[i] = wrk.format("GET", path)
  end
end

request = function()
  n = n % #requests + 1
  return requests[n]
end
