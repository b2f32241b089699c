"""Rate limits: token buckets (in process, or shared in Redis) and the API's per-key and
per-tenant admission rule built on them."""
