from tests.upki.national import national  # noqa: F401 - the fixture
