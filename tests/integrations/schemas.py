"""The public Open311 GeoReport v2 schemas (../shared/contracts/open311/), as validators.

The five schema files are loaded into one registry keyed by file name, so the
array schemas' relative ``$ref`` resolve. What the schemas cannot say is
checked here too: an array of objects, and a zone on every datetime.
"""

import json
import re
from pathlib import Path

from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

CONTRACTS = Path(__file__).resolve().parents[2] / ".." / "shared" / "contracts" / "open311"
FILES = (
    "request.json",
    "requests.json",
    "service.json",
    "services.json",
    "service-definition.json",
)
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
DATETIME_KEYS = ("requested_datetime", "updated_datetime", "expected_datetime", "changeset")


def _load():
    folder = CONTRACTS if CONTRACTS.exists() else Path("/work/shared/contracts/open311")
    schemas = {name: json.loads((folder / name).read_text()) for name in FILES}
    registry = Registry().with_resources(
        (name, DRAFT7.create_resource(schema)) for name, schema in schemas.items()
    )
    return {name: Draft7Validator(schema, registry=registry) for name, schema in schemas.items()}


VALIDATORS = _load()


def validate(data, schema):
    """Raise unless ``data`` validates against ``schema`` (a file name) and carries zones."""
    VALIDATORS[schema].validate(data)
    items = data if isinstance(data, list) else [data]
    if schema in ("requests.json", "services.json"):
        assert isinstance(data, list) and all(isinstance(item, dict) for item in data)
    for item in items:
        for key in DATETIME_KEYS:
            if item.get(key) is not None:
                assert DATETIME.match(item[key]), (key, item[key])
    return data
