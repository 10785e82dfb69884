"""`/docs` and `/redoc` work offline: every asset is a vendored, sha256-pinned file the app serves itself."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from tests.conftest import Api

STATIC = Path(__file__).parent.parent / "api" / "web" / "static"
# The npm packages' files, unmodified: swagger-ui-dist 5.35.0 and redoc 2.5.4 (api/web/static/README.md).
PINNED = {
    "swagger-ui-bundle.js": "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2",
    "swagger-ui.css": "5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d",
    "redoc.standalone.js": "dcaf76612bc4a3fbcc923a8966dee2f6146a5f32e5ce1b6f02dd60cbbf89500b",
}
# Anything a browser could fetch from elsewhere: an absolute or protocol-relative URL.
EXTERNAL = re.compile(r"(?:https?:)?//[A-Za-z0-9]", re.IGNORECASE)
REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""", re.IGNORECASE)


def test_vendored_docs_assets_are_the_pinned_releases(api: Api) -> None:
    for name, digest in PINNED.items():
        assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == digest, name
        response = api.anonymous().get(f"/static/{name}")
        assert response.status_code == 200, name
        assert hashlib.sha256(response.content).hexdigest() == digest, name
        assert response.headers["x-content-type-options"] == "nosniff"
    for licence in ("swagger-ui.LICENSE", "swagger-ui.NOTICE", "redoc.LICENSE"):
        assert (STATIC / licence).stat().st_size > 0


def test_docs_pages_name_no_external_url_and_load_only_what_the_app_serves(api: Api) -> None:
    client = api.anonymous()
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert not EXTERNAL.findall(page.text), (path, EXTERNAL.findall(page.text))
        references = [first or second for first, second in REFERENCE.findall(page.text)]
        assert references, path
        for reference in references:
            assert reference.startswith("/") and not reference.startswith("//"), (path, reference)
            assert client.get(reference).status_code == 200, (path, reference)
        assert {"/openapi.json"} <= set(references) | set(re.findall(r'spec-url="([^"]+)"', page.text))
        # The page's policy lets it load from its own origin only, and nobody frame it.
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "http" not in policy and "*" not in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "/static/swagger-ui-bundle.js" in client.get("/docs").text
    assert "/static/redoc.standalone.js" in client.get("/redoc").text


def test_swagger_ui_asks_no_validator_elsewhere(api: Api) -> None:
    # Swagger UI's default sends the schema to validator.swagger.io for a badge; the page turns it off.
    assert '"validatorUrl": null' in api.anonymous().get("/docs").text
