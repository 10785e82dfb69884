"""The desk's pages, a module per concern: rendering (what every page shares), sign-in, claims, sources, extraction,
comparing sides, the map."""

from api.web.pages import claims, compare, extract, map, rendering, signin, sources

# In the order they are matched: `/claims/new` before `/claims/{claim_id}` (both in `claims`).
PAGE_ROUTERS = (signin.router, claims.router, sources.router, extract.router, compare.router, map.router)

__all__ = ["PAGE_ROUTERS", "claims", "compare", "extract", "map", "rendering", "signin", "sources"]
