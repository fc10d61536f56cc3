import pytest

from tests.appeals.conftest import City


@pytest.fixture
def city(db):
    return City()
