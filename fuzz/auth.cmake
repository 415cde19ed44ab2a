# The proxy's JWT parsing and verification (apps/edgetraced/proxy/jwt.cpp).
