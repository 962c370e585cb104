import numba
import pytest


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run tests marked slow (long statistical tests)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow (make test-slow)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def threads():
    """Set numba's thread count inside a test and restore it afterwards."""
    before = numba.get_num_threads()
    yield numba.set_num_threads
    numba.set_num_threads(before)


@pytest.fixture(autouse=True, scope="session")
def _private_table_cache(tmp_path_factory):
    """Tests build pricing tables into a private cache, never the user's ~/.cache/alvh."""
    import os

    folder = tmp_path_factory.mktemp("alvh_cache")
    before = os.environ.get("ALVH_CACHE_DIR")
    os.environ["ALVH_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("ALVH_CACHE_DIR", None)
    else:
        os.environ["ALVH_CACHE_DIR"] = before
