# The proxy's authentication (JWT verification, verified-token cache) and rate limiting.
