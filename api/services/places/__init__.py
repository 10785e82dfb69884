"""Places: the gazetteer (`gazetteer`: its offline seed), places as records (`registry`: add, read, type-ahead)
and what a claim's place names mean (`resolution`)."""

from api.services.places.registry import PlaceDict, create_place, get_place, require_place, search_places
from api.services.places.resolution import Context, Resolved, resolve

__all__ = ["Context", "PlaceDict", "Resolved", "create_place", "get_place", "require_place", "resolve", "search_places"]
